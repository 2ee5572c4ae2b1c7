// SPDX-License-Identifier: GPL-2.0
// map.cpp - MmMapLockedPagesSpecifyCache, MmMapLockedPages,
// MmUnmapLockedPages (system addresses), IoBuildPartialMdl. User-mode
// mappings are in usermap.cpp.
//
// Mappings are built from the PFN array (the truth: hand-built MDLs work).
// Physically contiguous RAM is returned through the linear map with no
// page-table work and no record at all: there is nothing to undo, so the
// MDL's flags are the whole state. Other MDLs are mapped with vm_map_ram
// (small), vmap (large, or read-only) or, in atomic context, the VA pool,
// and recorded by MDL address so unmapping releases exactly what was
// mapped. Records are recycled, so a map allocates nothing in the steady
// state.
//
// Cache types: RAM is mapped with its memory type, which is the cache type
// of its linear-map entry: write-back, or what MmAllocatePagesForMdlEx
// recorded there (that type wins over the CacheType argument, as on
// Windows; any other alias would break x86 PAT). Device frames
// (MDL_IO_SPACE) are mapped with ioremap in the CacheType asked.
#include "dmause.h"
#include "map.h"
#include "mdl.h"
#include "pagealloc.h"
#include "perm.h"
#include "partial.h"
#include "range.h"
#include "usermap.h"
#include "vapool.h"
#include "flags.h"
#include "verifier.h"

