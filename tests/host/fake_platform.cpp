// SPDX-License-Identifier: GPL-2.0
// fake_platform.cpp - src/platform.h implemented for user space, for the
// host tests. See fake_platform.h for what it models and what it checks.
#include "fake_platform.h"
#include <functional>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <unordered_map>

#include <sanitizer/asan_interface.h>

#include "platform.h"
#include "fake_irql.h"

namespace fake {
namespace {

// The fake hands out base + kMisalign with base 16-aligned: 8-aligned as the
// platform promises, never 16-aligned. The kMisalign bytes in front are
// poisoned so ASan sees any write below the block.
constexpr std::size_t kMisalign = 8;

struct Block {
	void *raw;
	std::size_t size;
	bool shareable; // MMSHIM_ALLOC_SHAREABLE: freed with mmshim_plat_free_shareable
};

struct Range {
	uptr start;
	std::size_t len;
	Kind kind;
	unsigned long long base_pfn;
	std::vector<unsigned long long> pfns; // kVmalloc
};

struct State {
	bool may_sleep = true;
	uptr kernel_space_start = kLinuxKernelSpaceStart;

	std::vector<Range> ranges;
	std::vector<unsigned long long> io_pfns;
	unsigned long kva_lookups = 0;

	unsigned fail_skip = 0;
	unsigned fail_count = 0;
	bool fail_cache_create = false;

	std::unordered_map<void *, Block> allocs;
	std::size_t alloc_bytes = 0;
	std::unordered_map<void *, bool> cache_objects;
	bool cache = false;
	std::size_t cache_size = 0;
	unsigned long alloc_calls = 0;
	unsigned long cache_alloc_calls = 0;
	std::size_t last_alloc_size = 0;
	unsigned last_alloc_flags = 0;
	int last_cache_atomic = -1;
	std::size_t largest_request = 0;

	bool held[MMSHIM_LOCK_COUNT] = {};
	unsigned long acquisitions = 0;

	std::vector<Report> reports;
	std::vector<std::string> violations;

