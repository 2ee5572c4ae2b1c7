// SPDX-License-Identifier: GPL-2.0
// fake_dma.cpp - see fake_dma.h. Checks the glue's contract: sleeping calls
// (mask, coherent memory, the last put_device) only where sleeping is
// allowed, unmaps that match a live mapping exactly, nothing left behind.
#include "fake_dma.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "fake_platform.h"

namespace fake {
namespace {

struct Sg { // what the fake keeps in the glue's scatterlist state
	unsigned long long bus;
	unsigned length;
	unsigned pad;
};

struct Dma {
	std::map<void *, long> refs;
	std::map<void *, unsigned> masks;
	unsigned refuse_below = 0;
	unsigned fail_maps = 0;
	unsigned fail_coherent = 0;
	bool merge = false;
	std::vector<DmaMapping> maps;
	std::map<void *, std::pair<void *, std::size_t>> coherent; // va -> (dev, size)
	unsigned long unmaps = 0;
	std::vector<DmaRange> ranges;
	unsigned fail_ranges = 0;
	std::map<unsigned long long, std::vector<unsigned char>> frames;
	unsigned long copies = 0;
	std::map<void *, unsigned long long> low_bus; // alloc_coherent_below: va -> bus
	unsigned below_bits = 0;                     // the last mask width asked for
	bool below_ignores_mask = false;
};

unsigned long long bus_of(Dma &d, void *va)
{
	auto it = d.low_bus.find(va);
	if (it != d.low_bus.end())
		return it->second;
	return kIovaBase + 0x100000000ULL + reinterpret_cast<std::uintptr_t>(va) % 0x100000000ULL;
}

Dma &dma()
{
	static Dma d;
	return d;
}

void rule(bool ok, const char *what)
{
	if (!ok)
		ADD_FAILURE() << "platform rule broken: " << what;
}

} // namespace

void dma_reset()
{
	Dma &d = dma();
	for (auto &[va, unused] : d.coherent)
		std::free(va);
	d = Dma{};
}
long dma_device_refs(void *dev) { return dma().refs.count(dev) ? dma().refs[dev] : 0; }
unsigned dma_mask_bits(void *dev) { return dma().masks.count(dev) ? dma().masks[dev] : 0; }
void dma_refuse_masks_below(unsigned bits) { dma().refuse_below = bits; }
void dma_fail_maps(unsigned count) { dma().fail_maps = count; }
void dma_merge(bool merge) { dma().merge = merge; }
void dma_fail_coherent(unsigned count) { dma().fail_coherent = count; }
const std::vector<DmaMapping> &dma_mappings() { return dma().maps; }
std::size_t dma_live_coherent() { return dma().coherent.size(); }
unsigned long dma_unmaps() { return dma().unmaps; }
unsigned dma_coherent_below_bits() { return dma().below_bits; }
void dma_coherent_below_ignores_mask(bool ignore) { dma().below_ignores_mask = ignore; }
const std::vector<DmaRange> &dma_ranges() { return dma().ranges; }
void dma_fail_ranges(unsigned count) { dma().fail_ranges = count; }
unsigned long dma_frame_copies() { return dma().copies; }
unsigned char *dma_frame(unsigned long long pfn)
{
	auto &f = dma().frames[pfn];
	if (f.empty())
		f.assign(4096, 0);
	return f.data();
}
unsigned char *dma_coherent_at(unsigned long long bus)
{
	for (auto &[va, ds] : dma().coherent) {
		const unsigned long long base = bus_of(dma(), va);
		if (bus >= base && bus < base + ds.second)
			return static_cast<unsigned char *>(va) + (bus - base);
	}
	return nullptr;
}

} // namespace fake