namespace mmshim::map {
namespace {

enum class Kind : ULONG { kPool = 1, kPlatform = 2, kIo = 3 };

struct Mapping {
	KeyedLink link;  // key: the MDL's address; `next` chains spare records
	uptr base;       // page-aligned system address
	uptr pages;
	uptr pool_index; // kPool: the first VA-pool page
	Kind kind;
	ULONG state;     // kDone, or kMapping/kAbandoned while being mapped
	void *io_handle; // kIo: the platform's ioremap
	FramesMapping frames; // kPlatform: the platform's mapping
	// MmProtectMdlSystemAddress: the access the page-table entries have
	// now and had when mapped (MMSHIM_ACCESS_*), and whether the frames'
	// owner lets them be written at all. Under MMSHIM_LOCK_MAP.
	unsigned access;
	unsigned mapped_access;
	bool owner_writable;
	// MmAdvanceMdl: whole pages the MDL's start moved past since it was
	// mapped (MappedSystemVa moved with it). Under MMSHIM_LOCK_MAP.
	uptr advanced;
	// kPlatform: room for `scratch_pages` page pointers the platform uses
	// for vmaps of more than MMSHIM_MAP_STACK_FRAMES frames, kept with the
	// record across recycling so that a steady stream of such maps
	// allocates nothing. nullptr when none yet.
	void *scratch;
	uptr scratch_pages;
};

// Scratch arrays are kept for up to this many pages (8 KiB); larger maps
// pass none and the platform allocates for the call.
constexpr uptr kScratchKeepPages = 1024;

void free_mapping(Mapping *mp)
{
	if (mp->scratch)
		mmshim_plat_free(mp->scratch);
	mmshim_plat_free(mp);
}

// The record's scratch for a platform map of `pages` frames, grown if
// needed (the caller may sleep); nullptr when the platform needs none or
// should allocate its own.
void *scratch_for(Mapping *mp, uptr pages)
{
	if (pages <= MMSHIM_MAP_STACK_FRAMES || pages > kScratchKeepPages)
		return nullptr;
	if (mp->scratch_pages < pages) {
		if (mp->scratch)
			mmshim_plat_free(mp->scratch);
		mp->scratch_pages = 0;
		// Rounded up, so that maps of slowly growing size do not
		// reallocate each time.
		const uptr want = align_up(pages, 64) < kScratchKeepPages ? align_up(pages, 64) : kScratchKeepPages;
		mp->scratch = mmshim_plat_alloc(want * sizeof(void *), 0);
		if (mp->scratch)
			mp->scratch_pages = want;
	}
	return mp->scratch;
}

// A record is entered in the table before its mapping is made (so a second
// map of the MDL is refused) and is not unmappable until it is complete. An
// unlock or free of the MDL meanwhile, from another thread, abandons it:
// the mapping thread then undoes its mapping and returns NULL.
constexpr ULONG kDone = 0, kMapping = 1, kAbandoned = 2;

constinit KeyedTable<1024> g_mapped;
// Spare records for the next map, under MMSHIM_LOCK_MAP.
constexpr uptr kSpareMax = 64;
constinit KeyedLink *g_spare = nullptr;
constinit uptr g_spare_count = 0;

uptr key_of(const MDL *mdl) { return reinterpret_cast<uptr>(mdl); }

void report(uptr p1, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, p1, p2, p3, p4, routine, what, caller);
}

// One more spare, outside the lock: an unmap gives its record back here
// with one atomic exchange instead of taking MMSHIM_LOCK_MAP again, and the
// next map takes it with another. Whoever takes the pointer out owns it.
constinit Mapping *g_spare_fast = nullptr;

Mapping *take_spare_fast()
{
	if (!__atomic_load_n(&g_spare_fast, __ATOMIC_RELAXED))
		return nullptr;
	return __atomic_exchange_n(&g_spare_fast, nullptr, __ATOMIC_ACQUIRE);
}

Mapping *pop_spare_locked()
{
	if (Mapping *mp = take_spare_fast())
		return mp;
	if (!g_spare)
		return nullptr;
	auto *mp = from_link<Mapping>(g_spare);
	g_spare = g_spare->next;
	g_spare_count--;
	return mp;
}

// Keep a record for reuse, or free it. Call without MMSHIM_LOCK_MAP.
void recycle(Mapping *mp)
{
	Mapping *empty = nullptr;
	if (__atomic_compare_exchange_n(&g_spare_fast, &empty, mp, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		if (g_spare_count < kSpareMax) {
			mp->link.next = g_spare;
			g_spare = &mp->link;
			g_spare_count++;
			return;
		}
	}
	free_mapping(mp);
}

void release(Mapping *mp)
{
	// A mapping whose access MmProtectMdlSystemAddress changed gets its
	// entries back as they were mapped before Linux (or the VA pool) tears
	// them down: vunmap expects present entries, and no entry leaves here
	// read-only or not present. Loosening needs no TLB flush; the
	// teardown flushes.
	if (mp->access != mp->mapped_access)
		(void)mmshim_plat_kva_protect(mp->base, mp->pages, mp->mapped_access);
	if (mp->kind == Kind::kIo)
		mmshim_plat_iounmap(mp->io_handle);
	else if (mp->kind == Kind::kPool)
		vapool::unmap(mp->pool_index, mp->pages);
	if (mp->kind == Kind::kPlatform)
		unmap_frames(&mp->frames); // recycles mp when done (maybe later, from a worker)
	else
		recycle(mp);
}

void clear_mapping_flags(MDL *m)
{
	mdl_flags_clear(m, MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_FREE_EXTRA_PTES);
}

// The page-aligned linear-map address of `m` if mmshim mapped it that way:
// its flags say mapped (by mmshim: a partial MDL that only inherited its
// source's mapping lacks MDL_PARTIAL_HAS_BEEN_MAPPED) and MappedSystemVa
// is the linear address of its first frame. Otherwise 0.
uptr linear_base(const MDL *m)
{
	if (!(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) || (m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) ||
	    ((m->MdlFlags & MDL_PARTIAL) && !(m->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED)) ||
	    m->ByteOffset >= kPageSize)
		return 0;
	// Arithmetic only: the frame is not trusted, just compared.
	const uptr base = mmshim_plat_pfn_linear_address(MmGetMdlPfnArray(m)[0]);
	if (reinterpret_cast<uptr>(m->MappedSystemVa) != base + m->ByteOffset)
		return 0;
	return base;
}

constexpr unsigned kMappable = MDL_PAGES_LOCKED | MDL_PARTIAL;

// A record for `m`, in the table and kMapping; nullptr if `m` has a record
// already (*conflict), was unlocked since the caller checked (*gone: an
// unlock that looks for mappings later finds this record) or there is no
// memory.
Mapping *claim(MDL *m, bool may_sleep, bool *conflict, bool *gone)
{
	*conflict = false;
	*gone = false;
	Mapping *mp;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		if (g_mapped.find(key_of(m))) {
			*conflict = true;
			return nullptr;
		}
		mp = pop_spare_locked();
		if (mp) {
			mp->state = kMapping;
			g_mapped.insert(&mp->link, key_of(m));
			if (still_locked(m, kMappable))
				return mp;
			g_mapped.take(key_of(m));
			*gone = true;
		}
	}
	if (*gone) {
		recycle(mp);
		return nullptr;
	}
	mp = static_cast<Mapping *>(mmshim_plat_alloc(sizeof(Mapping), may_sleep ? 0 : MMSHIM_ALLOC_ATOMIC));
	if (!mp)
		return nullptr;
	mp->scratch = nullptr;
	mp->scratch_pages = 0;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		if (!g_mapped.find(key_of(m))) {
			mp->state = kMapping;
			g_mapped.insert(&mp->link, key_of(m));
			if (still_locked(m, kMappable))
				return mp;
			g_mapped.take(key_of(m));
			*gone = true;
		}
	}
	*conflict = !*gone;
	recycle(mp);
	return nullptr;
}

