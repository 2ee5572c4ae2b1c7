// SPDX-License-Identifier: GPL-2.0
/*
 * lock_test.c - KUnit suite "mmshim_lock": MmProbeAndLockPages,
 * MmUnlockPages and MmshimProbeAndLockPages on kernel memory (kmalloc,
 * vmalloc, stack, read-only vmap), and on user memory of a real address
 * space (the loading process's, borrowed with kthread_use_mm).
 * Every refused or raising call is checked for leaked page references.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/kthread.h>
#include <linux/workqueue.h>
#include <linux/sched/mm.h>
#include "mmshim_kunit.h"

/* Lock in __try; returns the raised status or STATUS_SUCCESS. */
static noinline NTSTATUS lock_status(PMDL mdl, KPROCESSOR_MODE mode, LOCK_OPERATION op)
{
	volatile NTSTATUS status = STATUS_SUCCESS;

	__try {
		MmProbeAndLockPages(mdl, mode, op);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		status = GetExceptionCode();
	}
	return status;
}

static int refs(const void *va)
{
	const struct page *p = is_vmalloc_addr(va) ? vmalloc_to_page(va) : virt_to_page(va);

	return page_ref_count(compound_head((struct page *)p));
}

static unsigned long kva_pfn(const void *va)
{
	return is_vmalloc_addr(va) ? vmalloc_to_pfn(va) : page_to_pfn(virt_to_page(va));
}

/*
 * Two pages at offset 100 of a three-page kernel buffer: locked for write,
 * the frames in the MDL, and a page reference held while locked where the
 * kernel counts the pages. Newer kernels (7.x) keep kmalloc's pages at a
 * count of zero ("frozen"), which nobody may raise: the lock then holds no
 * reference, and the count stays zero.
 */
static void lock_three_pages(struct kunit *test, char *buf)
{
	char *va = buf + 100;
	int ref0, ref1, i;
	PMDL m;

	m = IoAllocateMdl(va, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	ref0 = refs(va);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_WRITE_OPERATION);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_IO_SPACE);
	KUNIT_EXPECT_NULL(test, m->Process);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), 1UL);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[i],
				kva_pfn((char *)PAGE_ALIGN(va) + i * PAGE_SIZE));
	ref1 = refs(va);
	if (ref0)
		KUNIT_EXPECT_GT(test, ref1, ref0);
	else
		KUNIT_EXPECT_EQ(test, ref1, 0);
	EXPECT_NO_REPORT(test, MmUnlockPages(m));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_WRITE_OPERATION); /* left as is */
	KUNIT_EXPECT_EQ(test, refs(va), ref0);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), 0UL);
	IoFreeMdl(m);
}

static void lock_kernel_kmalloc(struct kunit *test)
{
	char *buf = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	kunit_info(test, "kmalloc pages counted: %s\n", refs(buf) ? "yes" : "no (frozen)");
	lock_three_pages(test, buf);
	kfree(buf);
}

/* mmshim's nonpaged pool is counted on every kernel, at every priority:
 * the lock holds it. */
static void lock_kernel_pool(struct kunit *test)
{
	static const EX_POOL_PRIORITY prio[] = { LowPoolPriority, NormalPoolPriority,
						 HighPoolPriority };
	char *buf;
	int i;

	for (i = 0; i < ARRAY_SIZE(prio); i++) {
		buf = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 3 * PAGE_SIZE, 'kcoL', prio[i]);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		KUNIT_EXPECT_GT_MSG(test, refs(buf), 0, "priority %d", prio[i]);
		lock_three_pages(test, buf);
		ExFreePoolWithTag(buf, 'kcoL');
	}
}

static void lock_kernel_vmalloc_and_stack(struct kunit *test)
{
	char stack_buf[200];
	char *v = vmalloc(4 * PAGE_SIZE);
	int ref0;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, v);
	m = IoAllocateMdl(v + 8, 4 * PAGE_SIZE - 8, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	ref0 = refs(v + 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_WRITE_OPERATION);
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[3], kva_pfn(v + 3 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, refs(v + 3 * PAGE_SIZE), ref0 + 1);
	MmUnlockPages(m);
	KUNIT_EXPECT_EQ(test, refs(v + 3 * PAGE_SIZE), ref0);
	IoFreeMdl(m);
	vfree(v);

	/* Locking a kernel stack buffer is a normal pattern: allowed. */
	m = IoAllocateMdl(stack_buf, sizeof(stack_buf), FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoModifyAccess), STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[0], kva_pfn((void *)((unsigned long)stack_buf & PAGE_MASK)));
	MmUnlockPages(m);
	IoFreeMdl(m);
}

