// SPDX-License-Identifier: GPL-2.0
// mmextra.cpp - MmAllocateNonCachedMemory, MmFreeNonCachedMemory,
// MmProtectMdlSystemAddress, and the paging routines (no-ops: a Linux
// module is never paged), MmQuerySystemSize, MmIsThisAnNtAsSystem,
// MmIsDriverVerifyingByAddress.
//
// Non-cached memory is built from the page allocator's own pieces: pages
// from MmAllocatePagesForMdlEx(MmNonCached), whose linear-map entries are
// made uncached (set_memory_uc, tracked by PAT), then one system mapping of
// them, which takes their memory type (vmap with an uncached protection, or
// the linear map itself when the frames happen to be contiguous). Pages
// need not be physically contiguous, as on Windows, so large allocations
// do not depend on fragmentation. A record keyed by the returned address
// keeps the MDL and the size, so a free with another size or a foreign
// address is refused and reported.
#include <ntddk.h>
#include "map.h"
#include "mdl.h"
#include "pagealloc.h"
#include "pool.h"
#include "mmextra.h"
#include "verifier.h"

namespace mmshim::mmextra {
namespace {

struct NonCached {
	KeyedLink link; // key: the address returned to the driver
	MDL *mdl;
	SIZE_T bytes;   // as asked
};

// Under MMSHIM_LOCK_PAGEALLOC (a leaf: nothing else is called under it here).
constinit KeyedTable<64> g_noncached;

void violation(uptr p1, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, p1, p2, p3, p4, routine, what, caller);
}

// Unmap, free the pages and the MDL.
void release(NonCached *n, const char *routine, void *caller)
{
	(void)pagealloc::free_mdl_pages(n->mdl, routine, caller); // drops the mapping first
	pool::free(n->mdl, 0, false, routine, caller);
	mmshim_plat_free(n);
}

PVOID allocate_noncached(SIZE_T bytes, const char *routine, void *caller)
{
	if (bytes == 0) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH, 0, 0, 0, routine,
				 "NumberOfBytes is 0", caller);
		return nullptr;
	}
	if (!mmshim_plat_may_sleep()) {
		violation(MMSHIM_VRF_IRQL_TOO_HIGH, bytes, 0, 0, routine,
			  "call at IRQL <= APC_LEVEL: making pages uncached (set_memory_uc) sleeps", caller);
		return nullptr;
	}
	auto *n = static_cast<NonCached *>(mmshim_plat_alloc(sizeof(NonCached), 0));
	if (!n)
		return nullptr;
	PHYSICAL_ADDRESS low, high, skip;
	low.QuadPart = 0;
	high.QuadPart = -1; // any frame
	skip.QuadPart = 0;
	// All or nothing: a partial MDL is no use for a buffer of this size.
	MDL *m = pagealloc::allocate_mdl(low, high, skip, bytes, MmNonCached, MM_ALLOCATE_FULLY_REQUIRED, routine,
					 caller);
	if (!m) {
		mmshim_plat_free(n);
		return nullptr;
	}
	PVOID va = map::map_kernel(m, MmNonCached, routine, caller);
	if (!va) {
		(void)pagealloc::free_mdl_pages(m, routine, caller);
		pool::free(m, 0, false, routine, caller);
		mmshim_plat_free(n);
		return nullptr;
	}
	n->mdl = m;
	n->bytes = bytes;
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	g_noncached.insert(&n->link, reinterpret_cast<uptr>(va));
	return va;
}

