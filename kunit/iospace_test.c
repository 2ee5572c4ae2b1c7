// SPDX-License-Identifier: GPL-2.0
/*
 * iospace_test.c - KUnit suite "mmshim_iospace": MmMapIoSpace(Ex) and
 * MmUnmapIoSpace against real MMIO (qemu's edu PCI device, attached to
 * every test VM: BAR 0 register 0x00 reads 0x010000ed, 0x04 returns the
 * inverse of what was written, 0x08 computes factorials), RAM through
 * MmMapIoSpace, cache types checked in the page tables, MmGetPhysicalAddress,
 * MmIsAddressValid, MmGetSystemRoutineAddress, and every bad input.
 */
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <asm/pgtable.h>
#include "mmshim_kunit.h"
#include <ntddk.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

/* BAR 0 of qemu's edu device (skips the test without one); usermap_test.c too. */
u64 edu_bar0(struct kunit *test, u64 *len)
{
	struct pci_dev *pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	u64 start;
	u16 cmd;

	if (!pdev) {
		kunit_skip(test, "no edu device");
		return 0;
	}
	start = pci_resource_start(pdev, 0);
	*len = pci_resource_len(pdev, 0);
	/* Memory decoding only: pci_enable_device would also route the
	 * interrupt, whose ACPI _PRT evaluation takes ~30 s under TCG. */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	pci_dev_put(pdev);
	return start;
}

/*
 * Cache type of the kernel PTE mapping @va: 0 WB, 1 UC/UC-, 2 WC, -1 other
 * (mmshim_kpte_cache(): x86 PAT bits; arm64 MAIR index: 0 Normal, 1 Device
 * or mmshim's Normal-NC for uncached RAM, 2 Normal-NC). pte_attr() gives
 * the arm64 attribute index itself.
 */
int pte_cache(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	if (!pte || !mmshim_kpte_present(*pte))
		return -1;
	return mmshim_kpte_cache(*pte, level);
}

#ifdef CONFIG_ARM64
/* arm64: the MAIR attribute index (MT_*) of the kernel PTE mapping @va, or -1. */
int pte_attr(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	if (!pte || !mmshim_kpte_present(*pte))
		return -1;
	return (pte_val(*pte) & PTE_ATTRINDX_MASK) >> 2;
}
#endif

/*
 * The device computes in a qemu thread of its own, which a busy host may
 * not run for many milliseconds: wait up to 5 s for the busy bit to clear.
 */
static u32 edu_factorial(volatile u32 *regs, u32 n)
{
	unsigned long deadline = jiffies + 5 * HZ;

	regs[0x08 / 4] = n;
	while ((regs[0x20 / 4] & 1) && time_before(jiffies, deadline))
		usleep_range(20, 100);
	return regs[0x08 / 4];
}

static void iospace_edu_uncached(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	volatile u32 *regs;

	KUNIT_ASSERT_GE(test, len, (u64)PAGE_SIZE);
	EXPECT_NO_REPORT(test, regs = MmMapIoSpace(pa(bar), len, MmNonCached));
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	KUNIT_EXPECT_EQ(test, pte_cache((void *)regs), 1);
	KUNIT_EXPECT_EQ(test, regs[0], 0x010000edU);
	regs[1] = 0x12345678;
	KUNIT_EXPECT_EQ(test, regs[1], ~0x12345678U);
	KUNIT_EXPECT_EQ(test, edu_factorial(regs, 5), 120U);
	KUNIT_EXPECT_EQ(test, edu_factorial(regs, 10), 3628800U);
	KUNIT_EXPECT_EQ(test, (u64)MmGetPhysicalAddress((PVOID)&regs[2]).QuadPart, bar + 8);
	KUNIT_EXPECT_TRUE(test, MmIsAddressValid((PVOID)regs));
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 1UL);
	/* A size that does not match, or an address not mapped: reported, nothing changes. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_SIZE_MISMATCH,
		      MmUnmapIoSpace((PVOID)regs, len + PAGE_SIZE));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED,
		      MmUnmapIoSpace((PVOID)(regs + 1), len));
	KUNIT_EXPECT_EQ(test, regs[0], 0x010000edU);
	EXPECT_NO_REPORT(test, MmUnmapIoSpace((PVOID)regs, len));
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 0UL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED,
		      MmUnmapIoSpace((PVOID)regs, len));
}

/* The Windows idiom: MmMapIoSpaceEx if the system has it, else MmMapIoSpace. */
typedef PVOID (*MAP_IO_SPACE_EX)(PHYSICAL_ADDRESS, SIZE_T, ULONG);

