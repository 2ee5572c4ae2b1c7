// SPDX-License-Identifier: GPL-2.0
/*
 * dma.c - the Linux DMA API for DMA adapters (src/core/dma.cpp,
 * docs/dma.md): device references, the DMA mask, coherent memory, and
 * dma_map_sg / dma_unmap_sg of a list of page fragments. No Windows logic.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/mm.h>
#include "platform.h"
#include "glue.h"
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
int mmshim_plat_dma_set_mask(void *dev, unsigned int bits)
{
	if (bits < 24 || bits > 64)
		return -EINVAL;
	return dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits));
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
 * mmshim_plat_dma_map_sg() - dma_map_sg() of @count page fragments. Atomic-safe.
 * @dev: the device.
 * @state: mmshim_plat_dma_sg_size(@count) bytes for the scatterlist.
 * @frags: the fragments (frames with a struct page).
 * @count: how many, at least 1.
 * @to_device: DMA_TO_DEVICE if non-zero, else DMA_FROM_DEVICE.
 *
 * Return: the number of mapped ranges, or 0 with nothing mapped.
 */
mmshim_size mmshim_plat_dma_map_sg(void *dev, void *state, const struct mmshim_dma_frag *frags,
				   mmshim_size count, int to_device)
{
	struct scatterlist *sgl = state;
	mmshim_size i;
	int n;

	if (!count || count > INT_MAX)
		return 0;
	sg_init_table(sgl, count);
	for (i = 0; i < count; i++)
		sg_set_page(&sgl[i], pfn_to_page(frags[i].pfn), frags[i].length, frags[i].offset);
	n = dma_map_sg_attrs(dev, sgl, count, mmshim_dir(to_device), DMA_ATTR_NO_WARN);
	return n > 0 ? n : 0;
}

/**
 * mmshim_plat_dma_sg_element() - one mapped range of a scatterlist. Atomic-safe.
 * @state: the scatterlist mapped by mmshim_plat_dma_map_sg().
 * @index: below the count it returned.
 * @bus: receives sg_dma_address().
 * @length: receives sg_dma_len().
 */
void mmshim_plat_dma_sg_element(const void *state, mmshim_size index, unsigned long long *bus,
				unsigned int *length)
{
	const struct scatterlist *sg = (const struct scatterlist *)state + index;

	*bus = sg_dma_address(sg);
	*length = sg_dma_len(sg);
}

/**
 * mmshim_plat_dma_unmap_sg() - dma_unmap_sg(). Atomic-safe.
 * @dev: the device.
 * @state: the scatterlist.
 * @count: the fragment count given to mmshim_plat_dma_map_sg().
 * @to_device: as given to mmshim_plat_dma_map_sg().
 */
void mmshim_plat_dma_unmap_sg(void *dev, void *state, mmshim_size count, int to_device)
{
	dma_unmap_sg(dev, state, count, mmshim_dir(to_device));
}
