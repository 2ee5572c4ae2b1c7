// SPDX-License-Identifier: GPL-2.0
/*
 * register_test.c - KUnit suite "mmshim_register": READ_/WRITE_REGISTER_*
 * and READ_/WRITE_PORT_* (include/mmshim/register.h) on real device
 * registers of the qemu test VM:
 *  - edu (1234:11e8), BAR 0 MMIO: 0x00 id 0x010000ed, 0x04 returns the
 *    inverse of what was written, 0x08 factorial, 0x20 status, and the
 *    64-bit DMA registers 0x80/0x88/0x90 (read/write while no DMA runs; a
 *    4-byte write replaces the whole 64-bit value, so a 64-bit access split
 *    in two would show);
 *  - pci-testdev (1b36:0005), BAR 0 MMIO and BAR 1 I/O ports: writing n to
 *    offset 0 selects test n, whose header reads back byte by byte (0: test
 *    number, 1: width, 4: offset of its doorbell, 8: the doorbell value
 *    0xFA, 12: count of matching doorbell writes, 16: name); every byte
 *    write of 0xFA at the doorbell offset increments the count. The device
 *    splits wider accesses into bytes (little-endian).
 * The buffer variants are told apart: register buffers walk consecutive
 * registers, port buffers repeat the same port.
 */
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/jiffies.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include "mmshim_kunit.h"
#include <ntddk.h>

#define TESTDEV_VENDOR 0x1b36
#define TESTDEV_DEVICE 0x0005
#define TESTDEV_DATA 0xFA
#define TESTDEV_NOMATCH 0xCE

static DEFINE_SPINLOCK(register_test_lock);

/* pci-testdev's BARs, decoding on (skips the test without the device). */
static bool testdev_bars(struct kunit *test, u64 *mmio, u64 *mmio_len, u64 *io)
{
	struct pci_dev *pdev = pci_get_device(TESTDEV_VENDOR, TESTDEV_DEVICE, NULL);
	u16 cmd;

	if (!pdev) {
		kunit_skip(test, "no pci-testdev device");
		return false;
	}
	*mmio = pci_resource_start(pdev, 0);
	*mmio_len = pci_resource_len(pdev, 0);
	*io = pci_resource_start(pdev, 1);
	KUNIT_EXPECT_TRUE(test, pci_resource_flags(pdev, 1) & IORESOURCE_IO);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if ((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO)) != (PCI_COMMAND_MEMORY | PCI_COMMAND_IO))
		pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	pci_dev_put(pdev);
	return *mmio && *io;
}

static void register_edu_ulong(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	ULONG buf[2] = { 0, 0 }, in[1] = { 0x0badcafe };
	unsigned long deadline, flags;
	volatile UCHAR *regs;

	regs = MmMapIoSpace(pa(bar), PAGE_SIZE, MmNonCached);
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)regs), 0x010000edU);
	WRITE_REGISTER_ULONG((volatile ULONG *)(regs + 4), 0x12345678);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(regs + 4)), ~0x12345678U);
	/* Consecutive registers: id, then liveness. */
	READ_REGISTER_BUFFER_ULONG((volatile ULONG *)regs, buf, 2);
	KUNIT_EXPECT_EQ(test, buf[0], 0x010000edU);
	KUNIT_EXPECT_EQ(test, buf[1], ~0x12345678U);
	WRITE_REGISTER_BUFFER_ULONG((volatile ULONG *)(regs + 4), in, 1);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(regs + 4)), ~0x0badcafeU);
	/* A count of 0 touches nothing. */
	WRITE_REGISTER_BUFFER_ULONG((volatile ULONG *)(regs + 4), in, 0);
	READ_REGISTER_BUFFER_ULONG((volatile ULONG *)regs, buf, 0);
	KUNIT_EXPECT_EQ(test, buf[0], 0x010000edU);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(regs + 4)), ~0x0badcafeU);

	/* The factorial unit: write, poll the status register, read. */
	WRITE_REGISTER_ULONG((volatile ULONG *)(regs + 8), 7);
	deadline = jiffies + 5 * HZ;
	while ((READ_REGISTER_ULONG((volatile ULONG *)(regs + 0x20)) & 1) && time_before(jiffies, deadline))
		usleep_range(20, 100);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(regs + 8)), 5040U);

	/* Any IRQL: with a spin lock held and interrupts off. */
	spin_lock_irqsave(&register_test_lock, flags);
	WRITE_REGISTER_ULONG((volatile ULONG *)(regs + 4), 0xffff0000);
	buf[0] = READ_REGISTER_ULONG((volatile ULONG *)(regs + 4));
	spin_unlock_irqrestore(&register_test_lock, flags);
	KUNIT_EXPECT_EQ(test, buf[0], 0x0000ffffU);
	MmUnmapIoSpace((PVOID)regs, PAGE_SIZE);
}