void free_noncached(PVOID base, SIZE_T bytes, const char *routine, void *caller)
{
	const auto key = reinterpret_cast<uptr>(base);
	if (!mmshim_plat_may_sleep()) {
		violation(MMSHIM_VRF_IRQL_TOO_HIGH, key, bytes, 0, routine,
			  "call at IRQL <= APC_LEVEL: restoring the pages' write-back type sleeps; nothing freed",
			  caller);
		return;
	}
	NonCached *n = nullptr;
	SIZE_T allocated = 0;
	{
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		KeyedLink *l = g_noncached.find(key);
		if (l) {
			allocated = from_link<NonCached>(l)->bytes;
			if (allocated == bytes)
				n = from_link<NonCached>(g_noncached.take(key));
		}
	}
	if (!n) {
		if (allocated)
			violation(MMSHIM_VRF_NONCACHED_SIZE_MISMATCH, key, bytes, allocated, routine,
				  "NumberOfBytes differs from the size allocated (parameter 4); nothing freed",
				  caller);
		else
			violation(MMSHIM_VRF_NONCACHED_NOT_ALLOCATED, key, bytes, 0, routine,
				  "the address was not returned by MmAllocateNonCachedMemory, or was freed already",
				  caller);
		return;
	}
	release(n, routine, caller);
}

} // namespace

void release_all_at_unload()
{
	const uptr leaked = drain(g_noncached, MMSHIM_LOCK_PAGEALLOC, [](KeyedLink *l) {
		release(from_link<NonCached>(l), "mmshim unload", nullptr);
	});
	if (leaked)
		violation(MMSHIM_VRF_NONCACHED_LEAKED_AT_UNLOAD, 0, leaked, 0, "mmshim unload",
			  "MmAllocateNonCachedMemory blocks were never freed; mmshim frees them now", nullptr);
}

namespace {

// PAGE_* -> MMSHIM_ACCESS_*, or a report and the status to return.
NTSTATUS access_of(ULONG protect, unsigned *access, const MDL *m, const char *routine, void *caller)
{
	switch (protect) {
	case PAGE_NOACCESS:
		*access = MMSHIM_ACCESS_NONE;
		return STATUS_SUCCESS;
	case PAGE_READONLY:
		*access = MMSHIM_ACCESS_RO;
		return STATUS_SUCCESS;
	case PAGE_READWRITE:
		*access = MMSHIM_ACCESS_RW;
		return STATUS_SUCCESS;
	case PAGE_EXECUTE:
	case PAGE_EXECUTE_READ:
	case PAGE_EXECUTE_READWRITE:
	case PAGE_EXECUTE_WRITECOPY:
		violation(MMSHIM_VRF_PROTECT_EXECUTE, reinterpret_cast<uptr>(m), protect, 0, routine,
			  "mmshim never makes a mapping executable (documented deviation)", caller);
		return STATUS_INVALID_PAGE_PROTECTION;
	default:
		violation(MMSHIM_VRF_PROTECT_INVALID, reinterpret_cast<uptr>(m), protect, 0, routine,
			  "NewProtect must be PAGE_NOACCESS, PAGE_READONLY or PAGE_READWRITE", caller);
		return STATUS_INVALID_PAGE_PROTECTION;
	}
}

NTSTATUS protect(MDL *m, ULONG new_protect, const char *routine, void *caller)
{
	const auto mdl = reinterpret_cast<uptr>(m);
	if (!m) {
		violation(MMSHIM_VRF_NULL_ARGUMENT, 0, new_protect, 0, routine, "NULL MDL", caller);
		return STATUS_INVALID_PARAMETER_1;
	}
	unsigned access;
	NTSTATUS st = access_of(new_protect, &access, m, routine, caller);
	if (!NT_SUCCESS(st))
		return st;
	if (m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) {
		violation(MMSHIM_VRF_PROTECT_LINEAR_MAP, mdl, new_protect, 0, routine,
			  "a nonpaged-pool MDL's system address is the pool's own mapping: not changeable",
			  caller);
		return STATUS_NOT_SUPPORTED;
	}
	uptr base;
	switch (map::protect(m, access, &base)) {
	case map::Protect::kOk:
		return STATUS_SUCCESS;
	case map::Protect::kFlushDeferred:
		// Interrupts were off: other CPUs see the change once the flush
		// worker ran (docs/mmextra.md).
		return STATUS_SUCCESS;
	case map::Protect::kLinear:
		violation(MMSHIM_VRF_PROTECT_LINEAR_MAP, mdl, new_protect, 0, routine,
			  "the MDL is mapped through the kernel's linear map (physically contiguous RAM), "
			  "whose entries cannot be changed per page; map it with MdlMappingNoWrite to get a "
			  "mapping of its own",
			  caller);
		return STATUS_NOT_SUPPORTED;
	case map::Protect::kOwnerReadOnly:
		violation(MMSHIM_VRF_PROTECT_OWNER_READ_ONLY, mdl, new_protect, base, routine,
			  "the frames' owner cannot write them (read-only lock, zero page, kernel read-only "
			  "data): the mapping stays read-only",
			  caller);
		return STATUS_INVALID_PAGE_PROTECTION;
	case map::Protect::kPlatformFailed:
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, mdl, base, new_protect, routine,
				 "the mapping's page-table entries could not be changed", caller);
		return STATUS_NOT_SUPPORTED;
	case map::Protect::kNotMapped:
		break;
	}
	if (m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) {
		violation(MMSHIM_VRF_PROTECT_LINEAR_MAP, mdl, new_protect, 1, routine,
			  "the MDL's system address is not one MmMapLockedPagesSpecifyCache made (a reserved "
			  "mapping, or a source's mapping inherited by a partial MDL): not changeable here",
			  caller);
		return STATUS_NOT_SUPPORTED;
	}
	violation(MMSHIM_VRF_PROTECT_NOT_MAPPED, mdl, new_protect, 0, routine,
		  "the MDL is not mapped into system space", caller);
	return STATUS_NOT_MAPPED_VIEW;
}

