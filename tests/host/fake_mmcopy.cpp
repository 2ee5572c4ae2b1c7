// SPDX-License-Identifier: GPL-2.0
// fake_mmcopy.cpp - see fake_mmcopy.h. Checks the glue's contract: kernel
// and physical reads stay inside one page (the core copies a page at a
// time), user reads only where sleeping is allowed.
#include "fake_mmcopy.h"

#include <cstring>
#include <set>

#include <gtest/gtest.h>

#include "fake_platform.h"

namespace fake {
namespace {

struct Copy {
	std::set<std::uintptr_t> kernel_faults; // page addresses
	std::uintptr_t user_fault_from = 0;
	std::set<unsigned long long> frame_faults;
	unsigned long calls = 0;
	unsigned online = 1;
	std::vector<mmshim_ram_range> ranges{{0x1, 0x9e}, {0x100, 0x3fee0}, {0x40000, 0x100}, {0x100000, 0x40000}};
	unsigned long range_calls = 0;
	unsigned grow = 0;
};

Copy &copy()
{
	static Copy c;
	return c;
}

void rule(bool ok, const char *what)
{
	if (!ok)
		ADD_FAILURE() << "platform rule broken: " << what;
}

} // namespace

void mmcopy_reset() { copy() = Copy{}; }
unsigned char kernel_byte(std::uintptr_t va) { return static_cast<unsigned char>(va * 7 + 3); }
unsigned char user_byte(std::uintptr_t va) { return static_cast<unsigned char>(va * 11 + 1); }
unsigned char frame_byte(unsigned long long pa) { return static_cast<unsigned char>(pa * 13 + 5); }
void fault_kernel_page(std::uintptr_t va) { copy().kernel_faults.insert(va & ~std::uintptr_t(0xfff)); }
void fault_user_from(std::uintptr_t va) { copy().user_fault_from = va; }
void fault_frame(unsigned long long pfn) { copy().frame_faults.insert(pfn); }
unsigned long copy_calls() { return copy().calls; }
void set_online_nodes(unsigned count) { copy().online = count; }
void set_ram_ranges(const std::vector<mmshim_ram_range> &ranges) { copy().ranges = ranges; }
unsigned long ram_range_calls() { return copy().range_calls; }
void grow_ram_ranges_before_fetch(unsigned extra) { copy().grow = extra; }

} // namespace fake

extern "C" {

int mmshim_plat_copy_kernel_nofault(void *dst, const void *src, mmshim_size size)
{
	auto &c = fake::copy();
	c.calls++;
	const auto a = reinterpret_cast<std::uintptr_t>(src);
	fake::rule(size && (a >> 12) == ((a + size - 1) >> 12), "kernel read across a page boundary");
	if (c.kernel_faults.count(a & ~std::uintptr_t(0xfff)))
		return 1;
	for (mmshim_size i = 0; i < size; i++)
		static_cast<unsigned char *>(dst)[i] = fake::kernel_byte(a + i);
	return 0;
}

mmshim_size mmshim_plat_copy_from_user(void *dst, mmshim_uptr src, mmshim_size size)
{
	auto &c = fake::copy();
	c.calls++;
	fake::rule(mmshim_plat_may_sleep(), "copy_from_user where sleeping is not allowed");
	for (mmshim_size i = 0; i < size; i++) {
		if (c.user_fault_from && src + i >= c.user_fault_from)
			return size - i;
		static_cast<unsigned char *>(dst)[i] = fake::user_byte(src + i);
	}
	return 0;
}

int mmshim_plat_copy_from_frame(void *dst, unsigned long long pfn, mmshim_size offset, mmshim_size size)
{
	auto &c = fake::copy();
	c.calls++;
	fake::rule(size && offset < 4096 && size <= 4096 - offset, "frame read outside the frame");
	fake::rule(mmshim_plat_pfn_is_ram(pfn), "frame read of device memory");
	if (c.frame_faults.count(pfn))
		return 1;
	for (mmshim_size i = 0; i < size; i++)
		static_cast<unsigned char *>(dst)[i] = fake::frame_byte((pfn << 12) + offset + i);
	return 0;
}

mmshim_size mmshim_plat_ram_ranges(struct mmshim_ram_range *ranges, mmshim_size max)
{
	auto &c = fake::copy();
	c.range_calls++;
	if (max && c.grow) {
		for (unsigned i = 0; i < c.grow; i++)
			c.ranges.push_back({0x200000 + 0x1000ULL * i, 0x10});
		c.grow = 0;
	}
	for (mmshim_size i = 0; i < c.ranges.size() && i < max; i++)
		ranges[i] = c.ranges[i];
	return c.ranges.size();
}

int mmshim_plat_node_online(unsigned int node) { return node < fake::copy().online; }

} // extern "C"
