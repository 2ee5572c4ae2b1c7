// SPDX-License-Identifier: GPL-2.0
/*
 * usermap_test.c - KUnit suite "mmshim_usermap": MmMapLockedPagesSpecifyCache
 * (UserMode) and MmUnmapLockedPages of user addresses, in a real address
 * space (the loading process's, borrowed with kthread_use_mm as in
 * lock_test.c). Data is checked both ways through copy_{to,from}_user,
 * permissions through the VMA and a refused kernel write, and every misuse
 * (wrong process, unlock while mapped, partial kernel pages) for its report
 * and for leaving both sides intact. Faults in the process itself (SIGSEGV
 * on a NoWrite mapping, fork, mprotect, mremap) are tested by the example's
 * user-space client (examples/ioctl_driver/client.c).
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include "mmshim_kunit.h"

static struct mm_struct *usermap_test_mm;

static int usermap_suite_init(struct kunit_suite *suite)
{
	usermap_test_mm = mmshim_user_mm_get();
	return 0;
}

static void usermap_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&usermap_test_mm);
}

static bool attach(struct kunit *test)
{
	return mmshim_user_attach(test, usermap_test_mm);
}

static void detach(void)
{
	mmshim_user_detach();
}

/* Map in __try; *status gets the raised status (or STATUS_SUCCESS). */
static noinline PVOID map_user_as(PMDL mdl, MEMORY_CACHING_TYPE cache, PVOID requested, ULONG priority,
				  NTSTATUS *status)
{
	volatile NTSTATUS s = STATUS_SUCCESS;
	PVOID volatile va = NULL;

	__try {
		va = MmMapLockedPagesSpecifyCache(mdl, UserMode, cache, requested, FALSE, priority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	*status = s;
	return va;
}

static PVOID map_user(PMDL mdl, PVOID requested, ULONG priority, NTSTATUS *status)
{
	return map_user_as(mdl, MmCached, requested, priority, status);
}

/* vm_flags of the VMA at @addr in the current mm, 0 if there is none. */
static unsigned long vma_flags_at(unsigned long addr)
{
	struct vm_area_struct *vma;
	unsigned long flags = 0;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, addr);
	if (vma)
		flags = vma->vm_flags;
	mmap_read_unlock(current->mm);
	return flags;
}

/* A locked MDL over @pages fresh vmalloc pages (scattered frames). */
static PMDL vmalloc_mdl(struct kunit *test, u8 **buf, unsigned int pages)
{
	*buf = vmalloc(pages * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, *buf);
	memset(*buf, 0, pages * PAGE_SIZE);
	return locked_mdl(test, *buf, pages * PAGE_SIZE);
}

static void usermap_data_both_ways(struct kunit *test)
{
	u8 *buf, page[64];
	CSHORT flags;
	PVOID sysva;
	NTSTATUS st;
	unsigned long uva, vf;
	unsigned int i;
	PMDL m;

	if (!attach(test))
		return;
	m = vmalloc_mdl(test, &buf, 3);
	flags = m->MdlFlags;
	sysva = m->MappedSystemVa;
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	KUNIT_EXPECT_LT(test, uva, (unsigned long)TASK_SIZE);
	KUNIT_EXPECT_EQ(test, uva & ~PAGE_MASK, 0UL);
	/* Windows: MDL flags and MappedSystemVa are not touched. */
	KUNIT_EXPECT_EQ(test, (int)m->MdlFlags, (int)flags);
	KUNIT_EXPECT_PTR_EQ(test, m->MappedSystemVa, sysva);
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 1UL);

	/* Kernel writes, the process reads; the process writes, the kernel reads. */
	for (i = 0; i < 3; i++)
		buf[i * PAGE_SIZE + 7] = 0xA0 + i;
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, copy_from_user(page, (void __user *)(uva + i * PAGE_SIZE), 64), 0UL);
		KUNIT_EXPECT_EQ(test, page[7], (u8)(0xA0 + i));
		memset(page, 0x30 + i, sizeof(page));
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(uva + i * PAGE_SIZE + 100), page, 64), 0UL);
		KUNIT_EXPECT_EQ(test, buf[i * PAGE_SIZE + 100], (u8)(0x30 + i));
		KUNIT_EXPECT_EQ(test, buf[i * PAGE_SIZE + 163], (u8)(0x30 + i));
	}

	/* Never executable, now or after mprotect; fixed shape; not inherited. */
	vf = vma_flags_at(uva);
	KUNIT_EXPECT_TRUE(test, vf & VM_SHARED);
	KUNIT_EXPECT_TRUE(test, vf & VM_WRITE);
	KUNIT_EXPECT_FALSE(test, vf & VM_EXEC);
	KUNIT_EXPECT_FALSE(test, vf & VM_MAYEXEC);
	KUNIT_EXPECT_TRUE(test, vf & VM_DONTCOPY);
	KUNIT_EXPECT_TRUE(test, vf & VM_DONTEXPAND);

	EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
	KUNIT_EXPECT_EQ(test, vma_flags_at(uva), 0UL);
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	KUNIT_EXPECT_NE(test, copy_from_user(page, (void __user *)uva, 1), 0UL);
	detach();
	EXPECT_NO_REPORT(test, MmUnlockPages(m));
	IoFreeMdl(m);
	vfree(buf);
}

