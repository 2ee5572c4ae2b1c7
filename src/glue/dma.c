// SPDX-License-Identifier: GPL-2.0
/*
 * dma.c - the Linux DMA API for DMA adapters (src/core/dma.cpp,
 * docs/dma.md): device references, the DMA mask, coherent memory, and
 * dma_map_sg / dma_unmap_sg of a list of page fragments, dma_map_page of a
 * contiguous run (MapTransfer) and frame copies for bounce buffers. No
 * Windows logic.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include "platform.h"
#include "glue.h"
#include "pfn.h"
#include "compat.h"
#include <mmshim/linux.h>

/**
 * MmshimDeviceObject() - the PDEVICE_OBJECT standing for @dev (mmshim/linux.h).
 * @dev: the driver's struct device (&pdev->dev).
 *
 * Return: the same pointer for the same device, or NULL without memory.
 */
struct _DEVICE_OBJECT *MmshimDeviceObject(struct device *dev)
{
	return mmshim_core_dma_device_object(dev, __builtin_return_address(0));
}
MMSHIM_EXPORT_NS_GPL(MmshimDeviceObject);

/**
 * mmshim_plat_dma_get_device() - get_device(). Atomic-safe.
 * @dev: a struct device.
 */
void mmshim_plat_dma_get_device(void *dev)
{
	get_device(dev);
}

/**
 * mmshim_plat_dma_put_device() - put_device(). May sleep (the release).
 * @dev: a struct device referenced by mmshim_plat_dma_get_device().
 */
void mmshim_plat_dma_put_device(void *dev)
{
	put_device(dev);
}

/**
 * mmshim_plat_dma_set_mask() - dma_set_mask_and_coherent(). May sleep.
 * @dev: the device.
 * @bits: address width, 24..64.
 *
 * Return: 0 or a negative errno.
 */
/* Serialises mask changes: IoGetDmaAdapter's, and the coherent mask that
 * mmshim_plat_dma_alloc_coherent_below() narrows for one allocation. */
static DEFINE_MUTEX(mmshim_dma_mask_lock);

int mmshim_plat_dma_set_mask(void *dev, unsigned int bits)
{
	int ret;

	if (bits < 24 || bits > 64)
		return -EINVAL;
	mutex_lock(&mmshim_dma_mask_lock);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits));
	mutex_unlock(&mmshim_dma_mask_lock);
	return ret;
}

/**
 * mmshim_plat_dma_alignment() - dma_get_cache_alignment(). Atomic-safe.
 *
 * Return: the alignment in bytes.
 */
unsigned int mmshim_plat_dma_alignment(void)
{
	return dma_get_cache_alignment();
}

/**
 * mmshim_plat_dma_alloc_coherent() - dma_alloc_coherent(GFP_KERNEL). May sleep.
 * @dev: the device.
 * @size: bytes.
 * @bus: receives the bus address.
 *
 * Return: the CPU address, or NULL.
 */
void *mmshim_plat_dma_alloc_coherent(void *dev, mmshim_size size, unsigned long long *bus)
{
	dma_addr_t handle = 0;
	void *va = dma_alloc_coherent(dev, size, &handle, GFP_KERNEL | __GFP_NOWARN);

	*bus = handle;
	return va;
}

/**
 * mmshim_plat_dma_alloc_coherent_below() - dma_alloc_coherent() with the
 * coherent mask narrowed to @bits for this allocation. May sleep.
 * @dev: the device.
 * @size: bytes.
 * @bits: address width of the memory wanted.
 * @bus: receives the bus address.
 *
 * The device's coherent mask is restored before returning. Streaming
 * mappings (dma_map_*) use the other mask and are not affected.
 *
 * Return: the CPU address, or NULL (also when the platform refuses the mask).
 */
void *mmshim_plat_dma_alloc_coherent_below(void *dev, mmshim_size size, unsigned int bits,
					   unsigned long long *bus)
{
	struct device *d = dev;
	dma_addr_t handle = 0;
	u64 saved;
	void *va = NULL;

	if (bits < 24 || bits > 64)
		return NULL;
	mutex_lock(&mmshim_dma_mask_lock);
	saved = d->coherent_dma_mask;
	if (!dma_set_coherent_mask(d, DMA_BIT_MASK(bits)))
		va = dma_alloc_coherent(d, size, &handle, GFP_KERNEL | __GFP_NOWARN);
	if (dma_set_coherent_mask(d, saved))
		d->coherent_dma_mask = saved;
	mutex_unlock(&mmshim_dma_mask_lock);
	*bus = handle;
	return va;
}

/**
 * mmshim_plat_dma_free_coherent() - dma_free_coherent(). May sleep.
 * @dev: the device.
 * @size: as allocated.
 * @va: as allocated.
 * @bus: as allocated.
 */
void mmshim_plat_dma_free_coherent(void *dev, mmshim_size size, void *va, unsigned long long bus)
{
	dma_free_coherent(dev, size, va, bus);
}

/**
 * mmshim_plat_dma_sg_size() - bytes of scatterlist for @count fragments. Atomic-safe.
 * @count: fragments.
 *
 * Return: the size, a multiple of 8.
 */
mmshim_size mmshim_plat_dma_sg_size(mmshim_size count)
{
	return count * ALIGN(sizeof(struct scatterlist), 8);
}

static enum dma_data_direction mmshim_dir(int to_device)
{
	return to_device ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
}