static void iospace_edu_ex_through_routine_address(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	UNICODE_STRING name;
	MAP_IO_SPACE_EX map_ex;
	volatile u32 *regs;

	RtlInitUnicodeString(&name, L"MmMapIoSpaceEx");
	KUNIT_EXPECT_EQ(test, name.Length, 28);
	map_ex = (MAP_IO_SPACE_EX)MmGetSystemRoutineAddress(&name);
	KUNIT_ASSERT_PTR_EQ(test, (void *)map_ex, (void *)MmMapIoSpaceEx);
	RtlInitUnicodeString(&name, L"MmNoSuchRoutine");
	KUNIT_EXPECT_NULL(test, MmGetSystemRoutineAddress(&name));
	RtlInitUnicodeString(&name, L"MmAllocatePagesForMdlEx");
	KUNIT_EXPECT_PTR_EQ(test, MmGetSystemRoutineAddress(&name), (void *)MmAllocatePagesForMdlEx);

	/* Unaligned: the offset within the page is kept. */
	regs = map_ex(pa(bar + 4), 8, PAGE_READWRITE | PAGE_NOCACHE);
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	KUNIT_EXPECT_EQ(test, (unsigned long)regs & ~PAGE_MASK, 4UL);
	KUNIT_EXPECT_EQ(test, pte_cache((void *)regs), 1);
#ifdef CONFIG_ARM64
	/* Device memory uncached: Device-nGnRE, as ioremap(). */
	KUNIT_EXPECT_EQ(test, pte_attr((void *)regs), MT_DEVICE_nGnRE);
#endif
	KUNIT_EXPECT_EQ(test, regs[-1], 0x010000edU);
	regs[0] = 0xa5a5a5a5;
	KUNIT_EXPECT_EQ(test, regs[0], 0x5a5a5a5aU);
	MmUnmapIoSpace((PVOID)regs, 8);

	/* Write-combined, then a conflicting uncached alias is refused. */
	regs = map_ex(pa(bar), PAGE_SIZE, PAGE_READWRITE | PAGE_WRITECOMBINE);
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	KUNIT_EXPECT_EQ(test, pte_cache((void *)regs), 2);
#ifdef CONFIG_ARM64
	KUNIT_EXPECT_EQ(test, pte_attr((void *)regs), MT_NORMAL_NC);
#endif
	KUNIT_EXPECT_EQ(test, regs[0], 0x010000edU);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpace(pa(bar), PAGE_SIZE, MmNonCached)));
	MmUnmapIoSpace((PVOID)regs, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 0UL);
}

