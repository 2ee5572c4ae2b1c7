// SPDX-License-Identifier: GPL-2.0
// pages_alloc.cpp - MmAllocatePagesForMdl, MmAllocatePagesForMdlEx,
// MmFreePagesFromMdl, MmAllocateContiguousMemory(SpecifyCache),
// MmFreeContiguousMemory.
//
// Pages come from the Linux page allocator one block at a time; each frame
// is checked against the Windows address constraints (LowAddress..
// HighAddress, moved up by SkipBytes for further ranges) and frames outside
// them are held aside until the allocation is done, so the allocator does
// not hand them out again. The frames an allocation owns are recorded in
// mmshim's own record (the MDL is the driver's to scribble on), keyed by
// the MDL (or, for contiguous memory, by its address), so freeing releases
// exactly what was allocated and anything else is reported.
//
// Cache types: the memory type of RAM is the cache type of its linear-map
// entry. A non-cached or write-combined allocation changes those entries
// (set_memory_uc/wc, which PAT records) before anyone sees the pages, so
// every later mapping (MmMapLockedPagesSpecifyCache, MmMapIoSpace) finds
// and uses that type; freeing restores write-back first.
#include <ntddk.h>
#include "mdl.h"
#include "map.h"
#include "pagealloc.h"
#include "pool.h"
#include "flags.h"
#include "dmause.h"
#include "verifier.h"

namespace mmshim::pagealloc {
namespace {

constexpr ULONG kMdlTag = 0x6c644d4d; // "MMdl"
constexpr uptr kMaxPages = MMSHIM_MAX_MDL_LENGTH >> PAGE_SHIFT;
constexpr unsigned kLargeOrder = 9; // 2 MiB blocks for PREFER_CONTIGUOUS / large pages
constexpr uptr kProbeAfter = 4096;  // frames outside the ranges before the search takes large blocks
constexpr ULONG kKnownFlags = MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_FROM_LOCAL_NODE_ONLY |
			      MM_ALLOCATE_FULLY_REQUIRED | MM_ALLOCATE_NO_WAIT | MM_ALLOCATE_PREFER_CONTIGUOUS |
			      MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS | MM_ALLOCATE_FAST_LARGE_PAGES;

enum class Kind : ULONG { kMdl = 1, kContiguous = 2 };

struct Allocation {
	KeyedLink link; // key: the MDL, or the contiguous block's address
	uptr count;     // frames owned
	uptr capacity;  // entries of the MDL's PFN array (0 until the MDL exists)
	unsigned cache; // MMSHIM_CACHE_* of the linear map for these frames
	Kind kind;
	uptr holds; // kMdl: DMA mappings holding the pages (hold/drop_hold): not freed meanwhile
	unsigned long long *frames() { return reinterpret_cast<unsigned long long *>(this + 1); }
};
static_assert(sizeof(Allocation) >= MMSHIM_PAGES_RELEASE_SCRATCH, "glue scratch space");

constinit KeyedTable<256> g_allocs;
constinit uptr g_pages = 0; // frames held by live allocations (MMSHIM_LOCK_PAGEALLOC)
constinit uptr g_uncached = 0; // of which non-cached or write-combined

void fail(uptr reason, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(MMSHIM_CALL_FAILED, reason, p2, p3, p4, routine, what, caller);
}

unsigned ceil_log2(uptr n)
{
	unsigned order = 0;
	while ((uptr(1) << order) < n)
		order++;
	return order;
}

bool power_of_two(ULONGLONG v) { return v && !(v & (v - 1)); }

// The physical ranges pages may come from: [low, high], then both moved up
// by skip, again and again (skip 0: only the first range).
struct Ranges {
	ULONGLONG low, high, skip, boundary;

	bool accepts(unsigned long long pfn) const
	{
		const ULONGLONG pa = pfn << PAGE_SHIFT, end = pa + kPageMask;
		if (pa < low)
			return false;
		if (skip == 0)
			return end <= high;
		const ULONGLONG shift = (pa - low) / skip * skip; // <= pa - low: no overflow
		ULONGLONG limit;
		if (!checked_add(high, shift, &limit))
			limit = ~0ULL;
		return end <= limit;
	}

