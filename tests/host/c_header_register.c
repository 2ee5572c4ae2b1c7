/* SPDX-License-Identifier: GPL-2.0 */
/*
 * c_header_register.c - include/mmshim/register.h, iomdl.h and video.h as
 * plain C11 with -pedantic -Werror (see CMakeLists.txt): every register and
 * port routine and every new prototype assigned to a pointer of the WDK's
 * function type, and the register accessors run on ordinary memory.
 * CMakeLists.txt also assembles it for arm64 (clang), where the port
 * routines must not exist.
 */

#include <wdm.h>
#include <ntddk.h>

typedef UCHAR (*wdk_read_register_uchar)(volatile UCHAR *Register);
typedef USHORT (*wdk_read_register_ushort)(volatile USHORT *Register);
typedef ULONG (*wdk_read_register_ulong)(volatile ULONG *Register);
typedef ULONG64 (*wdk_read_register_ulong64)(volatile ULONG64 *Register);
typedef VOID (*wdk_write_register_uchar)(volatile UCHAR *Register, UCHAR Value);
typedef VOID (*wdk_write_register_ushort)(volatile USHORT *Register, USHORT Value);
typedef VOID (*wdk_write_register_ulong)(volatile ULONG *Register, ULONG Value);
typedef VOID (*wdk_write_register_ulong64)(volatile ULONG64 *Register, ULONG64 Value);
typedef VOID (*wdk_register_buffer_uchar)(volatile UCHAR *Register, PUCHAR Buffer, ULONG Count);
typedef VOID (*wdk_register_buffer_ushort)(volatile USHORT *Register, PUSHORT Buffer, ULONG Count);
typedef VOID (*wdk_register_buffer_ulong)(volatile ULONG *Register, PULONG Buffer, ULONG Count);
typedef VOID (*wdk_register_buffer_ulong64)(volatile ULONG64 *Register, PULONG64 Buffer, ULONG Count);
typedef UCHAR (*wdk_read_port_uchar)(PUCHAR Port);
typedef USHORT (*wdk_read_port_ushort)(PUSHORT Port);
typedef ULONG (*wdk_read_port_ulong)(PULONG Port);
typedef VOID (*wdk_write_port_uchar)(PUCHAR Port, UCHAR Value);
typedef VOID (*wdk_write_port_ushort)(PUSHORT Port, USHORT Value);
typedef VOID (*wdk_write_port_ulong)(PULONG Port, ULONG Value);
typedef VOID (*wdk_port_buffer_uchar)(PUCHAR Port, PUCHAR Buffer, ULONG Count);
typedef VOID (*wdk_port_buffer_ushort)(PUSHORT Port, PUSHORT Buffer, ULONG Count);
typedef VOID (*wdk_port_buffer_ulong)(PULONG Port, PULONG Buffer, ULONG Count);
typedef NTSTATUS (*wdk_allocate_mdl_for_io_space)(PMM_PHYSICAL_ADDRESS_LIST PhysicalAddressList,
						  SIZE_T NumberOfEntries, PMDL *NewMdl);
typedef PVOID (*wdk_map_video_display)(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
				       MEMORY_CACHING_TYPE CacheType);
typedef VOID (*wdk_unmap_video_display)(PVOID BaseAddress, SIZE_T NumberOfBytes);

/* Returns the number of routines whose address was taken (all non-NULL),
 * after running each register accessor once on @mem (8 ULONG64s, zeroed). */
int mmshim_c_register_check(ULONG64 *mem);

#if defined(__aarch64__) && defined(MMSHIM_HAS_PORT_IO)
#error "port I/O must stay undeclared on arm64"
#endif