static void usermap_no_write(struct kunit *test)
{
	u8 *buf, byte = 0x55;
	unsigned long uva, vf;
	NTSTATUS st;
	PMDL m;

	if (!attach(test))
		return;
	m = vmalloc_mdl(test, &buf, 2);
	buf[PAGE_SIZE] = 0x77;
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority | MdlMappingNoWrite, &st);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	vf = vma_flags_at(uva);
	KUNIT_EXPECT_FALSE(test, vf & VM_WRITE);
	KUNIT_EXPECT_FALSE(test, vf & VM_MAYWRITE); /* mprotect cannot add it */
	KUNIT_EXPECT_FALSE(test, vf & VM_MAYEXEC);
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + PAGE_SIZE), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, 0x77);
	/* A write through it faults and is refused, not done. */
	byte = 0x11;
	KUNIT_EXPECT_NE(test, copy_to_user((void __user *)(uva + PAGE_SIZE), &byte, 1), 0UL);
	KUNIT_EXPECT_EQ(test, buf[PAGE_SIZE], 0x77);
	EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
	detach();
	MmUnlockPages(m);
	IoFreeMdl(m);
	vfree(buf);
}

static void usermap_requested_address(struct kunit *test)
{
	unsigned long free_va, uva, taken;
	NTSTATUS st;
	u8 *buf;
	PMDL m;

	if (!attach(test))
		return;
	m = vmalloc_mdl(test, &buf, 2);
	/* Find a free range, then ask for exactly it. */
	free_va = vm_mmap(NULL, 0, 4 * PAGE_SIZE, PROT_READ, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(free_va));
	vm_munmap(free_va, 4 * PAGE_SIZE);
	uva = (unsigned long)map_user(m, (PVOID)(free_va + PAGE_SIZE), NormalPagePriority, &st);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, uva, free_va + PAGE_SIZE);

	/* Taken (by the mapping above, or by something else): not replaced. */
	taken = (unsigned long)map_user(m, (PVOID)free_va, NormalPagePriority, &st);
	KUNIT_EXPECT_EQ(test, st, STATUS_CONFLICTING_ADDRESSES);
	KUNIT_EXPECT_EQ(test, taken, 0UL);
	KUNIT_EXPECT_NE(test, vma_flags_at(uva), 0UL);

	/* Unaligned, beyond user space, wrapping: STATUS_INVALID_ADDRESS. */
	KUNIT_EXPECT_NULL(test, map_user(m, (PVOID)(free_va + 8), NormalPagePriority, &st));
	KUNIT_EXPECT_EQ(test, st, STATUS_INVALID_ADDRESS);
	KUNIT_EXPECT_NULL(test, map_user(m, (PVOID)(TASK_SIZE - PAGE_SIZE), NormalPagePriority, &st));
	KUNIT_EXPECT_EQ(test, st, STATUS_INVALID_ADDRESS);
	KUNIT_EXPECT_NULL(test, map_user(m, (PVOID)(-4 * PAGE_SIZE), NormalPagePriority, &st));
	KUNIT_EXPECT_EQ(test, st, STATUS_INVALID_ADDRESS);
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 1UL);

	MmUnmapLockedPages((PVOID)uva, m);
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	detach();
	MmUnlockPages(m);
	IoFreeMdl(m);
	vfree(buf);
}