// Returns the flags from before: one atomic step with the unlock's
// clearing of MDL_PAGES_LOCKED, so exactly one of the two sees the other.
CSHORT set_mapped(MDL *m, uptr base)
{
	m->MappedSystemVa = reinterpret_cast<PVOID>(base + m->ByteOffset);
	return __atomic_fetch_or(&m->MdlFlags,
				 static_cast<CSHORT>(MDL_MAPPED_TO_SYSTEM_VA |
						     ((m->MdlFlags & MDL_PARTIAL) ? MDL_PARTIAL_HAS_BEEN_MAPPED : 0)),
				 __ATOMIC_ACQ_REL);
}

PVOID map_system(MDL *m, MEMORY_CACHING_TYPE cache, ULONG bugcheck, ULONG priority,
		 const char *routine, void *caller)
{
	const auto mdl = reinterpret_cast<uptr>(m);
	if (m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) {
		report(MMSHIM_VRF_MDL_WRONG_KIND, mdl, static_cast<USHORT>(m->MdlFlags), 0, routine,
		       "a nonpaged-pool MDL is mapped already: use MmGetSystemAddressForMdlSafe", caller);
		return nullptr;
	}
	if (!(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_PARTIAL))) {
		report(MMSHIM_VRF_MDL_NOT_LOCKED, mdl, static_cast<USHORT>(m->MdlFlags), 0, routine,
		       "only locked MDLs (or partial MDLs of locked ones) can be mapped", caller);
		return nullptr;
	}
	if (m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) {
		report(MMSHIM_VRF_MDL_ALREADY_MAPPED, mdl, reinterpret_cast<uptr>(m->MappedSystemVa), 0,
		       routine, "the MDL is already mapped into system space", caller);
		return nullptr;
	}
	unsigned long long partial_token;
	if (!partial::check(m, &partial_token, routine, caller))
		return nullptr;
	Frames f;
	if (!check_frames(m, cache, &f, routine, caller))
		return nullptr;
	const uptr pages = f.pages;
	const unsigned type = f.type;
	const PFN_NUMBER *pfns = MmGetMdlPfnArray(m);
	const auto *frames = reinterpret_cast<const unsigned long long *>(pfns);
	// Frames their owner could not write (a read-only lock, the zero page,
	// kernel read-only data) are mapped read-only whatever Priority says,
	// and never through the linear map, which is writable.
	const bool owner_read_only = !f.device && perm::read_only(m, pfns, pages);
	const bool read_only = (priority & MdlMappingNoWrite) != 0 || owner_read_only;
	const bool may_sleep = mmshim_plat_may_sleep();
	if (f.device) {
		// Device memory: one ioremap of the whole range, in the type asked.
		if (!f.contiguous || !may_sleep) {
			verifier::report(MMSHIM_CALL_FAILED, may_sleep ? MMSHIM_FAIL_UNSUPPORTED : MMSHIM_FAIL_IRQL,
					 mdl, pfns[0], pages, routine,
					 "device frames are mapped with ioremap: they must be physically contiguous and "
					 "the caller able to sleep",
					 caller);
			return nullptr;
		}
	} else if (type != MMSHIM_CACHE_WB && !may_sleep && (read_only || !f.contiguous)) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_IRQL, mdl, type, pages, routine,
				 "non-cached pages are mapped with vmap, which can sleep: call at IRQL <= "
				 "APC_LEVEL",
				 caller);
		return nullptr;
	}
	if (!f.device && !read_only && f.contiguous) {
		// The linear map already maps these frames, RW and NX, with
		// their memory type.
		const CSHORT before = set_mapped(m, mmshim_plat_pfn_linear_address(pfns[0])); // RAM: checked above
		if (!(static_cast<USHORT>(before) & kMappable)) {
			// Unlocked meanwhile: its drop may have looked already.
			__atomic_fetch_and(&m->MdlFlags,
					   static_cast<CSHORT>(~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED)),
					   __ATOMIC_ACQ_REL);
			report_unlocked_meanwhile(m, routine, caller);
			return nullptr;
		}
		return m->MappedSystemVa;
	}
	bool conflict, gone;
	Mapping *mp = claim(m, may_sleep, &conflict, &gone);
	if (gone) {
		report_unlocked_meanwhile(m, routine, caller);
		return nullptr;
	}
	if (conflict) {
		report(MMSHIM_VRF_MDL_ALREADY_MAPPED, mdl, reinterpret_cast<uptr>(m->MappedSystemVa), 0,
		       routine, "the MDL is already mapped into system space", caller);
		return nullptr;
	}
	bool source_released = false;
	if (mp) {
		mp->pages = pages;
		mp->owner_writable = !owner_read_only;
		mp->access = mp->mapped_access = MMSHIM_ACCESS_RW; // set below once mapped
		mp->advanced = 0;
		// A partial's source released since the check: its release did
		// not see this record yet, so no mapping is made (once the record
		// is visible, a release abandons the mapping instead).
		if (!partial::still(m, partial_token)) {
			source_released = true;
			mp->base = 0;
		} else if (f.device) {
			int io_conflict = 0;
			mp->kind = Kind::kIo;
			mp->base = reinterpret_cast<uptr>(
				mmshim_plat_ioremap(static_cast<unsigned long long>(pfns[0]) << PAGE_SHIFT,
						    pages * kPageSize, type, read_only, &io_conflict, &mp->io_handle));
			if (io_conflict)
				verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT, mdl, pfns[0], type,
						 routine,
						 "the device range is already mapped with another cache type", caller);
		} else if (!may_sleep) {
			// vmap may sleep: use the VA pool, whose page tables exist.
			mp->kind = Kind::kPool;
			mp->base = vapool::map(pfns, pages, read_only, &mp->pool_index);
		} else {
			// RAM is mapped with its own memory type whatever the
			// CacheType: an alias of another type breaks x86 PAT rules.
			mp->kind = Kind::kPlatform;
			mp->base = reinterpret_cast<uptr>(
				mmshim_plat_map_frames(frames, pages, type, read_only, &mp->frames.state,
						       scratch_for(mp, pages)));
			mp->frames.done = [](FramesMapping *fm) {
				recycle(reinterpret_cast<Mapping *>(reinterpret_cast<uptr>(fm) -
								    __builtin_offsetof(Mapping, frames)));
			};
		}
		if (!mp->base) {
			bool abandoned;
			{
				LockGuard guard(MMSHIM_LOCK_MAP);
				abandoned = __atomic_load_n(&mp->state, __ATOMIC_ACQUIRE) == kAbandoned;
				if (!abandoned) // else drop() took it out already
					g_mapped.take(key_of(m));
			}
			recycle(mp);
			if (abandoned)
				return nullptr; // the MDL may be gone: don't look at it
			mp = nullptr;
		}
	}
	if (source_released) {
		report(MMSHIM_VRF_PARTIAL_SOURCE_RELEASED, mdl, 0, 0, routine,
		       "the partial MDL's source was unlocked or freed while it was being mapped", caller);
		return nullptr;
	}
	if (!mp) {
		if (bugcheck && !(m->MdlFlags & MDL_MAPPING_CAN_FAIL))
			verifier::report(NO_MORE_SYSTEM_PTES, 0, pages, 0, 0, routine,
					 "mapping failed with BugCheckOnFailure set; returning NULL instead",
					 caller);
		return nullptr;
	}
	// ioremap maps read-write whatever is asked (docs/iospace.md).
	mp->mapped_access = read_only && mp->kind != Kind::kIo ? MMSHIM_ACCESS_RO : MMSHIM_ACCESS_RW;
	mp->access = mp->mapped_access;
	// Completing the record and setting the MDL's flags are one step under
	// MMSHIM_LOCK_MAP, which drop() holds to take the record: an unlock
	// either abandons the mapping before it is complete or finds it
	// complete with the flags set and clears them after. (Setting the flags
	// after the lock let an unlock in between release the mapping and this
	// call then mark the unlocked MDL mapped and return the freed VA.)
	ULONG mapping = kMapping;
	PVOID va = nullptr;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		if (__atomic_compare_exchange_n(&mp->state, &mapping, kDone, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			set_mapped(m, mp->base);
			va = m->MappedSystemVa;
		}
	}
	if (!va) {
		// Unlocked or freed meanwhile (reported there): the pages may be
		// going, so the mapping is undone and the MDL not touched.
		release(mp);
		return nullptr;
	}
	return va;
}