int mmshim_c_register_check(ULONG64 *mem)
{
	int n = 0;
	ULONG64 q[2] = { 0, 0 };
	ULONG l[2] = { 0, 0 };
	USHORT s[2] = { 0, 0 };
	UCHAR b[2] = { 0, 0 };
	volatile UCHAR *r = (volatile UCHAR *)mem;

	{
		wdk_read_register_uchar f1 = READ_REGISTER_UCHAR;
		wdk_read_register_ushort f2 = READ_REGISTER_USHORT;
		wdk_read_register_ulong f3 = READ_REGISTER_ULONG;
		wdk_read_register_ulong64 f4 = READ_REGISTER_ULONG64;
		wdk_write_register_uchar f5 = WRITE_REGISTER_UCHAR;
		wdk_write_register_ushort f6 = WRITE_REGISTER_USHORT;
		wdk_write_register_ulong f7 = WRITE_REGISTER_ULONG;
		wdk_write_register_ulong64 f8 = WRITE_REGISTER_ULONG64;
		wdk_register_buffer_uchar f9 = READ_REGISTER_BUFFER_UCHAR, f10 = WRITE_REGISTER_BUFFER_UCHAR;
		wdk_register_buffer_ushort f11 = READ_REGISTER_BUFFER_USHORT, f12 = WRITE_REGISTER_BUFFER_USHORT;
		wdk_register_buffer_ulong f13 = READ_REGISTER_BUFFER_ULONG, f14 = WRITE_REGISTER_BUFFER_ULONG;
		wdk_register_buffer_ulong64 f15 = READ_REGISTER_BUFFER_ULONG64, f16 = WRITE_REGISTER_BUFFER_ULONG64;
		wdk_allocate_mdl_for_io_space f29 = MmAllocateMdlForIoSpace;
		wdk_map_video_display f30 = MmMapVideoDisplay;
		wdk_unmap_video_display f31 = MmUnmapVideoDisplay;

		n += f1 != NULL, n += f2 != NULL, n += f3 != NULL, n += f4 != NULL;
		n += f5 != NULL, n += f6 != NULL, n += f7 != NULL, n += f8 != NULL;
		n += f9 != NULL, n += f10 != NULL, n += f11 != NULL, n += f12 != NULL;
		n += f13 != NULL, n += f14 != NULL, n += f15 != NULL, n += f16 != NULL;
		n += f29 != NULL, n += f30 != NULL, n += f31 != NULL;
	}
#if defined(MMSHIM_HAS_PORT_IO)
	{
		wdk_read_port_uchar f17 = READ_PORT_UCHAR;
		wdk_read_port_ushort f18 = READ_PORT_USHORT;
		wdk_read_port_ulong f19 = READ_PORT_ULONG;
		wdk_write_port_uchar f20 = WRITE_PORT_UCHAR;
		wdk_write_port_ushort f21 = WRITE_PORT_USHORT;
		wdk_write_port_ulong f22 = WRITE_PORT_ULONG;
		wdk_port_buffer_uchar f23 = READ_PORT_BUFFER_UCHAR, f24 = WRITE_PORT_BUFFER_UCHAR;
		wdk_port_buffer_ushort f25 = READ_PORT_BUFFER_USHORT, f26 = WRITE_PORT_BUFFER_USHORT;
		wdk_port_buffer_ulong f27 = READ_PORT_BUFFER_ULONG, f28 = WRITE_PORT_BUFFER_ULONG;

		n += f17 != NULL, n += f18 != NULL, n += f19 != NULL, n += f20 != NULL;
		n += f21 != NULL, n += f22 != NULL, n += f23 != NULL, n += f24 != NULL;
		n += f25 != NULL, n += f26 != NULL, n += f27 != NULL, n += f28 != NULL;
	}
#endif /* ports: x86 only (the arm64 build of this file checks they stay undeclared) */

	/* mem[0]: bytes, mem[1]: halves, mem[2]: longs, mem[3..4]: quads. */
	WRITE_REGISTER_UCHAR(r, 0x12);
	WRITE_REGISTER_USHORT((volatile USHORT *)(r + 8), 0x3456);
	WRITE_REGISTER_ULONG((volatile ULONG *)(r + 16), 0x789abcdeUL);
	WRITE_REGISTER_ULONG64((volatile ULONG64 *)(r + 24), 0x0102030405060708ULL);
	b[0] = 0xf0, s[0] = 0xf0f0, l[0] = 0xf0f0f0f0UL, q[0] = 0xf0f0f0f0f0f0f0f0ULL;
	WRITE_REGISTER_BUFFER_UCHAR(r + 1, b, 1);
	WRITE_REGISTER_BUFFER_USHORT((volatile USHORT *)(r + 10), s, 1);
	WRITE_REGISTER_BUFFER_ULONG((volatile ULONG *)(r + 20), l, 1);
	WRITE_REGISTER_BUFFER_ULONG64((volatile ULONG64 *)(r + 32), q, 1);
	if (READ_REGISTER_UCHAR(r) != 0x12 || READ_REGISTER_USHORT((volatile USHORT *)(r + 8)) != 0x3456 ||
	    READ_REGISTER_ULONG((volatile ULONG *)(r + 16)) != 0x789abcdeUL ||
	    READ_REGISTER_ULONG64((volatile ULONG64 *)(r + 24)) != 0x0102030405060708ULL)
		return -1;
	READ_REGISTER_BUFFER_UCHAR(r, b, 2);
	READ_REGISTER_BUFFER_USHORT((volatile USHORT *)(r + 8), s, 2);
	READ_REGISTER_BUFFER_ULONG((volatile ULONG *)(r + 16), l, 2);
	READ_REGISTER_BUFFER_ULONG64((volatile ULONG64 *)(r + 24), q, 2);
	if (b[0] != 0x12 || b[1] != 0xf0 || s[0] != 0x3456 || s[1] != 0xf0f0 || l[0] != 0x789abcdeUL ||
	    l[1] != 0xf0f0f0f0UL || q[0] != 0x0102030405060708ULL || q[1] != 0xf0f0f0f0f0f0f0f0ULL)
		return -2;
	return n;
}
