// SPDX-License-Identifier: GPL-2.0
// vocab.cpp - the routines of wdm.h's base vocabulary that are functions
// (the rest are macros and inlines in include/mmshim/base.h):
// RtlCompareMemory; the address-space boundary variables; the current
// process and thread (IoGetCurrentProcess, PsGetCurrentProcessId,
// PsGetCurrentThreadId, ExGetPreviousMode); MmProbeAndLockProcessPages;
// MmSecureVirtualMemory and MmUnsecureVirtualMemory.
//
// A process is identified by the value the lock area stores in
// MDL->Process and compares in its owner checks: the platform's current
// address space (the mm_struct). Tasks without one share a stand-in for
// Windows' System process, so PsGetCurrentProcess is never NULL.
#include <ntddk.h>
#include "vocab.h"
#include "lock.h"
#include "seh.h"
#include "verifier.h"

extern "C" {
PVOID MmHighestUserAddress = nullptr;
PVOID MmSystemRangeStart = nullptr;
ULONG_PTR MmUserProbeAddress = 0;
}

namespace mmshim::vocab {
namespace {

// What PsGetCurrentProcess returns in a task without a user address space.
struct SystemProcess {
	uptr unused;
};
constinit SystemProcess g_system_process{0};

PEPROCESS system_process() { return reinterpret_cast<PEPROCESS>(&g_system_process); }

PEPROCESS current_process()
{
	void *mm = mmshim_plat_current_process();
	return mm ? static_cast<PEPROCESS>(mm) : system_process();
}

// A secured range: its pages locked through MDLs of at most kChunkPages
// pages each (an MDL's Size field bounds its PFN array), stored after the
// record. The handle is the record's address, and the key it is found by.
constexpr uptr kChunkPages = 2048;

struct Secured {
	KeyedLink link; // key: the record's address
	uptr chunks;    // MDLs after the record
	uptr stride;    // bytes per MDL with its PFN array
	MDL *chunk(uptr i) { return reinterpret_cast<MDL *>(reinterpret_cast<char *>(this + 1) + i * stride); }
};
static_assert(sizeof(Secured) % 8 == 0, "the MDLs after a record are 8-byte aligned");

constinit KeyedTable<64> g_secured;

// Unlock the first `locked` chunks and free the record.
void release(Secured *s, uptr locked, const char *routine, void *caller)
{
	for (uptr i = 0; i < locked; i++)
		(void)lock::unlock(s->chunk(i), routine, caller); // mmshim's own MDLs: never DMA-mapped
	mmshim_plat_free(s);
}

} // namespace

void init()
{
	const uptr boundary = mmshim_plat_kernel_space_start();
	MmUserProbeAddress = boundary;
	MmHighestUserAddress = reinterpret_cast<PVOID>(boundary - 1);
	MmSystemRangeStart = reinterpret_cast<PVOID>(boundary);
}

void release_all_at_unload()
{
	const uptr leaked = drain(g_secured, MMSHIM_LOCK_PAGES, [](KeyedLink *l) {
		Secured *s = from_link<Secured>(l);
		release(s, s->chunks, "mmshim unload", nullptr);
	});
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SECURED_LEAKED_AT_UNLOAD, leaked,
				 0, 0, "mmshim unload",
				 "MmSecureVirtualMemory handles were never released; mmshim unpins them now",
				 nullptr);
}

} // namespace mmshim::vocab

using namespace mmshim;

extern "C" SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
	if (!Length)
		return 0;
	if (!Source1 || !Source2) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
				 reinterpret_cast<uptr>(Source1), reinterpret_cast<uptr>(Source2), Length,
				 "RtlCompareMemory", "NULL Source1 or Source2 with a non-zero Length; returning 0",
				 MMSHIM_CALLER());
		return 0;
	}
	const auto *a = static_cast<const unsigned char *>(Source1);
	const auto *b = static_cast<const unsigned char *>(Source2);
	SIZE_T i = 0;
	// Whole words while they are equal, then the bytes of the first
	// word that differs (or the tail).
	for (; i + sizeof(uptr) <= Length; i += sizeof(uptr)) {
		uptr wa, wb;
		__builtin_memcpy(&wa, a + i, sizeof(wa));
		__builtin_memcpy(&wb, b + i, sizeof(wb));
		if (wa != wb)
			break;
	}
	while (i < Length && a[i] == b[i])
		i++;
	return i;
}

extern "C" PEPROCESS IoGetCurrentProcess(VOID)
{
	return vocab::current_process();
}

extern "C" HANDLE PsGetCurrentProcessId(VOID)
{
	return reinterpret_cast<HANDLE>(static_cast<uptr>(mmshim_plat_current_tgid()));
}

extern "C" HANDLE PsGetCurrentThreadId(VOID)
{
	return reinterpret_cast<HANDLE>(static_cast<uptr>(mmshim_plat_current_tid()));
}

extern "C" KPROCESSOR_MODE ExGetPreviousMode(VOID)
{
	return mmshim_plat_user_context() ? UserMode : KernelMode;
}