	// A block of n frames: every frame accepted, and no boundary crossed.
	bool accepts_block(unsigned long long pfn, uptr n) const
	{
		for (uptr i = 0; i < n; i++)
			if (!accepts(pfn + i))
				return false;
		if (boundary) {
			const ULONGLONG first = pfn << PAGE_SHIFT, last = ((pfn + n) << PAGE_SHIFT) - 1;
			if (first / boundary != last / boundary)
				return false;
		}
		return true;
	}
};

struct Plan {
	Ranges ranges;
	uptr pages;       // frames wanted
	uptr chunk;       // contiguous: frames per block; 0: any frames
	unsigned cache;
	unsigned plat;    // MMSHIM_PAGES_*
	bool prefer_large;
	int node = -1;    // NUMA node to take pages from first; -1: any
};

// Blocks and frames outside the ranges, held until the allocation is over
// so that the allocator does not hand them out again. A whole block (never
// split) is one entry; single frames next to each other share one.
class Rejects {
public:
	explicit Rejects(bool may_sleep) : may_sleep_(may_sleep) {}
	~Rejects()
	{
		for (uptr i = 0; i < count_; i++) {
			if (held_[i].whole_order >= 0)
				mmshim_plat_pages_free_whole(held_[i].pfn, static_cast<unsigned>(held_[i].whole_order));
			else
				for (unsigned j = 0; j < held_[i].n; j++)
					mmshim_plat_page_free(held_[i].pfn + j);
		}
		mmshim_plat_free(held_);
	}
	Rejects(const Rejects &) = delete;
	Rejects &operator=(const Rejects &) = delete;

	// Frames held so far.
	uptr frames() const { return frames_; }

	// Keep one single frame aside; false (and the frame freed) when full.
	bool hold(unsigned long long pfn)
	{
		frames_++;
		if (count_ && held_[count_ - 1].whole_order < 0 && held_[count_ - 1].pfn + held_[count_ - 1].n == pfn &&
		    held_[count_ - 1].n < 0x80000000u) {
			held_[count_ - 1].n++;
			return true;
		}
		if (count_ == capacity_ && !grow()) {
			mmshim_plat_page_free(pfn);
			return false;
		}
		held_[count_++] = {pfn, 1, -1};
		return true;
	}

	// Keep an unsplit block aside; false (and the block freed) when full.
	bool hold_block(unsigned long long pfn, unsigned order)
	{
		frames_ += uptr(1) << order;
		if (count_ == capacity_ && !grow()) {
			mmshim_plat_pages_free_whole(pfn, order);
			return false;
		}
		held_[count_++] = {pfn, 1u << order, static_cast<int>(order)};
		return true;
	}

private:
	// The array, allocated at the first frame held (most allocations hold
	// none); false if it is full or cannot be had.
	bool grow()
	{
		if (held_)
			return false;
		for (uptr want = may_sleep_ ? kHeldMax : kHeldAtomic; want >= 8 && !held_; want /= 8) {
			held_ = static_cast<Held *>(
				mmshim_plat_alloc(want * sizeof(Held), may_sleep_ ? 0 : MMSHIM_ALLOC_ATOMIC));
			capacity_ = held_ ? want : 0;
		}
		return held_ != nullptr;
	}

