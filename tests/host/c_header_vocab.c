/* SPDX-License-Identifier: GPL-2.0 */
/*
 * c_header_vocab.c - the base vocabulary (mmshim/base.h, devioctl.h,
 * mmshim/secure.h, the NTSTATUS codes) compiled as plain C11 with -pedantic
 * -Werror: every macro evaluated, every routine assigned to a pointer of
 * the WDK's function type and called. c_header_vocab_test.cpp checks the
 * values against the same expressions compiled as C++.
 */
#include <ntddk.h>

#include "c_header_vocab.h"

struct vocab_outer {
	int a;
	char pad[13];
	LONG64 field;
};

/* The WDK's function types. */
typedef LONG (*interlocked_fn)(LONG volatile *);
typedef LONG (*interlocked_value_fn)(LONG volatile *, LONG);
typedef LONG (*interlocked_cmpxchg_fn)(LONG volatile *, LONG, LONG);
typedef LONG64 (*interlocked64_fn)(LONG64 volatile *);
typedef LONG64 (*interlocked64_value_fn)(LONG64 volatile *, LONG64);
typedef LONG64 (*interlocked64_cmpxchg_fn)(LONG64 volatile *, LONG64, LONG64);
typedef PVOID (*xchg_ptr_fn)(PVOID volatile *, PVOID);
typedef PVOID (*cmpxchg_ptr_fn)(PVOID volatile *, PVOID, PVOID);
typedef PVOID (*secure_zero_fn)(PVOID, SIZE_T);
typedef SIZE_T (*compare_fn)(const VOID *, const VOID *, SIZE_T);
typedef PEPROCESS (*current_process_fn)(VOID);
typedef HANDLE (*current_id_fn)(VOID);
typedef KPROCESSOR_MODE (*previous_mode_fn)(VOID);
typedef VOID (*lock_process_fn)(PMDL, PEPROCESS, KPROCESSOR_MODE, LOCK_OPERATION);
typedef HANDLE (*secure_fn)(PVOID, SIZE_T, ULONG);
typedef VOID (*unsecure_fn)(HANDLE);

