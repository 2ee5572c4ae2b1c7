// SPDX-License-Identifier: GPL-2.0
// vapool.cpp - which pages of the atomic-context VA pool are free, mapped,
// or unmapped but possibly still in some CPU's TLB.
//
// A page goes free -> used (map) -> dirty (unmap: PTEs cleared, stamped
// with the current flush epoch) -> free, once a TLB flush of every CPU that
// started after it was dirtied has finished. Only free pages are handed
// out, so a new mapping never meets a stale translation, and mapping needs
// neither allocation nor a TLB flush.
//
// Flushes: the glue's worker (requested by every unmap), and a synchronous
// one when map() finds no free run and the context allows a cross-CPU
// flush (interrupts enabled, not hard IRQ; see mmshim_plat_vapool_flush_now):
// a DPC or a spinlock holder mapping and unmapping in a loop gets its pages
// back at once, as Windows gives system PTEs back on unmap. Each flush takes
// an epoch E (and advances the epoch) before it starts; when it has finished
// on every CPU, the pages dirtied in epochs <= E are free. Flushes may
// overlap (worker and map() on two CPUs): each frees only what it covered.
#include "vapool.h"

namespace mmshim::vapool {
namespace {

enum : unsigned char { kFree = 0, kUsed = 1, kDirty = 2 };

constinit unsigned char g_state[kPages] = {};
constinit ULONG g_dirty_epoch[kPages] = {}; // for kDirty pages
constinit ULONG g_epoch = 0;                // pages dirtied now get this epoch
constinit ULONG g_worker_epoch = 0;         // the worker's flush (begin..end)
constinit uptr g_cursor = 0;              // next-fit start
constinit uptr g_base = 0;
constinit uptr g_sync_flushes = 0;

// A run of `count` free pages, searched from the cursor on, then from the
// start; kPages if none. Caller holds MMSHIM_LOCK_VAPOOL.
uptr find_run(uptr count)
{
	for (int pass = 0; pass < 2; pass++) {
		const uptr from = pass == 0 ? g_cursor : 0;
		const uptr to = pass == 0 ? kPages : (g_cursor + count < kPages ? g_cursor + count : kPages);
		uptr run = 0;
		for (uptr i = from; i < to; i++) {
			run = g_state[i] == kFree ? run + 1 : 0;
			if (run == count)
				return i + 1 - count;
		}
	}
	return kPages;
}

// Start a flush: returns its epoch. Caller holds MMSHIM_LOCK_VAPOOL.
ULONG begin_locked()
{
	return g_epoch++;
}

// A flush that began with `epoch` has finished on every CPU: the pages
// dirtied up to that epoch are free. Caller holds MMSHIM_LOCK_VAPOOL.
void end_locked(ULONG epoch)
{
	for (uptr i = 0; i < kPages; i++)
		if (g_state[i] == kDirty && static_cast<int>(g_dirty_epoch[i] - epoch) <= 0)
			g_state[i] = kFree;
}

bool any_dirty_locked()
{
	for (auto s : g_state)
		if (s == kDirty)
			return true;
	return false;
}

// Flush every CPU's TLB now, from this context if it allows it, and free
// what the flush covered. False if nothing was dirty or the flush could not
// be done here.
bool reclaim_now()
{
	ULONG epoch;
	{
		LockGuard guard(MMSHIM_LOCK_VAPOOL);
		if (!any_dirty_locked())
			return false;
		epoch = begin_locked();
	}
	// Outside the lock: other CPUs must be able to take it (with
	// interrupts off) while this CPU waits for their answers.
	if (mmshim_plat_vapool_flush_now() != 0)
		return false; // the dirty pages stay dirty; the worker frees them
	LockGuard guard(MMSHIM_LOCK_VAPOOL);
	end_locked(epoch);
	g_sync_flushes++;
	return true;
}

} // namespace

int init()
{
	for (auto &s : g_state)
		s = kFree;
	g_cursor = 0;
	g_base = reinterpret_cast<uptr>(mmshim_plat_vapool_create(kPages));
	return g_base ? 0 : -MMSHIM_ENOMEM;
}

void exit()
{
	mmshim_plat_vapool_destroy();
	g_base = 0;
}

uptr map(const PFN_NUMBER *pfns, uptr count, bool read_only, uptr *index)
{
	if (!g_base || count == 0 || count > kPages)
		return 0;
	uptr found = kPages;
	for (int attempt = 0; attempt < 2 && found == kPages; attempt++) {
		if (attempt == 1 && !reclaim_now())
			break;
		LockGuard guard(MMSHIM_LOCK_VAPOOL);
		found = find_run(count);
		if (found == kPages)
			continue;
		for (uptr i = 0; i < count; i++)
			g_state[found + i] = kUsed;
		g_cursor = found + count < kPages ? found + count : 0;
	}
	if (found == kPages)
		return 0;
	mmshim_plat_vapool_map(found, reinterpret_cast<const unsigned long long *>(pfns), count, read_only);
	*index = found;
	return g_base + found * kPageSize;
}

void unmap(uptr index, uptr count)
{
	// Entries are cleared before the pages are stamped dirty, and a flush
	// takes its epoch after that under the same lock: a flush that frees
	// them always started after the clear.
	mmshim_plat_vapool_unmap(index, count);
	{
		LockGuard guard(MMSHIM_LOCK_VAPOOL);
		for (uptr i = 0; i < count; i++) {
			g_state[index + i] = kDirty;
			g_dirty_epoch[index + i] = g_epoch;
		}
	}
	mmshim_plat_vapool_request_flush();
}

uptr free_pages()
{
	LockGuard guard(MMSHIM_LOCK_VAPOOL);
	uptr n = 0;
	for (auto s : g_state)
		n += s == kFree;
	return n;
}

uptr sync_flushes()
{
	LockGuard guard(MMSHIM_LOCK_VAPOOL);
	return g_sync_flushes;
}

} // namespace mmshim::vapool

using namespace mmshim;

extern "C" void mmshim_core_vapool_flush_begin(void)
{
	LockGuard guard(MMSHIM_LOCK_VAPOOL);
	vapool::g_worker_epoch = vapool::begin_locked();
}

extern "C" void mmshim_core_vapool_flush_end(void)
{
	LockGuard guard(MMSHIM_LOCK_VAPOOL);
	vapool::end_locked(vapool::g_worker_epoch);
}

extern "C" SIZE_T MmshimAtomicMapFreePages(VOID)
{
	return vapool::free_pages();
}