	struct Held {
		unsigned long long pfn;
		unsigned n;      // frames
		int whole_order; // >= 0: an unsplit block of this order; -1: n single frames
	};
	static constexpr uptr kHeldMax = 16384, kHeldAtomic = 64;
	bool may_sleep_;
	Held *held_ = nullptr;
	uptr capacity_ = 0, count_ = 0, frames_ = 0;
};

void take_frame(Allocation *a, unsigned long long pfn, bool zero)
{
	if (zero)
		mmshim_plat_page_zero(pfn);
	a->frames()[a->count++] = pfn;
}

// Fill a->frames() with up to plan.pages accepted frames. Every block asked
// of the allocator first leaves the rest of the system its share
// (mmshim_plat_pages_spare), so neither the frames kept nor the ones held
// aside can drive the machine into reclaim or the OOM killer.
//
// Linux cannot be asked for frames inside a physical range. While every
// frame (or block, for contiguous chunks) fits, pages come as usual; frames
// that do not are held aside. Once kProbeAfter frames are held (a window
// far from where the allocator hands out memory), the search probes: blocks of
// the largest order, not zeroed and not split unless something inside fits,
// each one either searched for frames (chunks) in the ranges or held aside
// whole, down to smaller blocks when the large ones run out. The allocator
// hands out free memory until the window is reached, or the spare pages or
// the room for held blocks run out: bounded, and never below the floor.
void gather(Allocation *a, const Plan &plan, bool may_sleep)
{
	Rejects rejects(may_sleep);
	const unsigned max_order = mmshim_plat_pages_max_order();
	const bool zero = plan.plat & MMSHIM_PAGES_ZERO;
	// Frames are taken in units: single frames, or naturally aligned
	// blocks of 2^unit_order frames of which the first plan.chunk count.
	const unsigned unit_order = plan.chunk ? ceil_log2(plan.chunk) : 0;
	const uptr unit = uptr(1) << unit_order, per_unit = plan.chunk ? plan.chunk : 1;
	unsigned order = unit_order;
	if (!plan.chunk && plan.prefer_large)
		order = kLargeOrder < max_order ? kLargeOrder : max_order;
	bool probing = false, full = false;
	while (a->count < plan.pages && !full) {
		if (!plan.chunk && !probing)
			while (order && (uptr(1) << order) > plan.pages - a->count)
				order--;
		const uptr n = uptr(1) << order;
		unsigned flags = plan.plat;
		if (probing)
			flags = (flags & ~unsigned(MMSHIM_PAGES_ZERO)) | MMSHIM_PAGES_WHOLE;
		else if (plan.chunk)
			flags |= MMSHIM_PAGES_WHOLE;
		// Room is kept for the PFN arrays too (8 bytes per frame kept).
		const uptr need = n + (a->count + n) / (kPageSize / 8) + 2;
		unsigned long long pfn;
		if (mmshim_plat_pages_spare() < need || !mmshim_plat_pages_alloc(order, flags, &pfn, plan.node)) {
			if (order > unit_order && (probing || !plan.chunk)) {
				order--; // fragmented, or little left: smaller blocks
				continue;
			}
			break; // no more memory to spare: a partial allocation
		}
		auto fits = [&](unsigned long long first) {
			return plan.chunk ? plan.ranges.accepts_block(first, plan.chunk) : plan.ranges.accepts(first);
		};
		if (!probing && !plan.chunk) {
			for (uptr i = 0; i < n; i++) {
				if (plan.ranges.accepts(pfn + i)) {
					a->frames()[a->count++] = pfn + i; // n <= pages still wanted
				} else if (!rejects.hold(pfn + i)) {
					full = true;
				}
			}
			if (rejects.frames() >= kProbeAfter) {
				probing = true;
				order = max_order;
			}
			continue;
		}
		if (!probing) { // a chunk, as asked
			if (fits(pfn)) {
				mmshim_plat_pages_split(pfn, order);
				for (uptr i = 0; i < n; i++) {
					if (i < plan.chunk)
						a->frames()[a->count++] = pfn + i;
					else
						mmshim_plat_page_free(pfn + i); // tail past the block
				}
				continue;
			}
			if (!rejects.hold_block(pfn, order))
				full = true;
			if (rejects.frames() >= kProbeAfter) {
				probing = true;
				order = max_order;
			}
			continue;
		}
		bool inside = false;
		for (uptr i = 0; i < n && !inside; i += unit)
			inside = fits(pfn + i);
		if (!inside) {
			if (!rejects.hold_block(pfn, order))
				full = true;
			continue;
		}
		mmshim_plat_pages_split(pfn, order);
		for (uptr i = 0; i < n; i += unit) {
			const bool ok = fits(pfn + i);
			const bool wanted = ok && a->count < plan.pages;
			for (uptr j = 0; j < unit; j++) {
				if (wanted && j < per_unit)
					take_frame(a, pfn + i + j, zero);
				else if (ok)
					mmshim_plat_page_free(pfn + i + j); // a chunk's tail, or enough found
				else if (!rejects.hold(pfn + i + j))
					full = true;
			}
		}
	}
}

// Apply the cache type to the linear map, run by run. False if Linux refused.
bool apply_cache(Allocation *a)
{
	if (a->cache == MMSHIM_CACHE_WB)
		return true;
	const unsigned long long *f = a->frames();
	for (uptr i = 0; i < a->count;) {
		uptr run = 1;
		while (i + run < a->count && f[i + run] == f[i] + run)
			run++;
		if (mmshim_plat_pages_set_cache(f[i], run, a->cache) != 0)
			return false;
		i += run;
	}
	return true;
}

void release(Allocation *a)
{
	{
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		g_pages -= a->count;
		if (a->cache != MMSHIM_CACHE_WB)
			g_uncached -= a->count;
	}
	mmshim_plat_pages_release(a, a->frames(), a->count, a->cache);
}

// Free the last k frames of a write-back allocation that nobody sees yet.
void give_back(Allocation *a, uptr k)
{
	{
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		g_pages -= k;
	}
	while (k--)
		mmshim_plat_page_free(a->frames()[--a->count]);
}

// The frames per plan, in a new record, still write-back; nullptr (nothing
// held) if not even one frame, or not all of them when all_or_nothing.
Allocation *take_frames(Plan plan, bool all_or_nothing, Kind kind)
{
	const bool may_sleep = mmshim_plat_may_sleep();
	// More than the spare pages cannot be had: ask for no more (the
	// record's frame array is sized for what is asked).
	const uptr spare = mmshim_plat_pages_spare();
	if (spare < plan.pages) {
		if (all_or_nothing)
			return nullptr;
		plan.pages = spare - (plan.chunk ? spare % plan.chunk : 0);
		if (plan.pages == 0)
			return nullptr;
	}
	const uptr bytes = sizeof(Allocation) + plan.pages * sizeof(unsigned long long);
	auto *a = static_cast<Allocation *>(mmshim_plat_alloc(bytes, may_sleep ? 0 : MMSHIM_ALLOC_ATOMIC));
	if (!a)
		return nullptr;
	a->count = 0;
	a->capacity = 0;
	a->cache = MMSHIM_CACHE_WB; // until apply_cache
	a->kind = kind;
	a->holds = 0;
	gather(a, plan, may_sleep);
	{
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		g_pages += a->count;
	}
	if (a->count == 0 || (all_or_nothing && a->count < plan.pages)) {
		release(a);
		return nullptr;
	}
	return a;
}

// Give the frames their cache type; false (the allocation released) if
// Linux refused.
bool finish(Allocation *a, unsigned cache)
{
	a->cache = cache;
	if (cache != MMSHIM_CACHE_WB) {
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		g_uncached += a->count;
	}
	if (!apply_cache(a)) {
		release(a); // restores write-back on every frame
		return false;
	}
	return true;
}

// Whether a window [low, high] (one range, no SkipBytes) holds no RAM at all:
// then there is nothing to look for (Windows returns NULL; so does mmshim,
// at once).
bool window_without_ram(ULONGLONG low, ULONGLONG high, ULONGLONG skip)
{
	if (skip || low == 0)
		return false; // ranges without end, or from frame 0: RAM somewhere
	return mmshim_plat_phys_kind(low, high - low + 1) == MMSHIM_PHYS_DEVICE;
}

unsigned zone_flags(ULONGLONG highest)
{
	if (highest < (16ULL << 20))
		return MMSHIM_PAGES_DMA;
	if (highest < (4ULL << 30))
		return MMSHIM_PAGES_DMA32;
	return 0;
}

PMDL allocate_for_mdl(PHYSICAL_ADDRESS low_address, PHYSICAL_ADDRESS high_address, PHYSICAL_ADDRESS skip_bytes,
		      SIZE_T total, MEMORY_CACHING_TYPE cache_type, ULONG flags, const char *routine, void *caller,
		      int node = -1)
{
	const auto low = static_cast<ULONGLONG>(low_address.QuadPart);
	const auto high = static_cast<ULONGLONG>(high_address.QuadPart);
	const auto skip = static_cast<ULONGLONG>(skip_bytes.QuadPart);
	const bool contiguous = flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS;
	unsigned cache;
	if (flags & ~kKnownFlags) {
		fail(MMSHIM_FAIL_INVALID_FLAGS, flags, flags & ~kKnownFlags, 0, routine,
		     "unknown MM_ALLOCATE_* flags", caller);
		return nullptr;
	}
	if (!cache_of(cache_type, &cache)) {
		fail(MMSHIM_FAIL_INVALID_FLAGS, static_cast<uptr>(cache_type), flags, 0, routine,
		     "invalid MEMORY_CACHING_TYPE", caller);
		return nullptr;
	}
	if (total == 0) {
		fail(MMSHIM_FAIL_ZERO_LENGTH, 0, 0, 0, routine, "TotalBytes is 0", caller);
		return nullptr;
	}
	if (skip & kPageMask) {
		fail(MMSHIM_FAIL_NOT_ALIGNED, skip, 0, 0, routine, "SkipBytes must be a multiple of PAGE_SIZE",
		     caller);
		return nullptr;
	}
	if (high < low || high - low < kPageMask) {
		fail(MMSHIM_FAIL_BAD_ADDRESS, low, high, 0, routine,
		     "HighAddress must be above LowAddress by at least a page", caller);
		return nullptr;
	}
	// Windows caps one call at 4 GiB minus a page (fewer bytes come back).
	const uptr pages = total / kPageSize + ((total & kPageMask) != 0);
	Plan plan{};
	plan.pages = pages < kMaxPages ? pages : kMaxPages;
	plan.cache = cache;
	plan.ranges = {low, high, contiguous ? 0 : skip, 0};
	plan.prefer_large = flags & (MM_ALLOCATE_PREFER_CONTIGUOUS | MM_ALLOCATE_FAST_LARGE_PAGES);
	plan.node = node;
	if (flags & MM_ALLOCATE_FAST_LARGE_PAGES && (!contiguous || skip == 0 || skip % (2ULL << 20))) {
		fail(MMSHIM_FAIL_INVALID_FLAGS, flags, skip, 0, routine,
		     "MM_ALLOCATE_FAST_LARGE_PAGES needs MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS and SkipBytes a "
		     "multiple of the large-page size",
		     caller);
		return nullptr;
	}
	if (contiguous) {
		if (skip == 0) {
			plan.chunk = plan.pages;
		} else if (!power_of_two(skip) || total % skip) {
			fail(MMSHIM_FAIL_NOT_ALIGNED, skip, total, 0, routine,
			     "with MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS, SkipBytes must be a power of two and "
			     "TotalBytes a multiple of it",
			     caller);
			return nullptr;
		} else {
			plan.chunk = skip >> PAGE_SHIFT;
			plan.pages -= plan.pages % plan.chunk;
		}
		if (ceil_log2(plan.chunk) > mmshim_plat_pages_max_order()) {
			fail(MMSHIM_FAIL_UNSUPPORTED, plan.chunk * kPageSize, 0, 0, routine,
			     "physically contiguous blocks are limited to 4 MiB (the buddy allocator's largest)",
			     caller);
			return nullptr;
		}
	}
	const bool may_sleep = mmshim_plat_may_sleep();
	if (cache != MMSHIM_CACHE_WB && !may_sleep) {
		fail(MMSHIM_FAIL_IRQL, static_cast<uptr>(cache_type), 0, 0, routine,
		     "non-cached and write-combined pages need set_memory_uc/wc, which can sleep: call at "
		     "IRQL <= APC_LEVEL",
		     caller);
		return nullptr;
	}
	plan.plat = (flags & MM_DONT_ZERO_ALLOCATION ? 0 : MMSHIM_PAGES_ZERO) |
		    (may_sleep ? 0 : MMSHIM_PAGES_ATOMIC) | (flags & MM_ALLOCATE_NO_WAIT ? MMSHIM_PAGES_NOWAIT : 0) |
		    (flags & MM_ALLOCATE_FROM_LOCAL_NODE_ONLY ? MMSHIM_PAGES_THIS_NODE : 0) |
		    (plan.ranges.skip == 0 ? zone_flags(high) : 0);

	if (window_without_ram(low, high, plan.ranges.skip))
		return nullptr;
	const bool all_or_nothing = (flags & MM_ALLOCATE_FULLY_REQUIRED) || (contiguous && skip == 0);
	Allocation *a = take_frames(plan, all_or_nothing, Kind::kMdl);
	if (!a)
		return nullptr;
	pool::Request req{};
	req.tag = kMdlTag;
	req.pool_type = NonPagedPoolNx;
	req.routine = routine;
	req.caller = caller;
	MDL *m = nullptr;
	uptr step = 0;
	for (;;) {
		req.size = sizeof(MDL) + a->count * sizeof(PFN_NUMBER);
		m = static_cast<MDL *>(pool::allocate(req));
		if (m || all_or_nothing || a->count == 0)
			break;
		// Memory ran short after the pages were taken: give some back to
		// make room for the PFN array (enough for it, then twice as many
		// each time), so that the driver gets a partial MDL, as on
		// Windows, rather than none.
		step = step ? 2 * step : req.size / kPageSize + 2;
		uptr k = step < a->count ? step : a->count;
		if (plan.chunk)
			k = (k + plan.chunk - 1) / plan.chunk * plan.chunk; // whole blocks; count is a multiple
		give_back(a, k);
	}
	if (!m || a->count == 0) {
		if (m)
			pool::free(m, kMdlTag, true, routine, caller);
		release(a);
		return nullptr;
	}
	if (!finish(a, plan.cache)) {
		pool::free(m, kMdlTag, true, routine, caller);
		return nullptr;
	}
	// The PFN array has room for the frames found, not for the pages asked:
	// an MDL later set to describe more is refused as too small.
	a->capacity = a->count;
	MmInitializeMdl(m, nullptr, a->count * kPageSize);
	m->Process = nullptr;
	m->MappedSystemVa = nullptr;
	m->MdlFlags = MDL_PAGES_LOCKED;
	for (uptr i = 0; i < a->count; i++)
		MmGetMdlPfnArray(m)[i] = static_cast<PFN_NUMBER>(a->frames()[i]);
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	g_allocs.insert(&a->link, reinterpret_cast<uptr>(m));
	return m;
}

PVOID allocate_contiguous(SIZE_T bytes, PHYSICAL_ADDRESS lowest, PHYSICAL_ADDRESS highest,
			  PHYSICAL_ADDRESS boundary_multiple, MEMORY_CACHING_TYPE cache_type, const char *routine,
			  void *caller, int node = -1)
{
	const auto low = static_cast<ULONGLONG>(lowest.QuadPart);
	const auto high = static_cast<ULONGLONG>(highest.QuadPart);
	const auto boundary = static_cast<ULONGLONG>(boundary_multiple.QuadPart);
	unsigned cache;
	if (!cache_of(cache_type, &cache)) {
		fail(MMSHIM_FAIL_INVALID_FLAGS, static_cast<uptr>(cache_type), bytes, 0, routine,
		     "invalid MEMORY_CACHING_TYPE", caller);
		return nullptr;
	}
	if (bytes == 0) {
		fail(MMSHIM_FAIL_ZERO_LENGTH, 0, 0, 0, routine, "NumberOfBytes is 0", caller);
		return nullptr;
	}
	if (high < low || high - low < kPageMask) {
		fail(MMSHIM_FAIL_BAD_ADDRESS, low, high, 0, routine,
		     "HighestAcceptableAddress must be above LowestAcceptableAddress by at least a page", caller);
		return nullptr;
	}
	const uptr pages = bytes / kPageSize + ((bytes & kPageMask) != 0);
	if (boundary && (!power_of_two(boundary) || boundary < pages * kPageSize)) {
		fail(MMSHIM_FAIL_NOT_ALIGNED, boundary, bytes, 0, routine,
		     "BoundaryAddressMultiple must be 0 or a power of two no smaller than the allocation", caller);
		return nullptr;
	}
	if (ceil_log2(pages) > mmshim_plat_pages_max_order()) {
		fail(MMSHIM_FAIL_UNSUPPORTED, bytes, 0, 0, routine,
		     "contiguous memory is limited to 4 MiB per allocation (the buddy allocator's largest)",
		     caller);
		return nullptr;
	}
	const bool may_sleep = mmshim_plat_may_sleep();
	if (cache != MMSHIM_CACHE_WB && !may_sleep) {
		fail(MMSHIM_FAIL_IRQL, static_cast<uptr>(cache_type), 0, 0, routine,
		     "non-cached and write-combined memory needs set_memory_uc/wc, which can sleep: call at "
		     "IRQL <= APC_LEVEL",
		     caller);
		return nullptr;
	}
	Plan plan{};
	plan.pages = pages;
	plan.chunk = pages;
	plan.cache = cache;
	plan.ranges = {low, high, 0, boundary};
	plan.plat = MMSHIM_PAGES_ZERO | (may_sleep ? 0 : MMSHIM_PAGES_ATOMIC) | zone_flags(high);
	plan.node = node;
	if (window_without_ram(low, high, 0))
		return nullptr;
	Allocation *a = take_frames(plan, true, Kind::kContiguous);
	if (!a || !finish(a, cache))
		return nullptr;
	void *va = mmshim_plat_pfn_to_linear(a->frames()[0]);
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	g_allocs.insert(&a->link, reinterpret_cast<uptr>(va));
	return va;
}

// The allocation of this kind keyed `key`, removed from the table; nullptr
// if there is none, or if a DMA mapping holds it (then *held, if given, is
// set).
Allocation *take(uptr key, Kind kind, bool *held = nullptr)
{
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	bool busy = false;
	KeyedLink *l = g_allocs.take_if(key, [kind, &busy](const KeyedLink *k) {
		const Allocation *a = from_link<Allocation>(k);
		if (a->kind != kind)
			return false;
		busy = __atomic_load_n(&a->holds, __ATOMIC_ACQUIRE) != 0;
		return !busy;
	});
	if (held)
		*held = busy;
	return l ? from_link<Allocation>(l) : nullptr;
}

} // namespace

PMDL allocate_mdl(PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high, PHYSICAL_ADDRESS skip, SIZE_T total,
		  MEMORY_CACHING_TYPE cache, ULONG flags, const char *routine, void *caller)
{
	return allocate_for_mdl(low, high, skip, total, cache, flags, routine, caller);
}

namespace {

// The allocation whose pages the MDL `mdl` holds, or nullptr. Caller holds
// MMSHIM_LOCK_PAGEALLOC. Never dereferences mdl.
Allocation *mdl_allocation_locked(const MDL *mdl)
{
	KeyedLink *l = g_allocs.find(reinterpret_cast<uptr>(mdl));
	return l && from_link<Allocation>(l)->kind == Kind::kMdl ? from_link<Allocation>(l) : nullptr;
}

} // namespace

bool mdl_capacity(const MDL *mdl, uptr *pages)
{
	if (!g_allocs.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	const Allocation *a = mdl_allocation_locked(mdl);
	if (!a)
		return false;
	*pages = a->capacity;
	return true;
}

bool owns_mdl(const MDL *mdl)
{
	uptr pages;
	return mdl_capacity(mdl, &pages);
}

bool first_in(uptr lo, uptr hi, uptr *key)
{
	if (!g_allocs.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	// Contiguous allocations are keyed by their address: MDLs only.
	const KeyedLink *l = g_allocs.find_if([&](const KeyedLink *c) {
		return c->key >= lo && c->key < hi && from_link<Allocation>(c)->kind == Kind::kMdl;
	});
	if (l)
		*key = l->key;
	return l != nullptr;
}

void *hold(const MDL *mdl)
{
	if (!g_allocs.count_relaxed())
		return nullptr;
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	Allocation *a = mdl_allocation_locked(mdl);
	// Under the lock take() reads it with: a free either took the
	// allocation before (not found) or sees this hold.
	if (a)
		__atomic_fetch_add(&a->holds, 1, __ATOMIC_RELAXED);
	return a;
}

void drop_hold(void *hold)
{
	if (hold)
		__atomic_fetch_sub(&static_cast<Allocation *>(hold)->holds, 1, __ATOMIC_RELEASE);
}

bool free_mdl_pages(MDL *m, const char *routine, void *caller, bool *held)
{
	Allocation *a = take(reinterpret_cast<uptr>(m), Kind::kMdl, held);
	if (!a)
		return false;
	// Not mappable from here on, before any mapping is looked for: a map
	// call on another CPU either sees this or is found (map::still_locked).
	__atomic_fetch_and(&m->MdlFlags, static_cast<CSHORT>(~MDL_PAGES_LOCKED), __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); // pairs with map::still_locked
	mdl::release_uses(m, routine, caller); // Windows 7 and later unmap a system mapping first
	for (uptr i = 0; i < a->count; i++)
		MmGetMdlPfnArray(m)[i] = ~PFN_NUMBER(0);
	release(a);
	return true;
}

uptr uncached_pages()
{
	// A hint without the lock: every mapping asks, and pages must have
	// been allocated (and this count raised) before they can be mapped.
	return __atomic_load_n(&g_uncached, __ATOMIC_RELAXED);
}

void release_all_at_unload()
{
	const uptr leaked = drain(g_allocs, MMSHIM_LOCK_PAGEALLOC,
				  [](KeyedLink *l) { release(from_link<Allocation>(l)); });
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGES_LEAKED_AT_UNLOAD, 0, leaked,
				 0, "mmshim unload",
				 "pages from MmAllocatePagesForMdl(Ex)/MmAllocateContiguousMemory were never freed; "
				 "mmshim frees them now",
				 nullptr);
}

} // namespace mmshim::pagealloc

using namespace mmshim;

extern "C" PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
				      PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes)
{
	// No cache type given: the pages are cached, as the
	// MmGetSystemAddressForMdlSafe documentation says (docs/pagealloc.md).
	return pagealloc::allocate_for_mdl(LowAddress, HighAddress, SkipBytes, TotalBytes, MmCached, 0,
					   "MmAllocatePagesForMdl", MMSHIM_CALLER());
}