static void lock_kernel_read_only(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	void *ro;
	int ref0;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, page);
	ro = vmap(&page, 1, VM_MAP, PAGE_KERNEL_RO);
	KUNIT_ASSERT_NOT_NULL(test, ro);
	m = IoAllocateMdl(ro, 64, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	ref0 = page_ref_count(page);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, (int)m->MdlFlags, MDL_ALLOCATED_FIXED_SIZE);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), ref0);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[0], page_to_pfn(page));
	MmUnlockPages(m);
	IoFreeMdl(m);
	vunmap(ro);
	__free_page(page);
}

static void lock_raises_and_leaves_nothing(struct kunit *test)
{
	char *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	char *v = vmalloc(PAGE_SIZE);
	u8 *store = kunit_kzalloc(test, sizeof(MDL) + 4 * sizeof(PFN_NUMBER), GFP_KERNEL);
	int ref_buf, ref_v;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, store);
	ref_buf = refs(buf);
	ref_v = refs(v);

	/* UserMode probe of a kernel address. */
	m = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, lock_status(m, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, (int)(m->MdlFlags & ~MDL_ALLOCATED_FIXED_SIZE), 0);
	KUNIT_EXPECT_EQ(test, MmshimProbeAndLockPages(m, UserMode, IoReadAccess),
			STATUS_ACCESS_VIOLATION);
	IoFreeMdl(m);

	/* Partly unmapped: the page after a vmalloc area is its guard page. */
	m = IoAllocateMdl(v, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	IoFreeMdl(m);

	/* A range that crosses from user space into the kernel half. */
	m = IoAllocateMdl((PVOID)(TASK_SIZE_MAX - PAGE_SIZE), 3 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	IoFreeMdl(m);

	/* Zero length (an MDL the driver initialised itself). */
	m = (PMDL)store;
	MmInitializeMdl(m, buf, 0);
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, (int)m->MdlFlags, 0);

	/* A user range in a thread without a user address space. */
	m = IoAllocateMdl((PVOID)0x10000, 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	if (!current->mm)
		KUNIT_EXPECT_EQ(test, lock_status(m, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	IoFreeMdl(m);

	KUNIT_EXPECT_EQ(test, refs(buf), ref_buf);
	KUNIT_EXPECT_EQ(test, refs(v), ref_v);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), 0UL);
	kfree(buf);
	vfree(v);
}

static void lock_misuse_is_reported(struct kunit *test)
{
	char *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	int ref0;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	ref0 = refs(buf);
	m = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);

	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
		      MmUnlockPages(m));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      MmUnlockPages(NULL));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      MmProbeAndLockPages(NULL, KernelMode, IoReadAccess));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      MmProbeAndLockPages(m, KernelMode, (LOCK_OPERATION)7));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      MmProbeAndLockPages(m, (KPROCESSOR_MODE)5, IoReadAccess));

	KUNIT_EXPECT_EQ(test, MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_LOCKED,
		      MmProbeAndLockPages(m, KernelMode, IoWriteAccess));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_LOCKED,
		      IoFreeMdl(m));
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_PAGES_LOCKED); /* still there, still locked */
	EXPECT_NO_REPORT(test, MmUnlockPages(m));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
		      MmUnlockPages(m));
	KUNIT_EXPECT_EQ(test, refs(buf), ref0);

	/* Nonpaged-pool MDLs are described, not locked. */
	MmBuildMdlForNonPagedPool(m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_WRONG_KIND,
		      MmProbeAndLockPages(m, KernelMode, IoReadAccess));
	IoFreeMdl(m);

	/* Raised with no __try: reported as unhandled, the call returns. */
	m = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_REPORT(test, KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_ACCESS_VIOLATION,
		      MmProbeAndLockPages(m, UserMode, IoReadAccess));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	IoFreeMdl(m);
	kfree(buf);
}

static DEFINE_SPINLOCK(lock_test_lock);

static void lock_unlock_under_spinlock(struct kunit *test)
{
	char *buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	unsigned long flags;
	NTSTATUS status;
	int ref0;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	ref0 = refs(buf);
	m = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	spin_lock_irqsave(&lock_test_lock, flags);
	status = MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess); /* nonpageable: fine */
	if (status == STATUS_SUCCESS)
		MmUnlockPages(m);
	spin_unlock_irqrestore(&lock_test_lock, flags);
	KUNIT_EXPECT_EQ(test, status, STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, refs(buf), ref0);
	IoFreeMdl(m);
	kfree(buf);
}

