// SPDX-License-Identifier: GPL-2.0
/*
 * perm_test.c - KUnit suite "mmshim_perm": no write reaches a page its owner
 * could not write (docs/security.md), in a real address space (the
 * loading process's, borrowed with kthread_use_mm as in usermap_test.c):
 *   - a read lock of untouched writable memory gives the process its own
 *     page (not the shared zero page), as a Windows demand-zero fault does;
 *   - read locks of memory the process cannot write (untouched PROT_READ
 *     memory, a file opened O_RDONLY) are mapped read-only everywhere: user
 *     mapping (VM_WRITE and VM_MAYWRITE clear, reported), system mapping
 *     (not the writable linear map), reserved mapping, partial MDLs;
 *   - a module's .rodata described by MmBuildMdlForNonPagedPool is never
 *     mapped writable;
 *   - a lock holds the process's mm_struct, so its address cannot be
 *     reused by another process while mmshim compares with it.
 */
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/kthread.h>
#include <linux/vmalloc.h>
#include <asm/pgtable.h>
#include "mmshim_kunit.h"

static struct mm_struct *perm_test_mm;

/* Two whole pages of this module's read-only data. */
static const u8 perm_rodata[2 * PAGE_SIZE] __aligned(PAGE_SIZE) = { 0x5A, [PAGE_SIZE] = 0xA5 };

static int perm_suite_init(struct kunit_suite *suite)
{
	perm_test_mm = mmshim_user_mm_get();
	return 0;
}

static void perm_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&perm_test_mm);
}

static bool attach(struct kunit *test)
{
	return mmshim_user_attach(test, perm_test_mm);
}

static void detach(void)
{
	mmshim_user_detach();
}

/* Is the kernel address @va mapped writable? */
static bool kva_writable(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	return pte && mmshim_kpte_present(*pte) && pte_write(*pte);
}

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

static noinline PVOID map_user(PMDL mdl, ULONG priority, NTSTATUS *status)
{
	volatile NTSTATUS s = STATUS_SUCCESS;
	PVOID volatile va = NULL;

	__try {
		va = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, NULL, FALSE, priority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	*status = s;
	return va;
}

static PMDL lock_user(struct kunit *test, unsigned long va, ULONG len, LOCK_OPERATION op)
{
	PMDL m = IoAllocateMdl((PVOID)va, len, FALSE, FALSE, NULL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, UserMode, op), STATUS_SUCCESS);
	return m;
}

/*
 * The user mapping of @m is read-only for good and reported as such, a
 * write through it is refused, and the page still holds @expect at @off.
 */
static void expect_user_mapping_read_only(struct kunit *test, PMDL m, unsigned long off, u8 expect)
{
	unsigned long uva = 0, vf;
	u8 byte = 0;
	NTSTATUS st;

	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_READ_ONLY,
		      uva = (unsigned long)map_user(m, NormalPagePriority, &st));
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_NE(test, uva, 0UL);
	vf = vma_flags_at(uva);
	KUNIT_EXPECT_FALSE(test, vf & VM_WRITE);
	KUNIT_EXPECT_FALSE(test, vf & VM_MAYWRITE);
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + off), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, expect);
	byte = expect ^ 0xFF;
	KUNIT_EXPECT_NE(test, copy_to_user((void __user *)(uva + off), &byte, 1), 0UL);
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(uva + off), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, expect);
	EXPECT_NO_REPORT(test, MmUnmapLockedPages((PVOID)uva, m));
}

/* Every system mapping of @m is read-only (and never the linear map). */
static void expect_system_mappings_read_only(struct kunit *test, PMDL m)
{
	PFN_NUMBER pfn = MmGetMdlPfnArray(m)[0];
	PVOID va, res;

	va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_PTR_NE(test, (void *)((unsigned long)va & PAGE_MASK), pfn_to_kaddr(pfn));
	KUNIT_EXPECT_FALSE(test, kva_writable(va));
	MmUnmapLockedPages(va, m);

	res = MmAllocateMappingAddress(2 * PAGE_SIZE, 'mreP');
	KUNIT_ASSERT_NOT_NULL(test, res);
	va = MmMapLockedPagesWithReservedMapping(res, 'mreP', m, MmCached);
	KUNIT_EXPECT_NOT_NULL(test, va);
	if (va) {
		KUNIT_EXPECT_FALSE(test, kva_writable(va));
		MmUnmapReservedMapping(res, 'mreP', m);
	}
	MmFreeMappingAddress(res, 'mreP');
}

/* Item 2: IoReadAccess of untouched writable memory gives the process its
 * own page; a driver writing through its mapping changes only that page. */