extern "C" PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
					PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
					MEMORY_CACHING_TYPE CacheType, ULONG Flags)
{
	return pagealloc::allocate_for_mdl(LowAddress, HighAddress, SkipBytes, TotalBytes, CacheType, Flags,
					   "MmAllocatePagesForMdlEx", MMSHIM_CALLER());
}

extern "C" VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmFreePagesFromMdl";
	MDL *m = MemoryDescriptorList;
	if (!m) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0, routine,
				 "NULL MDL", caller);
		return;
	}
	if (dmause::refuse_if_mapped(m, routine, caller))
		return;
	bool held = false;
	if (pagealloc::free_mdl_pages(m, routine, caller, &held))
		return;
	if (held) // a DMA mapping on another CPU, not in dmause's table yet
		dmause::report_still_mapped(m, routine, caller);
	else
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGES_NOT_ALLOCATED,
				 reinterpret_cast<uptr>(m), 0, 0, routine,
				 "the MDL does not come from MmAllocatePagesForMdl(Ex), or its pages were freed already",
				 caller);
}

extern "C" PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress)
{
	PHYSICAL_ADDRESS zero;
	zero.QuadPart = 0;
	return pagealloc::allocate_contiguous(NumberOfBytes, zero, HighestAcceptableAddress, zero, MmCached,
					      "MmAllocateContiguousMemory", MMSHIM_CALLER());
}