// No handle may be NULL: Windows returns a section handle, never NULL for
// an address inside a driver image.
bool paging_handle_ok(PVOID p, const char *routine, void *caller)
{
	if (!mmshim_plat_may_sleep())
		violation(MMSHIM_VRF_IRQL_TOO_HIGH, reinterpret_cast<uptr>(p), 0, 0, routine,
			  "paging routines are called at IRQL <= APC_LEVEL (nothing to do here, but the "
			  "driver would fault on Windows)",
			  caller);
	if (p)
		return true;
	violation(MMSHIM_VRF_PAGING_BAD_HANDLE, 0, 0, 0, routine, "NULL address or section handle", caller);
	return false;
}

// MmAdvanceMdl: the MDL's start moves by `bytes`; whole pages passed leave
// the PFN array (the entries after them move to the front).
NTSTATUS advance(MDL *m, ULONG bytes, const char *routine, void *caller)
{
	if (!m) {
		violation(MMSHIM_VRF_NULL_ARGUMENT, 0, bytes, 0, routine, "NULL MDL", caller);
		return STATUS_INVALID_PARAMETER_1;
	}
	if (bytes >= m->ByteCount)
		return STATUS_INVALID_PARAMETER_2; // past the end: as Windows, no change
	uptr span;
	if (!mdl::described_span(m, &span)) {
		violation(MMSHIM_VRF_MDL_CORRUPT, reinterpret_cast<uptr>(m), reinterpret_cast<uptr>(m->StartVa),
			  m->ByteOffset, routine, "MDL StartVa/ByteOffset/ByteCount do not describe a range", caller);
		return STATUS_INVALID_PARAMETER_1;
	}
	const uptr offset = uptr(m->ByteOffset) + bytes;
	const uptr passed = offset >> PAGE_SHIFT;
	if (passed) {
		// Only entries the MDL's storage really holds are moved.
		const uptr capacity = mdl::capacity_pages(m);
		if (span > capacity) {
			violation(MMSHIM_VRF_MDL_TOO_SMALL, reinterpret_cast<uptr>(m), span, capacity, routine,
				  "the MDL's PFN array is too small for the range it describes", caller);
			return STATUS_INVALID_PARAMETER_1;
		}
		if (map::advance(m, passed) != map::Advance::kOk) {
			violation(MMSHIM_VRF_ADVANCE_UNSUPPORTED, reinterpret_cast<uptr>(m), bytes,
				  reinterpret_cast<uptr>(m->MappedSystemVa), routine,
				  "the MDL is mapped in a reservation (or only inherits a source's mapping, or is "
				  "being mapped): unmap it first; nothing changed",
				  caller);
			return STATUS_NOT_SUPPORTED;
		}
		PFN_NUMBER *pfns = MmGetMdlPfnArray(m);
		for (uptr i = 0; i + passed < span; i++)
			pfns[i] = pfns[i + passed];
		m->StartVa = static_cast<PCHAR>(m->StartVa) + passed * kPageSize;
	}
	m->ByteOffset = static_cast<ULONG>(offset & kPageMask);
	m->ByteCount -= bytes;
	if (m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
		m->MappedSystemVa = static_cast<PCHAR>(m->MappedSystemVa) + bytes;
	return STATUS_SUCCESS;
}

} // namespace

