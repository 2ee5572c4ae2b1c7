// SPDX-License-Identifier: GPL-2.0
// reserve.cpp - MmAllocateMappingAddress, MmMapLockedPagesWithReservedMapping,
// MmUnmapReservedMapping, MmFreeMappingAddress.
//
// A reservation is kernel VA whose page tables the glue prepared when it was
// allocated; everything a reservation needs later (this record, the glue's
// PTE pointers) is allocated then too. Mapping writes PTEs and allocates
// nothing, so it works when every allocation fails (Windows' forward-progress
// guarantee). A reservation is empty, mapped (one MDL, from its first page),
// or busy while the glue writes or clears its entries outside the lock.
//
// Misuse that bug-checks on Windows (SYSTEM_PTE_MISUSE, 0xDA) is refused and
// reported with Windows' subcode; the reservation and the pages stay as they
// were. Tags are compared with bit 0 cleared, as Windows does.
#include "reserve.h"
#include "map.h"
#include "mdl.h"
#include "perm.h"
#include "partial.h"
#include "flags.h"
#include "verifier.h"

namespace mmshim::reserve {
namespace {

// kMapping: the map routine is writing entries for `mdl`; an unlock of that
// MDL meanwhile sets `abandoned`, and the map routine then clears them again
// and returns NULL (the frames are going).
enum class State : unsigned char { kEmpty, kMapped, kBusy, kMapping };

struct Reservation {
	Reservation *next;
	uptr base;   // page-aligned start of the reserved VA
	uptr pages;  // reserved pages
	ULONG tag;   // bit 0 cleared
	State state;
	bool abandoned; // kMapping: the MDL was unlocked or freed meanwhile
	uptr mapped; // pages mapped (kMapped)
	MDL *mdl;    // the MDL mapped (kMapped, kMapping); compared, never dereferenced
	void *handle; // the glue's reservation
};

// No MDL can describe more than 4 GiB, so no reservation needs more.
constexpr uptr kMaxPages = (uptr{4} << 30) >> PAGE_SHIFT;
constexpr ULONG kTagMask = ~ULONG{1};

constinit Reservation *g_list = nullptr;
constinit uptr g_count = 0;

// The reservation containing addr's page as its first page. Caller holds
// MMSHIM_LOCK_RESERVE. Only mmshim's records are dereferenced.
Reservation *find(uptr addr)
{
	const uptr base = addr & ~kPageMask;
	for (Reservation *r = g_list; r; r = r->next)
		if (r->base == base)
			return r;
	return nullptr;
}

void unlink(Reservation *r)
{
	for (Reservation **pp = &g_list; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			r->next = nullptr;
			g_count--;
			return;
		}
	}
}

void clear_mapping_flags(MDL *m)
{
	mdl_flags_clear(m, MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_FREE_EXTRA_PTES);
}

void pte_misuse(uptr subcode, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(SYSTEM_PTE_MISUSE, subcode, p2, p3, p4, routine, what, caller);
}

void violation(uptr p1, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, p1, p2, p3, p4, routine, what, caller);
}

// Mark r empty again after the glue cleared its entries.
void finish_unmap(Reservation *r)
{
	LockGuard guard(MMSHIM_LOCK_RESERVE);
	r->state = State::kEmpty;
	r->mapped = 0;
	r->mdl = nullptr;
	r->abandoned = false;
}

constexpr unsigned kMappable = MDL_PAGES_LOCKED | MDL_PARTIAL;