// The checks both map routines share, then map_system.
PVOID map_entry(MDL *m, KPROCESSOR_MODE mode, MEMORY_CACHING_TYPE cache, PVOID requested, ULONG bugcheck,
		ULONG priority, const char *routine, void *caller)
{
	if (!m) {
		report(MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0, routine, "NULL MDL", caller);
		return nullptr;
	}
	if (mode == UserMode)
		return usermap::map(m, cache, requested, priority, routine, caller);
	if (mode != KernelMode) {
		report(MMSHIM_VRF_BAD_ARGUMENT, reinterpret_cast<uptr>(m), static_cast<uptr>(mode), 0, routine,
		       "AccessMode must be KernelMode or UserMode", caller);
		return nullptr;
	}
	return map_system(m, cache, bugcheck, priority, routine, caller);
}

// Takes the record of `m`'s mapping out of the table, if there is one
// that is complete and (unless `addr` is 0) made at `addr`.
Mapping *take_record(const MDL *m, uptr addr)
{
	LockGuard guard(MMSHIM_LOCK_MAP);
	KeyedLink *l = g_mapped.find(key_of(m));
	if (!l)
		return nullptr;
	auto *mp = from_link<Mapping>(l);
	if (__atomic_load_n(&mp->state, __ATOMIC_ACQUIRE) != kDone)
		return nullptr;
	// Windows drivers pass MappedSystemVa (with the byte offset); the
	// page-aligned base is accepted too. After MmAdvanceMdl, MappedSystemVa
	// lies `advanced` pages further.
	const uptr start = mp->base + mp->advanced * kPageSize;
	if (addr && addr != start + m->ByteOffset && addr != start && addr != mp->base)
		return nullptr;
	g_mapped.take(key_of(m));
	return mp;
}

} // namespace