extern "C" {

void mmshim_plat_dma_get_device(void *dev)
{
	fake::dma().refs[dev]++;
}

void mmshim_plat_dma_put_device(void *dev)
{
	auto &d = fake::dma();
	fake::rule(mmshim_plat_may_sleep() && fake::locks_held() == 0, "put_device where sleeping is not allowed");
	fake::rule(d.refs[dev] > 0, "put_device without a reference");
	if (--d.refs[dev] == 0)
		d.refs.erase(dev);
}

int mmshim_plat_dma_set_mask(void *dev, unsigned int bits)
{
	auto &d = fake::dma();
	fake::rule(mmshim_plat_may_sleep() && fake::locks_held() == 0, "set_mask where sleeping is not allowed");
	fake::rule(bits >= 24 && bits <= 64, "mask width out of range");
	if (bits < d.refuse_below)
		return -5;
	d.masks[dev] = bits;
	return 0;
}

unsigned int mmshim_plat_dma_alignment(void) { return 64; }

void *mmshim_plat_dma_alloc_coherent(void *dev, mmshim_size size, unsigned long long *bus)
{
	auto &d = fake::dma();
	fake::rule(mmshim_plat_may_sleep() && fake::locks_held() == 0,
		   "dma_alloc_coherent where sleeping is not allowed");
	fake::rule(d.refs[dev] > 0, "dma_alloc_coherent for a device nobody holds");
	if (d.fail_coherent) {
		d.fail_coherent--;
		return nullptr;
	}
	void *va = std::aligned_alloc(4096, (size + 4095) & ~std::size_t{4095}); // page aligned, as Linux's
	std::memset(va, 0, size);
	d.coherent[va] = {dev, size};
	*bus = fake::kIovaBase + 0x100000000ULL + reinterpret_cast<std::uintptr_t>(va) % 0x100000000ULL;
	return va;
}

void *mmshim_plat_dma_alloc_coherent_below(void *dev, mmshim_size size, unsigned int bits, unsigned long long *bus)
{
	auto &d = fake::dma();
	fake::rule(bits >= 1 && bits <= 64, "coherent mask width out of range");
	d.below_bits = bits;
	if (bits < 24 || bits < d.refuse_below)
		return nullptr;
	void *va = mmshim_plat_dma_alloc_coherent(dev, size, bus);
	if (!va)
		return nullptr;
	// Low memory under the mask: page-aligned, at the top of the window
	// (or, to test the core's own check, above it).
	const unsigned long long top = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	unsigned long long low = ((top - size) & ~0xfffULL) - 0x1000ULL * d.low_bus.size();
	if (d.below_ignores_mask)
		low = top + 1;
	d.low_bus[va] = low;
	*bus = low;
	return va;
}

void mmshim_plat_dma_free_coherent(void *dev, mmshim_size size, void *va, unsigned long long bus)
{
	auto &d = fake::dma();
	fake::rule(mmshim_plat_may_sleep() && fake::locks_held() == 0,
		   "dma_free_coherent where sleeping is not allowed");
	auto it = d.coherent.find(va);
	fake::rule(it != d.coherent.end(), "dma_free_coherent of an unknown buffer");
	if (it == d.coherent.end())
		return;
	fake::rule(it->second.first == dev && it->second.second == size && bus == fake::bus_of(d, va),
		   "dma_free_coherent with another device, size or bus address than allocated");
	std::free(va);
	d.coherent.erase(it);
	d.low_bus.erase(va);
}

mmshim_size mmshim_plat_dma_sg_size(mmshim_size count) { return count * sizeof(fake::Sg); }

mmshim_size mmshim_plat_dma_map_runs(void *dev, void *state, const struct mmshim_dma_run *runs, mmshim_size nruns,
				     mmshim_size count, int to_device, unsigned long long *not_ram)
{
	auto &d = fake::dma();
	*not_ram = ~0ULL;
	// The runs as page fragments, as the glue walks them.
	std::vector<mmshim_dma_frag> all;
	for (mmshim_size r = 0; r < nruns; r++) {
		unsigned off = runs[r].offset;
		unsigned long left = runs[r].length;
		fake::rule(off < 4096 && left > 0, "run with an offset beyond a page or no bytes");
		for (const unsigned long long *p = runs[r].pfns; left; p++) {
			const unsigned chunk = static_cast<unsigned>(left < 4096 - off ? left : 4096 - off);
			all.push_back({*p, off, chunk});
			left -= chunk;
			off = 0;
		}
	}
	fake::rule(all.size() == count, "the fragment count does not match the runs");
	const mmshim_dma_frag *frags = all.data();
	for (mmshim_size i = 0; i < count; i++) {
		if (!mmshim_plat_pfn_is_ram(frags[i].pfn)) {
			*not_ram = frags[i].pfn;
			return 0;
		}
	}
	fake::rule(fake::locks_held() == 0, "dma_map_sg under a core lock");
	fake::rule(d.refs[dev] > 0, "dma_map_sg for a device nobody holds");
	fake::rule(count > 0, "dma_map_sg of nothing");
	fake::rule(reinterpret_cast<std::uintptr_t>(state) % 8 == 0, "scatterlist not 8-byte aligned");
	for (mmshim_size i = 0; i < count; i++)
		fake::rule(frags[i].length && frags[i].offset + frags[i].length <= 4096, "fragment crosses a page");
	if (d.fail_maps) {
		d.fail_maps--;
		return 0;
	}
	auto *sg = static_cast<fake::Sg *>(state);
	std::memset(sg, 0, count * sizeof(fake::Sg));
	mmshim_size n = 0;
	for (mmshim_size i = 0; i < count; i++) {
		const unsigned long long bus = fake::iova(frags[i].pfn, frags[i].offset);
		if (d.merge && n && sg[n - 1].bus + sg[n - 1].length == bus) {
			sg[n - 1].length += frags[i].length;
			continue;
		}
		sg[n++] = {bus, frags[i].length, 0};
	}
	d.maps.push_back({dev, state, std::vector<mmshim_dma_frag>(frags, frags + count), to_device != 0});
	return n;
}

void mmshim_plat_dma_sg_elements(const void *state, mmshim_size count, struct mmshim_dma_element *out)
{
	const auto *sg = static_cast<const fake::Sg *>(state);
	for (mmshim_size i = 0; i < count; i++)
		out[i] = {sg[i].bus, sg[i].length, 0, 0};
}

void mmshim_plat_dma_unmap_sg(void *dev, void *state, mmshim_size count, int to_device)
{
	auto &d = fake::dma();
	fake::rule(fake::locks_held() == 0, "dma_unmap_sg under a core lock");
	auto it = std::find_if(d.maps.begin(), d.maps.end(), [&](const fake::DmaMapping &m) { return m.state == state; });
	fake::rule(it != d.maps.end(), "dma_unmap_sg of a scatterlist that is not mapped");
	if (it == d.maps.end())
		return;
	fake::rule(it->dev == dev && it->frags.size() == count && it->to_device == (to_device != 0),
		   "dma_unmap_sg with another device, count or direction than mapped");
	d.maps.erase(it);
	d.unmaps++;
}

} // extern "C"