static void usermap_wrong_process_refused(struct kunit *test)
{
	u8 *buf, byte = 0;
	unsigned long uva;
	NTSTATUS st;
	PMDL m;

	if (!attach(test))
		return;
	m = vmalloc_mdl(test, &buf, 1);
	buf[5] = 0x5A;
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	detach();

	/* This thread is now another "process" (no user address space). */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS,
		      MmUnmapLockedPages((PVOID)uva, m));
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 1UL);
	/* An address that is no mapping of this MDL at all. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED,
		      MmUnmapLockedPages((PVOID)(uva + PAGE_SIZE), m));

	/* The owner still has it, intact, and can unmap it. */
	mmshim_user_attach(test, usermap_test_mm);
	KUNIT_EXPECT_NE(test, vma_flags_at(uva), 0UL);
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + 5), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, 0x5A);
	EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
	KUNIT_EXPECT_EQ(test, vma_flags_at(uva), 0UL);
	detach();
	MmUnlockPages(m);
	IoFreeMdl(m);
	vfree(buf);
}

/* The process drops the mapping itself (munmap, or exit: the same close). */
static void usermap_gone_with_process(struct kunit *test)
{
	unsigned long uva;
	NTSTATUS st;
	u8 *buf;
	PMDL m;

	if (!attach(test))
		return;
	m = vmalloc_mdl(test, &buf, 2);
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	/* A partial munmap would split it: refused, the mapping stays whole. */
	KUNIT_EXPECT_NE(test, vm_munmap(uva + PAGE_SIZE, PAGE_SIZE), 0);
	KUNIT_EXPECT_NE(test, vma_flags_at(uva + PAGE_SIZE), 0UL);
	KUNIT_EXPECT_EQ(test, vm_munmap(uva, 2 * PAGE_SIZE), 0);
	detach();
	/* The driver's cleanup runs later, from a context without the mm. */
	EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);

	/* Or the driver never unmaps: unlocking forgets the gone mapping. */
	KUNIT_ASSERT_TRUE(test, attach(test));
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	KUNIT_EXPECT_EQ(test, vm_munmap(uva, 2 * PAGE_SIZE), 0);
	detach();
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 1UL);
	EXPECT_NO_REPORT(test, MmUnlockPages(m));
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	IoFreeMdl(m);
	vfree(buf);
}

/* Unlocking (or freeing) while a process still maps the pages: reported,
 * and the process loses access before the pages are released. */
static void usermap_unlock_while_mapped(struct kunit *test)
{
	u8 byte = 0, *pool;
	unsigned long uva;
	NTSTATUS st;
	u8 *buf;
	PMDL m;

	if (!attach(test))
		return;
	m = vmalloc_mdl(test, &buf, 1);
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)uva, 1), 0UL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_LIVE,
		      MmUnlockPages(m));
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	KUNIT_EXPECT_NE(test, copy_from_user(&byte, (void __user *)uva, 1), 0UL);
	KUNIT_EXPECT_EQ(test, vm_munmap(uva, PAGE_SIZE), 0);
	IoFreeMdl(m);
	vfree(buf);

	/* A nonpaged-pool MDL (whole pages) freed while mapped. */
	pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 2 * PAGE_SIZE, 'pmsU');
	KUNIT_ASSERT_NOT_NULL(test, pool);
	m = IoAllocateMdl(pool, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	pool[PAGE_SIZE] = 0x42;
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + PAGE_SIZE), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, 0x42);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_LIVE, IoFreeMdl(m));
	KUNIT_EXPECT_NE(test, copy_from_user(&byte, (void __user *)(uva + PAGE_SIZE), 1), 0UL);
	ExFreePoolWithTag(pool, 'pmsU');
	KUNIT_EXPECT_EQ(test, vm_munmap(uva, 2 * PAGE_SIZE), 0);
	detach();
}

static int head_refs(const void *kva)
{
	return page_ref_count(compound_head(virt_to_page(kva)));
}

/*
 * The driver frees its nonpaged pool while a process still maps it (it
 * forgot MmUnmapLockedPages): the mapping's page references keep the frames
 * out of the page allocator, so the process reads stale data of its own
 * mapping, never someone else's reused page; the frames go back when the
 * mapping does. Pool pages are counted on every kernel (pool.cpp), also on
 * those that keep kmalloc's pages frozen at zero.
 */
