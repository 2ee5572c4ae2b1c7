/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmcopy_header_check.h - what mmcopy_header_check.c (plain C11, -pedantic)
 * computes with <ntddk.h>'s MmCopyMemory family and the node variants of
 * page allocation, checked by mmcopy_test.cpp.
 */
#ifndef MMCOPY_HEADER_CHECK_H
#define MMCOPY_HEADER_CHECK_H

#ifdef __cplusplus
extern "C" {
#endif

struct mmcopy_header_values {
	unsigned long sizeof_copy_address, sizeof_memory_range, offsetof_number_of_bytes;
	unsigned long copy_physical, copy_virtual, any_node_ok, sizeof_node_requirement;
	unsigned long page_readwrite_nocache;
	int prototypes; /* prototypes assigned to a pointer of the WDK's type */
	long copy_status, copy_bad_flags_status;
	int virtual_for_io, ranges_terminated, node_memory_freed;
};

/* Fills *v; returns the number of values computed. */
int mmshim_mmcopy_header_check(struct mmcopy_header_values *v);

#ifdef __cplusplus
}
#endif

#endif
