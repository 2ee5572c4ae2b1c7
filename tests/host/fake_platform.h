// SPDX-License-Identifier: GPL-2.0
// fake_platform.h - the user-space stand-in for src/glue/ used by the host
// tests: fake_platform.cpp implements every function of src/platform.h, and
// this header is the control panel the tests use to shape that fake world.
//
// The fake is deliberately strict and a little hostile, so that the tests
// can fail when the core is wrong:
//   * mmshim_plat_alloc returns blocks that are 8-byte aligned but never
//     16-byte aligned (the platform only promises 8), and fills them with
//     0xA5 unless MMSHIM_ALLOC_ZERO is asked for. Blocks are exactly the size
//     requested, so ASan catches any overrun by the core.
//   * MDL cache objects are filled with 0x5A (kmem_cache does not zero).
//   * Allocations above the kmalloc/kvmalloc limits fail, like Linux.
//   * Context rules are checked: a sleeping allocation (no
//     MMSHIM_ALLOC_ATOMIC / non-atomic cache alloc) while the caller can't
//     sleep or holds a core lock, an unlock of a lock not held, a free of a
//     pointer the fake never returned ... each adds a "violation". Taking a
//     core lock that is already held aborts (it would deadlock in the
//     kernel).
//   * Kernel virtual addresses mean nothing on the host, so tests declare
//     the "kernel" ranges MmBuildMdlForNonPagedPool may describe, with their
//     kind and page frames; everything else is unmapped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <functional>
#include <vector>