static void usermap_pool_freed_while_mapped(struct kunit *test)
{
	u8 byte = 0, *pool;
	unsigned long uva;
	int ref0, ref_mapped;
	NTSTATUS st;
	PMDL m;

	if (!attach(test))
		return;
	pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 2 * PAGE_SIZE, 'pmsU');
	KUNIT_EXPECT_NOT_NULL(test, pool);
	if (!pool)
		goto out;
	m = IoAllocateMdl(pool, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_EXPECT_NOT_NULL(test, m);
	if (!m) {
		ExFreePoolWithTag(pool, 'pmsU');
		goto out;
	}
	MmBuildMdlForNonPagedPool(m);
	pool[PAGE_SIZE + 1] = 0x5C;
	ref0 = head_refs(pool);
	KUNIT_EXPECT_GT(test, ref0, 0);
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_EXPECT_NE(test, uva, 0UL);
	if (uva) {
		ref_mapped = head_refs(pool);
		KUNIT_EXPECT_GT(test, ref_mapped, ref0);
		/* The driver's bug: the block goes while the process maps it. */
		ExFreePoolWithTag(pool, 'pmsU');
		KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + PAGE_SIZE + 1), 1), 0UL);
		KUNIT_EXPECT_EQ(test, byte, 0x5C);
		/* Still held by the mapping alone: the pool's own count is gone. */
		KUNIT_EXPECT_EQ(test, head_refs(pool), ref_mapped - ref0);
		EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
	} else {
		ExFreePoolWithTag(pool, 'pmsU');
	}
	IoFreeMdl(m);
out:
	detach();
}

/*
 * Whole pages of kmalloc memory (the driver's Linux half): mapped where the
 * kernel counts kmalloc's pages; refused with a report where it keeps them
 * frozen at zero (7.x), since no reference could keep them alive for the
 * mapping. mmshim's own pool works on both (above).
 */
static void usermap_kmalloc_pages(struct kunit *test)
{
	u8 *buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL), byte = 0;
	unsigned long uva;
	NTSTATUS st;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	m = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	buf[3] = 0x6D;
	if (!attach(test)) {
		IoFreeMdl(m);
		kfree(buf);
		return;
	}
	if (head_refs(buf)) {
		kunit_info(test, "kmalloc pages are counted: mapped\n");
		EXPECT_NO_REPORT(test, uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st));
		KUNIT_EXPECT_NE(test, uva, 0UL);
		if (uva) {
			KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + 3), 1), 0UL);
			KUNIT_EXPECT_EQ(test, byte, 0x6D);
			EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
		}
	} else {
		kunit_info(test, "kmalloc pages are frozen: refused\n");
		EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
			      KUNIT_EXPECT_NULL(test, map_user(m, NULL, NormalPagePriority, &st)));
		KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS); /* refused, not raised */
		KUNIT_EXPECT_EQ(test, head_refs(buf), 0);
	}
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	detach();
	IoFreeMdl(m);
	kfree(buf);
}

/* The same at DISPATCH_LEVEL: the removal is queued to mmshim's worker. */
static void usermap_unlock_while_mapped_atomic(struct kunit *test)
{
	DEFINE_SPINLOCK(lock);
	unsigned long uva;
	u8 byte = 0, *buf;
	NTSTATUS st;
	int tries;
	PMDL m;

	if (!attach(test))
		return;
	m = vmalloc_mdl(test, &buf, 2);
	buf[0] = 0x24;
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	spin_lock(&lock);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_LIVE,
		      MmUnlockPages(m));
	spin_unlock(&lock);
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	for (tries = 0; tries < 1000; tries++) {
		if (copy_from_user(&byte, (void __user *)uva, 1))
			break;
		msleep(10);
	}
	KUNIT_EXPECT_LT_MSG(test, tries, 1000, "the process kept access to unlocked pages");
	KUNIT_EXPECT_EQ(test, vm_munmap(uva, 2 * PAGE_SIZE), 0);
	detach();
	IoFreeMdl(m);
	vfree(buf);
}

