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

/* IRQL, spin locks, delays, ASSERT, DbgPrint (mmshim/irql.h): every routine
 * assigned to a pointer of its WDK type, and the macros used from C. */
int mmshim_c_header_check_irql(struct c_header_irql *v)
{
	KIRQL (*p_get)(VOID) = KeGetCurrentIrql;
	KIRQL (*p_raise)(KIRQL) = KfRaiseIrql;
	VOID (*p_lower)(KIRQL) = KeLowerIrql;
	KIRQL (*p_to_dpc)(VOID) = KeRaiseIrqlToDpcLevel;
	VOID (NTAPI *p_init)(PKSPIN_LOCK) = KeInitializeSpinLock;
	KIRQL (*p_acquire)(PKSPIN_LOCK) = KeAcquireSpinLockRaiseToDpc;
	VOID (*p_release)(PKSPIN_LOCK, KIRQL) = KeReleaseSpinLock;
	VOID (*p_acquire_dpc)(PKSPIN_LOCK) = KeAcquireSpinLockAtDpcLevel;
	VOID (*p_release_dpc)(PKSPIN_LOCK) = KeReleaseSpinLockFromDpcLevel;
	BOOLEAN (FASTCALL *p_try)(PKSPIN_LOCK) = KeTryToAcquireSpinLockAtDpcLevel;
	BOOLEAN (FASTCALL *p_test)(PKSPIN_LOCK) = KeTestSpinLock;
	VOID (FASTCALL *p_q_acquire)(PKSPIN_LOCK, PKLOCK_QUEUE_HANDLE) = KeAcquireInStackQueuedSpinLock;
	VOID (FASTCALL *p_q_release)(PKLOCK_QUEUE_HANDLE) = KeReleaseInStackQueuedSpinLock;
	VOID (FASTCALL *p_q_acquire_dpc)(PKSPIN_LOCK, PKLOCK_QUEUE_HANDLE) =
		KeAcquireInStackQueuedSpinLockAtDpcLevel;
	VOID (FASTCALL *p_q_release_dpc)(PKLOCK_QUEUE_HANDLE) = KeReleaseInStackQueuedSpinLockFromDpcLevel;
	VOID (NTAPI *p_stall)(ULONG) = KeStallExecutionProcessor;
	NTSTATUS (*p_delay)(KPROCESSOR_MODE, BOOLEAN, PLARGE_INTEGER) = KeDelayExecutionThread;
	VOID (NTAPI *p_assert)(PVOID, PVOID, ULONG, PCHAR) = RtlAssert;
	ULONG (*p_print)(const CHAR *, ...) = DbgPrint;
	ULONG (*p_print_ex)(ULONG, ULONG, const CHAR *, ...) = DbgPrintEx;
	void (*all[])(void) = {
		(void (*)(void))p_get, (void (*)(void))p_raise, (void (*)(void))p_lower,
		(void (*)(void))p_to_dpc, (void (*)(void))p_init, (void (*)(void))p_acquire,
		(void (*)(void))p_release, (void (*)(void))p_acquire_dpc,
		(void (*)(void))p_release_dpc, (void (*)(void))p_try, (void (*)(void))p_test,
		(void (*)(void))p_q_acquire, (void (*)(void))p_q_release,
		(void (*)(void))p_q_acquire_dpc, (void (*)(void))p_q_release_dpc,
		(void (*)(void))p_stall, (void (*)(void))p_delay, (void (*)(void))p_assert,
		(void (*)(void))p_print, (void (*)(void))p_print_ex,
	};
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE handle;
	KIRQL old;
	unsigned i;
	int n = 0;

	v->pointers_taken = 0;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		v->pointers_taken += all[i] != NULL;
	n++;
	v->sizeof_kspin_lock = sizeof(KSPIN_LOCK), n++;
	v->sizeof_klock_queue_handle = sizeof(KLOCK_QUEUE_HANDLE), n++;
	v->offsetof_old_irql = __builtin_offsetof(KLOCK_QUEUE_HANDLE, OldIrql), n++;
	v->levels = (unsigned long)HIGH_LEVEL << 24 | (unsigned long)CLOCK_LEVEL << 16 |
		    (unsigned long)IPI_LEVEL << 8 | SYNCH_LEVEL, n++;
	v->dpfltr_ihvdriver = DPFLTR_IHVDRIVER_ID, n++;

	PAGED_CODE();
	KeInitializeSpinLock(&lock);
	KeAcquireSpinLock(&lock, &old);
	v->old_irql = old, n++;
	v->irql_held = KeGetCurrentIrql(), n++;
	KeFlushIoBuffers((PMDL)NULL, TRUE, FALSE);
	KeReleaseSpinLock(&lock, old);
	v->lock_after_release = lock, n++;
	KeAcquireInStackQueuedSpinLock(&lock, &handle);
	KeReleaseInStackQueuedSpinLock(&handle);
	v->queued_old_irql = handle.OldIrql, n++;
	KdPrint(("mmshim C header check %d\n", 1));
	KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "mmshim C header check %d\n", 2));
	v->assert_true = ASSERT(v != NULL), n++;
	v->assert_false_result = NT_ASSERT(v == NULL), n++;
	return n;
}