namespace {

enum class FrameType { kOk, kMixed, kConflict };

// The memory type for mapping `pages` frames of which the first `ram` are
// RAM: device frames (all of them) get the type asked, RAM (all of it) its
// own type from the linear map. Otherwise kMixed or kConflict, with the
// first offending frame in *index.
FrameType frames_type(const PFN_NUMBER *pfns, uptr pages, uptr ram, unsigned asked, unsigned *type,
		      uptr *index)
{
	*type = MMSHIM_CACHE_WB;
	if (ram != pages) {
		for (uptr i = ram; i < pages; i++) {
			if (ram || mmshim_plat_pfn_is_ram(pfns[i])) {
				*index = ram ? ram : i;
				return FrameType::kMixed;
			}
		}
		*type = asked;
		return FrameType::kOk;
	}
	if (!pagealloc::uncached_pages())
		return FrameType::kOk; // all RAM mmshim knows of is write-back
	for (uptr i = 0; i < pages; i++) {
		int t = mmshim_plat_kva_cache(mmshim_plat_pfn_to_linear(pfns[i]));
		t = t < 0 ? MMSHIM_CACHE_WB : t;
		if (i == 0) {
			*type = static_cast<unsigned>(t);
		} else if (static_cast<unsigned>(t) != *type) {
			*index = i;
			return FrameType::kConflict;
		}
	}
	return FrameType::kOk;
}

} // namespace