static void usermap_refusals(struct kunit *test)
{
	DEFINE_SPINLOCK(lock);
	u8 *small, *buf, byte = 0;
	unsigned long uva, user;
	NTSTATUS st;
	PMDL m;

	/* Part of a kernel page (the rest is someone else's slab object). */
	small = kmalloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	m = IoAllocateMdl(small, 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	if (!attach(test)) {
		IoFreeMdl(m);
		kfree(small);
		return;
	}
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
		      KUNIT_EXPECT_NULL(test, map_user(m, NULL, NormalPagePriority, &st)));
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS); /* refused, not raised */
	IoFreeMdl(m);
	kfree(small);

	/* Not locked. */
	m = IoAllocateMdl((PVOID)0x10000, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
		      KUNIT_EXPECT_NULL(test, map_user(m, NULL, NormalPagePriority, &st)));
	IoFreeMdl(m);

	/* With a spinlock held (DISPATCH_LEVEL). */
	m = vmalloc_mdl(test, &buf, 1);
	spin_lock(&lock);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      KUNIT_EXPECT_NULL(test, map_user(m, NULL, NormalPagePriority, &st)));
	spin_unlock(&lock);
	/* Invalid AccessMode. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesSpecifyCache(m, (KPROCESSOR_MODE)7, MmCached,
									    NULL, FALSE, 0)));
	detach();
	/* No process to map into: raised. */
	KUNIT_EXPECT_NULL(test, map_user(m, NULL, NormalPagePriority, &st));
	KUNIT_EXPECT_EQ(test, st, STATUS_PROCESS_IS_TERMINATING);
	MmUnlockPages(m);
	IoFreeMdl(m);
	vfree(buf);

	/* The process's own pages, partly covered, back into the same process: fine. */
	KUNIT_ASSERT_TRUE(test, attach(test));
	user = vm_mmap(NULL, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(user));
	byte = 0x66;
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(user + 300), &byte, 1), 0UL);
	m = IoAllocateMdl((PVOID)(user + 200), 500, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	uva = (unsigned long)map_user(m, NULL, NormalPagePriority, &st);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, uva & ~PAGE_MASK, 200UL); /* ByteOffset included */
	byte = 0;
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + 100), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, 0x66);
	EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
	MmUnlockPages(m);
	IoFreeMdl(m);
	vm_munmap(user, 2 * PAGE_SIZE);
	detach();
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
}

/*
 * Device memory (qemu's edu device) into the process, through an MDL built
 * for an MmMapIoSpace mapping, as Windows drivers share registers: the
 * process reads the identification register and drives the liveness one.
 */
static void usermap_device_memory(struct kunit *test)
{
	u64 len = 0, bar = edu_bar0(test, &len);
	u32 __user *uregs;
	volatile u32 *regs;
	unsigned long vf;
	u32 value = 0;
	NTSTATUS st;
	PMDL m;

	if (!bar)
		return;
	regs = MmMapIoSpace((PHYSICAL_ADDRESS){ .QuadPart = (LONGLONG)bar }, PAGE_SIZE, MmNonCached);
	KUNIT_ASSERT_NOT_NULL(test, (void *)regs);
	m = IoAllocateMdl((PVOID)regs, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_IO_SPACE);
	KUNIT_EXPECT_EQ(test, (u64)MmGetMdlPfnArray(m)[0], bar >> PAGE_SHIFT);
	if (!attach(test))
		goto out;
	uregs = map_user_as(m, MmNonCached, NULL, NormalPagePriority, &st);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	if (uregs) {
		vf = vma_flags_at((unsigned long)uregs);
		KUNIT_EXPECT_TRUE(test, vf & VM_IO);
		KUNIT_EXPECT_FALSE(test, vf & VM_MAYEXEC);
		KUNIT_EXPECT_EQ(test, get_user(value, uregs), 0);
		KUNIT_EXPECT_EQ(test, value, 0x010000edU); /* edu identification */
		KUNIT_EXPECT_EQ(test, put_user(0x12345678U, uregs + 1), 0);
		KUNIT_EXPECT_EQ(test, regs[1], ~0x12345678U); /* liveness: inverted */
		EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uregs, m));
		KUNIT_EXPECT_EQ(test, vma_flags_at((unsigned long)uregs), 0UL);
	}
	detach();
out:
	IoFreeMdl(m);
	MmUnmapIoSpace((PVOID)regs, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
}

static struct kunit_case usermap_cases[] = {
	KUNIT_CASE(usermap_data_both_ways),
	KUNIT_CASE(usermap_no_write),
	KUNIT_CASE(usermap_requested_address),
	KUNIT_CASE(usermap_wrong_process_refused),
	KUNIT_CASE(usermap_gone_with_process),
	KUNIT_CASE(usermap_unlock_while_mapped),
	KUNIT_CASE(usermap_pool_freed_while_mapped),
	KUNIT_CASE(usermap_kmalloc_pages),
	KUNIT_CASE(usermap_unlock_while_mapped_atomic),
	KUNIT_CASE(usermap_refusals),
	KUNIT_CASE(usermap_device_memory),
	{}
};

static struct kunit_suite usermap_suite = {
	.name = "mmshim_usermap",
	MMSHIM_SUITE_HOOKS(usermap_suite)
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = usermap_cases,
};
mmshim_kunit_suite_with_hooks(usermap_suite);
