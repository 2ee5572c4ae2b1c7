// SPDX-License-Identifier: GPL-2.0
// mdl.cpp - IoAllocateMdl, IoFreeMdl, MmSizeOfMdl, MmBuildMdlForNonPagedPool.
//
// MDLs from IoAllocateMdl have a hidden header right before the MDL with the
// real capacity of the PFN array and where the storage came from, and are
// entered in a registry, so IoFreeMdl can refuse anything it did not allocate
// (an MDL embedded in driver memory, a double free) without touching it.
// Nothing private is kept in MDL fields: drivers own and rewrite them.
#include "mdl.h"
#include "lock.h"
#include "map.h"
#include "reserve.h"
#include "usermap.h"
#include "pagealloc.h"
#include "partial.h"
#include "dmause.h"
#include "pool.h"
#include "flags.h"
#include "verifier.h"

namespace mmshim::mdl {
namespace {

enum class Source : ULONG { kCache = 1, kHeap = 2 };

struct Header {
	RegistryLink link;
	uptr capacity; // PFN entries after the MDL
	Source source;
	ULONG slot;    // index in g_owner while live, or kNoSlot
};
static_assert(sizeof(Header) == 24);
static_assert(__builtin_offsetof(Header, source) == sizeof(Header) - 8 &&
		      __builtin_offsetof(Header, slot) == sizeof(Header) - 4,
	      "source and slot are the aligned word right before the MDL");

constexpr uptr kCacheObjectSize = sizeof(Header) + sizeof(MDL) + kFixedPages * sizeof(PFN_NUMBER);

constinit AddressRegistry<1024> g_live;

// The capacity of an MDL from IoAllocateMdl without MMSHIM_LOCK_MDL: each
// live MDL owns a slot whose entry holds the MDL's address (set before
// IoAllocateMdl returns it, cleared under the lock before IoFreeMdl releases
// it), and its header names the slot. capacity_pages() reads the slot
// number from the word before the MDL, whatever memory that is (a driver's
// own MDL has anything there), and believes the header only if that slot's
// entry is this very address, which is true exactly while this address is a
// live MDL from IoAllocateMdl. Anything else (no slot left, the word before
// the MDL in another page, a misaligned MDL) takes the registry under the
// lock, as every MDL did before.
constexpr ULONG kSlots = 2048;
constexpr ULONG kNoSlot = ~0u;
constinit uptr g_owner[kSlots] = {};
// Under MMSHIM_LOCK_MDL: slots given back, and the first never used.
constinit ULONG g_free_slots[kSlots] = {};
constinit ULONG g_free_count = 0;
constinit ULONG g_unused = 0;

// Under MMSHIM_LOCK_MDL.
ULONG take_slot()
{
	if (g_free_count)
		return g_free_slots[--g_free_count];
	return g_unused < kSlots ? g_unused++ : kNoSlot;
}

// Under MMSHIM_LOCK_MDL.
void give_slot(Header *h)
{
	if (h->slot >= kSlots)
		return;
	__atomic_store_n(&g_owner[h->slot], uptr(0), __ATOMIC_RELEASE);
	g_free_slots[g_free_count++] = h->slot;
	h->slot = kNoSlot;
}

// The capacity recorded for `mdl` if it is a live MDL from IoAllocateMdl
// with a slot; false otherwise (then ask the registry). No lock.
bool slot_capacity(const MDL *mdl, uptr *capacity)
{
	const uptr a = reinterpret_cast<uptr>(mdl);
	// The word before the MDL must be in the MDL's own page (mapped).
	if ((a & 7) != 0 || (a & kPageMask) < sizeof(Header))
		return false;
	const unsigned long long word = mmshim_plat_peek_word(reinterpret_cast<const void *>(a - 8));
	struct {
		Source source;
		ULONG slot;
	} tail;
	static_assert(sizeof(tail) == sizeof(word));
	__builtin_memcpy(&tail, &word, sizeof(word));
	if (tail.slot >= kSlots || __atomic_load_n(&g_owner[tail.slot], __ATOMIC_ACQUIRE) != a)
		return false;
	// A live MDL of mmshim's: its header is mmshim's too.
	*capacity = reinterpret_cast<const Header *>(a - sizeof(Header))->capacity;
	return true;
}

Header *header_of(const MDL *mdl)
{
	return reinterpret_cast<Header *>(reinterpret_cast<uptr>(mdl) - sizeof(Header));
}

MDL *mdl_of(Header *h)
{
	return reinterpret_cast<MDL *>(h + 1);
}

void release_storage(Header *h)
{
	if (h->source == Source::kCache)
		mmshim_plat_mdl_cache_free(h);
	else
		mmshim_plat_free(h);
}

uptr min_pages(uptr a, uptr b) { return a < b ? a : b; }

void report_null(const char *routine, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0, routine,
			 "NULL MDL", caller);
}

} // namespace