extern "C" PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
							PHYSICAL_ADDRESS LowestAcceptableAddress,
							PHYSICAL_ADDRESS HighestAcceptableAddress,
							PHYSICAL_ADDRESS BoundaryAddressMultiple,
							MEMORY_CACHING_TYPE CacheType)
{
	return pagealloc::allocate_contiguous(NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress,
					      BoundaryAddressMultiple, CacheType,
					      "MmAllocateContiguousMemorySpecifyCache", MMSHIM_CALLER());
}

extern "C" VOID MmFreeContiguousMemory(PVOID BaseAddress)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmFreeContiguousMemory";
	pagealloc::Allocation *a =
		pagealloc::take(reinterpret_cast<uptr>(BaseAddress), pagealloc::Kind::kContiguous);
	if (!a) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED,
				 reinterpret_cast<uptr>(BaseAddress), 0, 0, routine,
				 "the address was not returned by MmAllocateContiguousMemory(SpecifyCache), or was "
				 "freed already",
				 caller);
		return;
	}
	pagealloc::release(a);
}

extern "C" SIZE_T MmshimAllocatedPageCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	return pagealloc::g_pages;
}

// ---- NUMA-node and cache variants (include/mmshim/pagenode.h) ------------------

namespace mmshim::pagealloc {
namespace {

// A NODE_REQUIREMENT as the node to try first: -1 (any) for MM_ANY_NODE_OK
// and for a node that is not online (Windows satisfies any node number from
// any node on a one-node machine; a driver's node number from another machine
// is treated the same way everywhere).
int preferred_node(ULONG node)
{
	if (node == MM_ANY_NODE_OK || node > 0x7fffffffu || !mmshim_plat_node_online(node))
		return -1;
	return static_cast<int>(node);
}

} // namespace
} // namespace mmshim::pagealloc

