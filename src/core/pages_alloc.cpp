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
#include "verifier.h"

namespace mmshim::pagealloc {
namespace {

constexpr ULONG kMdlTag = 0x6c644d4d; // "MMdl"
constexpr uptr kMaxPages = MMSHIM_MAX_MDL_LENGTH >> PAGE_SHIFT;
constexpr unsigned kLargeOrder = 9; // 2 MiB blocks for PREFER_CONTIGUOUS / large pages
constexpr ULONG kKnownFlags = MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_FROM_LOCAL_NODE_ONLY |
			      MM_ALLOCATE_FULLY_REQUIRED | MM_ALLOCATE_NO_WAIT | MM_ALLOCATE_PREFER_CONTIGUOUS |
			      MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS | MM_ALLOCATE_FAST_LARGE_PAGES;

enum class Kind : ULONG { kMdl = 1, kContiguous = 2 };

struct Allocation {
	KeyedLink link; // key: the MDL, or the contiguous block's address
	uptr count;     // frames owned
	uptr capacity;  // room in frames()
	unsigned cache; // MMSHIM_CACHE_* of the linear map for these frames
	Kind kind;
	uptr reserved;
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
};

// Frames outside the ranges, held until the allocation is over.
class Rejects {
public:
	explicit Rejects(uptr capacity, bool may_sleep)
	{
		pfns_ = static_cast<unsigned long long *>(mmshim_plat_alloc(
			capacity * sizeof(unsigned long long), may_sleep ? 0 : MMSHIM_ALLOC_ATOMIC));
		capacity_ = pfns_ ? capacity : 0;
	}
	~Rejects()
	{
		for (uptr i = 0; i < count_; i++)
			mmshim_plat_page_free(pfns_[i]);
		mmshim_plat_free(pfns_);
	}
	Rejects(const Rejects &) = delete;
	Rejects &operator=(const Rejects &) = delete;

	// Keep frame aside; false (and the frame freed) when full.
	bool hold(unsigned long long pfn)
	{
		if (count_ == capacity_) {
			mmshim_plat_page_free(pfn);
			return false;
		}
		pfns_[count_++] = pfn;
		return true;
	}

private:
	unsigned long long *pfns_ = nullptr;
	uptr capacity_ = 0, count_ = 0;
};

// Fill a->frames() with up to plan.pages accepted frames.
void gather(Allocation *a, const Plan &plan, bool may_sleep)
{
	const uptr budget = may_sleep ? 4096 + 2 * plan.pages : 64;
	Rejects rejects(budget < kMaxPages ? budget : kMaxPages, may_sleep);
	const unsigned max_order = mmshim_plat_pages_max_order();
	unsigned order = 0;
	if (plan.chunk)
		order = ceil_log2(plan.chunk);
	else if (plan.prefer_large)
		order = kLargeOrder < max_order ? kLargeOrder : max_order;
	bool full = false;
	while (a->count < plan.pages && !full) {
		if (!plan.chunk)
			while (order && (uptr(1) << order) > plan.pages - a->count)
				order--;
		unsigned long long pfn;
		if (!mmshim_plat_pages_alloc(order, plan.plat, &pfn)) {
			if (!plan.chunk && order) {
				order--; // fragmented: smaller blocks
				continue;
			}
			break; // no more memory: a partial allocation
		}
		const uptr n = uptr(1) << order;
		if (plan.chunk) {
			if (plan.ranges.accepts_block(pfn, plan.chunk)) {
				for (uptr i = 0; i < n; i++) {
					if (i < plan.chunk)
						a->frames()[a->count++] = pfn + i;
					else
						mmshim_plat_page_free(pfn + i); // tail past the block
				}
			} else {
				for (uptr i = 0; i < n; i++)
					if (!rejects.hold(pfn + i))
						full = true;
			}
			continue;
		}
		for (uptr i = 0; i < n; i++) {
			if (a->count < plan.pages && plan.ranges.accepts(pfn + i))
				a->frames()[a->count++] = pfn + i;
			else if (!rejects.hold(pfn + i))
				full = true;
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

// Allocate per plan; nullptr (nothing held) if not even one frame.
Allocation *allocate(const Plan &plan, bool all_or_nothing, Kind kind)
{
	const bool may_sleep = mmshim_plat_may_sleep();
	const uptr bytes = sizeof(Allocation) + plan.pages * sizeof(unsigned long long);
	auto *a = static_cast<Allocation *>(mmshim_plat_alloc(bytes, may_sleep ? 0 : MMSHIM_ALLOC_ATOMIC));
	if (!a)
		return nullptr;
	a->count = 0;
	a->capacity = plan.pages;
	a->cache = MMSHIM_CACHE_WB; // until apply_cache
	a->kind = kind;
	a->reserved = 0;
	gather(a, plan, may_sleep);
	{
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		g_pages += a->count;
	}
	if (a->count == 0 || (all_or_nothing && a->count < plan.pages)) {
		release(a);
		return nullptr;
	}
	a->cache = plan.cache;
	if (a->cache != MMSHIM_CACHE_WB) {
		LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
		g_uncached += a->count;
	}
	if (!apply_cache(a)) {
		release(a); // restores write-back on every frame
		return nullptr;
	}
	return a;
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
		      SIZE_T total, MEMORY_CACHING_TYPE cache_type, ULONG flags, const char *routine, void *caller)
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

	Allocation *a = allocate(plan, (flags & MM_ALLOCATE_FULLY_REQUIRED) || (contiguous && skip == 0),
				 Kind::kMdl);
	if (!a)
		return nullptr;
	pool::Request req{};
	req.size = sizeof(MDL) + a->count * sizeof(PFN_NUMBER);
	req.tag = kMdlTag;
	req.pool_type = NonPagedPoolNx;
	req.routine = routine;
	req.caller = caller;
	auto *m = static_cast<MDL *>(pool::allocate(req));
	if (!m) {
		release(a);
		return nullptr;
	}
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
			  void *caller)
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
	Allocation *a = allocate(plan, true, Kind::kContiguous);
	if (!a)
		return nullptr;
	void *va = mmshim_plat_pfn_to_linear(a->frames()[0]);
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	g_allocs.insert(&a->link, reinterpret_cast<uptr>(va));
	return va;
}

// Remove the allocation of this kind keyed `key` from the table; nullptr if
// there is none.
Allocation *take(uptr key, Kind kind)
{
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	KeyedLink *l = g_allocs.take_if(
		key, [kind](const KeyedLink *k) { return from_link<Allocation>(k)->kind == kind; });
	return l ? from_link<Allocation>(l) : nullptr;
}

} // namespace

bool mdl_capacity(const MDL *mdl, uptr *pages)
{
	if (!g_allocs.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGEALLOC);
	KeyedLink *l = g_allocs.find(reinterpret_cast<uptr>(mdl));
	if (!l || from_link<Allocation>(l)->kind != Kind::kMdl)
		return false;
	*pages = from_link<Allocation>(l)->capacity;
	return true;
}

bool owns_mdl(const MDL *mdl)
{
	uptr pages;
	return mdl_capacity(mdl, &pages);
}

bool free_mdl_pages(MDL *m, const char *routine, void *caller)
{
	Allocation *a = take(reinterpret_cast<uptr>(m), Kind::kMdl);
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
	if (!pagealloc::free_mdl_pages(m, routine, caller))
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