bool check_frames(MDL *m, MEMORY_CACHING_TYPE cache, Frames *out, const char *routine, void *caller)
{
	const auto mdl = reinterpret_cast<uptr>(m);
	uptr pages;
	if (!mdl::described_span(m, &pages) || pages == 0) {
		report(MMSHIM_VRF_MDL_CORRUPT, mdl, reinterpret_cast<uptr>(m->StartVa), m->ByteCount, routine,
		       "MDL StartVa/ByteOffset/ByteCount do not describe a mappable range", caller);
		return false;
	}
	const uptr capacity = mdl::capacity_pages(m);
	if (pages > capacity) {
		report(MMSHIM_VRF_MDL_TOO_SMALL, mdl, pages, capacity, routine,
		       "the MDL's PFN array is too small for the range it describes", caller);
		return false;
	}
	unsigned asked;
	if (!cache_of(cache, &asked)) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS, mdl, static_cast<uptr>(cache), 0,
				 routine, "invalid MEMORY_CACHING_TYPE", caller);
		return false;
	}
	const PFN_NUMBER *pfns = MmGetMdlPfnArray(m);
	int contiguous = 0;
	const uptr ram =
		mmshim_plat_frames_ram(reinterpret_cast<const unsigned long long *>(pfns), pages, &contiguous);
	uptr bad = 0;
	switch (frames_type(pfns, pages, ram, asked, &out->type, &bad)) {
	case FrameType::kOk:
		break;
	case FrameType::kMixed:
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, mdl, bad, pages, routine,
				 "the MDL mixes RAM and device frames", caller);
		return false;
	case FrameType::kConflict:
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT, mdl, bad, pfns[bad], routine,
				 "the MDL's pages have different memory types: one mapping cannot honour them all",
				 caller);
		return false;
	}
	out->pages = pages;
	out->device = ram != pages;
	if (out->device) {
		// Device frames go to ioremap / the user-mapping glue as physical
		// addresses: a frame the driver wrote beyond what the CPU can
		// address (or whose address does not fit in 64 bits) is refused
		// here, before ioremap would WARN about it.
		const ULONGLONG limit_pfn = mmshim_plat_phys_limit() >> PAGE_SHIFT;
		for (uptr i = 0; i < pages; i++) {
			if (static_cast<ULONGLONG>(pfns[i]) >= limit_pfn) {
				verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS, mdl, i, pfns[i],
						 routine,
						 "a device frame lies beyond the physical address range of this CPU",
						 caller);
				return false;
			}
		}
	}
	if (out->device) {
		contiguous = 1;
		for (uptr i = 1; i < pages && contiguous; i++)
			contiguous = pfns[i] == pfns[0] + i;
	}
	out->contiguous = contiguous != 0;
	return true;
}

void report_unlocked_meanwhile(const MDL *mdl, const char *routine, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
			 reinterpret_cast<uptr>(mdl), 1, 0, routine,
			 "the MDL was unlocked or freed by another thread while this call was mapping it; "
			 "nothing is mapped (NULL)",
			 caller);
}

bool drop(MDL *mdl, const char *routine, void *caller)
{
	Mapping *mp = nullptr;
	bool abandoned = false;
	if (g_mapped.count_relaxed()) {
		LockGuard guard(MMSHIM_LOCK_MAP);
		KeyedLink *l = g_mapped.find(key_of(mdl));
		if (l) {
			mp = from_link<Mapping>(l);
			ULONG mapping = kMapping;
			// Complete, or being made by another thread: then abandoned.
			abandoned = __atomic_compare_exchange_n(&mp->state, &mapping, kAbandoned, false,
								__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
			g_mapped.take(key_of(mdl));
			if (abandoned)
				mp = nullptr; // the mapping thread undoes and recycles it
		}
	}
	if (abandoned)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
				 reinterpret_cast<uptr>(mdl), 0, 0, routine,
				 "the MDL's pages are released while another thread is still mapping them; "
				 "that mapping fails (NULL)",
				 caller);
	else if (!mp && !linear_base(mdl))
		return false;
	if (mp)
		release(mp);
	clear_mapping_flags(mdl);
	return true;
}

PVOID map_kernel(MDL *m, MEMORY_CACHING_TYPE cache, const char *routine, void *caller)
{
	return map_system(m, cache, FALSE, NormalPagePriority, routine, caller);
}