namespace fake {

using uptr = std::uintptr_t;

// What Linux x86-64 reports (TASK_SIZE_MAX rounded): every host heap, stack
// and image address is below it, i.e. "user" to the core.
inline constexpr uptr kLinuxKernelSpaceStart = 0x0000800000000000ULL;
// What reset() installs: host heap pointers count as kernel addresses (so
// pool blocks can be freed), while NULL and tiny constants stay "user".
inline constexpr uptr kHostKernelSpaceStart = 0x10000;

inline constexpr std::size_t kPageSize = 4096;

// kmalloc's largest block (x86-64 SLUB, order-10 pages): the limit for
// MMSHIM_ALLOC_ATOMIC; kvmalloc's INT_MAX for sleeping allocations.
inline constexpr std::size_t kAtomicAllocLimit = std::size_t{4} << 20;
inline constexpr std::size_t kSleepingAllocLimit = 0x7fffffff;

inline constexpr unsigned char kAllocFill = 0xA5;
inline constexpr unsigned char kCacheFill = 0x5A;

// Forget everything: reports, ranges, I/O frames, fault injection, counters,
// violations; may_sleep = true; kernel space start = kHostKernelSpaceStart.
// Live allocations must already be gone (the core was shut down).
void reset();

// ---- context ---------------------------------------------------------------
// What mmshim_plat_may_sleep() returns while no core lock is held (with a
// core lock held it always returns 0, like preemptible() under a spinlock).
void set_may_sleep(bool may_sleep);
void set_kernel_space_start(uptr start);
// User range [lo, hi) that mmshim_plat_user_range_writable accepts.
void set_user_writable(uptr lo, uptr hi);
// User range that can be pinned for reading only (a read-only mapping).
void set_user_readable(uptr lo, uptr hi);
// Kernel range that mmshim_plat_kva_writable says is read-only.
void set_kva_read_only(uptr lo, uptr hi);
// User pins: pfns are kUserPfnBase + (va >> 12); the process is kFakeProcess.
constexpr unsigned long long kUserPfnBase = 0x800000;
constexpr unsigned long kFakeProcess = 0x5eed;
std::size_t live_pins();
// Unmaps and unpins asked for in atomic context are queued (the platform
// returns 0) until run_deferred() does them and tells the core.
std::size_t deferred_count();
void run_deferred();
// Run @hook inside the next mmshim_plat_map_frames, standing in for another
// thread acting while that mapping is being built.
void during_next_map(std::function<void()> hook); // also reserve and user maps
// Run @hook inside the next mmshim_plat_frames_ram: after a map call's flag
// checks, before it registers its mapping.
void during_next_check(std::function<void()> hook);
void fire_during_map(); // for fake_usermap.cpp: run the during_next_map hook
// Run @hook at the start of the next mmshim_plat_pfn_is_ram (MmProbeAndLockPages
// of kernel memory asks it once the lock record is entered).
void during_next_pfn_is_ram(std::function<void()> hook);
// System mappings: linear-map addresses are kLinearBase + (pfn << 12);
// other mappings get a fresh page-aligned address (their handle).
constexpr unsigned long long kLinearBase = 0xffff888000000000ULL;
constexpr unsigned long long kVmapBase = 0xffffc90040000000ULL;
std::size_t live_mappings();
bool mapping_read_only(const void *va);
std::vector<unsigned long long> mapping_pfns(const void *va);
void fail_next_maps(unsigned count);
// mmshim_plat_map_frames calls the core gave a page-array scratch block.
unsigned long scratch_maps();
// The atomic-context VA pool: entries are pfn (bit 63 = read-only), 0 = empty.
constexpr unsigned long long kVapoolBase = 0xffffc900c0000000ULL;
unsigned long long vapool_pte(std::size_t index);
unsigned long vapool_flush_requests();
void run_vapool_flush(); // what the glue's flush worker does
// Whether the context allows a synchronous flush (interrupts on), and how
// many the core did (mmshim_plat_vapool_flush_now).
void set_vapool_sync_flush(bool allowed);
unsigned long vapool_sync_flushes();

// Reserved mappings: ranges from kReserveBase on; entries are pfns, 0 = empty.
constexpr unsigned long long kReserveBase = 0xffffc90200000000ULL;
std::size_t live_reservations();
unsigned long long reserve_pte(uptr va); // the entry for va's page
unsigned long reserve_maps();
unsigned reserve_cache(); // MMSHIM_CACHE_* of the last reserve map
// Reserved maps made read-only (mmshim_plat_reserve_map_ro), and holds on a
// process (mmshim_plat_process_hold) not yet released.
unsigned long reserve_maps_ro();
long process_holds(void *process);
unsigned long reserve_unmaps();
void fail_next_reserve_creates(unsigned count);

const std::vector<std::pair<unsigned long, bool>> &unpins(); // (pages, dirty) per unpin
long page_refs(unsigned long long pfn); // references mmshim holds
// Contexts the core asked to resume at (the host never jumps).
const std::vector<const unsigned long *> &seh_resumes();

// ---- kernel address space ----------------------------------------------------
enum class Kind { kDirect, kVmalloc, kStack };

// [va, va + len): linear map, pfn of page i = base_pfn + i.
void map_direct(uptr va, std::size_t len, unsigned long long base_pfn);
// Page-aligned va, one frame per page, in any order (vmalloc scatters them).
void map_vmalloc(uptr va, const std::vector<unsigned long long> &pfns);
// [va, va + len) is the current task's stack.
void map_stack(uptr va, std::size_t len);
// @pfn is not RAM (I/O space): mmshim_plat_pfn_is_ram() says 0.
void add_io_pfn(unsigned long long pfn);
// How many times mmshim_plat_kva_to_pfn() was asked.
unsigned long kva_lookups();

// ---- fault injection -------------------------------------------------------
// Of the next allocations (mmshim_plat_alloc and mmshim_plat_mdl_cache_alloc
// alike), let @skip succeed, then fail @count.
void fail_allocs(unsigned skip, unsigned count);
inline void fail_next_allocs(unsigned count) { fail_allocs(0, count); }
// Make the next mmshim_plat_mdl_cache_create() fail.
void fail_cache_create();

// ---- allocation bookkeeping -------------------------------------------------
std::size_t live_allocs();         // blocks from mmshim_plat_alloc not yet freed
// Non-zero if [va, va + len) lies inside a live mmshim_plat_alloc block.
bool heap_readable(const void *va, std::size_t len);
std::size_t live_alloc_bytes();
std::size_t live_cache_objects();  // MDL cache objects not yet freed
bool cache_exists();
std::size_t cache_object_size();
unsigned long alloc_calls();       // mmshim_plat_alloc calls, failed ones included
unsigned long cache_alloc_calls();
std::size_t last_alloc_size();     // as requested, failed ones included
unsigned last_alloc_flags();
int last_cache_alloc_atomic();
std::size_t largest_alloc_request();

// ---- locks -------------------------------------------------------------------
unsigned locks_held();             // core locks held right now
unsigned long lock_acquisitions();

// ---- reports and log ---------------------------------------------------------
struct Report {
	unsigned code;
	std::string code_name;
	unsigned long params[4];
	std::string routine;
	std::string what;
	void *caller;
	unsigned sequence;
	unsigned locks_held; // core locks held while reporting
};
const std::vector<Report> &reports();
void clear_reports();

// ---- context-rule violations found by the fake -------------------------------
const std::vector<std::string> &violations();

// ---- user-mode mappings (fake_usermap.cpp) -------------------------------
// The current process (mmshim_plat_current_process); nullptr = a kernel
// thread. usermap_reset() restores kFakeProcess and forgets all mappings.
void *current_process();
void set_current_process(void *process);
void usermap_reset();
inline constexpr uptr kUserMapBase = 0x7f0000000000ULL;
inline constexpr uptr kUserSpaceEnd = 0x00007ffffffff000ULL;
void fail_next_usermap(int error); // enum mmshim_usermap_error
bool user_mapping_live(uptr base);
bool user_mapping_revoked(uptr base); // page-table entries removed by mmshim
bool user_mapping_read_only(uptr base);
int user_mapping_cache(uptr base); // MMSHIM_CACHE_*, -1 if unknown
std::vector<unsigned long long> user_mapping_pfns(uptr base);
void process_drops_user_mapping(uptr base); // munmap by the process, or its exit
std::size_t live_user_handles();           // not yet released by the core
unsigned long user_unmaps();               // owner unmaps done

} // namespace fake
