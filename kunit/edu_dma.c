// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dma.c - qemu's edu device as a DMA bus master for the DMA suites
 * (dma_test.c, dma_config_test.c). Its DMA engine copies between a bus
 * address and its 4 KiB buffer at device address 0x40000 (registers in BAR
 * 0: 0x80 source, 0x88 destination, 0x90 count, 0x98 command: bit 0 start,
 * bit 1 direction, 1 = device to RAM).
 */
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/dma-mapping.h>
#include "mmshim_kunit.h"
#include <mmshim/linux.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_BUF 0x40000ULL
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2

int edu_dma_open(struct edu_dma *e)
{
	u16 cmd;

	e->regs = NULL;
	e->pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!e->pdev)
		return 0; /* the tests skip */
	/* Memory decoding and bus mastering only: pci_enable_device would
	 * also route the interrupt (slow ACPI under TCG, see iospace_test.c). */
	pci_read_config_word(e->pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(e->pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	pci_set_master(e->pdev);
	e->regs = ioremap(pci_resource_start(e->pdev, 0), pci_resource_len(e->pdev, 0));
	if (!e->regs) {
		pci_dev_put(e->pdev);
		e->pdev = NULL;
		return -ENOMEM;
	}
	return 0;
}

void edu_dma_close(struct edu_dma *e)
{
	if (!e->pdev)
		return;
	pci_clear_master(e->pdev);
	iounmap(e->regs);
	pci_dev_put(e->pdev);
	e->pdev = NULL;
}

bool edu_dma_transfer(const struct edu_dma *e, u64 bus, u32 off, u32 cnt, bool to_ram)
{
	unsigned long deadline = jiffies + 5 * HZ;

	/* Never up to the last byte of the buffer: qemu 7.2 aborts there. */
	if (off + cnt >= EDU_DMA_BUF_SIZE)
		return false;
	writeq(to_ram ? EDU_BUF + off : bus, e->regs + EDU_DMA_SRC);
	writeq(to_ram ? bus : EDU_BUF + off, e->regs + EDU_DMA_DST);
	writeq(cnt, e->regs + EDU_DMA_CNT);
	writeq(EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0), e->regs + EDU_DMA_CMD);
	while (readq(e->regs + EDU_DMA_CMD) & EDU_DMA_START) {
		if (time_after(jiffies, deadline))
			return false;
		msleep(20);
	}
	return true;
}

PDMA_ADAPTER edu_dma_adapter(struct kunit *test, const struct edu_dma *e, BOOLEAN sg, ULONG max_length,
			     PDEVICE_OBJECT *pdo, ULONG *regs)
{
	DEVICE_DESCRIPTION d = {
		.Version = DEVICE_DESCRIPTION_VERSION3,
		.Master = TRUE,
		.ScatterGather = sg,
		.Dma32BitAddresses = TRUE,
		.InterfaceType = PCIBus,
		.MaximumLength = max_length,
		.DmaAddressWidth = 32, /* edu's reach in the test VMs */
	};
	PDMA_ADAPTER a;

	if (!e->pdev) {
		kunit_skip(test, "no edu device");
		return NULL;
	}
	*pdo = MmshimDeviceObject(&e->pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, *pdo);
	KUNIT_EXPECT_PTR_EQ(test, MmshimDeviceObject(&e->pdev->dev), *pdo);
	a = IoGetDmaAdapter(*pdo, &d, regs);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, e->pdev->dev.coherent_dma_mask, DMA_BIT_MASK(32));
	KUNIT_EXPECT_EQ(test, *e->pdev->dev.dma_mask, DMA_BIT_MASK(32));
	return a;
}