/*
 * User memory. KUnit test cases run in kernel threads, which have no user
 * address space; the suite borrows the one of the process that loads the
 * test module (insmod, blocked in init_module while the suites run) and each
 * user test attaches it (mmshim_user_attach(), kunit_main.c) and maps
 * scratch memory there. These tests use EXPECT and goto while attached so
 * a failure still cleans up what it mapped.
 */
static struct mm_struct *lock_test_user_mm;

static int lock_suite_init(struct kunit_suite *suite)
{
	lock_test_user_mm = mmshim_user_mm_get();
	return 0;
}

static void lock_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&lock_test_user_mm);
}

static bool user_attach(struct kunit *test)
{
	return mmshim_user_attach(test, lock_test_user_mm);
}

static void user_detach(void)
{
	mmshim_user_detach();
}

static unsigned long user_map(unsigned long pages, unsigned long prot)
{
	unsigned long addr = vm_mmap(NULL, 0, pages * PAGE_SIZE, prot, MAP_ANONYMOUS | MAP_PRIVATE, 0);

	return IS_ERR_VALUE(addr) ? 0 : addr;
}

static void lock_user_memory(struct kunit *test)
{
	unsigned long u;
	char val = 0;
	struct page *pg;
	int ref0;
	PMDL m = NULL;

	if (!user_attach(test))
		return;
	u = user_map(4, PROT_READ | PROT_WRITE);
	KUNIT_EXPECT_NE(test, u, 0UL);
	if (!u)
		goto out;
	/* Fault the pages in with known contents. */
	KUNIT_EXPECT_EQ(test, clear_user((void __user *)u, 4 * PAGE_SIZE), 0UL);
	KUNIT_EXPECT_EQ(test, put_user((char)0x42, (char __user *)(u + PAGE_SIZE + 5)), 0);
	m = IoAllocateMdl((PVOID)(u + 16), 3 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_EXPECT_NOT_NULL(test, m);
	if (!m || lock_status(m, UserMode, IoWriteAccess) != STATUS_SUCCESS) {
		KUNIT_FAIL(test, "could not lock the user buffer");
		goto out;
	}
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_PTR_EQ(test, (void *)m->Process, (void *)current->mm);
	/* The PFN array names the pages the process sees. */
	pg = pfn_to_page(MmGetMdlPfnArray(m)[1]);
	ref0 = page_ref_count(pg);
	KUNIT_EXPECT_EQ(test, ((char *)page_address(pg))[5], 0x42);
	((char *)page_address(pg))[6] = 0x17;
	KUNIT_EXPECT_EQ(test, get_user(val, (char __user *)(u + PAGE_SIZE + 6)), 0);
	KUNIT_EXPECT_EQ(test, val, 0x17);
	MmUnlockPages(m);
	/* A pin counts GUP_PIN_COUNTING_BIAS references; they are gone now. */
	KUNIT_EXPECT_LT(test, page_ref_count(pg), ref0);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);

	/* KernelMode probes of user addresses lock them too (trusted caller). */
	KUNIT_EXPECT_EQ(test, lock_status(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	if (m->MdlFlags & MDL_PAGES_LOCKED)
		MmUnlockPages(m);
out:
	if (m)
		IoFreeMdl(m);
	if (u)
		vm_munmap(u, 4 * PAGE_SIZE);
	user_detach();
}

struct unlock_work {
	struct work_struct work;
	PMDL mdl;
};

static void unlock_in_worker(struct work_struct *work)
{
	MmUnlockPages(container_of(work, struct unlock_work, work)->mdl);
}

/* As Windows drivers do (KMDOD unlocks in a worker): another thread unlocks. */
static void lock_unlock_from_another_thread(struct kunit *test)
{
	struct unlock_work w;
	unsigned long u;
	struct page *pg = NULL;
	int ref_locked = 0;
	PMDL m = NULL;

	if (!user_attach(test))
		return;
	u = user_map(2, PROT_READ | PROT_WRITE);
	KUNIT_EXPECT_NE(test, u, 0UL);
	if (!u)
		goto out;
	KUNIT_EXPECT_EQ(test, clear_user((void __user *)u, 2 * PAGE_SIZE), 0UL);
	m = IoAllocateMdl((PVOID)u, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!m || lock_status(m, UserMode, IoWriteAccess) != STATUS_SUCCESS) {
		KUNIT_FAIL(test, "could not lock the user buffer");
		goto out;
	}
	pg = pfn_to_page(MmGetMdlPfnArray(m)[0]);
	ref_locked = page_ref_count(pg);
	w.mdl = m;
	INIT_WORK_ONSTACK(&w.work, unlock_in_worker);
	schedule_work(&w.work);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_LT(test, page_ref_count(pg), ref_locked);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), 0UL);
out:
	if (m)
		IoFreeMdl(m);
	if (u)
		vm_munmap(u, 2 * PAGE_SIZE);
	user_detach();
}