static void register_edu_ulong64(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	ULONG64 out[3] = { 0, 0, 0 }, in[3] = { 0x1122334455667788ULL, 0x99aabbccddeeff00ULL, 0x40 };
	volatile UCHAR *regs;

	regs = MmMapIoSpace(pa(bar), PAGE_SIZE, MmNonCached);
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	/* One 64-bit access: two 32-bit halves would leave 0x55667788 (a
	 * 4-byte write replaces the whole DMA register; 0x84 is no register). */
	WRITE_REGISTER_ULONG64((volatile ULONG64 *)(regs + 0x80), 0x0123456789abcdefULL);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG64((volatile ULONG64 *)(regs + 0x80)), 0x0123456789abcdefULL);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(regs + 0x80)), 0x89abcdefU);
	WRITE_REGISTER_ULONG((volatile ULONG *)(regs + 0x80), 0x55667788);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG64((volatile ULONG64 *)(regs + 0x80)), 0x55667788ULL);
	/* Source, destination, count: three consecutive 64-bit registers. */
	WRITE_REGISTER_BUFFER_ULONG64((volatile ULONG64 *)(regs + 0x80), in, 3);
	READ_REGISTER_BUFFER_ULONG64((volatile ULONG64 *)(regs + 0x80), out, 3);
	KUNIT_EXPECT_EQ(test, out[0], in[0]);
	KUNIT_EXPECT_EQ(test, out[1], in[1]);
	KUNIT_EXPECT_EQ(test, out[2], in[2]);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG64((volatile ULONG64 *)(regs + 0x88)), in[1]);
	/* Leave the DMA registers as the device starts: zero. */
	in[0] = in[1] = in[2] = 0;
	WRITE_REGISTER_BUFFER_ULONG64((volatile ULONG64 *)(regs + 0x80), in, 3);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG64((volatile ULONG64 *)(regs + 0x90)), 0ULL);
	MmUnmapIoSpace((PVOID)regs, PAGE_SIZE);
}

/* Count of matching doorbell writes of the selected pci-testdev test. */
static ULONG testdev_count(volatile UCHAR *mmio)
{
	return READ_REGISTER_ULONG((volatile ULONG *)(mmio + 12));
}