// The MDL checks of the map routine; returns the pages to map (and their
// memory type in *type), or 0 after a report.
uptr check_mdl(MDL *m, uptr addr, MEMORY_CACHING_TYPE cache, unsigned *type, const char *routine, void *caller)
{
	const auto mdl = reinterpret_cast<uptr>(m);
	if (!m) {
		violation(MMSHIM_VRF_NULL_ARGUMENT, addr, 0, 0, routine, "NULL MDL", caller);
		return 0;
	}
	if (m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) {
		violation(MMSHIM_VRF_MDL_WRONG_KIND, mdl, static_cast<USHORT>(m->MdlFlags), 0, routine,
			  "a nonpaged-pool MDL is mapped already: use MmGetSystemAddressForMdlSafe", caller);
		return 0;
	}
	if (!(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_PARTIAL))) {
		violation(MMSHIM_VRF_MDL_NOT_LOCKED, mdl, static_cast<USHORT>(m->MdlFlags), 0, routine,
			  "only locked MDLs (or partial MDLs of locked ones) can be mapped", caller);
		return 0;
	}
	if (m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) {
		violation(MMSHIM_VRF_MDL_ALREADY_MAPPED, mdl, reinterpret_cast<uptr>(m->MappedSystemVa), 0,
			  routine, "the MDL is already mapped into system space", caller);
		return 0;
	}
	// The checks every mapping makes (range, PFN-array capacity, CacheType,
	// RAM or device, one memory type): RAM is mapped with its own memory
	// type, as MmMapLockedPagesSpecifyCache does, whatever CacheType says
	// (an alias of another type breaks x86 PAT rules).
	map::Frames f;
	if (!map::check_frames(m, cache, &f, routine, caller))
		return 0;
	if (f.device) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, mdl, 0, MmGetMdlPfnArray(m)[0], routine,
				 "the frames are not RAM: device memory is mapped with MmMapIoSpace", caller);
		return 0;
	}
	*type = f.type;
	return f.pages;
}

} // namespace

bool drop_mdl(MDL *mdl, const char *routine, void *caller)
{
	Reservation *r = nullptr;
	// Without reservations (most drivers) no lock is taken: every unlock
	// and free comes through here.
	if (!__atomic_load_n(&g_list, __ATOMIC_RELAXED))
		return false;
	{
		LockGuard guard(MMSHIM_LOCK_RESERVE);
		for (Reservation *c = g_list; c; c = c->next) {
			if (c->state == State::kMapping && c->mdl == mdl && !c->abandoned) {
				// Another thread is mapping it: it clears what it
				// wrote and returns NULL.
				c->abandoned = true;
				r = c;
				break;
			}
			if (c->state == State::kMapped && c->mdl == mdl) {
				c->state = State::kBusy;
				r = c;
				break;
			}
		}
	}
	if (!r)
		return false;
	if (r->state == State::kMapping) {
		violation(MMSHIM_VRF_MDL_MAPPING_ABANDONED, reinterpret_cast<uptr>(mdl), 0, 0, routine,
			  "the MDL's pages are released while another thread is still mapping them in a "
			  "reservation; that mapping fails (NULL)",
			  caller);
		return true;
	}
	const uptr base = r->base;
	mmshim_plat_reserve_unmap(r->handle, r->mapped);
	finish_unmap(r);
	clear_mapping_flags(mdl);
	violation(MMSHIM_VRF_MDL_IN_RESERVATION, reinterpret_cast<uptr>(mdl), base, 0, routine,
		  "the MDL is still mapped in a reservation (call MmUnmapReservedMapping first); "
		  "mmshim unmaps it now",
		  caller);
	return true;
}

bool has_mdl(const MDL *mdl)
{
	if (!__atomic_load_n(&g_list, __ATOMIC_RELAXED))
		return false;
	LockGuard guard(MMSHIM_LOCK_RESERVE);
	for (Reservation *c = g_list; c; c = c->next)
		if ((c->state == State::kMapped || (c->state == State::kMapping && !c->abandoned)) && c->mdl == mdl)
			return true;
	return false;
}

bool first_in(uptr lo, uptr hi, uptr *key)
{
	if (!__atomic_load_n(&g_list, __ATOMIC_RELAXED))
		return false;
	LockGuard guard(MMSHIM_LOCK_RESERVE);
	for (Reservation *c = g_list; c; c = c->next) {
		const auto mdl = reinterpret_cast<uptr>(c->mdl);
		if (c->state == State::kMapped && mdl >= lo && mdl < hi) {
			*key = mdl;
			return true;
		}
	}
	return false;
}

void release_all_at_unload()
{
	uptr leaked = 0;
	for (;;) {
		Reservation *r;
		{
			LockGuard guard(MMSHIM_LOCK_RESERVE);
			r = g_list;
			if (r)
				unlink(r);
		}
		if (!r)
			break;
		leaked++;
		// The MDL may be gone: only the page tables are cleaned.
		if (r->state == State::kMapped)
			mmshim_plat_reserve_unmap(r->handle, r->mapped);
		mmshim_plat_reserve_destroy(r->handle);
		mmshim_plat_free(r);
	}
	if (leaked)
		violation(MMSHIM_VRF_RESERVATIONS_LEAKED_AT_UNLOAD, 0, leaked, 0, "mmshim unload",
			  "reserved mappings were never freed (MmFreeMappingAddress); mmshim frees them now",
			  nullptr);
}

} // namespace mmshim::reserve

