// SPDX-License-Identifier: GPL-2.0
// fake_mmextra.cpp - see fake_mmextra.h.
#include "fake_mmextra.h"
#include "platform.h"

#include <gtest/gtest.h>

#include <map>

namespace fake {
namespace {

struct MmExtra {
	std::map<unsigned long, unsigned> access; // page address -> MMSHIM_ACCESS_*
	unsigned long calls = 0;
	bool fail_next = false;
	unsigned long long ram_pages = 1ULL << 18; // 1 GiB
};

MmExtra &mm()
{
	static MmExtra m;
	return m;
}

} // namespace

void mmextra_reset() { mm() = MmExtra{}; }
int kva_access(unsigned long va)
{
	auto it = mm().access.find(va & ~0xfffUL);
	return it == mm().access.end() ? -1 : static_cast<int>(it->second);
}
unsigned long kva_protect_calls() { return mm().calls; }
void kva_protect_fail_next() { mm().fail_next = true; }
void set_total_ram_pages(unsigned long long pages) { mm().ram_pages = pages; }

} // namespace fake

extern "C" int mmshim_plat_kva_protect(mmshim_uptr va, mmshim_size pages, unsigned int access)
{
	auto &m = fake::mm();
	m.calls++;
	if (va & 0xfff)
		ADD_FAILURE() << "mmshim_plat_kva_protect of an unaligned address";
	if (va < mmshim_plat_kernel_space_start())
		ADD_FAILURE() << "mmshim_plat_kva_protect of a user address";
	if (access > MMSHIM_ACCESS_RW)
		return -22;
	if (m.fail_next) {
		m.fail_next = false;
		return -22;
	}
	for (mmshim_size i = 0; i < pages; i++)
		m.access[va + i * 4096] = access;
	return 0;
}

extern "C" unsigned long long mmshim_plat_total_ram_pages(void)
{
	return fake::mm().ram_pages;
}