static void register_testdev_bytes(struct kunit *test)
{
	u64 mmio_bar = 0, mmio_len = 0, io = 0;
	UCHAR name[16] = { 0 }, bytes[3] = { TESTDEV_DATA, TESTDEV_DATA, TESTDEV_DATA };
	USHORT halves[2] = { 0, 0 }, half[1] = { TESTDEV_DATA };
	ULONG count[1] = { 0 };
	volatile UCHAR *mmio, *bell;
	ULONG doorbell;

	if (!testdev_bars(test, &mmio_bar, &mmio_len, &io))
		return;
	mmio = MmMapIoSpace(pa(mmio_bar), mmio_len, MmNonCached);
	KUNIT_ASSERT_NOT_NULL(test, (void *)mmio);
	/* Select test 0 (memory, no eventfd) and read its header. */
	WRITE_REGISTER_UCHAR(mmio, 0);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_UCHAR(mmio + 1), 1);
	doorbell = READ_REGISTER_ULONG((volatile ULONG *)(mmio + 4));
	KUNIT_EXPECT_EQ(test, doorbell, 2048U);
	KUNIT_ASSERT_LT(test, (u64)doorbell, mmio_len);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_UCHAR(mmio + 8), TESTDEV_DATA);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_USHORT((volatile USHORT *)(mmio + 16)), 'm' | ('m' << 8));
	/* Consecutive bytes: the test's name. */
	READ_REGISTER_BUFFER_UCHAR(mmio + 16, name, 15);
	KUNIT_EXPECT_STREQ(test, (char *)name, "mmio-no-eventfd");
	READ_REGISTER_BUFFER_USHORT((volatile USHORT *)(mmio + 16), halves, 2);
	KUNIT_EXPECT_EQ(test, halves[0], 'm' | ('m' << 8));
	KUNIT_EXPECT_EQ(test, halves[1], 'i' | ('o' << 8));

	bell = mmio + doorbell;
	KUNIT_EXPECT_EQ(test, testdev_count(mmio), 0U);
	WRITE_REGISTER_UCHAR(bell, TESTDEV_DATA);
	KUNIT_EXPECT_EQ(test, testdev_count(mmio), 1U);
	WRITE_REGISTER_UCHAR(bell, TESTDEV_NOMATCH);
	KUNIT_EXPECT_EQ(test, testdev_count(mmio), 1U);
	/* 0x00FA: the low byte lands on the doorbell. */
	WRITE_REGISTER_USHORT((volatile USHORT *)bell, TESTDEV_DATA);
	KUNIT_EXPECT_EQ(test, testdev_count(mmio), 2U);
	/* Three 0xFA bytes on consecutive registers: only the first is the doorbell. */
	WRITE_REGISTER_BUFFER_UCHAR(bell, bytes, 3);
	KUNIT_EXPECT_EQ(test, testdev_count(mmio), 3U);
	WRITE_REGISTER_BUFFER_USHORT((volatile USHORT *)bell, half, 1);
	KUNIT_EXPECT_EQ(test, testdev_count(mmio), 4U);
	WRITE_REGISTER_ULONG((volatile ULONG *)bell, TESTDEV_DATA);
	READ_REGISTER_BUFFER_ULONG((volatile ULONG *)(mmio + 12), count, 1);
	KUNIT_EXPECT_EQ(test, count[0], 5U);
	/* Deselect: the header reads 0 again. */
	WRITE_REGISTER_UCHAR(mmio, 0xff);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_UCHAR(mmio + 1), 0);
	MmUnmapIoSpace((PVOID)mmio, mmio_len);
}

