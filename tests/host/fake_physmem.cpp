// SPDX-License-Identifier: GPL-2.0
// fake_physmem.cpp - see fake_physmem.h. Checks the same context rules as
// the real glue (sleeping calls only where mmshim_plat_may_sleep()).
#include "fake_physmem.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>

#include "fake_platform.h"
#include "platform.h"

namespace fake {
namespace {

struct Phys {
	std::vector<unsigned long long> script;
	unsigned long long next = 0x1000;
	bool fail_armed = false;
	unsigned fail_skip = 0;
	std::set<unsigned long long> live;
	std::map<unsigned long long, unsigned> cache;
	unsigned last_flags = 0;
	std::unordered_map<void *, std::pair<unsigned long long, std::size_t>> ioremaps;
	unsigned long long next_io = 0xffffc90080000000ULL;
	bool conflict_next = false;
	unsigned long long ram_end = 0; // first frame that is not RAM (0: no limit)
	std::size_t spare = ~std::size_t(0); // pages the platform lets mmshim take
	unsigned long long allocs = 0;  // page allocator calls
	int last_node = -1;             // node of the last page allocation
};

Phys &phys()
{
	static Phys p;
	return p;
}

void rule(bool ok, const char *what)
{
	if (!ok)
		ADD_FAILURE() << "platform rule broken: " << what;
}

} // namespace

void physmem_reset() { phys() = Phys{}; }
void script_frames(const std::vector<unsigned long long> &pfns) { phys().script = pfns; }
void fail_pages_after(unsigned skip)
{
	phys().fail_armed = true;
	phys().fail_skip = skip;
}
std::size_t live_pages() { return phys().live.size(); }
void set_ram_end(unsigned long long pfn) { phys().ram_end = pfn; }
void set_spare_pages(std::size_t pages) { phys().spare = pages; }
unsigned long long page_alloc_calls() { return phys().allocs; }
unsigned frame_cache(unsigned long long pfn)
{
	auto it = phys().cache.find(pfn);
	return it == phys().cache.end() ? unsigned(MMSHIM_CACHE_WB) : it->second;
}
unsigned last_page_flags() { return phys().last_flags; }
int last_page_node() { return phys().last_node; }
std::size_t live_ioremaps() { return phys().ioremaps.size(); }
void ioremap_conflict_next() { phys().conflict_next = true; }

} // namespace fake

