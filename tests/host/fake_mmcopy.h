// SPDX-License-Identifier: GPL-2.0
// fake_mmcopy.h - the host stand-in for src/glue/mmcopy.c: fault-safe reads
// of a fake kernel, user and physical memory whose bytes are a function of
// their address, pages that fault, the System RAM ranges, and online NUMA
// nodes.
#pragma once

#include <cstdint>
#include <vector>

#include "platform.h"

namespace fake {

// Forget mmcopy state: nothing faults, node 0 is the only node, RAM ranges
// are the default ones below.
void mmcopy_reset();
// What the fake memory holds at each address.
unsigned char kernel_byte(std::uintptr_t va);
unsigned char user_byte(std::uintptr_t va);
unsigned char frame_byte(unsigned long long pa);
// Reads of the kernel page holding @va fault (copy_from_kernel_nofault fails).
void fault_kernel_page(std::uintptr_t va);
// User reads at or above @va fault (0: none do).
void fault_user_from(std::uintptr_t va);
// Reads of frame @pfn fault.
void fault_frame(unsigned long long pfn);
// Reads asked of the glue (any kind).
unsigned long copy_calls();
// Nodes 0 .. @count - 1 are online.
void set_online_nodes(unsigned count);
// NUMA node of the last page allocation (-1: none asked).
int last_page_node();
// The System RAM ranges mmshim_plat_ram_ranges reports.
void set_ram_ranges(const std::vector<mmshim_ram_range> &ranges);
// Calls of mmshim_plat_ram_ranges.
unsigned long ram_range_calls();
// Before the next mmshim_plat_ram_ranges with room, add this many ranges
// (memory hot-plugged between the count and the fetch).
void grow_ram_ranges_before_fetch(unsigned extra);

} // namespace fake
