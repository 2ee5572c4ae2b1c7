/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devioctl.h - I/O control codes, as the WDK's devioctl.h defines them:
 * CTL_CODE, the METHOD_* transfer types, the FILE_*_ACCESS rights, and the
 * macros that take a code apart.
 *
 * Standalone on purpose: no other mmshim header, no Linux or libc header, so
 * a driver's user-space client includes the same definitions as the driver
 * (<wdm.h> includes this file).
 */
#ifndef MMSHIM_DEVIOCTL_H
#define MMSHIM_DEVIOCTL_H

/* Bits 31-16 device type, 15-14 required access, 13-2 function, 1-0 method. */
#define CTL_CODE(DeviceType, Function, Method, Access) \
	(((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))

#define DEVICE_TYPE_FROM_CTL_CODE(ctrlCode) (((unsigned int)((ctrlCode) & 0xffff0000)) >> 16)
#define METHOD_FROM_CTL_CODE(ctrlCode) ((unsigned int)((ctrlCode) & 3))

#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#define METHOD_DIRECT_TO_HARDWARE METHOD_IN_DIRECT
#define METHOD_DIRECT_FROM_HARDWARE METHOD_OUT_DIRECT

#define FILE_ANY_ACCESS 0
#define FILE_SPECIAL_ACCESS (FILE_ANY_ACCESS)
#define FILE_READ_ACCESS (0x0001)  /* file & pipe */
#define FILE_WRITE_ACCESS (0x0002) /* file & pipe */

#endif /* MMSHIM_DEVIOCTL_H */