using namespace mmshim;

extern "C" PVOID MmAllocateMappingAddress(SIZE_T NumberOfBytes, ULONG PoolTag)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmAllocateMappingAddress";
	if (!mmshim_plat_may_sleep()) {
		reserve::violation(MMSHIM_VRF_IRQL_TOO_HIGH, NumberOfBytes, PoolTag, 0, routine,
				   "reserving addresses may sleep: call at IRQL <= APC_LEVEL", caller);
		return nullptr;
	}
	if (PoolTag == 0) {
		reserve::violation(MMSHIM_VRF_BAD_ARGUMENT, NumberOfBytes, PoolTag, 0, routine,
				   "pool tag 0 is not allowed; Windows returns NULL too", caller);
		return nullptr;
	}
	if (NumberOfBytes == 0) {
		reserve::pte_misuse(MMSHIM_PTE_ZERO_MAPPINGS, NumberOfBytes, PoolTag, 0, routine,
				    "zero bytes requested", caller);
		return nullptr;
	}
	const uptr pages = (NumberOfBytes >> PAGE_SHIFT) + ((NumberOfBytes & kPageMask) != 0);
	if (pages > reserve::kMaxPages) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE, NumberOfBytes, PoolTag, 0,
				 routine, "more than 4 GiB requested: no MDL can use that much", caller);
		return nullptr;
	}
	auto *r = static_cast<reserve::Reservation *>(
		mmshim_plat_alloc(sizeof(reserve::Reservation), MMSHIM_ALLOC_ZERO));
	if (!r)
		return nullptr;
	uptr base = 0;
	r->handle = mmshim_plat_reserve_create(pages, &base);
	if (!r->handle) {
		mmshim_plat_free(r);
		return nullptr;
	}
	r->base = base;
	r->pages = pages;
	r->tag = PoolTag & reserve::kTagMask;
	r->state = reserve::State::kEmpty;
	{
		LockGuard guard(MMSHIM_LOCK_RESERVE);
		r->next = reserve::g_list;
		reserve::g_list = r;
		reserve::g_count++;
	}
	return reinterpret_cast<PVOID>(base);
}

extern "C" VOID MmFreeMappingAddress(PVOID BaseAddress, ULONG PoolTag)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmFreeMappingAddress";
	const auto addr = reinterpret_cast<uptr>(BaseAddress);
	if (!mmshim_plat_may_sleep()) {
		reserve::violation(MMSHIM_VRF_IRQL_TOO_HIGH, addr, PoolTag, 0, routine,
				   "freeing a reservation may sleep: call at IRQL <= APC_LEVEL", caller);
		return;
	}
	enum { kOk, kNotOwned, kMapped } outcome = kOk;
	reserve::Reservation *r;
	ULONG owner = 0;
	uptr mapped = 0;
	{
		LockGuard guard(MMSHIM_LOCK_RESERVE);
		r = reserve::find(addr);
		owner = r ? r->tag : 0;
		if (!r || (PoolTag & reserve::kTagMask) != owner) {
			outcome = kNotOwned;
		} else if (r->state != reserve::State::kEmpty) {
			outcome = kMapped;
			mapped = r->mapped;
		} else {
			reserve::unlink(r);
		}
	}
	if (outcome == kNotOwned) {
		reserve::pte_misuse(MMSHIM_PTE_FREE_NOT_OWNED, addr, PoolTag, owner, routine,
				    r ? "the tag does not match the one the range was reserved with"
				      : "this address is not a reservation from MmAllocateMappingAddress",
				    caller);
		return;
	}
	if (outcome == kMapped) {
		reserve::pte_misuse(MMSHIM_PTE_FREE_STILL_MAPPED, addr, PoolTag, mapped, routine,
				    "an MDL is still mapped in the range: MmUnmapReservedMapping first", caller);
		return;
	}
	mmshim_plat_reserve_destroy(r->handle);
	mmshim_plat_free(r);
}