#ifdef MMSHIM_HAS_PORT_IO
static void register_ports(struct kunit *test)
{
	u64 mmio_bar = 0, mmio_len = 0, io = 0;
	UCHAR same[4] = { 0 }, bytes[4] = { TESTDEV_DATA, TESTDEV_DATA, TESTDEV_NOMATCH, TESTDEV_DATA };
	USHORT halves[3] = { 0 }, hbell[2] = { TESTDEV_DATA << 8, TESTDEV_DATA << 8 };
	ULONG longs[2] = { 0 }, lbell[3] = { 0xFA000000U, 0, 0xFA000000U };
	unsigned long flags;
	PUCHAR port, bell;
	ULONG doorbell, i;

	if (!testdev_bars(test, &mmio_bar, &mmio_len, &io))
		return;
	/* The WDK's convention: the port number is the pointer's value. */
	port = (PUCHAR)(ULONG_PTR)io;
	/* Select test 0 of the port region ("portio-no-eventfd", number 3). */
	WRITE_PORT_UCHAR(port, 0);
	KUNIT_EXPECT_EQ(test, READ_PORT_UCHAR(port), 3);
	KUNIT_EXPECT_EQ(test, READ_PORT_UCHAR(port + 1), 1);
	doorbell = READ_PORT_ULONG((PULONG)(port + 4));
	KUNIT_EXPECT_EQ(test, doorbell, 128U + 3U);
	KUNIT_ASSERT_LT(test, doorbell, 256U);
	KUNIT_EXPECT_EQ(test, READ_PORT_UCHAR(port + 8), TESTDEV_DATA);
	KUNIT_EXPECT_EQ(test, READ_PORT_USHORT((PUSHORT)(port + 16)), 'p' | ('o' << 8));
	/* Port buffers repeat the one port: "pppp", not "port". */
	READ_PORT_BUFFER_UCHAR(port + 16, same, 4);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, same[i], 'p');
	READ_PORT_BUFFER_USHORT((PUSHORT)(port + 16), halves, 3);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, halves[i], 'p' | ('o' << 8));
	READ_PORT_BUFFER_ULONG((PULONG)(port + 16), longs, 2);
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, longs[i], 'p' | ('o' << 8) | ('r' << 16) | ((ULONG)'t' << 24));

	bell = port + doorbell;
	KUNIT_EXPECT_EQ(test, READ_PORT_ULONG((PULONG)(port + 12)), 0U);
	WRITE_PORT_UCHAR(bell, TESTDEV_DATA);
	KUNIT_EXPECT_EQ(test, READ_PORT_ULONG((PULONG)(port + 12)), 1U);
	WRITE_PORT_UCHAR(bell, TESTDEV_NOMATCH);
	KUNIT_EXPECT_EQ(test, READ_PORT_ULONG((PULONG)(port + 12)), 1U);
	/* Wider writes, aligned below the (odd) doorbell: its byte is the top one. */
	WRITE_PORT_USHORT((PUSHORT)(bell - 1), TESTDEV_DATA << 8);
	KUNIT_EXPECT_EQ(test, READ_PORT_ULONG((PULONG)(port + 12)), 2U);
	WRITE_PORT_ULONG((PULONG)(bell - 3), 0xFA000000U);
	KUNIT_EXPECT_EQ(test, READ_PORT_ULONG((PULONG)(port + 12)), 3U);
	/* Port buffers write every element to the same port: 3 of 4 match. */
	WRITE_PORT_BUFFER_UCHAR(bell, bytes, 4);
	KUNIT_EXPECT_EQ(test, READ_PORT_ULONG((PULONG)(port + 12)), 6U);
	WRITE_PORT_BUFFER_USHORT((PUSHORT)(bell - 1), hbell, 2);
	KUNIT_EXPECT_EQ(test, READ_PORT_ULONG((PULONG)(port + 12)), 8U);
	WRITE_PORT_BUFFER_ULONG((PULONG)(bell - 3), lbell, 3);
	READ_PORT_BUFFER_ULONG((PULONG)(port + 12), longs, 2);
	KUNIT_EXPECT_EQ(test, longs[0], 10U);
	KUNIT_EXPECT_EQ(test, longs[1], 10U);

	/* Any IRQL: with a spin lock held and interrupts off. */
	spin_lock_irqsave(&register_test_lock, flags);
	WRITE_PORT_UCHAR(bell, TESTDEV_DATA);
	i = READ_PORT_ULONG((PULONG)(port + 12));
	spin_unlock_irqrestore(&register_test_lock, flags);
	KUNIT_EXPECT_EQ(test, i, 11U);
	WRITE_PORT_UCHAR(port, 0xff);
	KUNIT_EXPECT_EQ(test, READ_PORT_UCHAR(port + 1), 0);
}
#else
/*
 * No port instructions (arm64): register.h declares no READ_/WRITE_PORT_*.
 * The path docs/register.md gives a port of a port-I/O driver: the Linux
 * half maps the I/O BAR with ioport_map()/pci_iomap() (PCI I/O space is a
 * Device-memory window at PCI_IOBASE), and the Windows code reads and
 * writes it with READ_/WRITE_REGISTER_*. Same device protocol as above.
 */
static void register_ports(struct kunit *test)
{
	u64 mmio_bar = 0, mmio_len = 0, io = 0;
	volatile UCHAR *port, *bell;
	unsigned long flags;
	ULONG doorbell, i;

	if (!testdev_bars(test, &mmio_bar, &mmio_len, &io))
		return;
	port = (volatile UCHAR __force *)ioport_map(io, 256);
	KUNIT_ASSERT_NOT_NULL(test, (void *)port);
	WRITE_REGISTER_UCHAR(port, 0);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_UCHAR(port), 3);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_UCHAR(port + 1), 1);
	doorbell = READ_REGISTER_ULONG((volatile ULONG *)(port + 4));
	KUNIT_EXPECT_EQ(test, doorbell, 128U + 3U);
	KUNIT_ASSERT_LT(test, doorbell, 256U);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_UCHAR(port + 8), TESTDEV_DATA);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_USHORT((volatile USHORT *)(port + 16)), 'p' | ('o' << 8));

	bell = port + doorbell;
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(port + 12)), 0U);
	WRITE_REGISTER_UCHAR(bell, TESTDEV_DATA);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(port + 12)), 1U);
	WRITE_REGISTER_UCHAR(bell, TESTDEV_NOMATCH);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG((volatile ULONG *)(port + 12)), 1U);
	spin_lock_irqsave(&register_test_lock, flags);
	WRITE_REGISTER_UCHAR(bell, TESTDEV_DATA);
	i = READ_REGISTER_ULONG((volatile ULONG *)(port + 12));
	spin_unlock_irqrestore(&register_test_lock, flags);
	KUNIT_EXPECT_EQ(test, i, 2U);
	WRITE_REGISTER_UCHAR(port, 0xff);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_UCHAR(port + 1), 0);
	ioport_unmap((void __iomem __force *)port);
}
#endif