extern "C" PVOID MmAllocateContiguousMemorySpecifyCacheNode(SIZE_T NumberOfBytes,
							    PHYSICAL_ADDRESS LowestAcceptableAddress,
							    PHYSICAL_ADDRESS HighestAcceptableAddress,
							    PHYSICAL_ADDRESS BoundaryAddressMultiple,
							    MEMORY_CACHING_TYPE CacheType,
							    NODE_REQUIREMENT PreferredNode)
{
	return pagealloc::allocate_contiguous(NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress,
					      BoundaryAddressMultiple, CacheType,
					      "MmAllocateContiguousMemorySpecifyCacheNode", MMSHIM_CALLER(),
					      pagealloc::preferred_node(PreferredNode));
}

extern "C" PVOID MmAllocateContiguousNodeMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
						PHYSICAL_ADDRESS HighestAcceptableAddress,
						PHYSICAL_ADDRESS BoundaryAddressMultiple, ULONG Protect,
						NODE_REQUIREMENT PreferredNode)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmAllocateContiguousNodeMemory";
	const ULONG cache_bits = Protect & (PAGE_NOCACHE | PAGE_WRITECOMBINE);
	const ULONG access = Protect & ~ULONG(PAGE_NOCACHE | PAGE_WRITECOMBINE);
	if (access == PAGE_EXECUTE_READWRITE && cache_bits != (PAGE_NOCACHE | PAGE_WRITECOMBINE)) {
		pagealloc::fail(MMSHIM_FAIL_UNSUPPORTED, Protect, NumberOfBytes, 0, routine,
				"PAGE_EXECUTE_READWRITE: mmshim never makes memory executable; use PAGE_READWRITE",
				caller);
		return nullptr;
	}
	if (access != PAGE_READWRITE || cache_bits == (PAGE_NOCACHE | PAGE_WRITECOMBINE)) {
		pagealloc::fail(MMSHIM_FAIL_INVALID_FLAGS, Protect, NumberOfBytes, 0, routine,
				"Protect must be PAGE_READWRITE (or PAGE_EXECUTE_READWRITE), with at most one of "
				"PAGE_NOCACHE and PAGE_WRITECOMBINE",
				caller);
		return nullptr;
	}
	const MEMORY_CACHING_TYPE type = cache_bits == PAGE_NOCACHE	 ? MmNonCached
					 : cache_bits == PAGE_WRITECOMBINE ? MmWriteCombined
									   : MmCached;
	return pagealloc::allocate_contiguous(NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress,
					      BoundaryAddressMultiple, type, routine, caller,
					      pagealloc::preferred_node(PreferredNode));
}