uptr capacity_pages(const MDL *mdl)
{
	uptr owned;
	if (slot_capacity(mdl, &owned))
		return owned;
	{
		LockGuard guard(MMSHIM_LOCK_MDL);
		const Header *h = header_of(mdl);
		if (g_live.contains(&h->link))
			return h->capacity;
	}
	uptr allocated;
	if (pagealloc::mdl_capacity(mdl, &allocated))
		return allocated;
	// An MDL in the driver's own memory: Size, which the driver may have
	// rewritten since, bounded by what mmshim knows of the storage: the
	// pool block that starts with the MDL, the entries a lock or
	// IoBuildPartialMdl wrote (storage that held them once still does).
	const auto size = static_cast<USHORT>(__atomic_load_n(&mdl->Size, __ATOMIC_RELAXED));
	uptr pages = size < sizeof(MDL) ? 0 : (size - sizeof(MDL)) / sizeof(PFN_NUMBER);
	uptr bound;
	if (pool::block_bytes(mdl, &bound))
		pages = min_pages(pages, bound < sizeof(MDL) ? 0 : (bound - sizeof(MDL)) / sizeof(PFN_NUMBER));
	if (lock::locked_pages(mdl, &bound))
		pages = min_pages(pages, bound);
	if (partial::pages_of(mdl, &bound))
		pages = min_pages(pages, bound);
	return pages;
}

bool described_span(const MDL *mdl, uptr *pages)
{
	const uptr start = reinterpret_cast<uptr>(mdl->StartVa);
	if ((start & kPageMask) != 0 || mdl->ByteOffset >= kPageSize)
		return false;
	// Check the last byte, as IoAllocateMdl does: a range may end at the
	// very top of the address space.
	uptr last;
	if (mdl->ByteCount && !checked_add<uptr>(start + mdl->ByteOffset, mdl->ByteCount - 1, &last))
		return false;
	*pages = span_pages(start + mdl->ByteOffset, mdl->ByteCount);
	return true;
}

int init()
{
	return mmshim_plat_mdl_cache_create(kCacheObjectSize);
}

void release_all_at_unload()
{
	const uptr leaked = drain(g_live, MMSHIM_LOCK_MDL, [](RegistryLink *l) {
		Header *h = from_link<Header>(l);
		{
			LockGuard guard(MMSHIM_LOCK_MDL);
			give_slot(h);
		}
		release_storage(h);
	});
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_LEAKED_AT_UNLOAD, 0,
				 leaked, 0, "mmshim unload",
				 "MDLs from IoAllocateMdl were never freed; mmshim frees them now", nullptr);
}

void exit()
{
	mmshim_plat_mdl_cache_destroy();
}

namespace {

// `source` releases its frames: no partial MDL built from it may keep a
// mapping of them. Its records go; a partial still mapped (a driver bug,
// reported) loses its mappings now, before the frames are released. A
// partial is only read when mmshim holds a mapping for its address (so it
// is live memory) and only if it still is a partial (not another MDL
// placed at the address of a forgotten stack partial).
void release_partials(const MDL *source, const char *routine, void *caller)
{
	uptr key;
	while (partial::take_tied_to(source, &key)) {
		auto *p = reinterpret_cast<MDL *>(key);
		if (!map::has_record(p) && !reserve::has_mdl(p) && !usermap::has(p))
			continue;
		if (!(__atomic_load_n(&p->MdlFlags, __ATOMIC_RELAXED) & MDL_PARTIAL))
			continue;
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE, key,
				 reinterpret_cast<uptr>(source), 0, routine,
				 "a partial MDL of this MDL is still mapped while its pages are released "
				 "(MmPrepareMdlForReuse or MmUnmapLockedPages first); mmshim unmaps it now",
				 caller);
		reserve::drop_mdl(p, routine, caller);
		usermap::drop_all(p, routine, caller);
		map::drop(p, routine, caller);
	}
}

} // namespace

bool release_uses(MDL *m, const char *routine, void *caller)
{
	release_partials(m, routine, caller); // partials of m lose their frames too
	partial::forget(m);                   // m itself is freed, re-used or released
	reserve::drop_mdl(m, routine, caller); // a reserved mapping left behind is a driver bug
	usermap::drop_all(m, routine, caller); // user mappings must be gone already
	return map::drop(m, routine, caller);  // an existing system mapping goes first, as on Windows
}