extern "C" {

enum mmshim_phys_kind mmshim_plat_phys_kind(unsigned long long phys, unsigned long long size)
{
	unsigned ram = 0, all = 0;
	const unsigned long long end = fake::phys().ram_end << 12;
	if (end && phys >= end)
		return MMSHIM_PHYS_DEVICE;
	if (size > (1ULL << 32))
		return MMSHIM_PHYS_MIXED; // too large to walk; RAM and more
	for (unsigned long long pa = phys & ~0xfffULL; pa < phys + size; pa += 4096, all++)
		ram += mmshim_plat_pfn_is_ram(pa >> 12) != 0;
	return ram == 0 ? MMSHIM_PHYS_DEVICE : ram == all ? MMSHIM_PHYS_RAM : MMSHIM_PHYS_MIXED;
}

unsigned long long mmshim_plat_phys_limit(void) { return 1ULL << 46; }

void *mmshim_plat_ioremap(unsigned long long phys, mmshim_size size, unsigned int cache, int read_only,
			  int *conflict, void **handle)
{
	(void)cache;
	(void)read_only;
	fake::rule(mmshim_plat_may_sleep(), "mmshim_plat_ioremap in atomic context");
	fake::rule((phys & 0xfff) == 0 && (size & 0xfff) == 0 && size, "ioremap of an unaligned range");
	fake::rule(mmshim_plat_phys_kind(phys, size) == MMSHIM_PHYS_DEVICE, "ioremap of RAM");
	*conflict = 0;
	auto &p = fake::phys();
	if (p.conflict_next) {
		p.conflict_next = false;
		*conflict = 1;
		return nullptr;
	}
	void *va = reinterpret_cast<void *>(p.next_io);
	p.next_io += size + 4096;
	p.ioremaps[va] = {phys, size};
	*handle = va;
	return va;
}

void mmshim_plat_iounmap(void *handle)
{
	fake::rule(fake::phys().ioremaps.erase(handle) == 1, "mmshim_plat_iounmap of an unknown handle");
}

int mmshim_plat_kva_cache(const void *va)
{
	const auto a = reinterpret_cast<unsigned long long>(va);
	if (a < fake::kLinearBase || a >= fake::kLinearBase + (1ULL << 40))
		return -1;
	return static_cast<int>(fake::frame_cache((a - fake::kLinearBase) >> 12));
}

int mmshim_plat_pages_alloc(unsigned int order, unsigned int flags, unsigned long long *pfn, int node)
{
	auto &p = fake::phys();
	p.last_node = node;
	if (node >= 0 && !mmshim_plat_node_online(static_cast<unsigned>(node)))
		return 0;
	fake::rule((flags & MMSHIM_PAGES_ATOMIC) || mmshim_plat_may_sleep(),
		   "sleeping page allocation in atomic context");
	p.last_flags = flags;
	p.allocs++;
	if (p.spare != ~std::size_t(0) && p.live.size() + (1ULL << order) > p.spare)
		return 0; // out of memory
	if (p.fail_armed) {
		if (p.fail_skip == 0)
			return 0;
		p.fail_skip--;
	}
	const unsigned long long n = 1ULL << order;
	unsigned long long first;
	if (order == 0 && !p.script.empty()) {
		first = p.script.front();
		p.script.erase(p.script.begin());
	} else {
		p.next = (p.next + n - 1) & ~(n - 1); // naturally aligned
		first = p.next;
		p.next += n;
	}
	for (unsigned long long i = 0; i < n; i++)
		fake::rule(p.live.insert(first + i).second, "page handed out twice");
	*pfn = first;
	return 1;
}

void mmshim_plat_page_free(unsigned long long pfn)
{
	fake::rule(fake::phys().live.erase(pfn) == 1, "free of a page not allocated");
	fake::rule(fake::frame_cache(pfn) == MMSHIM_CACHE_WB, "page freed while not write-back");
}

unsigned int mmshim_plat_pages_max_order(void) { return 10; }

void mmshim_plat_pages_split(unsigned long long pfn, unsigned int order)
{
	for (unsigned long long i = 0; i < (1ULL << order); i++)
		fake::rule(fake::phys().live.count(pfn + i) == 1, "split of a page not allocated");
}

void mmshim_plat_pages_free_whole(unsigned long long pfn, unsigned int order)
{
	for (unsigned long long i = 0; i < (1ULL << order); i++)
		mmshim_plat_page_free(pfn + i);
}

void mmshim_plat_page_zero(unsigned long long pfn)
{
	fake::rule(fake::phys().live.count(pfn) == 1, "zeroing a page not allocated");
}

mmshim_size mmshim_plat_pages_spare(void)
{
	const auto &p = fake::phys();
	if (p.spare == ~std::size_t(0))
		return ~mmshim_size(0) >> 1;
	return p.live.size() < p.spare ? p.spare - p.live.size() : 0;
}

int mmshim_plat_pages_set_cache(unsigned long long pfn, mmshim_size count, unsigned int cache)
{
	fake::rule(mmshim_plat_may_sleep(), "set_memory_* in atomic context");
	for (mmshim_size i = 0; i < count; i++) {
		fake::rule(fake::phys().live.count(pfn + i) == 1, "set_memory_* on a page not allocated");
		fake::phys().cache[pfn + i] = cache;
	}
	return 0;
}

void mmshim_plat_pages_release(void *block, const unsigned long long *pfns, mmshim_size count,
			       unsigned int cache)
{
	fake::rule(reinterpret_cast<const char *>(pfns) >=
			   static_cast<const char *>(block) + MMSHIM_PAGES_RELEASE_SCRATCH,
		   "frames inside the glue's scratch space");
	// Non-cached releases in atomic context are deferred by the real glue;
	// the fake runs them at once.
	for (mmshim_size i = 0; i < count; i++) {
		if (cache != MMSHIM_CACHE_WB)
			fake::phys().cache[pfns[i]] = MMSHIM_CACHE_WB;
		mmshim_plat_page_free(pfns[i]);
	}
	mmshim_plat_free(block);
}

int mmshim_plat_numa_node(void) { return 0; }

int mmshim_plat_kva_readable(const void *va)
{
	// The fake linear map, and the fake heap (pool blocks are readable).
	return mmshim_plat_kva_cache(va) >= 0 || fake::heap_readable(va, 1);
}

} // extern "C"

// MmshimSehSave is assembly in src/glue/seh_x86_64.S; the routine table
// (src/core/routines.cpp) only takes its address, which is all the host
// needs. Never called on the host.
#include <mmshim/seh.h>
extern "C" int MmshimSehSave(PMMSHIM_SEH_FRAME Frame)
{
	(void)Frame;
	ADD_FAILURE() << "MmshimSehSave called on the host";
	return 0;
}