extern "C" PVOID MmMapLockedPagesWithReservedMapping(PVOID MappingAddress, ULONG PoolTag, PMDL MemoryDescriptorList,
						     MEMORY_CACHING_TYPE CacheType)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmMapLockedPagesWithReservedMapping";
	const auto addr = reinterpret_cast<uptr>(MappingAddress);
	MDL *m = MemoryDescriptorList;
	unsigned type = MMSHIM_CACHE_WB;
	const uptr pages = reserve::check_mdl(m, addr, CacheType, &type, routine, caller);
	if (!pages)
		return nullptr;
	unsigned long long partial_token;
	if (!partial::check(m, &partial_token, routine, caller))
		return nullptr;
	enum { kOk, kInvalid, kNotOwned, kNotUnmapped, kTooBig, kGone } outcome = kOk;
	reserve::Reservation *r;
	ULONG owner = 0;
	uptr reserved = 0, mapped = 0, base = 0;
	{
		LockGuard guard(MMSHIM_LOCK_RESERVE);
		r = reserve::find(addr);
		owner = r ? r->tag : 0;
		reserved = r ? r->pages : 0;
		base = r ? r->base : 0;
		if (!r) {
			outcome = kInvalid;
		} else if ((PoolTag & reserve::kTagMask) != owner) {
			outcome = kNotOwned;
		} else if (r->state != reserve::State::kEmpty) {
			outcome = kNotUnmapped;
			mapped = r->mapped;
		} else if (pages > r->pages) {
			outcome = kTooBig;
		} else if (!map::still_locked(m, reserve::kMappable)) {
			outcome = kGone; // unlocked since check_mdl: the frames may be gone
		} else {
			// From here an unlock of m finds this and abandons it.
			r->state = reserve::State::kMapping;
			r->abandoned = false;
			r->mdl = m;
		}
	}
	switch (outcome) {
	case kInvalid:
		reserve::pte_misuse(MMSHIM_PTE_MAP_INVALID_RANGE, addr, PoolTag, reinterpret_cast<uptr>(m), routine,
				    "this address is not a reservation from MmAllocateMappingAddress", caller);
		return nullptr;
	case kNotOwned:
		reserve::pte_misuse(MMSHIM_PTE_MAP_NOT_OWNED, addr, PoolTag, owner, routine,
				    "the tag does not match the one the range was reserved with", caller);
		return nullptr;
	case kNotUnmapped:
		reserve::pte_misuse(MMSHIM_PTE_MAP_NOT_UNMAPPED, addr, mapped, reinterpret_cast<uptr>(m), routine,
				    "the range is still mapped: MmUnmapReservedMapping first", caller);
		return nullptr;
	case kTooBig:
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE, reinterpret_cast<uptr>(m), pages,
				 reserved, routine, "the MDL spans more pages than the range reserves", caller);
		return nullptr;
	case kGone:
		map::report_unlocked_meanwhile(m, routine, caller);
		return nullptr;
	case kOk:
		break;
	}
	// RAM is mapped with its own memory type (check_mdl); frames their
	// owner could not write are mapped read-only (perm.h).
	const auto *frames = reinterpret_cast<const unsigned long long *>(MmGetMdlPfnArray(m));
	mmshim_plat_reserve_map(r->handle, frames, pages, type, perm::read_only(m, MmGetMdlPfnArray(m), pages));
	PVOID va = nullptr;
	{
		LockGuard guard(MMSHIM_LOCK_RESERVE);
		if (r->abandoned) {
			r->state = reserve::State::kBusy; // cleared below, outside the lock
		} else {
			r->state = reserve::State::kMapped;
			r->mapped = pages;
			// Written while the unlock cannot have looked yet (it needs
			// this lock): as Windows documents, MappedSystemVa is the
			// base without the byte offset; the return value includes it.
			m->MappedSystemVa = reinterpret_cast<PVOID>(base);
			__atomic_fetch_or(&m->MdlFlags,
					  static_cast<CSHORT>(MDL_MAPPED_TO_SYSTEM_VA |
							      ((m->MdlFlags & MDL_PARTIAL) ? MDL_PARTIAL_HAS_BEEN_MAPPED : 0)),
					  __ATOMIC_RELEASE);
			va = reinterpret_cast<PVOID>(base + m->ByteOffset);
		}
	}
	if (!va) {
		// Unlocked or freed meanwhile (reported there): m is not looked at.
		mmshim_plat_reserve_unmap(r->handle, pages);
		reserve::finish_unmap(r);
		return nullptr;
	}
	// A partial's source released since the check (its release may not
	// have seen this mapping): undo it, unless that release already did.
	if (!partial::still(m, partial_token)) {
		bool mine;
		{
			LockGuard guard(MMSHIM_LOCK_RESERVE);
			mine = r->state == reserve::State::kMapped && r->mdl == m;
			if (mine)
				r->state = reserve::State::kBusy;
		}
		if (mine) {
			mdl_flags_clear(m, MDL_MAPPED_TO_SYSTEM_VA);
			mmshim_plat_reserve_unmap(r->handle, pages);
			reserve::finish_unmap(r);
		}
		reserve::violation(MMSHIM_VRF_PARTIAL_SOURCE_RELEASED, reinterpret_cast<uptr>(m), 0, 0, routine,
				   "the partial MDL's source was unlocked or freed while it was being mapped", caller);
		return nullptr;
	}
	return va;
}

