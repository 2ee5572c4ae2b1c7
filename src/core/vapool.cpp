// SPDX-License-Identifier: GPL-2.0
// vapool.cpp - which pages of the atomic-context VA pool are free, mapped,
// or unmapped but possibly still in some CPU's TLB.
//
// A page goes free -> used (map) -> dirty (unmap: PTEs cleared, flush
// requested) -> flushing (the flush worker started) -> free (all TLBs
// flushed). Only free pages are handed out, so a new mapping never meets a
// stale translation, and mapping needs neither allocation nor a TLB flush.
#include "vapool.h"

namespace mmshim::vapool {
namespace {

enum : unsigned char { kFree = 0, kUsed = 1, kDirty = 2, kFlushing = 3 };

constinit unsigned char g_state[kPages] = {};
constinit uptr g_base = 0;

} // namespace

int init()
{
	for (auto &s : g_state)
		s = kFree;
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
	{
		LockGuard guard(MMSHIM_LOCK_VAPOOL);
		uptr run = 0;
		for (uptr i = 0; i < kPages; i++) {
			run = g_state[i] == kFree ? run + 1 : 0;
			if (run == count) {
				found = i + 1 - count;
				break;
			}
		}
		if (found == kPages)
			return 0;
		for (uptr i = 0; i < count; i++)
			g_state[found + i] = kUsed;
	}
	mmshim_plat_vapool_map(found, reinterpret_cast<const unsigned long long *>(pfns), count, read_only);
	*index = found;
	return g_base + found * kPageSize;
}

void unmap(uptr index, uptr count)
{
	// Entries cleared before the pages count as dirty, and the flush is
	// requested after: a flush that frees them always follows the clear.
	mmshim_plat_vapool_unmap(index, count);
	{
		LockGuard guard(MMSHIM_LOCK_VAPOOL);
		for (uptr i = 0; i < count; i++)
			g_state[index + i] = kDirty;
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

} // namespace mmshim::vapool

using namespace mmshim;

extern "C" void mmshim_core_vapool_flush_begin(void)
{
	LockGuard guard(MMSHIM_LOCK_VAPOOL);
	for (auto &s : vapool::g_state)
		if (s == vapool::kDirty)
			s = vapool::kFlushing;
}

extern "C" void mmshim_core_vapool_flush_end(void)
{
	LockGuard guard(MMSHIM_LOCK_VAPOOL);
	for (auto &s : vapool::g_state)
		if (s == vapool::kFlushing)
			s = vapool::kFree;
}

extern "C" SIZE_T MmshimAtomicMapFreePages(VOID)
{
	return vapool::free_pages();
}