namespace {

// The lowest-effort way to find every MDL mmshim tracks inside a freed
// block: any tracked address in [lo, hi), from any area. Each query is a
// relaxed load when its area tracks nothing.
bool tracked_in(uptr lo, uptr hi, uptr *key)
{
	return lock::first_in(lo, hi, key) || pagealloc::first_in(lo, hi, key) || map::first_in(lo, hi, key) ||
	       usermap::first_in(lo, hi, key) || reserve::first_in(lo, hi, key) ||
	       partial::first_in(lo, hi, key);
}

void free_tracked(MDL *m, const char *routine, void *caller)
{
	const uptr in_use = (lock::is_locked(m) ? MMSHIM_FREED_MDL_LOCKED : 0) |
			    (pagealloc::owns_mdl(m) ? MMSHIM_FREED_MDL_PAGES : 0) |
			    (map::has_record(m) ? MMSHIM_FREED_MDL_MAPPED : 0) |
			    (usermap::has(m) ? MMSHIM_FREED_MDL_USER_MAPPED : 0) |
			    (reserve::has_mdl(m) ? MMSHIM_FREED_MDL_RESERVED : 0);
	if (in_use) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE,
				 reinterpret_cast<uptr>(m), in_use, 0, routine,
				 "freeing an MDL that mmshim still holds locked pages, allocated pages or mappings "
				 "for (MmUnlockPages, MmFreePagesFromMdl, MmUnmapLockedPages or MmPrepareMdlForReuse "
				 "come first); mmshim releases them now",
				 caller);
		const lock::Unlocked u = lock::unlock(m, routine, caller);
		bool held = u == lock::Unlocked::kHeld;
		if (u == lock::Unlocked::kNotLocked && !pagealloc::free_mdl_pages(m, routine, caller, &held) && !held)
			release_uses(m, routine, caller); // a partial MDL's mappings
		if (held) // a DMA mapping on another CPU: its pages stay pinned or allocated
			dmause::report_still_mapped(m, routine, caller);
	}
	partial::forget(m); // a partial MDL in pool needs no other freeing
}

} // namespace

void pool_block_freed(void *block, uptr size, const char *routine, void *caller)
{
	// Every MDL that fits in the block, at its start (MmSizeOfMdl +
	// MmInitializeMdl) or embedded in a driver's structure.
	if (size < sizeof(MDL))
		return;
	const uptr lo = reinterpret_cast<uptr>(block);
	const uptr hi = lo + size - sizeof(MDL) + 1;
	// Each round releases everything tracked for one MDL; the bound only
	// guards against a driver racing new uses in on another CPU.
	for (unsigned round = 0; round < 1024; round++) {
		uptr key;
		if (!tracked_in(lo, hi, &key))
			return;
		free_tracked(reinterpret_cast<MDL *>(key), routine, caller);
	}
}

} // namespace mmshim::mdl

using namespace mmshim;
using mdl::Header;

extern "C" PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
			      BOOLEAN ChargeQuota, PIRP Irp)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "IoAllocateMdl";
	(void)SecondaryBuffer; // only meaningful with an IRP
	(void)ChargeQuota;     // "reserved, must be FALSE": quota is not modelled
	const uptr va = reinterpret_cast<uptr>(VirtualAddress);

	if (Irp) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, reinterpret_cast<uptr>(Irp), 0,
				 0, routine, "Irp must be NULL: mmshim has no IRP type yet", caller);
		return nullptr;
	}
	if (Length == 0) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH, va, 0, 0, routine,
				 "zero-length MDL", caller);
		return nullptr;
	}
	if (Length > MMSHIM_MAX_MDL_LENGTH) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE, va, Length,
				 MMSHIM_MAX_MDL_LENGTH, routine,
				 "length above the Windows limit of 4 GiB minus one page", caller);
		return nullptr;
	}
	uptr last;
	if (!checked_add<uptr>(va, Length - 1, &last)) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS, va, Length, 0, routine,
				 "address range wraps around the end of the address space", caller);
		return nullptr;
	}

	const uptr pages = span_pages(va, Length);
	const bool atomic = !mmshim_plat_may_sleep();
	Header *h;
	if (pages <= mdl::kFixedPages) {
		h = static_cast<Header *>(mmshim_plat_mdl_cache_alloc(atomic));
		if (!h)
			return nullptr;
		h->source = mdl::Source::kCache;
		h->capacity = mdl::kFixedPages;
	} else {
		// pages <= 2^20 + 1, so this cannot overflow.
		const uptr bytes = sizeof(Header) + sizeof(MDL) + pages * sizeof(PFN_NUMBER);
		h = static_cast<Header *>(mmshim_plat_alloc(bytes, atomic ? MMSHIM_ALLOC_ATOMIC : 0));
		if (!h)
			return nullptr;
		h->source = mdl::Source::kHeap;
		h->capacity = pages;
	}

	MDL *m = mdl::mdl_of(h);
	MmInitializeMdl(m, VirtualAddress, Length);
	if (h->source == mdl::Source::kCache)
		m->MdlFlags |= MDL_ALLOCATED_FIXED_SIZE;
	m->Process = nullptr;
	m->MappedSystemVa = nullptr;
	{
		LockGuard guard(MMSHIM_LOCK_MDL);
		mdl::g_live.insert(&h->link);
		h->slot = mdl::take_slot();
		if (h->slot != mdl::kNoSlot) // the header is complete: publish
			__atomic_store_n(&mdl::g_owner[h->slot], reinterpret_cast<uptr>(m), __ATOMIC_RELEASE);
	}
	return m;
}