	uptr writable_lo = 0, writable_hi = 0;
	uptr readable_lo = 0, readable_hi = 0;
	std::unordered_map<void *, std::pair<unsigned long, bool>> pins; // handle -> (pages, dirty)
	std::vector<std::pair<unsigned long, bool>> unpinned;
	std::unordered_map<unsigned long long, long> page_refs;
	std::vector<std::pair<uptr, uptr>> read_only_kva;
	struct Mapping {
		std::vector<unsigned long long> pfns;
		unsigned cache;
		bool read_only;
	};
	std::unordered_map<void *, Mapping> mappings; // handle (== va) -> mapping
	unsigned map_fail = 0;
	unsigned long scratch_maps = 0; // mmshim_plat_map_frames calls given a scratch array
	uptr next_vmap = 0;
	bool vapool = false;
	std::vector<unsigned long long> vapool_ptes; // 0 = empty
	unsigned long vapool_flush_requests = 0;
	bool vapool_sync_flush = true; // mmshim_plat_vapool_flush_now succeeds
	unsigned long vapool_sync_flushes = 0;
	std::vector<const unsigned long *> seh_resumes;
	// Unmaps and unpins requested in atomic context, waiting for "the
	// worker" (run_deferred): true = a mapping state, false = a pin.
	std::vector<std::pair<void *, bool>> deferred;
	// Run inside the next mmshim_plat_map_frames (another thread's call, in
	// effect, made while the mapping is being built).
	std::function<void()> during_map;
	std::function<void()> during_pfn_is_ram;
	struct Reservation {
		uptr base;
		std::vector<unsigned long long> ptes; // 0 = empty
	};
	std::unordered_map<void *, Reservation> reservations; // handle -> range
	uptr next_reserve = 0;
	unsigned reserve_create_fail = 0;
	unsigned long reserve_maps = 0, reserve_unmaps = 0;
	unsigned reserve_cache = 0; // the last reserve_map's memory type
	// Run inside the next mmshim_plat_frames_ram (the frame checks every
	// mapping makes after its flag checks, before it registers).
	std::function<void()> during_check;
	unsigned long reserve_maps_ro = 0;
	std::map<void *, long> process_holds;
};

State &state()
{
	static State s;
	return s;
}

unsigned held_count()
{
	unsigned n = 0;
	for (bool h : state().held)
		n += h;
	return n;
}

void violation(const std::string &what)
{
	state().violations.push_back(what);
}

// Fault injection: true if this allocation must fail.
bool inject_failure()
{
	State &s = state();
	if (s.fail_skip) {
		s.fail_skip--;
		return false;
	}
	if (s.fail_count) {
		s.fail_count--;
		return true;
	}
	return false;
}

bool can_sleep_now()
{
	return state().may_sleep && held_count() == 0 && !irql_blocks_sleep();
}

} // namespace

void reset()
{
	State &s = state();
	if (!s.allocs.empty() || !s.cache_objects.empty())
		violation("fake::reset() with live allocations: the core leaked");
	for (auto &[p, b] : s.allocs) {
		ASAN_UNPOISON_MEMORY_REGION(b.raw, kMisalign);
		std::free(b.raw);
	}
	for (auto &[p, unused] : s.cache_objects)
		std::free(p);
	s = State{};
	s.kernel_space_start = kHostKernelSpaceStart;
	usermap_reset();
	irql_reset();
}

void set_may_sleep(bool may_sleep) { state().may_sleep = may_sleep; }
void set_user_writable(uptr lo, uptr hi)
{
	state().writable_lo = lo;
	state().writable_hi = hi;
}
void set_user_readable(uptr lo, uptr hi)
{
	state().readable_lo = lo;
	state().readable_hi = hi;
}
void set_kva_read_only(uptr lo, uptr hi) { state().read_only_kva.push_back({lo, hi}); }
std::size_t live_pins() { return state().pins.size(); }

std::size_t deferred_count() { return state().deferred.size(); }

void during_next_map(std::function<void()> hook) { state().during_map = std::move(hook); }
void during_next_pfn_is_ram(std::function<void()> hook) { state().during_pfn_is_ram = std::move(hook); }

void run_deferred()
{
	auto work = std::move(state().deferred);
	state().deferred.clear();
	for (auto &[p, is_map] : work) {
		if (is_map) {
			if (!state().mappings.erase(reinterpret_cast<void *>(
				    static_cast<mmshim_map_state *>(p)->opaque[0])))
				violation("deferred unmap of an unknown mapping");
			mmshim_core_map_state_done(static_cast<mmshim_map_state *>(p));
		} else {
			auto it = state().pins.find(p);
			if (it == state().pins.end()) {
				violation("deferred unpin of storage that holds no pin");
				continue;
			}
			state().unpinned.push_back({it->second.first, it->second.second});
			state().pins.erase(it);
			mmshim_core_unpin_done(p);
		}
	}
}
std::size_t live_mappings() { return state().mappings.size(); }
bool mapping_read_only(const void *va)
{
	auto it = state().mappings.find(const_cast<void *>(va));
	return it != state().mappings.end() && it->second.read_only;
}
std::vector<unsigned long long> mapping_pfns(const void *va)
{
	auto it = state().mappings.find(const_cast<void *>(va));
	return it == state().mappings.end() ? std::vector<unsigned long long>{} : it->second.pfns;
}
void fail_next_maps(unsigned count) { state().map_fail = count; }
unsigned long scratch_maps() { return state().scratch_maps; }
unsigned long long vapool_pte(std::size_t index) { return state().vapool_ptes.at(index); }
unsigned long vapool_flush_requests() { return state().vapool_flush_requests; }
void set_vapool_sync_flush(bool allowed) { state().vapool_sync_flush = allowed; }
unsigned long vapool_sync_flushes() { return state().vapool_sync_flushes; }
void run_vapool_flush()
{
	mmshim_core_vapool_flush_begin();
	mmshim_core_vapool_flush_end();
}
std::size_t live_reservations() { return state().reservations.size(); }
unsigned long long reserve_pte(uptr va)
{
	for (auto &[h, r] : state().reservations)
		if (va >= r.base && va < r.base + r.ptes.size() * kPageSize)
			return r.ptes[(va - r.base) / kPageSize];
	violation("test bug: reserve_pte outside every reservation");
	return 0;
}
unsigned long reserve_maps() { return state().reserve_maps; }
unsigned reserve_cache() { return state().reserve_cache; }
void during_next_check(std::function<void()> hook) { state().during_check = std::move(hook); }
void fire_during_map()
{
	if (auto hook = std::move(state().during_map)) {
		state().during_map = nullptr;
		hook();
	}
}
unsigned long reserve_maps_ro() { return state().reserve_maps_ro; }
long process_holds(void *process) { return state().process_holds[process]; }
unsigned long reserve_unmaps() { return state().reserve_unmaps; }
void fail_next_reserve_creates(unsigned count) { state().reserve_create_fail = count; }
const std::vector<std::pair<unsigned long, bool>> &unpins() { return state().unpinned; }
long page_refs(unsigned long long pfn) { return state().page_refs[pfn]; }
const std::vector<const unsigned long *> &seh_resumes() { return state().seh_resumes; }
void set_kernel_space_start(uptr start) { state().kernel_space_start = start; }

void map_direct(uptr va, std::size_t len, unsigned long long base_pfn)
{
	state().ranges.push_back({va, len, Kind::kDirect, base_pfn, {}});
}

void map_vmalloc(uptr va, const std::vector<unsigned long long> &pfns)
{
	if (va % kPageSize)
		violation("test bug: map_vmalloc needs a page-aligned address");
	state().ranges.push_back({va, pfns.size() * kPageSize, Kind::kVmalloc, 0, pfns});
}

void map_stack(uptr va, std::size_t len)
{
	state().ranges.push_back({va, len, Kind::kStack, 0, {}});
}

void add_io_pfn(unsigned long long pfn) { state().io_pfns.push_back(pfn); }
unsigned long kva_lookups() { return state().kva_lookups; }

void fail_allocs(unsigned skip, unsigned count)
{
	state().fail_skip = skip;
	state().fail_count = count;
}
void fail_cache_create() { state().fail_cache_create = true; }

std::size_t live_allocs() { return state().allocs.size(); }

bool heap_readable(const void *va, std::size_t len)
{
	const auto at = reinterpret_cast<uptr>(va);
	for (const auto &[p, b] : state().allocs) {
		const auto lo = reinterpret_cast<uptr>(p);
		if (at >= lo && at + len <= lo + b.size)
			return true;
	}
	return false;
}
std::size_t live_alloc_bytes() { return state().alloc_bytes; }
std::size_t live_cache_objects() { return state().cache_objects.size(); }
bool cache_exists() { return state().cache; }
std::size_t cache_object_size() { return state().cache_size; }
unsigned long alloc_calls() { return state().alloc_calls; }
unsigned long cache_alloc_calls() { return state().cache_alloc_calls; }
std::size_t last_alloc_size() { return state().last_alloc_size; }
unsigned last_alloc_flags() { return state().last_alloc_flags; }
int last_cache_alloc_atomic() { return state().last_cache_atomic; }
std::size_t largest_alloc_request() { return state().largest_request; }

unsigned locks_held() { return held_count(); }
unsigned long lock_acquisitions() { return state().acquisitions; }

const std::vector<Report> &reports() { return state().reports; }
void clear_reports() { state().reports.clear(); }
const std::vector<std::string> &violations() { return state().violations; }

} // namespace fake

