/* SPDX-License-Identifier: GPL-2.0 */
/*
 * c_header_check.c - include/wdm.h compiled as plain C11 with -pedantic
 * -Werror (see CMakeLists.txt): the header macros evaluated in C, and the
 * exported routines called through the C prototypes.
 */
#include <wdm.h>
#include <ntddk.h> /* forwards to wdm.h; include guards must hold */

#include "c_header_check.h"

#define TAG_C 0x43686443UL /* "CdhC" */

int mmshim_c_header_check(struct c_header_values *v)
{
	MDL local[1 + 4]; /* header plus room for 4 * 8 bytes of PFNs (generous) */
	PMDL m;
	PVOID p;
	SIZE_T blocks = 0, bytes = 0;
	int n = 0;

	v->sizeof_mdl = sizeof(MDL), n++;
	v->offsetof_size = __builtin_offsetof(MDL, Size), n++;
	v->offsetof_mdl_flags = __builtin_offsetof(MDL, MdlFlags), n++;
	v->offsetof_process = __builtin_offsetof(MDL, Process), n++;
	v->offsetof_mapped_system_va = __builtin_offsetof(MDL, MappedSystemVa), n++;
	v->offsetof_start_va = __builtin_offsetof(MDL, StartVa), n++;
	v->offsetof_byte_count = __builtin_offsetof(MDL, ByteCount), n++;
	v->offsetof_byte_offset = __builtin_offsetof(MDL, ByteOffset), n++;
	v->sizeof_ulong = sizeof(ULONG), n++;
	v->sizeof_ulong_ptr = sizeof(ULONG_PTR), n++;
	v->sizeof_pfn_number = sizeof(PFN_NUMBER), n++;
	v->sizeof_large_integer = sizeof(LARGE_INTEGER), n++;
	v->sizeof_boolean = sizeof(BOOLEAN), n++;
	v->sizeof_cshort = sizeof(CSHORT), n++;

	v->page_align = (unsigned long)(ULONG_PTR)PAGE_ALIGN((PVOID)0x12345fffUL), n++;
	v->byte_offset = BYTE_OFFSET((PVOID)0x12345678UL), n++;
	v->bytes_to_pages_0 = BYTES_TO_PAGES(0UL), n++;
	v->bytes_to_pages_1 = BYTES_TO_PAGES(1UL), n++;
	v->bytes_to_pages_4097 = BYTES_TO_PAGES(4097UL), n++;
	v->round_to_pages_1 = ROUND_TO_PAGES(1), n++;
	v->span_pages_no_wrap = ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0xfff, 0xFFFFF000U), n++;
	v->max_mdl_length = MMSHIM_MAX_MDL_LENGTH, n++;

	MmInitializeMdl(&local[0], (PVOID)0xffff888000001234UL, 0x3000);
	v->init_size = local[0].Size, n++;
	v->init_flags = local[0].MdlFlags, n++;
	v->init_next_is_null = local[0].Next == NULL, n++;
	v->init_start_va = (unsigned long)(ULONG_PTR)MmGetMdlBaseVa(&local[0]), n++;
	v->init_byte_offset = MmGetMdlByteOffset(&local[0]), n++;
	v->init_byte_count = MmGetMdlByteCount(&local[0]), n++;
	v->pfn_array_offset =
		(unsigned long)((char *)MmGetMdlPfnArray(&local[0]) - (char *)&local[0]), n++;
	v->virtual_address = (unsigned long)(ULONG_PTR)MmGetMdlVirtualAddress(&local[0]), n++;

	v->nt_success_of_success = NT_SUCCESS(STATUS_SUCCESS), n++;
	v->nt_success_of_no_memory = NT_SUCCESS(STATUS_NO_MEMORY), n++;
	v->nt_error_of_no_memory = NT_ERROR(STATUS_NO_MEMORY), n++;
	v->pool_flag_non_paged = (unsigned long)POOL_FLAG_NON_PAGED, n++;
	v->pool_type_nx = NonPagedPoolNx, n++;

	v->size_of_mdl = MmSizeOfMdl((PVOID)0xfff, 2), n++;
	m = IoAllocateMdl((PVOID)0xffff888000001234UL, 0x3000, FALSE, FALSE, NULL);
	v->mdl_allocated = m != NULL && MmshimLiveMdlCount() == 1, n++;
	v->mdl_fixed_size = m != NULL && (m->MdlFlags & MDL_ALLOCATED_FIXED_SIZE) != 0, n++;
	IoFreeMdl(m);
	v->mdl_freed = MmshimLiveMdlCount() == 0, n++;

	p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, 100, TAG_C);
	MmshimPoolUsage(&blocks, &bytes);
	v->pool_allocated = p != NULL && blocks == 1 && bytes == 100, n++;
	v->pool_aligned = ((ULONG_PTR)p % SYSTEM_CACHE_ALIGNMENT_SIZE) == 0, n++;
	ExFreePoolWithTag(p, TAG_C);
	MmshimPoolUsage(&blocks, &bytes);
	v->pool_freed = blocks == 0 && MmshimVerifierReportCount(BAD_POOL_CALLER,
								 MMSHIM_ANY_PARAMETER) == 0, n++;
	return n;
}