extern "C" VOID MmProbeAndLockProcessPages(PMDL MemoryDescriptorList, PEPROCESS Process,
					   KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmProbeAndLockProcessPages";
	MDL *m = MemoryDescriptorList;
	if (!Process) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
				 reinterpret_cast<uptr>(m), 0, 0, routine,
				 "NULL Process; nothing is locked", caller);
		seh::raise(STATUS_ACCESS_VIOLATION, routine, caller);
		return;
	}
	// Kernel addresses are the same in every process. A user range can
	// only be locked in the address space the caller runs in: a bare
	// pointer gives no safe way into another one.
	void *current = mmshim_plat_current_process();
	if (m && (!current || Process != static_cast<PEPROCESS>(current)) &&
	    reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m)) < mmshim_plat_kernel_space_start()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_FOREIGN_PROCESS,
				 reinterpret_cast<uptr>(m), reinterpret_cast<uptr>(Process),
				 reinterpret_cast<uptr>(vocab::current_process()), routine,
				 "user pages of a process other than the current one cannot be locked; "
				 "nothing is locked",
				 caller);
		seh::raise(STATUS_ACCESS_VIOLATION, routine, caller);
		return;
	}
	bool reported = false;
	const NTSTATUS status = lock::probe_and_lock_status(m, AccessMode, Operation, routine, caller, &reported);
	if (!reported && !NT_SUCCESS(status))
		seh::raise(status, routine, caller);
}

extern "C" HANDLE MmSecureVirtualMemory(PVOID Address, SIZE_T Size, ULONG ProbeMode)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmSecureVirtualMemory";
	const uptr addr = reinterpret_cast<uptr>(Address);
	if (!Address) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0, Size, ProbeMode,
				 routine, "NULL Address", caller);
		return nullptr;
	}
	uptr last;
	if (!Size || (ProbeMode != PAGE_READONLY && ProbeMode != PAGE_READWRITE) ||
	    !checked_add<uptr>(addr, Size - 1, &last) || last >= mmshim_plat_kernel_space_start()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT, addr, Size, ProbeMode,
				 routine,
				 "Size must be non-zero, the range a user range, ProbeMode PAGE_READONLY or "
				 "PAGE_READWRITE",
				 caller);
		return nullptr;
	}
	if (!mmshim_plat_may_sleep()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, addr, Size, ProbeMode,
				 routine, "MmSecureVirtualMemory needs IRQL <= APC_LEVEL", caller);
		return nullptr;
	}
	const uptr base = addr & ~kPageMask;
	const uptr end = last + 1; // may be 0 only if the range reached the top: excluded above
	const uptr pages = span_pages(addr, Size);
	const uptr per = pages < vocab::kChunkPages ? pages : vocab::kChunkPages;
	const uptr chunks = (pages + vocab::kChunkPages - 1) / vocab::kChunkPages;
	const uptr stride = sizeof(MDL) + per * sizeof(PFN_NUMBER);
	auto *s = static_cast<vocab::Secured *>(mmshim_plat_alloc(sizeof(vocab::Secured) + chunks * stride, 0));
	if (!s)
		return nullptr;
	s->chunks = chunks;
	s->stride = stride;
	const LOCK_OPERATION op = ProbeMode == PAGE_READWRITE ? IoWriteAccess : IoReadAccess;
	for (uptr i = 0; i < chunks; i++) {
		const uptr from = i == 0 ? addr : base + i * vocab::kChunkPages * kPageSize;
		const uptr limit = base + (i + 1) * vocab::kChunkPages * kPageSize;
		const uptr to = end < limit ? end : limit;
		MDL *m = s->chunk(i);
		MmInitializeMdl(m, reinterpret_cast<PVOID>(from), to - from);
		bool reported = false;
		const NTSTATUS status = lock::probe_and_lock_status(m, UserMode, op, routine, caller, &reported);
		if (!NT_SUCCESS(status)) {
			// Not mapped, or not with this access: Windows returns NULL too.
			vocab::release(s, i, routine, caller);
			return nullptr;
		}
	}
	{
		LockGuard guard(MMSHIM_LOCK_PAGES);
		vocab::g_secured.insert(&s->link, reinterpret_cast<uptr>(s));
	}
	return static_cast<HANDLE>(s);
}

extern "C" VOID MmUnsecureVirtualMemory(HANDLE SecureHandle)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmUnsecureVirtualMemory";
	if (!SecureHandle) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0, routine,
				 "NULL SecureHandle", caller);
		return;
	}
	if (!mmshim_plat_may_sleep())
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				 reinterpret_cast<uptr>(SecureHandle), 0, 0, routine,
				 "MmUnsecureVirtualMemory needs IRQL <= APC_LEVEL; released anyway", caller);
	KeyedLink *l;
	{
		LockGuard guard(MMSHIM_LOCK_PAGES);
		l = vocab::g_secured.take(reinterpret_cast<uptr>(SecureHandle));
	}
	if (!l) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SECURE_HANDLE_UNKNOWN,
				 reinterpret_cast<uptr>(SecureHandle), 0, 0, routine,
				 "not a handle from MmSecureVirtualMemory, or already released", caller);
		return;
	}
	vocab::Secured *s = from_link<vocab::Secured>(l);
	vocab::release(s, s->chunks, routine, caller);
}

extern "C" SIZE_T MmshimSecuredRangeCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_PAGES);
	return vocab::g_secured.count();
}