static void perm_read_lock_gives_own_page(struct kunit *test)
{
	unsigned long user, other;
	const u8 *zero = page_address(ZERO_PAGE(0));
	u8 byte = 0xFF;
	u8 *sys;
	PMDL m;

	if (!attach(test))
		return;
	user = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	other = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(user));
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(other));
	m = lock_user(test, user, PAGE_SIZE, IoReadAccess);
	KUNIT_EXPECT_FALSE(test, is_zero_pfn(MmGetMdlPfnArray(m)[0]));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_WRITE_OPERATION);
	/* A careless driver writes the buffer it locked for reading. */
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	if (!is_zero_pfn(MmGetMdlPfnArray(m)[0]))
		sys[10] = 0x77;
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(user + 10), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, 0x77);
	/* Never-written memory elsewhere, and the zero page, still read zero. */
	KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)(other + 10), 1), 0UL);
	KUNIT_EXPECT_EQ(test, byte, 0);
	KUNIT_EXPECT_EQ(test, zero[10], 0);
	MmUnlockPages(m);
	IoFreeMdl(m);
	vm_munmap(user, PAGE_SIZE);
	vm_munmap(other, PAGE_SIZE);
	detach();
}

/* Items 1 and 2: untouched PROT_READ memory is the shared zero page: locked
 * read-only, and no mapping of it is writable. */