extern "C" VOID IoFreeMdl(PMDL Mdl)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "IoFreeMdl";
	if (!Mdl) {
		mdl::report_null(routine, caller);
		return;
	}
	if (dmause::refuse_if_mapped(Mdl, routine, caller))
		return;
	if (lock::is_locked(Mdl)) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_LOCKED,
				 reinterpret_cast<uptr>(Mdl), 0, 0, routine,
				 "freeing an MDL whose pages are still locked; call MmUnlockPages first",
				 caller);
		return;
	}
	Header *h = mdl::header_of(Mdl);
	const bool aligned = (reinterpret_cast<uptr>(Mdl) % alignof(MDL)) == 0;
	bool registered = false;
	if (aligned) {
		LockGuard guard(MMSHIM_LOCK_MDL);
		registered = mdl::g_live.contains(&h->link);
	}
	if (registered) {
		// A mapped partial MDL is unmapped, as MmPrepareMdlForReuse does;
		// any other mapped MDL is unmapped too, but that is a driver bug.
		const bool partial = (Mdl->MdlFlags & MDL_PARTIAL) != 0;
		if (mdl::release_uses(Mdl, routine, caller) && !partial)
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_MAPPED,
					 reinterpret_cast<uptr>(Mdl), 0, 0, routine,
					 "freeing an MDL that is still mapped; mmshim unmaps it first", caller);
		LockGuard guard(MMSHIM_LOCK_MDL);
		registered = mdl::g_live.remove(&h->link);
		if (registered)
			mdl::give_slot(h);
	}
	if (!registered) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
				 reinterpret_cast<uptr>(Mdl), 0, 0, routine,
				 "MDL was not allocated by IoAllocateMdl, or was already freed", caller);
		return;
	}
	mdl::release_storage(h);
}

extern "C" SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)
{
	return sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length);
}

extern "C" VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmBuildMdlForNonPagedPool";
	MDL *m = MemoryDescriptorList;
	if (!m) {
		mdl::report_null(routine, caller);
		return;
	}
	uptr pages;
	if (!mdl::described_span(m, &pages)) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT,
				 reinterpret_cast<uptr>(m), reinterpret_cast<uptr>(m->StartVa), m->ByteOffset,
				 routine, "MDL StartVa/ByteOffset/ByteCount do not describe a valid range",
				 caller);
		return;
	}
	const uptr capacity = mdl::capacity_pages(m);
	if (pages > capacity) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
				 reinterpret_cast<uptr>(m), pages, capacity, routine,
				 "the MDL's PFN array is too small for the range it describes", caller);
		return;
	}
	const uptr start = reinterpret_cast<uptr>(m->StartVa);
	if (start < mmshim_plat_kernel_space_start()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY, start, 0,
				 0, routine, "the MDL describes a user-mode address, not nonpaged pool",
				 caller);
		return;
	}

	// The PFN array is scratch until this succeeds; the header is only
	// updated once every page has been resolved.
	PFN_NUMBER *pfns = MmGetMdlPfnArray(m);
	bool io_space = false;
	for (uptr i = 0; i < pages; i++) {
		const void *page = reinterpret_cast<const void *>(start + i * kPageSize);
		unsigned long long pfn = 0;
		switch (mmshim_plat_kva_to_pfn(page, &pfn)) {
		case MMSHIM_KVA_DIRECT:
		case MMSHIM_KVA_VMALLOC:
			break;
		case MMSHIM_KVA_STACK:
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_STACK_BUFFER,
					 reinterpret_cast<uptr>(page), i, 0, routine,
					 "MDL describes a kernel stack buffer, which is not nonpaged pool",
					 caller);
			return;
		case MMSHIM_KVA_INVALID:
		default:
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY,
					 reinterpret_cast<uptr>(page), i, 0, routine,
					 "a page of the MDL's range is not mapped kernel memory", caller);
			return;
		}
		if (!mmshim_plat_pfn_is_ram(pfn))
			io_space = true;
		pfns[i] = static_cast<PFN_NUMBER>(pfn);
	}
	m->Process = nullptr;
	m->MappedSystemVa = MmGetMdlVirtualAddress(m);
	mdl_flags_set(m, MDL_SOURCE_IS_NONPAGED_POOL | (io_space ? MDL_IO_SPACE : 0));
}

extern "C" SIZE_T MmshimLiveMdlCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_MDL);
	return mdl::g_live.count();
}