static void lock_user_read_only_and_holes(struct kunit *test)
{
	unsigned long ro, rw;
	PMDL m;

	if (!user_attach(test))
		return;
	ro = user_map(2, PROT_READ);
	rw = user_map(3, PROT_READ | PROT_WRITE);
	KUNIT_EXPECT_NE(test, ro, 0UL);
	KUNIT_EXPECT_NE(test, rw, 0UL);
	if (!ro || !rw)
		goto out;

	m = IoAllocateMdl((PVOID)ro, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	if (m) {
		KUNIT_EXPECT_EQ(test, lock_status(m, UserMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
		KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
		KUNIT_EXPECT_EQ(test, lock_status(m, UserMode, IoReadAccess), STATUS_SUCCESS);
		if (m->MdlFlags & MDL_PAGES_LOCKED)
			MmUnlockPages(m);
		IoFreeMdl(m);
	}

	/* Unmap the middle page: the range has a hole. */
	KUNIT_EXPECT_EQ(test, vm_munmap(rw + PAGE_SIZE, PAGE_SIZE), 0);
	m = IoAllocateMdl((PVOID)rw, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
	if (m) {
		KUNIT_EXPECT_EQ(test, lock_status(m, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
		KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), 0UL);
		IoFreeMdl(m);
	}
out:
	if (ro)
		vm_munmap(ro, 2 * PAGE_SIZE);
	if (rw)
		vm_munmap(rw, 3 * PAGE_SIZE);
	user_detach();
}

/*
 * An MDL built in the driver's own pool block (MmSizeOfMdl +
 * MmInitializeMdl), locked and mapped, then freed with ExFreePool under a
 * spinlock: reported, unmapped and unlocked on the spot.
 */
static void lock_pool_mdl_freed_while_locked(struct kunit *test)
{
	u8 *v = vmalloc(3 * PAGE_SIZE);
	DEFINE_SPINLOCK(lock);
	unsigned long flags;
	int ref0;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, v);
	ref0 = refs(v + PAGE_SIZE);
	m = ExAllocatePool2(POOL_FLAG_NON_PAGED, MmSizeOfMdl(v, 3 * PAGE_SIZE), 'dMrF');
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmInitializeMdl(m, v, 3 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	/* Read-only: never the linear map, even if vmalloc's pages happen to
	 * be physically contiguous; so a mapping record exists. */
	KUNIT_ASSERT_NOT_NULL(test, MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoWrite));
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 1UL);
	spin_lock_irqsave(&lock, flags);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, ExFreePool(m));
	spin_unlock_irqrestore(&lock, flags);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), 0UL);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	KUNIT_EXPECT_EQ(test, refs(v + PAGE_SIZE), ref0);
	vfree(v);
}

static struct kunit_case lock_cases[] = {
	KUNIT_CASE(lock_kernel_kmalloc),
	KUNIT_CASE(lock_kernel_pool),
	KUNIT_CASE(lock_kernel_vmalloc_and_stack),
	KUNIT_CASE(lock_kernel_read_only),
	KUNIT_CASE(lock_raises_and_leaves_nothing),
	KUNIT_CASE(lock_misuse_is_reported),
	KUNIT_CASE(lock_unlock_under_spinlock),
	KUNIT_CASE(lock_user_memory),
	KUNIT_CASE(lock_user_read_only_and_holes),
	KUNIT_CASE(lock_unlock_from_another_thread),
	KUNIT_CASE(lock_pool_mdl_freed_while_locked),
	{}
};

static struct kunit_suite lock_suite = {
	.name = "mmshim_lock",
	MMSHIM_SUITE_HOOKS(lock_suite)
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = lock_cases,
};
mmshim_kunit_suite_with_hooks(lock_suite);