Protect protect(MDL *m, unsigned access, uptr *detail)
{
	*detail = 0;
	bool changed = false;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		KeyedLink *l = g_mapped.find(key_of(m));
		Mapping *mp = l ? from_link<Mapping>(l) : nullptr;
		if (!mp || __atomic_load_n(&mp->state, __ATOMIC_ACQUIRE) != kDone) {
			if (mp)
				return Protect::kNotMapped; // still being mapped by another thread
			// Mapped through the linear map (or not by mmshim's system
			// mapping at all)?
			return linear_base(m) ? Protect::kLinear : Protect::kNotMapped;
		}
		*detail = mp->base;
		if (access == MMSHIM_ACCESS_RW && !mp->owner_writable)
			return Protect::kOwnerReadOnly;
		if (mp->access != access) {
			// Under the lock: the record cannot be unmapped (its entries
			// restored and torn down) while they are rewritten.
			if (mmshim_plat_kva_protect(mp->base, mp->pages, access) != 0)
				return Protect::kPlatformFailed;
			changed = mp->access > access; // tightened: TLBs must drop the old entries
			mp->access = access;
		}
	}
	if (changed && mmshim_plat_vapool_flush_now() != 0) {
		// Interrupts off (or a CPU not answering): the flush worker does it.
		mmshim_plat_vapool_request_flush();
		return Protect::kFlushDeferred;
	}
	return Protect::kOk;
}

Advance advance(MDL *m, uptr pages)
{
	if (!(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) || (m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL))
		return Advance::kOk; // no mapping of mmshim's to keep track of
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		KeyedLink *l = g_mapped.find(key_of(m));
		if (l) {
			Mapping *mp = from_link<Mapping>(l);
			if (__atomic_load_n(&mp->state, __ATOMIC_ACQUIRE) != kDone)
				return Advance::kUnsupported;
			mp->advanced += pages;
			return Advance::kOk;
		}
	}
	// The linear map follows the PFN array by itself; anything else
	// (a reserved mapping, a source's mapping inherited by a partial MDL)
	// is not mmshim's to move.
	return linear_base(m) ? Advance::kOk : Advance::kUnsupported;
}

bool has_record(const MDL *mdl)
{
	if (!g_mapped.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_MAP);
	return g_mapped.find(key_of(mdl)) != nullptr;
}

bool first_in(uptr lo, uptr hi, uptr *key)
{
	if (!g_mapped.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_MAP);
	return key_in_range(g_mapped, lo, hi, key);
}

void release_all_at_unload()
{
	const uptr leaked = drain(g_mapped, MMSHIM_LOCK_MAP,
				  [](KeyedLink *l) { release(from_link<Mapping>(l)); });
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MAPPINGS_LEAKED_AT_UNLOAD, 0, leaked, 0,
				 "mmshim unload", "MDLs were still mapped; mmshim unmaps them now", nullptr);
	for (;;) {
		Mapping *mp;
		{
			LockGuard guard(MMSHIM_LOCK_MAP);
			mp = pop_spare_locked();
		}
		if (!mp)
			break;
		free_mapping(mp);
	}
}

} // namespace mmshim::map

using namespace mmshim;

extern "C" void mmshim_core_map_state_done(struct mmshim_map_state *state)
{
	auto *fm = reinterpret_cast<map::FramesMapping *>(reinterpret_cast<uptr>(state) -
							  __builtin_offsetof(map::FramesMapping, state));
	fm->done(fm);
}

extern "C" PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
					      MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
					      ULONG BugCheckOnFailure, ULONG Priority)
{
	return map::map_entry(MemoryDescriptorList, AccessMode, CacheType, RequestedAddress, BugCheckOnFailure,
			      Priority, "MmMapLockedPagesSpecifyCache", MMSHIM_CALLER());
}

extern "C" PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode)
{
	return map::map_entry(MemoryDescriptorList, AccessMode, MmCached, nullptr, TRUE, HighPagePriority,
			      "MmMapLockedPages", MMSHIM_CALLER());
}

extern "C" VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmUnmapLockedPages";
	MDL *m = MemoryDescriptorList;
	const auto addr = reinterpret_cast<uptr>(BaseAddress);
	if (!m) {
		map::report(MMSHIM_VRF_NULL_ARGUMENT, addr, 0, 0, routine, "NULL MDL", caller);
		return;
	}
	if (addr < mmshim_plat_kernel_space_start()) {
		usermap::unmap(BaseAddress, m, routine, caller);
		return;
	}
	// A linear-map address holds nothing to release.
	const uptr linear = map::linear_base(m);
	if (linear && (addr == linear + m->ByteOffset || addr == linear)) {
		map::clear_mapping_flags(m);
		return;
	}
	map::Mapping *mp = map::take_record(m, addr);
	if (!mp) {
		map::report(MMSHIM_VRF_MDL_NOT_MAPPED, reinterpret_cast<uptr>(m), addr, 0, routine,
			    "this address is not a system mapping of this MDL made by mmshim", caller);
		return;
	}
	map::release(mp);
	map::clear_mapping_flags(m);
}