MM_SYSTEMSIZE system_size(unsigned long long ram_pages)
{
	const unsigned long long mib = ram_pages >> (20 - PAGE_SHIFT);
	if (mib < 128)
		return MmSmallSystem;
	if (mib < 512)
		return MmMediumSystem;
	return MmLargeSystem;
}

} // namespace mmshim::mmextra

using namespace mmshim;

extern "C" PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes)
{
	return mmextra::allocate_noncached(NumberOfBytes, "MmAllocateNonCachedMemory", MMSHIM_CALLER());
}

extern "C" VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
	mmextra::free_noncached(BaseAddress, NumberOfBytes, "MmFreeNonCachedMemory", MMSHIM_CALLER());
}

extern "C" NTSTATUS MmProtectMdlSystemAddress(PMDL MemoryDescriptorList, ULONG NewProtect)
{
	return mmextra::protect(MemoryDescriptorList, NewProtect, "MmProtectMdlSystemAddress", MMSHIM_CALLER());
}

extern "C" NTSTATUS MmAdvanceMdl(PMDL Mdl, ULONG NumberOfBytes)
{
	return mmextra::advance(Mdl, NumberOfBytes, "MmAdvanceMdl", MMSHIM_CALLER());
}

extern "C" PVOID MmLockPagableDataSection(PVOID AddressWithinSection)
{
	if (!mmextra::paging_handle_ok(AddressWithinSection, "MmLockPagableDataSection", MMSHIM_CALLER()))
		return nullptr;
	return AddressWithinSection;
}

extern "C" VOID MmLockPagableSectionByHandle(PVOID ImageSectionHandle)
{
	(void)mmextra::paging_handle_ok(ImageSectionHandle, "MmLockPagableSectionByHandle", MMSHIM_CALLER());
}

extern "C" VOID MmUnlockPagableImageSection(PVOID ImageSectionHandle)
{
	(void)mmextra::paging_handle_ok(ImageSectionHandle, "MmUnlockPagableImageSection", MMSHIM_CALLER());
}

extern "C" PVOID MmPageEntireDriver(PVOID AddressWithinSection)
{
	if (!mmextra::paging_handle_ok(AddressWithinSection, "MmPageEntireDriver", MMSHIM_CALLER()))
		return nullptr;
	return AddressWithinSection;
}

extern "C" VOID MmResetDriverPaging(PVOID AddressWithinSection)
{
	(void)mmextra::paging_handle_ok(AddressWithinSection, "MmResetDriverPaging", MMSHIM_CALLER());
}

extern "C" MM_SYSTEMSIZE MmQuerySystemSize(VOID)
{
	return mmextra::system_size(mmshim_plat_total_ram_pages());
}

extern "C" BOOLEAN MmIsThisAnNtAsSystem(VOID)
{
	return FALSE;
}

extern "C" LOGICAL MmIsDriverVerifyingByAddress(PVOID AddressWithinSection)
{
	return AddressWithinSection != nullptr;
}