static struct kunit_case register_cases[] = {
	KUNIT_CASE(register_edu_ulong),
	KUNIT_CASE(register_edu_ulong64),
	KUNIT_CASE(register_testdev_bytes),
	KUNIT_CASE(register_ports),
	{}
};

static struct kunit_suite register_suite = {
	.name = "mmshim_register",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = register_cases,
};

/*
 * Suite "mmshim_iomdl": MmAllocateMdlForIoSpace on the edu BAR, mapped with
 * MmMapLockedPagesSpecifyCache and read through the WDK register routines;
 * MmMapVideoDisplay / MmUnmapVideoDisplay; bad input for both.
 */
static MM_PHYSICAL_ADDRESS_LIST range(u64 phys, SIZE_T bytes)
{
	MM_PHYSICAL_ADDRESS_LIST e;

	e.PhysicalAddress = pa(phys);
	e.NumberOfBytes = bytes;
	return e;
}

static void iomdl_edu_mapped_through_the_mdl(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	MM_PHYSICAL_ADDRESS_LIST list[2];
	volatile ULONG *regs;
	PMDL m = NULL;

	KUNIT_ASSERT_GE(test, len, (u64)(2 * PAGE_SIZE));
	/* Two ranges that happen to be contiguous: one ioremap. */
	list[0] = range(bar, PAGE_SIZE);
	list[1] = range(bar + PAGE_SIZE, PAGE_SIZE);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 2, &m), STATUS_SUCCESS));
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, MmGetMdlByteCount(m), (ULONG)(2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[0], (PFN_NUMBER)(bar >> PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[1], (PFN_NUMBER)(bar >> PAGE_SHIFT) + 1);
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_IO_SPACE);
	EXPECT_NO_REPORT(test, regs = MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, NULL, FALSE,
								  NormalPagePriority));
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	KUNIT_EXPECT_EQ(test, pte_cache((void *)regs), 1);
	KUNIT_EXPECT_PTR_EQ(test, MmGetSystemAddressForMdlSafe(m, NormalPagePriority), (PVOID)regs);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG(regs), 0x010000edU);
	WRITE_REGISTER_ULONG(regs + 1, 0x00ff00ff);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG(regs + 1), 0xff00ff00U);
	EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)regs, m));
	EXPECT_NO_REPORT(test, IoFreeMdl(m));

	/* Write-combined through the MDL. */
	KUNIT_ASSERT_EQ(test, MmAllocateMdlForIoSpace(list, 1, &m), STATUS_SUCCESS);
	regs = MmMapLockedPagesSpecifyCache(m, KernelMode, MmWriteCombined, NULL, FALSE, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	KUNIT_EXPECT_EQ(test, pte_cache((void *)regs), 2);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG(regs), 0x010000edU);
	/* Freed while mapped: unmapped for the driver, reported. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_MAPPED, IoFreeMdl(m));

	/* Ranges in another order: described, but not one ioremap. */
	list[0] = range(bar + PAGE_SIZE, PAGE_SIZE);
	list[1] = range(bar, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, MmAllocateMdlForIoSpace(list, 2, &m), STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[1], (PFN_NUMBER)(bar >> PAGE_SHIFT));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, NULL, FALSE,
									   NormalPagePriority)));
	IoFreeMdl(m);
}