extern "C" VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "IoBuildPartialMdl";
	if (!SourceMdl || !TargetMdl) {
		map::report(MMSHIM_VRF_NULL_ARGUMENT, reinterpret_cast<uptr>(SourceMdl),
			    reinterpret_cast<uptr>(TargetMdl), 0, routine, "NULL MDL", caller);
		return;
	}
	const uptr src_va = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(SourceMdl));
	const uptr va = reinterpret_cast<uptr>(VirtualAddress);
	const uptr offset = va - src_va;
	uptr src_pages;
	if (!mdl::described_span(SourceMdl, &src_pages) || va < src_va || offset >= SourceMdl->ByteCount ||
	    (Length != 0 && Length > SourceMdl->ByteCount - offset)) {
		verifier::report(INVALID_MDL_RANGE, reinterpret_cast<uptr>(SourceMdl), va, Length, 0, routine,
				 "the range is not inside the source MDL (pass an address from "
				 "MmGetMdlVirtualAddress, not a system address)",
				 caller);
		return;
	}
	if (Length == 0)
		Length = static_cast<ULONG>(SourceMdl->ByteCount - offset);
	const uptr pages = span_pages(va, Length);
	const uptr capacity = mdl::capacity_pages(TargetMdl);
	if (pages > capacity) {
		map::report(MMSHIM_VRF_MDL_TOO_SMALL, reinterpret_cast<uptr>(TargetMdl), pages, capacity,
			    routine, "the target MDL's PFN array is too small for the range", caller);
		return;
	}
	bool target_mapped;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		target_mapped = map::g_mapped.find(map::key_of(TargetMdl)) != nullptr;
	}
	target_mapped = target_mapped || map::linear_base(TargetMdl);
	// A target a DMA mapping still covers keeps its frames: retargeting it
	// would leave the device on pages the MDL no longer names.
	if (dmause::refuse_if_mapped(TargetMdl, routine, caller))
		return;
	if (target_mapped) {
		map::report(MMSHIM_VRF_MDL_ALREADY_MAPPED, reinterpret_cast<uptr>(TargetMdl), 0, 0, routine,
			    "the target still has its own mapping: call MmPrepareMdlForReuse first", caller);
		return;
	}
	const uptr start = va & ~kPageMask;
	const uptr first = (start - reinterpret_cast<uptr>(SourceMdl->StartVa)) >> PAGE_SHIFT;
	// Only entries the source's storage really holds are read, whatever
	// its ByteCount or Size say (first + pages <= src_pages <= 2^20 + 1).
	const uptr src_capacity = mdl::capacity_pages(SourceMdl);
	if (first + pages > src_capacity) {
		map::report(MMSHIM_VRF_PARTIAL_SOURCE_TOO_SMALL, reinterpret_cast<uptr>(SourceMdl), first + pages,
			    src_capacity, routine,
			    "the source MDL's PFN array does not hold the pages its range describes", caller);
		return;
	}
	for (uptr i = 0; i < pages; i++)
		MmGetMdlPfnArray(TargetMdl)[i] = MmGetMdlPfnArray(SourceMdl)[first + i];
	TargetMdl->StartVa = reinterpret_cast<PVOID>(start);
	TargetMdl->ByteOffset = BYTE_OFFSET(va);
	TargetMdl->ByteCount = Length;
	TargetMdl->Process = SourceMdl->Process;
	TargetMdl->MappedSystemVa = static_cast<PCHAR>(SourceMdl->MappedSystemVa) + offset;
	TargetMdl->MdlFlags = static_cast<CSHORT>(
		(TargetMdl->MdlFlags & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_MUST_SUCCEED)) |
		(SourceMdl->MdlFlags & (MDL_IO_PAGE_READ | MDL_SOURCE_IS_NONPAGED_POOL |
					MDL_MAPPED_TO_SYSTEM_VA | MDL_IO_SPACE)) |
		MDL_PARTIAL);
	// Tie the partial to the lock or allocation that holds its frames.
	partial::built(TargetMdl, SourceMdl, pages);
}

extern "C" SIZE_T MmshimMappedMdlCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_MAP);
	return map::g_mapped.count();
}