extern "C" VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
						   MEMORY_CACHING_TYPE CacheType)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmFreeContiguousMemorySpecifyCache";
	const auto key = reinterpret_cast<uptr>(BaseAddress);
	unsigned cache = 0;
	const bool cache_valid = cache_of(CacheType, &cache);
	const uptr pages = NumberOfBytes / kPageSize + ((NumberOfBytes & kPageMask) != 0);
	bool known = false;
	pagealloc::Allocation *a = nullptr;
	{
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		KeyedLink *l = pagealloc::g_allocs.take_if(key, [&](const KeyedLink *k) {
			const auto *x = from_link<pagealloc::Allocation>(k);
			if (x->kind != pagealloc::Kind::kContiguous)
				return false;
			known = true;
			return cache_valid && x->count == pages && x->cache == cache;
		});
		a = l ? from_link<pagealloc::Allocation>(l) : nullptr;
	}
	if (a) {
		pagealloc::release(a);
		return;
	}
	if (known)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_FREE_MISMATCH, key,
				 NumberOfBytes, static_cast<uptr>(CacheType), routine,
				 "NumberOfBytes or CacheType is not what the memory was allocated with; nothing was "
				 "freed",
				 caller);
	else
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED, key,
				 NumberOfBytes, 0, routine,
				 "the address was not returned by a contiguous allocator, or was freed already", caller);
}

extern "C" PMDL MmAllocateNodePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
					    PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
					    MEMORY_CACHING_TYPE CacheType, ULONG IdealNode, ULONG Flags)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmAllocateNodePagesForMdlEx";
	const int node = pagealloc::preferred_node(IdealNode);
	if (node < 0 && IdealNode != MM_ANY_NODE_OK && (Flags & MM_ALLOCATE_FROM_LOCAL_NODE_ONLY)) {
		pagealloc::fail(MMSHIM_FAIL_NO_SUCH_NODE, IdealNode, Flags, 0, routine,
				"MM_ALLOCATE_FROM_LOCAL_NODE_ONLY with an IdealNode that is not an online NUMA node",
				caller);
		return nullptr;
	}
	return pagealloc::allocate_for_mdl(LowAddress, HighAddress, SkipBytes, TotalBytes, CacheType, Flags, routine,
					   caller, node);
}