extern "C" VOID MmUnmapReservedMapping(PVOID BaseAddress, ULONG PoolTag, PMDL MemoryDescriptorList)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmUnmapReservedMapping";
	const auto addr = reinterpret_cast<uptr>(BaseAddress);
	MDL *m = MemoryDescriptorList;
	if (!m) {
		reserve::violation(MMSHIM_VRF_NULL_ARGUMENT, addr, 0, 0, routine, "NULL MDL", caller);
		return;
	}
	uptr pages;
	if (!mdl::described_span(m, &pages)) {
		reserve::violation(MMSHIM_VRF_MDL_CORRUPT, reinterpret_cast<uptr>(m), reinterpret_cast<uptr>(m->StartVa),
				   m->ByteCount, routine,
				   "MDL StartVa/ByteOffset/ByteCount do not describe a range", caller);
		return;
	}
	enum { kOk, kNotOwned, kEmpty, kTooMany, kNotMapped, kPartial } outcome = kOk;
	reserve::Reservation *r;
	ULONG owner = 0;
	uptr reserved = 0, mapped = 0;
	{
		LockGuard guard(MMSHIM_LOCK_RESERVE);
		r = reserve::find(addr);
		owner = r ? r->tag : 0;
		reserved = r ? r->pages : 0;
		mapped = r ? r->mapped : 0;
		if (!r || (PoolTag & reserve::kTagMask) != owner)
			outcome = kNotOwned;
		else if (r->state != reserve::State::kMapped)
			outcome = kEmpty;
		else if (pages > r->pages)
			outcome = kTooMany;
		else if (pages > r->mapped)
			outcome = kNotMapped;
		else if (pages < r->mapped)
			outcome = kPartial;
		else
			r->state = reserve::State::kBusy;
	}
	const auto mdl = reinterpret_cast<uptr>(m);
	switch (outcome) {
	case kNotOwned:
		reserve::pte_misuse(MMSHIM_PTE_UNMAP_NOT_OWNED, addr, PoolTag, owner, routine,
				    r ? "the tag does not match the one the range was reserved with"
				      : "this address is not a reservation from MmAllocateMappingAddress",
				    caller);
		return;
	case kEmpty:
		reserve::pte_misuse(MMSHIM_PTE_UNMAP_EMPTY, addr, PoolTag, mdl, routine,
				    "nothing is mapped in the range (double unmap?)", caller);
		return;
	case kTooMany:
		reserve::pte_misuse(MMSHIM_PTE_UNMAP_TOO_MANY, addr, pages, reserved, routine,
				    "the MDL spans more pages than the range reserves", caller);
		return;
	case kNotMapped:
		reserve::pte_misuse(MMSHIM_PTE_UNMAP_NOT_MAPPED, addr, pages, mapped, routine,
				    "the MDL spans pages that are not mapped: pass the MDL that was mapped", caller);
		return;
	case kPartial:
		reserve::pte_misuse(MMSHIM_PTE_UNMAP_PARTIAL, addr, pages, mapped, routine,
				    "the MDL spans fewer pages than are mapped: pass the MDL that was mapped", caller);
		return;
	case kOk:
		break;
	}
	mmshim_plat_reserve_unmap(r->handle, pages);
	reserve::finish_unmap(r);
	reserve::clear_mapping_flags(m);
}

extern "C" SIZE_T MmshimReservedMappingCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_RESERVE);
	return reserve::g_count;
}

extern "C" VOID MmshimReservedMappingFlushes(PSIZE_T Synchronous, PSIZE_T Deferred, PSIZE_T EarlyReuses)
{
	unsigned long sync = 0, deferred = 0, early = 0;
	mmshim_plat_reserve_stats(&sync, &deferred, &early);
	if (Synchronous)
		*Synchronous = sync;
	if (Deferred)
		*Deferred = deferred;
	if (EarlyReuses)
		*EarlyReuses = early;
}
