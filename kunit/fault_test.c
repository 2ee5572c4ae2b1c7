// SPDX-License-Identifier: GPL-2.0
/*
 * fault_test.c - KUnit suite "mmshim_fault": with failslab and
 * fail_page_alloc failing every allocation of this thread (set up by the
 * initramfs, enabled per task through make_it_fail), every mmshim routine
 * fails cleanly: NULL, an error status or a raised exception, the MDL left
 * as it was, nothing leaked (the suite's leak check runs after each test).
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include "mmshim_kunit.h"

#ifdef CONFIG_FAULT_INJECTION
static void fail_allocations(bool on)
{
	current->make_it_fail = on;
}

static void fault_every_allocation_fails_cleanly(struct kunit *test)
{
	u8 *buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	u8 *v = vmalloc(4 * PAGE_SIZE);
	/* More than 16 pages: a lock of up to 16 takes a spare record once
	 * warm (issue 14) and allocates nothing that could fail. */
	u8 *big = vmalloc(20 * PAGE_SIZE);
	PMDL kernel_mdl = IoAllocateMdl(big, 20 * PAGE_SIZE, FALSE, FALSE, NULL);
	PMDL locked_mdl = IoAllocateMdl(v, 4 * PAGE_SIZE, FALSE, FALSE, NULL);
	PVOID pool_small, pool_big, mdl_small, mdl_big, mapped;
	NTSTATUS lock_status;
	CSHORT flags_before;
	int ref0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, kernel_mdl);
	KUNIT_ASSERT_NOT_NULL(test, locked_mdl);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(locked_mdl, KernelMode, IoWriteAccess),
			STATUS_SUCCESS);
	flags_before = locked_mdl->MdlFlags;
	ref0 = page_ref_count(vmalloc_to_page(big));

	fail_allocations(true);
	pool_small = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'tlaF');
	pool_big = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8 << 20, 'tlaF');
	mdl_small = IoAllocateMdl(buf, 100, FALSE, FALSE, NULL);
	mdl_big = IoAllocateMdl(buf, 100 * PAGE_SIZE, FALSE, FALSE, NULL);
	lock_status = MmshimProbeAndLockPages(kernel_mdl, KernelMode, IoReadAccess);
	/* Read-only: always a vmap, which must allocate its VA (a plain map
	 * may succeed without allocating: a recycled record, and room left in
	 * vm_map_ram's current block or the linear map). */
	mapped = MmGetSystemAddressForMdlSafe(locked_mdl, NormalPagePriority | MdlMappingNoWrite);
	fail_allocations(false);

	KUNIT_EXPECT_NULL(test, pool_small);
	KUNIT_EXPECT_NULL(test, pool_big);
	KUNIT_EXPECT_NULL(test, mdl_small);
	KUNIT_EXPECT_NULL(test, mdl_big);
	KUNIT_EXPECT_EQ(test, lock_status, STATUS_INSUFFICIENT_RESOURCES);
	KUNIT_EXPECT_FALSE(test, kernel_mdl->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_EQ(test, page_ref_count(vmalloc_to_page(big)), ref0);
	KUNIT_EXPECT_NULL(test, mapped);
	KUNIT_EXPECT_EQ(test, locked_mdl->MdlFlags, flags_before);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), 1UL);

	/* Everything works again afterwards. */
	mapped = MmGetSystemAddressForMdlSafe(locked_mdl, NormalPagePriority);
	KUNIT_EXPECT_NOT_NULL(test, mapped);
	MmUnlockPages(locked_mdl);
	IoFreeMdl(locked_mdl);
	IoFreeMdl(kernel_mdl);
	vfree(big);
	vfree(v);
	kfree(buf);
}

static DEFINE_SPINLOCK(fault_test_lock);

/* With a spinlock held too: GFP_ATOMIC allocations fail the same way. */
static void fault_atomic_allocations_fail_cleanly(struct kunit *test)
{
	u8 *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	PVOID pool, mdl;
	unsigned long flags;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	fail_allocations(true);
	spin_lock_irqsave(&fault_test_lock, flags);
	pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'tlaF');
	mdl = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
	spin_unlock_irqrestore(&fault_test_lock, flags);
	fail_allocations(false);
	KUNIT_EXPECT_NULL(test, pool);
	KUNIT_EXPECT_NULL(test, mdl);
	kfree(buf);
}
#else
static void fault_every_allocation_fails_cleanly(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}

static void fault_atomic_allocations_fail_cleanly(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}
#endif

static struct kunit_case fault_cases[] = {
	KUNIT_CASE(fault_every_allocation_fails_cleanly),
	KUNIT_CASE(fault_atomic_allocations_fail_cleanly),
	{}
};

static struct kunit_suite fault_suite = {
	.name = "mmshim_fault",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = fault_cases,
};
kunit_test_suite(fault_suite);