int mmshim_c_header_vocab(struct c_vocab_values *v)
{
	struct vocab_outer o;
	int arr[7];
	unsigned char a[16], b[16];
	LONG volatile l = 5;
	LONG64 volatile l64 = 5;
	PVOID volatile p = NULL;
	HANDLE h = NULL;
	PHANDLE ph = &h;
	int n = 0;

	interlocked_fn inc = InterlockedIncrement, dec = InterlockedDecrement;
	interlocked_value_fn xchg = InterlockedExchange, xadd = InterlockedExchangeAdd,
			     add = InterlockedAdd, or_ = InterlockedOr, and_ = InterlockedAnd,
			     xor_ = InterlockedXor;
	interlocked_cmpxchg_fn cmpxchg = InterlockedCompareExchange;
	interlocked64_fn inc64 = InterlockedIncrement64, dec64 = InterlockedDecrement64;
	interlocked64_value_fn xchg64 = InterlockedExchange64, xadd64 = InterlockedExchangeAdd64,
			       add64 = InterlockedAdd64, or64 = InterlockedOr64,
			       and64 = InterlockedAnd64, xor64 = InterlockedXor64;
	interlocked64_cmpxchg_fn cmpxchg64 = InterlockedCompareExchange64;
	xchg_ptr_fn xchgp = InterlockedExchangePointer;
	cmpxchg_ptr_fn cmpxchgp = InterlockedCompareExchangePointer;
	secure_zero_fn szero = RtlSecureZeroMemory;
	compare_fn cmp = RtlCompareMemory;
	current_process_fn cur = IoGetCurrentProcess, cur2 = PsGetCurrentProcess;
	current_id_fn pid = PsGetCurrentProcessId, tid = PsGetCurrentThreadId;
	previous_mode_fn prev = ExGetPreviousMode;
	lock_process_fn lockp = MmProbeAndLockProcessPages;
	secure_fn sec = MmSecureVirtualMemory;
	unsecure_fn unsec = MmUnsecureVirtualMemory;

	v->field_offset = FIELD_OFFSET(struct vocab_outer, field), n++;
	v->field_size = RTL_FIELD_SIZE(struct vocab_outer, pad), n++;
	v->containing_ok = CONTAINING_RECORD(&o.field, struct vocab_outer, field) == &o, n++;
	v->number_of = RTL_NUMBER_OF(arr), n++;
	v->array_size = ARRAYSIZE(arr), n++;
	v->number_of_v1 = RTL_NUMBER_OF_V1(arr), n++;
	v->number_of_v2 = RTL_NUMBER_OF_V2(arr), n++;
	v->handle_size = sizeof(HANDLE) + sizeof(*ph), n++;
	v->long64_size = sizeof(LONG64) + sizeof(*(PLONG64)0), n++;

	v->ctl_code = CTL_CODE(0x8000UL, 0x801UL, METHOD_OUT_DIRECT, FILE_READ_ACCESS | FILE_WRITE_ACCESS), n++;
	v->ctl_parts = METHOD_FROM_CTL_CODE(v->ctl_code) | DEVICE_TYPE_FROM_CTL_CODE(v->ctl_code) << 4, n++;
	v->methods = METHOD_BUFFERED | METHOD_IN_DIRECT << 2 | METHOD_OUT_DIRECT << 4 | METHOD_NEITHER << 6 |
		     METHOD_DIRECT_TO_HARDWARE << 8 | METHOD_DIRECT_FROM_HARDWARE << 10, n++;
	v->access = FILE_ANY_ACCESS | FILE_SPECIAL_ACCESS << 2 | FILE_READ_ACCESS << 4 | FILE_WRITE_ACCESS << 6, n++;

	v->status_sum = (unsigned long)(ULONG)STATUS_WAIT_0 + (ULONG)STATUS_ABANDONED + (ULONG)STATUS_USER_APC +
			(ULONG)STATUS_ALERTED + (ULONG)STATUS_TIMEOUT + (ULONG)STATUS_PENDING +
			(ULONG)STATUS_GUARD_PAGE_VIOLATION + (ULONG)STATUS_BREAKPOINT + (ULONG)STATUS_SINGLE_STEP +
			(ULONG)STATUS_BUFFER_OVERFLOW + (ULONG)STATUS_PARTIAL_COPY + (ULONG)STATUS_DEVICE_BUSY +
			(ULONG)STATUS_NO_MORE_ENTRIES + (ULONG)STATUS_INFO_LENGTH_MISMATCH +
			(ULONG)STATUS_INVALID_HANDLE + (ULONG)STATUS_NO_SUCH_DEVICE +
			(ULONG)STATUS_INVALID_DEVICE_REQUEST + (ULONG)STATUS_END_OF_FILE +
			(ULONG)STATUS_MORE_PROCESSING_REQUIRED + (ULONG)STATUS_ACCESS_DENIED +
			(ULONG)STATUS_BUFFER_TOO_SMALL + (ULONG)STATUS_INVALID_PARAMETER_MIX +
			(ULONG)STATUS_OBJECT_NAME_NOT_FOUND + (ULONG)STATUS_INVALID_PAGE_PROTECTION +
			(ULONG)STATUS_DELETE_PENDING + (ULONG)STATUS_INTEGER_OVERFLOW +
			(ULONG)STATUS_DEVICE_NOT_READY + (ULONG)STATUS_NOT_SUPPORTED +
			(ULONG)STATUS_INVALID_USER_BUFFER + (ULONG)STATUS_CANCELLED +
			(ULONG)STATUS_INVALID_DEVICE_STATE + (ULONG)STATUS_IO_DEVICE_ERROR +
			(ULONG)STATUS_INVALID_BUFFER_SIZE + (ULONG)STATUS_NOT_FOUND +
			(ULONG)STATUS_DEVICE_REMOVED + (ULONG)STATUS_NOT_IMPLEMENTED, n++;
	v->nt_classes = NT_SUCCESS(STATUS_PENDING) | NT_INFORMATION(STATUS_PENDING) << 1 |
			NT_WARNING(STATUS_BUFFER_OVERFLOW) << 2 | NT_ERROR(STATUS_BUFFER_TOO_SMALL) << 3 |
			NT_SUCCESS(STATUS_INVALID_DEVICE_REQUEST) << 4, n++;

	v->interlocked32 = inc(&l) == 6 && dec(&l) == 5 && xchg(&l, 9) == 5 && xadd(&l, 3) == 9 &&
			   add(&l, 3) == 15 && cmpxchg(&l, 1, 14) == 15 && cmpxchg(&l, 1, 15) == 15 &&
			   or_(&l, 6) == 1 && and_(&l, 5) == 7 && xor_(&l, 0xF) == 5 && l == 10, n++;
	v->interlocked64 = inc64(&l64) == 6 && dec64(&l64) == 5 && xchg64(&l64, 1LL << 40) == 5 &&
			   xadd64(&l64, 1) == 1LL << 40 && add64(&l64, 1) == (1LL << 40) + 2 &&
			   cmpxchg64(&l64, 3, (1LL << 40) + 2) == (1LL << 40) + 2 && or64(&l64, 4) == 3 &&
			   and64(&l64, 6) == 7 && xor64(&l64, 6) == 6 && l64 == 0, n++;
	v->interlocked_ptr = xchgp(&p, &o) == NULL && cmpxchgp(&p, a, NULL) == &o &&
			     cmpxchgp(&p, a, &o) == &o && p == a, n++;
	KeMemoryBarrier();
	KeMemoryBarrierWithoutFence();

	RtlFillMemory(a, sizeof(a), 0x11);
	RtlCopyMemory(b, a, sizeof(b));
	b[9] = 0x22;
	v->compare = cmp(a, b, sizeof(a)), n++;
	v->equal = RtlEqualMemory(a, b, 9) && !RtlEqualMemory(a, b, 10), n++;
	RtlMoveMemory(a + 1, a, 8);
	RtlZeroMemory(a, 2);
	v->zeroed = a[0] == 0 && a[1] == 0 && a[2] == 0x11, n++;
	v->secure_zeroed = szero(b, sizeof(b)) == b && b[9] == 0, n++;

	{
		const ULONG_PTR *probe = &MM_USER_PROBE_ADDRESS;
		PVOID *highest = &MM_HIGHEST_USER_ADDRESS, *system = &MM_SYSTEM_RANGE_START;

		v->probe_address_agrees = probe == &MmUserProbeAddress && highest == &MmHighestUserAddress &&
					  system == &MmSystemRangeStart &&
					  (ULONG_PTR)*highest + 1 == *probe && (ULONG_PTR)*system == *probe, n++;
	}
	v->process_is_current = cur() == cur2() && cur() != NULL, n++;
	v->process_id = (unsigned long)(ULONG_PTR)pid(), n++;
	v->thread_id = (unsigned long)(ULONG_PTR)tid(), n++;
	v->previous_mode = prev(), n++;
	/* Called for real by the C++ test; here only their types are checked. */
	v->lock_and_secure_linked = lockp != NULL && sec != NULL && unsec != NULL, n++;
	return n;
}