using fake::state;

// ---- platform.h ------------------------------------------------------------

extern "C" {

int mmshim_plat_may_sleep(void)
{
	return fake::can_sleep_now();
}

// The word before a driver's MDL may be outside any heap block (a malloc
// header, another block's redzone): read it as the kernel's READ_ONCE_NOCHECK
// does, unseen by ASan.
__attribute__((no_sanitize("address"))) unsigned long long mmshim_plat_peek_word(const void *p)
{
	return *static_cast<const volatile unsigned long long *>(p);
}

mmshim_uptr mmshim_plat_kernel_space_start(void)
{
	return state().kernel_space_start;
}

void *mmshim_plat_alloc(mmshim_size size, unsigned int flags)
{
	auto &s = state();
	s.alloc_calls++;
	s.last_alloc_size = size;
	s.last_alloc_flags = flags;
	if (size > s.largest_request)
		s.largest_request = size;
	if (flags & ~static_cast<unsigned>(MMSHIM_ALLOC_ZERO | MMSHIM_ALLOC_ATOMIC |
					   MMSHIM_ALLOC_LOW_PRIORITY | MMSHIM_ALLOC_HIGH_PRIORITY |
					   MMSHIM_ALLOC_SHAREABLE))
		fake::violation("mmshim_plat_alloc: unknown flags " + std::to_string(flags));
	if ((flags & MMSHIM_ALLOC_LOW_PRIORITY) && (flags & MMSHIM_ALLOC_HIGH_PRIORITY))
		fake::violation("mmshim_plat_alloc: unknown flags " + std::to_string(flags));
	const bool atomic = flags & MMSHIM_ALLOC_ATOMIC;
	if (!atomic && !fake::can_sleep_now())
		fake::violation("mmshim_plat_alloc without MMSHIM_ALLOC_ATOMIC in atomic context");
	if (fake::inject_failure())
		return nullptr;
	if (size > (atomic ? fake::kAtomicAllocLimit : fake::kSleepingAllocLimit))
		return nullptr;

	void *raw = nullptr;
	if (posix_memalign(&raw, 16, fake::kMisalign + size) != 0)
		return nullptr;
	void *p = static_cast<char *>(raw) + fake::kMisalign;
	std::memset(p, (flags & MMSHIM_ALLOC_ZERO) ? 0 : fake::kAllocFill, size);
	ASAN_POISON_MEMORY_REGION(raw, fake::kMisalign);
	s.allocs[p] = {raw, size, (flags & MMSHIM_ALLOC_SHAREABLE) != 0};
	s.alloc_bytes += size;
	return p;
}

namespace {
// Both frees: the block must be live and come from the matching allocation.
void free_block(void *block, bool shareable)
{
	if (!block)
		return;
	auto &s = state();
	auto it = s.allocs.find(block);
	if (it == s.allocs.end()) {
		char buf[96];
		std::snprintf(buf, sizeof(buf), "mmshim_plat_free of %p, not a live block", block);
		fake::violation(buf);
		return;
	}
	if (it->second.shareable != shareable)
		fake::violation(shareable ? "mmshim_plat_free_shareable of a block allocated without "
					    "MMSHIM_ALLOC_SHAREABLE"
					  : "mmshim_plat_free of a block allocated with MMSHIM_ALLOC_SHAREABLE");
	fake::Block b = it->second;
	s.allocs.erase(it);
	s.alloc_bytes -= b.size;
	ASAN_UNPOISON_MEMORY_REGION(b.raw, fake::kMisalign);
	std::free(b.raw);
}
} // namespace

void mmshim_plat_free(void *block)
{
	free_block(block, false);
}

void mmshim_plat_free_shareable(void *block)
{
	free_block(block, true);
}

int mmshim_plat_mdl_cache_create(mmshim_size object_size)
{
	auto &s = state();
	if (!fake::can_sleep_now())
		fake::violation("mmshim_plat_mdl_cache_create in atomic context");
	if (s.cache)
		fake::violation("mmshim_plat_mdl_cache_create: cache already exists");
	if (s.fail_cache_create) {
		s.fail_cache_create = false;
		return -12; // -ENOMEM
	}
	s.cache = true;
	s.cache_size = object_size;
	return 0;
}

void mmshim_plat_mdl_cache_destroy(void)
{
	auto &s = state();
	if (!fake::can_sleep_now())
		fake::violation("mmshim_plat_mdl_cache_destroy in atomic context");
	if (!s.cache_objects.empty())
		fake::violation("mmshim_plat_mdl_cache_destroy with live objects");
	s.cache = false; // like kmem_cache_destroy(NULL), destroying nothing is fine
}

void *mmshim_plat_mdl_cache_alloc(int atomic)
{
	auto &s = state();
	s.cache_alloc_calls++;
	s.last_cache_atomic = atomic;
	if (!s.cache) {
		fake::violation("mmshim_plat_mdl_cache_alloc without a cache");
		return nullptr;
	}
	if (!atomic && !fake::can_sleep_now())
		fake::violation("mmshim_plat_mdl_cache_alloc(atomic=0) in atomic context");
	if (fake::inject_failure())
		return nullptr;
	void *p = nullptr;
	if (posix_memalign(&p, 16, s.cache_size) != 0)
		return nullptr;
	std::memset(p, fake::kCacheFill, s.cache_size);
	s.cache_objects[p] = true;
	return p;
}

void mmshim_plat_mdl_cache_free(void *object)
{
	auto &s = state();
	if (s.cache_objects.erase(object) != 1) {
		char buf[96];
		std::snprintf(buf, sizeof(buf), "mmshim_plat_mdl_cache_free of %p, not a live object",
			      object);
		fake::violation(buf);
		return;
	}
	std::free(object);
}

enum mmshim_kva_kind mmshim_plat_kva_to_pfn(const void *va, unsigned long long *pfn)
{
	auto &s = state();
	s.kva_lookups++;
	const auto addr = reinterpret_cast<fake::uptr>(va);
	if (addr < s.kernel_space_start)
		return MMSHIM_KVA_INVALID;
	// The stack first, as the glue checks object_is_on_stack() first.
	for (const auto &r : s.ranges)
		if (r.kind == fake::Kind::kStack && addr - r.start < r.len)
			return MMSHIM_KVA_STACK;
	for (const auto &r : s.ranges) {
		if (r.kind == fake::Kind::kStack || addr - r.start >= r.len)
			continue;
		const std::size_t page = (addr - r.start) / fake::kPageSize;
		if (r.kind == fake::Kind::kDirect) {
			*pfn = r.base_pfn + page;
			return MMSHIM_KVA_DIRECT;
		}
		*pfn = r.pfns[page];
		return MMSHIM_KVA_VMALLOC;
	}
	return MMSHIM_KVA_INVALID;
}

int mmshim_plat_pfn_is_ram(unsigned long long pfn)
{
	if (auto hook = std::move(state().during_pfn_is_ram)) {
		state().during_pfn_is_ram = nullptr;
		hook();
	}
	for (auto io : state().io_pfns)
		if (io == pfn)
			return 0;
	return 1;
}

unsigned long mmshim_plat_lock(enum mmshim_lock_id id)
{
	auto &s = state();
	if (static_cast<int>(id) < 0 || id >= MMSHIM_LOCK_COUNT) {
		std::fprintf(stderr, "fake platform: lock id %d out of range\n", id);
		std::abort();
	}
	if (s.held[id]) {
		// A spinlock taken twice deadlocks the kernel: stop right here.
		std::fprintf(stderr, "fake platform: recursive locking of core lock %d\n", id);
		std::abort();
	}
	s.held[id] = true;
	s.acquisitions++;
	return 0x4C0C0000UL | static_cast<unsigned long>(id);
}

void mmshim_plat_unlock(enum mmshim_lock_id id, unsigned long irq_flags)
{
	auto &s = state();
	if (static_cast<int>(id) < 0 || id >= MMSHIM_LOCK_COUNT || !s.held[id]) {
		fake::violation("mmshim_plat_unlock of a lock that is not held");
		return;
	}
	if (irq_flags != (0x4C0C0000UL | static_cast<unsigned long>(id)))
		fake::violation("mmshim_plat_unlock with flags from another lock");
	s.held[id] = false;
}

void mmshim_plat_report(const struct mmshim_plat_report *r)
{
	fake::Report rep{};
	rep.code = r->code;
	rep.code_name = r->code_name ? r->code_name : "";
	for (int i = 0; i < 4; i++)
		rep.params[i] = r->params[i];
	rep.routine = r->routine ? r->routine : "";
	rep.what = r->what ? r->what : "";
	rep.caller = r->caller;
	rep.sequence = r->sequence;
	rep.locks_held = fake::held_count();
	if (!r->routine || !r->what || !r->code_name)
		fake::violation("mmshim_plat_report with a NULL string");
	state().reports.push_back(std::move(rep));
}



// One host thread: a fixed key. The host cannot switch stacks, so a resume
// request is recorded and refused (the core then reports a stale frame).
mmshim_uptr mmshim_plat_thread_key(void)
{
	return fake::irql().thread_key; // 0x1000 unless a test plays another thread
}

void mmshim_plat_seh_resume(const mmshim_uptr *context)
{
	state().seh_resumes.push_back(context);
}

// Pin storage: the page count, then the frames.
mmshim_size mmshim_plat_pin_size(mmshim_size npages)
{
	if (npages > (~mmshim_size(0) - 8) / 8)
		return 0;
	return 8 + npages * 8;
}

int mmshim_plat_pin_user(void *storage, mmshim_uptr start, mmshim_size npages, int write)
{
	fake::State &s = fake::state();
	if (!s.may_sleep)
		fake::violation("mmshim_plat_pin_user in atomic context");
	bool inside = false;
	const auto at = reinterpret_cast<fake::uptr>(storage);
	for (const auto &[p, b] : s.allocs) {
		const auto lo = reinterpret_cast<fake::uptr>(p);
		inside = inside || (at >= lo && at + mmshim_plat_pin_size(npages) <= lo + b.size);
	}
	if (!inside)
		fake::violation("mmshim_plat_pin_user storage is not inside a live block");
	const fake::uptr end = start + npages * fake::kPageSize;
	const bool ok = write ? (start >= s.writable_lo && end <= s.writable_hi)
			      : ((start >= s.writable_lo && end <= s.writable_hi) ||
				 (start >= s.readable_lo && end <= s.readable_hi));
	if (!ok)
		return -14; // EFAULT
	auto *words = static_cast<unsigned long long *>(storage);
	words[0] = npages;
	for (mmshim_size i = 0; i < npages; i++)
		words[1 + i] = fake::kUserPfnBase + (start >> 12) + i;
	s.pins[storage] = {npages, false};
	return 0;
}

void mmshim_plat_pin_frames(const void *storage, unsigned long long *pfns)
{
	if (!fake::state().pins.count(const_cast<void *>(storage)))
		fake::violation("mmshim_plat_pin_frames of storage that holds no pin");
	const auto *words = static_cast<const unsigned long long *>(storage);
	for (unsigned long long i = 0; i < words[0]; i++)
		pfns[i] = words[1 + i];
}

int mmshim_plat_pin_frames_equal(const void *storage, const unsigned long long *pfns, mmshim_size count)
{
	if (!fake::state().pins.count(const_cast<void *>(storage)))
		fake::violation("mmshim_plat_pin_frames_equal of storage that holds no pin");
	const auto *words = static_cast<const unsigned long long *>(storage);
	if (count > words[0])
		return 0;
	for (mmshim_size i = 0; i < count; i++)
		if (pfns[i] != words[1 + i])
			return 0;
	return 1;
}

int mmshim_plat_unpin_user(void *storage, int dirty)
{
	fake::State &s = fake::state();
	auto it = s.pins.find(storage);
	if (it == s.pins.end()) {
		fake::violation("mmshim_plat_unpin_user of storage that holds no pin");
		return 1;
	}
	if (!s.may_sleep) { // unpinning dirty pages sleeps: "a worker" does it
		it->second.second = dirty != 0;
		s.deferred.push_back({storage, false});
		return 0;
	}
	s.unpinned.push_back({it->second.first, dirty != 0});
	s.pins.erase(it);
	return 1;
}

int mmshim_plat_get_page(unsigned long long pfn)
{
	fake::state().page_refs[pfn]++;
	return 1;
}

void mmshim_plat_put_page(unsigned long long pfn)
{
	if (--fake::state().page_refs[pfn] < 0)
		fake::violation("mmshim_plat_put_page below zero");
}

int mmshim_plat_kva_writable(const void *va)
{
	const fake::uptr a = reinterpret_cast<fake::uptr>(va);
	for (auto &[lo, hi] : fake::state().read_only_kva)
		if (a >= lo && a < hi)
			return 0;
	return 1;
}

void *mmshim_plat_current_process(void)
{
	return fake::current_process(); // fake_usermap.cpp
}

mmshim_uptr mmshim_plat_pfn_linear_address(unsigned long long pfn)
{
	return fake::kLinearBase + (pfn << 12);
}

void *mmshim_plat_pfn_to_linear(unsigned long long pfn)
{
	if (!mmshim_plat_pfn_is_ram(pfn))
		return nullptr;
	return reinterpret_cast<void *>(fake::kLinearBase + (pfn << 12));
}

mmshim_size mmshim_plat_frames_ram(const unsigned long long *pfns, mmshim_size count, int *contiguous)
{
	if (auto hook = std::move(fake::state().during_check)) {
		fake::state().during_check = nullptr;
		hook();
	}
	mmshim_size i = 0;
	*contiguous = 1;
	for (; i < count && mmshim_plat_pfn_is_ram(pfns[i]); i++)
		if (i && pfns[i] != pfns[i - 1] + 1)
			*contiguous = 0;
	return i;
}

void *mmshim_plat_map_frames(const unsigned long long *pfns, mmshim_size count, unsigned int cache,
			     int read_only, struct mmshim_map_state *state, void *scratch)
{
	fake::State &s = fake::state();
	if (!s.may_sleep)
		fake::violation("mmshim_plat_map_frames in atomic context");
	if (scratch) {
		// The core's page-array scratch: a live block with room for
		// every frame, written as the kernel's glue would.
		if (!fake::heap_readable(scratch, count * sizeof(void *)))
			fake::violation("mmshim_plat_map_frames scratch is not a live block of count pointers");
		std::memset(scratch, 0xA5, count * sizeof(void *));
		s.scratch_maps++;
	}
	if (s.map_fail) {
		s.map_fail--;
		return nullptr;
	}
	// A fresh kernel-looking address; nothing is behind it.
	void *va = reinterpret_cast<void *>(fake::kVmapBase + s.next_vmap);
	s.next_vmap += (count + 1) * 4096;
	s.mappings[va] = {std::vector<unsigned long long>(pfns, pfns + count), cache, read_only != 0};
	state->opaque[0] = reinterpret_cast<mmshim_uptr>(va);
	if (auto hook = std::move(s.during_map)) {
		s.during_map = nullptr;
		hook();
	}
	return va;
}

int mmshim_plat_unmap_frames(struct mmshim_map_state *state)
{
	fake::State &s = fake::state();
	if (!s.may_sleep) { // vunmap sleeps: "a worker" does it
		s.deferred.push_back({state, true});
		return 0;
	}
	if (!s.mappings.erase(reinterpret_cast<void *>(state->opaque[0])))
		fake::violation("mmshim_plat_unmap_frames of an unknown mapping");
	state->opaque[0] = 0;
	return 1;
}

void *mmshim_plat_vapool_create(mmshim_size pages)
{
	fake::State &s = fake::state();
	if (s.vapool)
		fake::violation("mmshim_plat_vapool_create twice");
	s.vapool = true;
	s.vapool_ptes.assign(pages, 0);
	return reinterpret_cast<void *>(fake::kVapoolBase);
}

void mmshim_plat_vapool_destroy(void)
{
	fake::State &s = fake::state();
	for (auto pte : s.vapool_ptes)
		if (pte)
			fake::violation("mmshim_plat_vapool_destroy with pages still mapped");
	s.vapool = false;
}

void mmshim_plat_vapool_map(mmshim_size index, const unsigned long long *pfns, mmshim_size count,
			    int read_only)
{
	fake::State &s = fake::state();
	for (mmshim_size i = 0; i < count; i++) {
		if (s.vapool_ptes.at(index + i))
			fake::violation("mmshim_plat_vapool_map over a live entry");
		s.vapool_ptes[index + i] = pfns[i] | (read_only ? 1ULL << 63 : 0);
	}
}

void mmshim_plat_vapool_unmap(mmshim_size index, mmshim_size count)
{
	fake::State &s = fake::state();
	for (mmshim_size i = 0; i < count; i++)
		s.vapool_ptes.at(index + i) = 0;
}

void *mmshim_plat_reserve_create(mmshim_size pages, mmshim_uptr *base)
{
	fake::State &s = fake::state();
	if (!fake::can_sleep_now())
		fake::violation("mmshim_plat_reserve_create in atomic context or under a core lock");
	if (s.reserve_create_fail) {
		s.reserve_create_fail--;
		return nullptr;
	}
	if (pages == 0 || pages > (std::size_t{1} << 20))
		fake::violation("mmshim_plat_reserve_create of " + std::to_string(pages) + " pages");
	// One page of unmapped VA between reservations, like vmap's guard page.
	if (!s.next_reserve)
		s.next_reserve = fake::kReserveBase;
	const fake::uptr b = s.next_reserve;
	s.next_reserve += (pages + 1) * fake::kPageSize;
	void *handle = new char; // a unique pointer the core must hand back
	s.reservations[handle] = {b, std::vector<unsigned long long>(pages, 0)};
	*base = b;
	return handle;
}

void mmshim_plat_reserve_destroy(void *handle)
{
	fake::State &s = fake::state();
	if (!fake::can_sleep_now())
		fake::violation("mmshim_plat_reserve_destroy in atomic context or under a core lock");
	auto it = s.reservations.find(handle);
	if (it == s.reservations.end()) {
		fake::violation("mmshim_plat_reserve_destroy of an unknown handle");
		return;
	}
	for (auto pte : it->second.ptes)
		if (pte)
			fake::violation("mmshim_plat_reserve_destroy with entries still mapped");
	s.reservations.erase(it);
	delete static_cast<char *>(handle);
}

void mmshim_plat_reserve_map(void *handle, const unsigned long long *pfns, mmshim_size count,
			     unsigned int cache, int read_only)
{
	fake::State &s = fake::state();
	s.reserve_maps++;
	s.reserve_cache = cache;
	if (read_only)
		s.reserve_maps_ro++;
	if (fake::held_count())
		fake::violation("mmshim_plat_reserve_map under a core lock");
	auto it = s.reservations.find(handle);
	if (it == s.reservations.end() || count > it->second.ptes.size()) {
		fake::violation("mmshim_plat_reserve_map of an unknown handle or beyond the range");
		return;
	}
	for (mmshim_size i = 0; i < count; i++) {
		if (it->second.ptes[i])
			fake::violation("mmshim_plat_reserve_map over a live entry");
		it->second.ptes[i] = pfns[i];
	}
	if (auto hook = std::move(s.during_map)) {
		s.during_map = nullptr;
		hook();
	}
}

void mmshim_plat_reserve_unmap(void *handle, mmshim_size count)
{
	fake::State &s = fake::state();
	s.reserve_unmaps++;
	if (fake::held_count())
		fake::violation("mmshim_plat_reserve_unmap under a core lock");
	auto it = s.reservations.find(handle);
	if (it == s.reservations.end() || count > it->second.ptes.size()) {
		fake::violation("mmshim_plat_reserve_unmap of an unknown handle or beyond the range");
		return;
	}
	for (mmshim_size i = 0; i < count; i++) {
		if (!it->second.ptes[i])
			fake::violation("mmshim_plat_reserve_unmap of an empty entry");
		it->second.ptes[i] = 0;
	}
	for (mmshim_size i = count; i < it->second.ptes.size(); i++)
		if (it->second.ptes[i])
			fake::violation("mmshim_plat_reserve_unmap left entries mapped past the span");
}

void mmshim_plat_reserve_stats(unsigned long *sync, unsigned long *deferred, unsigned long *early)
{
	*sync = fake::state().reserve_unmaps;
	*deferred = 0;
	*early = 0;
}

void mmshim_plat_vapool_request_flush(void)
{
	fake::state().vapool_flush_requests++;
}

// ---- permissions and process identity (perm.c) ----
int mmshim_plat_frames_read_only(const unsigned long long *pfns, mmshim_size count)
{
	for (mmshim_size i = 0; i < count; i++)
		if (mmshim_plat_pfn_is_ram(pfns[i]) &&
		    !mmshim_plat_kva_writable(reinterpret_cast<void *>(fake::kLinearBase + (pfns[i] << 12))))
			return 1;
	return 0;
}

unsigned long long mmshim_plat_pin_frame(const void *storage, mmshim_size index)
{
	if (!fake::state().pins.count(const_cast<void *>(storage)))
		fake::violation("mmshim_plat_pin_frame of storage that holds no pin");
	const auto *words = static_cast<const unsigned long long *>(storage);
	if (index >= words[0])
		fake::violation("mmshim_plat_pin_frame beyond the pin");
	return words[1 + index];
}

void *mmshim_plat_process_hold(void)
{
	void *p = fake::current_process();
	if (p)
		fake::state().process_holds[p]++;
	return p;
}

void mmshim_plat_process_release(void *process)
{
	if (!process)
		return;
	// The last mmdrop() frees page tables: never in atomic context.
	if (!fake::state().may_sleep || fake::locks_held())
		fake::violation("mmshim_plat_process_release in atomic context");
	if (--fake::state().process_holds[process] < 0)
		fake::violation("mmshim_plat_process_release without a hold");
}

int mmshim_plat_vapool_flush_now(void)
{
	auto &s = fake::state();
	if (fake::locks_held())
		fake::violation("mmshim_plat_vapool_flush_now under a core lock");
	if (!s.vapool_sync_flush)
		return -1;
	s.vapool_sync_flushes++;
	return 0;
}

int mmshim_plat_user_range_writable(mmshim_uptr addr, mmshim_size len)
{
	if (!state().may_sleep)
		fake::violation("mmshim_plat_user_range_writable in atomic context");
	return addr >= state().writable_lo && addr + len <= state().writable_hi;
}

} // extern "C"
