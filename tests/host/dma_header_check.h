/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_header_check.h - what dma_header_check.c (plain C11, -pedantic)
 * computes with <wdm.h>'s DMA declarations, checked by dma_test.cpp.
 */
#ifndef DMA_HEADER_CHECK_H
#define DMA_HEADER_CHECK_H

#ifdef __cplusplus
extern "C" {
#endif

struct dma_header_values {
	unsigned long sizeof_device_description, offsetof_max_length, offsetof_device_address;
	unsigned long sizeof_dma_adapter, sizeof_dma_operations, offsetof_get_sgl;
	unsigned long sizeof_sge, offsetof_elements;
	int prototypes; /* IoGetDmaAdapter and the slot types match the WDK's spelled out */
};

/* Fills *v; returns the number of values computed. */
int mmshim_dma_header_check(struct dma_header_values *v);

#ifdef __cplusplus
}
#endif

#endif