/**
 * mmshim_plat_dma_map_runs() - dma_map_sg() of the page fragments of MDL runs. Atomic-safe.
 * @dev: the device.
 * @state: mmshim_plat_dma_sg_size(@count) bytes for the scatterlist.
 * @runs: each MDL's part: its PFN array from the first frame, offset, bytes.
 * @nruns: how many.
 * @count: the page fragments of all runs, at least 1.
 * @to_device: DMA_TO_DEVICE if non-zero, else DMA_FROM_DEVICE.
 * @not_ram: receives the first frame with no struct page (nothing mapped
 *           then), else ~0.
 *
 * The scatterlist is built straight from the PFN arrays, one entry per
 * page fragment, each PFN read once.
 *
 * Return: the number of mapped ranges, or 0 with nothing mapped.
 */
mmshim_size mmshim_plat_dma_map_runs(void *dev, void *state, const struct mmshim_dma_run *runs, mmshim_size nruns,
				     mmshim_size count, int to_device, unsigned long long *not_ram)
{
	struct scatterlist *sgl = state;
	unsigned long long valid = ~0ULL;
	mmshim_size r, i = 0;
	int n;

	*not_ram = ~0ULL;
	if (!count || count > INT_MAX)
		return 0;
	sg_init_table(sgl, count);
	for (r = 0; r < nruns; r++) {
		const unsigned long long *p = runs[r].pfns;
		unsigned int off = runs[r].offset;
		unsigned long left = runs[r].length;

		while (left) {
			unsigned int chunk = min_t(unsigned long, PAGE_SIZE - off, left);
			unsigned long long pfn = READ_ONCE(*p);

			if (i == count)
				return 0; /* more fragments than the core counted: not reached */
			/* RAM as mmshim_plat_pfn_is_ram() says, asked per subsection */
			if (!mmshim_pfn_valid_cached(pfn, &valid)) {
				*not_ram = pfn;
				return 0;
			}
			sg_set_page(&sgl[i++], pfn_to_page(pfn), chunk, off);
			p++;
			left -= chunk;
			off = 0;
		}
	}
	if (i != count)
		return 0; /* not reached: the core counts the same fragments */
	n = dma_map_sg_attrs(dev, sgl, count, mmshim_dir(to_device), DMA_ATTR_NO_WARN);
	return n > 0 ? n : 0;
}

/**
 * mmshim_plat_dma_sg_elements() - the mapped ranges of a scatterlist. Atomic-safe.
 * @state: the scatterlist mapped by mmshim_plat_dma_map_runs().
 * @count: at most the count it returned.
 * @out: receives sg_dma_address() and sg_dma_len() of each.
 */
void mmshim_plat_dma_sg_elements(const void *state, mmshim_size count, struct mmshim_dma_element *out)
{
	const struct scatterlist *sg = state;
	mmshim_size i;

	for (i = 0; i < count; i++) {
		out[i].bus = sg_dma_address(&sg[i]);
		out[i].length = sg_dma_len(&sg[i]);
		out[i].pad = 0;
		out[i].reserved = 0;
	}
}

/**
 * mmshim_plat_dma_unmap_sg() - dma_unmap_sg(). Atomic-safe.
 * @dev: the device.
 * @state: the scatterlist.
 * @count: the fragment count given to mmshim_plat_dma_map_runs().
 * @to_device: as given to mmshim_plat_dma_map_runs().
 */
void mmshim_plat_dma_unmap_sg(void *dev, void *state, mmshim_size count, int to_device)
{
	dma_unmap_sg(dev, state, count, mmshim_dir(to_device));
}

/**
 * mmshim_plat_dma_map_range() - dma_map_page() of a physically contiguous run. Atomic-safe.
 * @dev: the device.
 * @pfn: first frame (with a struct page).
 * @offset: byte offset in it, below PAGE_SIZE.
 * @length: bytes, the frames from @pfn contiguous.
 * @to_device: DMA_TO_DEVICE if non-zero, else DMA_FROM_DEVICE.
 * @bus: receives the bus address.
 *
 * Return: 0, or -ENOMEM with nothing mapped.
 */
int mmshim_plat_dma_map_range(void *dev, unsigned long long pfn, unsigned int offset, mmshim_size length,
			      int to_device, unsigned long long *bus)
{
	dma_addr_t handle;

	if (!length || offset >= PAGE_SIZE)
		return -EINVAL;
	handle = dma_map_page_attrs(dev, pfn_to_page(pfn), offset, length, mmshim_dir(to_device),
				    DMA_ATTR_NO_WARN);
	if (dma_mapping_error(dev, handle))
		return -ENOMEM;
	*bus = handle;
	return 0;
}

/**
 * mmshim_plat_dma_unmap_range() - dma_unmap_page(). Atomic-safe.
 * @dev: the device.
 * @bus: as mapped.
 * @length: as mapped.
 * @to_device: as mapped.
 */
void mmshim_plat_dma_unmap_range(void *dev, unsigned long long bus, mmshim_size length, int to_device)
{
	dma_unmap_page(dev, bus, length, mmshim_dir(to_device));
}

/**
 * mmshim_plat_dma_copy_frame() - copy to or from part of a RAM frame. Atomic-safe.
 * @pfn: the frame (with a struct page).
 * @offset: byte offset in it.
 * @buf: the other side of the copy.
 * @size: bytes, @offset + @size <= PAGE_SIZE.
 * @to_frame: copy @buf into the frame if non-zero, else the frame into @buf.
 */
void mmshim_plat_dma_copy_frame(unsigned long long pfn, unsigned int offset, void *buf, mmshim_size size,
				int to_frame)
{
	void *va;

	if (offset >= PAGE_SIZE || size > PAGE_SIZE - offset)
		return;
	va = kmap_local_page(pfn_to_page(pfn));
	if (to_frame)
		memcpy((char *)va + offset, buf, size);
	else
		memcpy(buf, (char *)va + offset, size);
	kunmap_local(va);
}