static void perm_untouched_read_only_memory(struct kunit *test)
{
	const u8 *zero = page_address(ZERO_PAGE(0));
	unsigned long user;
	PMDL m, w;

	if (!attach(test))
		return;
	user = vm_mmap(NULL, 0, 2 * PAGE_SIZE, PROT_READ, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(user));
	m = lock_user(test, user, 2 * PAGE_SIZE, IoReadAccess);
	expect_user_mapping_read_only(test, m, 100, 0);
	expect_system_mappings_read_only(test, m);
	KUNIT_EXPECT_EQ(test, zero[100], 0);
	/* Locking it for writing is refused, as before. */
	w = IoAllocateMdl((PVOID)user, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_EXPECT_EQ(test, MmshimProbeAndLockPages(w, UserMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
	IoFreeMdl(w);
	MmUnlockPages(m);
	IoFreeMdl(m);
	vm_munmap(user, 2 * PAGE_SIZE);
	detach();
}

#define PERM_FILE "/mmshim_perm_test"

/* Item 1: a file the process opened O_RDONLY and mapped PROT_READ. */
static void perm_read_only_file(struct kunit *test)
{
	static const char text[] = "read-only file contents";
	char back[sizeof(text)] = "";
	struct file *ro;
	unsigned long user, uva;
	loff_t pos = 0;
	NTSTATUS st;
	PMDL m, part;

	ro = mmshim_read_only_file(test, PERM_FILE, text, sizeof(text));
	if (!ro)
		return;
	if (!attach(test)) {
		filp_close(ro, NULL);
		return;
	}
	user = vm_mmap(ro, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(user));
	m = lock_user(test, user, PAGE_SIZE, IoReadAccess);
	expect_user_mapping_read_only(test, m, 0, 'r');
	expect_system_mappings_read_only(test, m);

	/* A partial MDL of it inherits the rule. */
	part = IoAllocateMdl((PVOID)user, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	IoBuildPartialMdl(m, part, (PVOID)user, PAGE_SIZE);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_READ_ONLY,
		      uva = (unsigned long)map_user(part, NormalPagePriority, &st));
	KUNIT_EXPECT_NE(test, uva, 0UL);
	if (uva) {
		KUNIT_EXPECT_FALSE(test, vma_flags_at(uva) & VM_MAYWRITE);
		MmUnmapLockedPages((PVOID)uva, part);
	}
	uva = (unsigned long)MmGetSystemAddressForMdlSafe(part, NormalPagePriority);
	KUNIT_EXPECT_NE(test, uva, 0UL);
	if (uva)
		KUNIT_EXPECT_FALSE(test, kva_writable((void *)uva));
	MmPrepareMdlForReuse(part);
	IoFreeMdl(part);

	MmUnlockPages(m);
	IoFreeMdl(m);
	vm_munmap(user, PAGE_SIZE);
	detach();
	pos = 0;
	KUNIT_EXPECT_EQ(test, kernel_read(ro, back, sizeof(back), &pos), (ssize_t)sizeof(text));
	KUNIT_EXPECT_STREQ(test, back, text);
	filp_close(ro, NULL);
}

/* Item 3: a module's .rodata is never mapped writable. */
static void perm_kernel_rodata(struct kunit *test)
{
	PVOID sys;
	PMDL m;

	if (kva_writable(perm_rodata)) {
		kunit_skip(test, "module .rodata is writable on this kernel (no STRICT_MODULE_RWX)");
		return;
	}
	m = IoAllocateMdl((PVOID)perm_rodata, sizeof(perm_rodata), FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	if (attach(test)) {
		expect_user_mapping_read_only(test, m, PAGE_SIZE, 0xA5);
		detach();
	}
	IoFreeMdl(m);

	/* Locked for reading in KernelMode: its system mappings are read-only. */
	m = IoAllocateMdl((PVOID)perm_rodata, sizeof(perm_rodata), FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	expect_system_mappings_read_only(test, m);
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	KUNIT_EXPECT_EQ(test, ((const u8 *)sys)[0], 0x5A);
	MmUnlockPages(m);
	IoFreeMdl(m);
	KUNIT_EXPECT_EQ(test, perm_rodata[0], 0x5A);
}

/* Item 8: a lock holds its process's mm_struct, so no other process can get
 * the same address while mmshim takes it for the owner.
 *
 * mm_count also moves under the test's feet: a CPU that switches from the
 * loading process to a kernel thread holds a lazy-TLB reference until it
 * next runs a user task. So the deltas are measured in a short window and
 * retried: a lock that held nothing would show +0 on every try.
 */
static void perm_lock_holds_process(struct kunit *test)
{
	int before, held = 0, after = 0, tries;
	unsigned long user;
	PMDL m;

	if (!attach(test))
		return;
	user = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(user));
	for (tries = 0; tries < 50; tries++) {
		before = atomic_read(&perm_test_mm->mm_count);
		m = lock_user(test, user + 8, 100, IoWriteAccess);
		held = atomic_read(&perm_test_mm->mm_count) - before;
		KUNIT_EXPECT_PTR_EQ(test, (void *)m->Process, (void *)perm_test_mm);
		MmUnlockPages(m);
		after = atomic_read(&perm_test_mm->mm_count) - before;
		IoFreeMdl(m);
		if (held == 1 && after == 0)
			break;
	}
	kunit_info(test, "mm_count +%d while locked, %+d after unlock (try %d)", held, after, tries + 1);
	KUNIT_EXPECT_EQ(test, held, 1);
	KUNIT_EXPECT_EQ(test, after, 0);

	/* Unlocked at DISPATCH_LEVEL (a spin lock held): the hold is dropped
	 * by the unpin worker, never under the lock (it may be the last
	 * reference of a process that has exited, and freeing an mm_struct
	 * frees page tables). Lockdep and the atomic-sleep check watch. */
	{
		static DEFINE_SPINLOCK(perm_lock);

		m = lock_user(test, user + 8, 100, IoWriteAccess);
		spin_lock(&perm_lock);
		MmUnlockPages(m);
		spin_unlock(&perm_lock);
		IoFreeMdl(m);
	}
	vm_munmap(user, PAGE_SIZE);
	detach();
}

/*
 * Issue 14: the linear-map check walks the page tables once per leaf (a
 * frame inside a writable 2 MiB / 1 GiB block a previous frame was found in
 * is not walked again). A read-only frame after writable ones, whatever
 * leaf they share, still makes the mapping read-only: module .rodata, its
 * neighbouring frame, the zero page. A hand-built MDL (no lock record), so
 * only the frames decide.
 */
static PVOID perm_map_frames(struct kunit *test, PMDL m, const unsigned long *pfns, unsigned int n)
{
	unsigned int i;

	MmInitializeMdl(m, (PVOID)0xffff888000000000UL, n * PAGE_SIZE); /* StartVa only describes */
	for (i = 0; i < n; i++)
		MmGetMdlPfnArray(m)[i] = pfns[i];
	m->MdlFlags |= MDL_PAGES_LOCKED;
	return MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
}

static void perm_unmap_frames(PMDL m, PVOID va)
{
	if (va)
		MmUnmapLockedPages(va, m);
	m->MdlFlags &= ~MDL_PAGES_LOCKED;
}

static void perm_read_only_frame_after_writable_ones(struct kunit *test)
{
	unsigned long w = __get_free_pages(GFP_KERNEL, 2); /* 4 contiguous writable pages */
	unsigned long ro = vmalloc_to_pfn(perm_rodata), wpfn;
	unsigned long pfns[6];
	PMDL m = kunit_kzalloc(test, sizeof(MDL) + 6 * sizeof(PFN_NUMBER), GFP_KERNEL);
	PVOID va;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NE(test, w, 0UL);
	wpfn = page_to_pfn(virt_to_page((void *)w));

	/* All writable (one leaf or several): a writable mapping. */
	pfns[0] = wpfn + 3;
	pfns[1] = wpfn;
	pfns[2] = wpfn + 2;
	pfns[3] = wpfn + 1;
	va = perm_map_frames(test, m, pfns, 4);
	KUNIT_EXPECT_NOT_NULL(test, va);
	if (va)
		KUNIT_EXPECT_TRUE(test, kva_writable(va));
	perm_unmap_frames(m, va);

	/* The zero page last, after frames of one writable leaf. */
	pfns[4] = page_to_pfn(ZERO_PAGE(0));
	va = perm_map_frames(test, m, pfns, 5);
	KUNIT_EXPECT_NOT_NULL(test, va);
	if (va)
		KUNIT_EXPECT_FALSE(test, kva_writable(va));
	perm_unmap_frames(m, va);

	if (kva_writable(perm_rodata) || !ro) {
		free_pages(w, 2);
		kunit_skip(test, "module .rodata is writable on this kernel (no STRICT_MODULE_RWX)");
		return;
	}
	/* Module .rodata last, after writable frames and, if it is writable RAM
	 * in the linear map, the frame right before it. */
	pfns[4] = ro;
	va = perm_map_frames(test, m, pfns, 5);
	KUNIT_EXPECT_NOT_NULL(test, va);
	if (va)
		KUNIT_EXPECT_FALSE(test, kva_writable(va));
	perm_unmap_frames(m, va);
	if (pfn_valid(ro - 1) && kva_writable(pfn_to_kaddr(ro - 1))) {
		pfns[4] = ro - 1;
		pfns[5] = ro;
		va = perm_map_frames(test, m, pfns, 6);
		KUNIT_EXPECT_NOT_NULL(test, va);
		if (va)
			KUNIT_EXPECT_FALSE(test, kva_writable(va));
		perm_unmap_frames(m, va);
	}
	KUNIT_EXPECT_EQ(test, perm_rodata[0], 0x5A);
	free_pages(w, 2);
}

/*
 * Issue 14: a lock judges its frames once and a map trusts that only for
 * the frames the lock took. A driver that rewrites the PFN array after
 * locking (a kernel lock, then a user lock pinned for writing) and writes
 * the zero page or module .rodata into it still gets a read-only mapping.
 */
static void perm_expect_rewritten_read_only(struct kunit *test, PMDL m, unsigned long pfn)
{
	PFN_NUMBER own = MmGetMdlPfnArray(m)[1];
	PVOID va;

	MmGetMdlPfnArray(m)[1] = pfn;
	va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	KUNIT_EXPECT_NOT_NULL(test, va);
	if (va) {
		KUNIT_EXPECT_FALSE(test, kva_writable(va));
		MmUnmapLockedPages(va, m);
	}
	MmGetMdlPfnArray(m)[1] = own;
}

/* @m, locked for writing, maps writable with its own frames and read-only
 * with the zero page (and @ro, module .rodata, if non-zero) written in;
 * then it is unlocked and freed. */
static void perm_check_rewrites(struct kunit *test, PMDL m, unsigned long ro)
{
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);

	KUNIT_EXPECT_NOT_NULL(test, va);
	if (va) {
		KUNIT_EXPECT_TRUE(test, kva_writable(va));
		MmUnmapLockedPages(va, m);
	}
	perm_expect_rewritten_read_only(test, m, page_to_pfn(ZERO_PAGE(0)));
	if (ro)
		perm_expect_rewritten_read_only(test, m, ro);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

static void perm_rewritten_frames_after_lock(struct kunit *test)
{
	unsigned long ro = vmalloc_to_pfn(perm_rodata), user;
	bool ro_usable = ro && !kva_writable(perm_rodata);
	void *buf = vmalloc(2 * PAGE_SIZE);
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	m = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	perm_check_rewrites(test, m, ro_usable ? ro : 0);
	vfree(buf);

	if (!attach(test))
		return;
	user = vm_mmap(NULL, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(user));
	m = lock_user(test, user, 2 * PAGE_SIZE, IoWriteAccess);
	perm_check_rewrites(test, m, ro_usable ? ro : 0);
	vm_munmap(user, 2 * PAGE_SIZE);
	detach();
	KUNIT_EXPECT_EQ(test, perm_rodata[0], 0x5A);
}

static struct kunit_case perm_cases[] = {
	KUNIT_CASE(perm_read_lock_gives_own_page),
	KUNIT_CASE(perm_untouched_read_only_memory),
	KUNIT_CASE(perm_read_only_file),
	KUNIT_CASE(perm_kernel_rodata),
	KUNIT_CASE(perm_lock_holds_process),
	KUNIT_CASE(perm_read_only_frame_after_writable_ones),
	KUNIT_CASE(perm_rewritten_frames_after_lock),
	{}
};

static struct kunit_suite perm_suite = {
	.name = "mmshim_perm",
	MMSHIM_SUITE_HOOKS(perm_suite)
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = perm_cases,
};
mmshim_kunit_suite_with_hooks(perm_suite);