extern "C" {

int mmshim_plat_dma_map_range(void *dev, unsigned long long pfn, unsigned int offset, mmshim_size length,
			      int to_device, unsigned long long *bus)
{
	auto &d = fake::dma();
	fake::rule(fake::locks_held() == 0, "dma_map_page under a core lock");
	fake::rule(d.refs[dev] > 0, "dma_map_page for a device nobody holds");
	fake::rule(length > 0 && offset < 4096, "dma_map_page of nothing, or offset past the page");
	for (unsigned long long p = pfn; p < pfn + ((offset + length + 4095) >> 12); p++)
		fake::rule(mmshim_plat_pfn_is_ram(p), "dma_map_page of a frame that is not RAM");
	if (d.fail_ranges) {
		d.fail_ranges--;
		return -12;
	}
	*bus = fake::iova(pfn, offset);
	d.ranges.push_back({dev, *bus, pfn, offset, length, to_device != 0});
	return 0;
}

void mmshim_plat_dma_unmap_range(void *dev, unsigned long long bus, mmshim_size length, int to_device)
{
	auto &d = fake::dma();
	fake::rule(fake::locks_held() == 0, "dma_unmap_page under a core lock");
	auto it = std::find_if(d.ranges.begin(), d.ranges.end(),
			       [&](const fake::DmaRange &r) { return r.dev == dev && r.bus == bus; });
	fake::rule(it != d.ranges.end(), "dma_unmap_page of a range that is not mapped");
	if (it == d.ranges.end())
		return;
	fake::rule(it->length == length && it->to_device == (to_device != 0),
		   "dma_unmap_page with another length or direction than mapped");
	d.ranges.erase(it);
	d.unmaps++;
}

void mmshim_plat_dma_copy_frame(unsigned long long pfn, unsigned int offset, void *buf, mmshim_size size,
				int to_frame)
{
	auto &d = fake::dma();
	fake::rule(size > 0 && offset < 4096 && size <= 4096 - offset, "frame copy outside the frame");
	fake::rule(mmshim_plat_pfn_is_ram(pfn), "frame copy of device memory");
	d.copies++;
	unsigned char *f = fake::dma_frame(pfn) + offset;
	if (to_frame)
		std::memcpy(f, buf, size);
	else
		std::memcpy(buf, f, size);
}

} // extern "C"
