// SPDX-License-Identifier: GPL-2.0
// fake_dma.h - the host stand-in for src/glue/dma.c: devices with reference
// counts and DMA masks, coherent memory, and dma_map_sg through a fake
// IOMMU whose bus addresses are never the frames' physical addresses.
#pragma once

#include <cstdint>
#include <vector>

#include "platform.h"

namespace fake {

// Forget every DMA record (the core must have released everything).
void dma_reset();

// Bus address of byte `offset` of frame `pfn` (the fake IOMMU's IOVA).
constexpr unsigned long long kIovaBase = 0x7f0000000000ULL;
inline unsigned long long iova(unsigned long long pfn, unsigned offset)
{
	return kIovaBase + (pfn << 12) + offset;
}

// References mmshim holds on a device, and the mask width it set (0: none).
long dma_device_refs(void *dev);
unsigned dma_mask_bits(void *dev);
// dma_set_mask_and_coherent fails for masks narrower than `bits`.
void dma_refuse_masks_below(unsigned bits);
// The next `count` dma_map_sg calls fail.
void dma_fail_maps(unsigned count);
// Merge physically consecutive fragments into one range, as an IOMMU may.
void dma_merge(bool merge);
// The next `count` dma_alloc_coherent calls fail.
void dma_fail_coherent(unsigned count);
// The mask width the last alloc_coherent_below was called with; and
// whether it returns memory above it (a broken platform).
unsigned dma_coherent_below_bits();
void dma_coherent_below_ignores_mask(bool ignore);

struct DmaMapping {
	void *dev;
	void *state;
	std::vector<mmshim_dma_frag> frags;
	bool to_device;
};
// Live dma_map_sg mappings and coherent buffers.
const std::vector<DmaMapping> &dma_mappings();
std::size_t dma_live_coherent();
unsigned long dma_unmaps();

// Packet-based DMA (dma_map_page of a contiguous run).
struct DmaRange {
	void *dev;
	unsigned long long bus;
	unsigned long long pfn;
	unsigned offset;
	std::size_t length;
	bool to_device;
};
const std::vector<DmaRange> &dma_ranges();
// The next `count` dma_map_page calls fail.
void dma_fail_ranges(unsigned count);
// The contents of RAM frame `pfn` as the DMA copies see them (4096 bytes,
// created zeroed on first use).
unsigned char *dma_frame(unsigned long long pfn);
// The CPU address of bus address `bus` in a live coherent buffer, or nullptr.
unsigned char *dma_coherent_at(unsigned long long bus);
// Frame copies made (either way), and those made where sleeping is not allowed.
unsigned long dma_frame_copies();

} // namespace fake