static void iomdl_atomic_and_bad_input(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	void *page = (void *)__get_free_page(GFP_KERNEL);
	MM_PHYSICAL_ADDRESS_LIST list[2];
	unsigned long flags;
	NTSTATUS st;
	PMDL m = NULL;

	KUNIT_ASSERT_NOT_NULL(test, page);
	/* DISPATCH_LEVEL is allowed: nothing sleeps. */
	list[0] = range(bar, PAGE_SIZE);
	spin_lock_irqsave(&register_test_lock, flags);
	st = MmAllocateMdlForIoSpace(list, 1, &m);
	spin_unlock_irqrestore(&register_test_lock, flags);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_NOT_NULL(test, m);
	IoFreeMdl(m);

	/* RAM is not I/O space. */
	list[1] = range(virt_to_phys(page), PAGE_SIZE);
	m = (PMDL)page;
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_RAM_AS_IO_SPACE,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 2, &m), STATUS_INVALID_PARAMETER_1));
	KUNIT_EXPECT_NULL(test, m);
	list[1] = range(bar + 8, PAGE_SIZE);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 2, &m), STATUS_INVALID_PARAMETER_1));
	list[1] = range(bar, 100);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 2, &m), STATUS_INVALID_PARAMETER_1));
	list[1] = range(bar, 0);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 2, &m), STATUS_INVALID_PARAMETER_1));
	list[1] = range(1ULL << 60, PAGE_SIZE);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 2, &m), STATUS_INVALID_PARAMETER_1));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 0, &m), STATUS_INVALID_PARAMETER_2));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(NULL, 1, &m), STATUS_INVALID_PARAMETER_1));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, MmAllocateMdlForIoSpace(list, 1, NULL), STATUS_INVALID_PARAMETER_3));
	KUNIT_EXPECT_EQ(test, MmshimLiveMdlCount(), 0UL);
	free_page((unsigned long)page);
}

static void iomdl_video_display(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	volatile ULONG *fb;
	unsigned long flags;
	PVOID atomic_va;
	ULONG irql_reports;

	EXPECT_NO_REPORT(test, fb = MmMapVideoDisplay(pa(bar), PAGE_SIZE, MmWriteCombined));
	KUNIT_ASSERT_NOT_NULL(test, (void *)fb);
	KUNIT_EXPECT_EQ(test, pte_cache((void *)fb), 2);
	KUNIT_EXPECT_EQ(test, READ_REGISTER_ULONG(fb), 0x010000edU);
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 1UL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_SIZE_MISMATCH,
		      MmUnmapVideoDisplay((PVOID)fb, 3 * PAGE_SIZE));
	EXPECT_NO_REPORT(test, MmUnmapVideoDisplay((PVOID)fb, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 0UL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED,
		      MmUnmapVideoDisplay((PVOID)fb, PAGE_SIZE));
	/* Uncached, unmapped with MmUnmapIoSpace: the same records. */
	fb = MmMapVideoDisplay(pa(bar), PAGE_SIZE, MmNonCached);
	KUNIT_ASSERT_NOT_NULL(test, (void *)fb);
	KUNIT_EXPECT_EQ(test, pte_cache((void *)fb), 1);
	EXPECT_NO_REPORT(test, MmUnmapIoSpace((PVOID)fb, PAGE_SIZE));
	/* Bad input: as MmMapIoSpace. */
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmMapVideoDisplay(pa(bar), PAGE_SIZE, MmNotMapped)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      KUNIT_EXPECT_NULL(test, MmMapVideoDisplay(pa(bar), 0, MmWriteCombined)));
	/* IRQL <= APC_LEVEL: refused with a spin lock held. */
	irql_reports = MmshimVerifierReportCount(MMSHIM_CALL_FAILED, MMSHIM_FAIL_IRQL);
	spin_lock_irqsave(&register_test_lock, flags);
	atomic_va = MmMapVideoDisplay(pa(bar), PAGE_SIZE, MmWriteCombined);
	spin_unlock_irqrestore(&register_test_lock, flags);
	KUNIT_EXPECT_NULL(test, atomic_va);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(MMSHIM_CALL_FAILED, MMSHIM_FAIL_IRQL), irql_reports + 1);
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 0UL);
}

static struct kunit_case iomdl_cases[] = {
	KUNIT_CASE(iomdl_edu_mapped_through_the_mdl),
	KUNIT_CASE(iomdl_atomic_and_bad_input),
	KUNIT_CASE(iomdl_video_display),
	{}
};

static struct kunit_suite iomdl_suite = {
	.name = "mmshim_iomdl",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = iomdl_cases,
};
kunit_test_suite(register_suite);
kunit_test_suite(iomdl_suite);