static void iospace_ram(struct kunit *test)
{
	u8 *buf = (u8 *)__get_free_pages(GFP_KERNEL, 1);
	u64 phys;
	u8 *va;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	phys = virt_to_phys(buf);
	memset(buf, 0x3c, 2 * PAGE_SIZE);
	/* RAM is mapped cached through the linear map, offset kept. */
	va = MmMapIoSpace(pa(phys + 100), PAGE_SIZE, MmCached);
	KUNIT_ASSERT_PTR_EQ(test, va, buf + 100);
	KUNIT_EXPECT_EQ(test, va[PAGE_SIZE - 1], 0x3c);
	KUNIT_EXPECT_EQ(test, (u64)MmGetPhysicalAddress(buf + 5).QuadPart, phys + 5);
	MmUnmapIoSpace(va, PAGE_SIZE);
	/* An uncached or write-combined alias of cached RAM breaks PAT: refused. */
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpace(pa(phys), PAGE_SIZE, MmNonCached)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpaceEx(pa(phys), PAGE_SIZE, PAGE_READWRITE | PAGE_WRITECOMBINE)));
	KUNIT_EXPECT_EQ(test, pte_cache(buf), 0);
	/* Read-only: its own mapping, same bytes. */
	va = MmMapIoSpaceEx(pa(phys), 2 * PAGE_SIZE, PAGE_READONLY);
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_NE(test, (unsigned long)va, (unsigned long)buf);
	buf[PAGE_SIZE + 7] = 0x99;
	KUNIT_EXPECT_EQ(test, va[PAGE_SIZE + 7], 0x99);
	KUNIT_EXPECT_EQ(test, pte_cache(va), 0);
	MmUnmapIoSpace(va, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 0UL);
	free_pages((unsigned long)buf, 1);
}

static void iospace_bad_input(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);

	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpace(pa(bar), 0, MmNonCached)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpace(pa(bar), 4, (MEMORY_CACHING_TYPE)7)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpace(pa(bar), ~(SIZE_T)0, MmNonCached)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpace(pa(~0ULL), 4, MmNonCached)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpace(pa(1ULL << 60), 4, MmNonCached)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpaceEx(pa(bar), 4, PAGE_NOACCESS)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpaceEx(pa(bar), 4, PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      KUNIT_EXPECT_NULL(test, MmMapIoSpaceEx(pa(bar), 4, PAGE_EXECUTE_READWRITE)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED,
		      MmUnmapIoSpace(test, PAGE_SIZE));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmGetSystemRoutineAddress(NULL)));
	KUNIT_EXPECT_FALSE(test, MmIsAddressValid(NULL));
	KUNIT_EXPECT_FALSE(test, MmIsAddressValid((PVOID)0x8000000000000000ULL));
	KUNIT_EXPECT_TRUE(test, MmIsAddressValid(test));
	KUNIT_EXPECT_EQ(test, MmGetPhysicalAddress(NULL).QuadPart, 0LL);
}

static DEFINE_SPINLOCK(iospace_test_lock);

/* With a spinlock held: device memory needs ioremap (refused), cached RAM works. */
static void iospace_atomic(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	u8 *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	unsigned long flags;
	PVOID dev, ram, mapped;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	mapped = MmMapIoSpace(pa(bar), PAGE_SIZE, MmNonCached);
	KUNIT_ASSERT_NOT_NULL(test, mapped);
	spin_lock_irqsave(&iospace_test_lock, flags);
	dev = MmMapIoSpace(pa(bar), PAGE_SIZE, MmNonCached);
	ram = MmMapIoSpace(pa(virt_to_phys(buf)), 64, MmCached);
	if (ram)
		MmUnmapIoSpace(ram, 64);
	/* Unmapping device memory works here: iounmap goes to a worker. */
	MmUnmapIoSpace(mapped, PAGE_SIZE);
	spin_unlock_irqrestore(&iospace_test_lock, flags);
	KUNIT_EXPECT_NULL(test, dev);
	KUNIT_EXPECT_PTR_EQ(test, ram, (PVOID)buf);
	KUNIT_EXPECT_EQ(test, MmshimIoSpaceMappingCount(), 0UL);
	kfree(buf);
}

static struct kunit_case iospace_cases[] = {
	KUNIT_CASE(iospace_edu_uncached),
	KUNIT_CASE(iospace_edu_ex_through_routine_address),
	KUNIT_CASE(iospace_ram),
	KUNIT_CASE(iospace_bad_input),
	KUNIT_CASE(iospace_atomic),
	{}
};

static struct kunit_suite iospace_suite = {
	.name = "mmshim_iospace",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = iospace_cases,
};
kunit_test_suite(iospace_suite);
