// SPDX-License-Identifier: GPL-2.0
/*
 * mdl_test.c - KUnit suite "mmshim_mdl": IoAllocateMdl, IoFreeMdl,
 * MmSizeOfMdl, MmBuildMdlForNonPagedPool and the MDL header macros, on real
 * kernel memory (kmalloc, vmalloc, page allocator, module data), with every
 * kind of bad input.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/spinlock.h>
#include "mmshim_kunit.h"

/* An address in the kernel half that IoAllocateMdl never dereferences. */
#define FAKE_KVA ((PVOID)0xffff888000001234UL)

static unsigned long kva_pfn(const void *va)
{
	if (is_vmalloc_addr(va) || !virt_addr_valid(va))
		return page_to_pfn(vmalloc_to_page(va));
	return page_to_pfn(virt_to_page(va));
}

static void mdl_macros(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, (ULONG_PTR)PAGE_ALIGN((PVOID)0x12345fffUL), 0x12345000UL);
	KUNIT_EXPECT_EQ(test, (ULONG_PTR)PAGE_ALIGN((PVOID)0x12345000UL), 0x12345000UL);
	KUNIT_EXPECT_EQ(test, BYTE_OFFSET((PVOID)0x12345678UL), 0x678U);
	KUNIT_EXPECT_EQ(test, BYTES_TO_PAGES(0UL), 0UL);
	KUNIT_EXPECT_EQ(test, BYTES_TO_PAGES(1UL), 1UL);
	KUNIT_EXPECT_EQ(test, BYTES_TO_PAGES(4096UL), 1UL);
	KUNIT_EXPECT_EQ(test, BYTES_TO_PAGES(4097UL), 2UL);
	KUNIT_EXPECT_EQ(test, ROUND_TO_PAGES(1), 4096UL);
	KUNIT_EXPECT_EQ(test, ROUND_TO_PAGES(8192), 8192UL);
	KUNIT_EXPECT_EQ(test, ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0xfff, 2), 2UL);
	KUNIT_EXPECT_EQ(test, ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x1000, 4096), 1UL);
	KUNIT_EXPECT_EQ(test, ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0x1000, 0), 0UL);
	/* No 32-bit wrap for the largest MDL length at the worst offset. */
	KUNIT_EXPECT_EQ(test, ADDRESS_AND_SIZE_TO_SPAN_PAGES((PVOID)0xfff, 0xFFFFF000U), 0x100000UL);
}

static void mdl_initialize_macro(struct kunit *test)
{
	MDL *m = kunit_kzalloc(test, sizeof(MDL) + 8 * sizeof(PFN_NUMBER), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->Process = (PEPROCESS)0x1;
	m->MappedSystemVa = (PVOID)0x2;
	m->MdlFlags = MDL_PAGES_LOCKED;
	MmInitializeMdl(m, FAKE_KVA, 0x3000);
	KUNIT_EXPECT_NULL(test, m->Next);
	KUNIT_EXPECT_EQ(test, (int)m->Size, (int)(sizeof(MDL) + 4 * sizeof(PFN_NUMBER)));
	KUNIT_EXPECT_EQ(test, (int)m->MdlFlags, 0);
	KUNIT_EXPECT_EQ(test, (ULONG_PTR)m->StartVa, 0xffff888000001000UL);
	KUNIT_EXPECT_EQ(test, m->ByteOffset, 0x234U);
	KUNIT_EXPECT_EQ(test, m->ByteCount, 0x3000U);
	/* Windows leaves these two alone. */
	KUNIT_EXPECT_PTR_EQ(test, (void *)m->Process, (void *)0x1);
	KUNIT_EXPECT_PTR_EQ(test, m->MappedSystemVa, (PVOID)0x2);
	KUNIT_EXPECT_PTR_EQ(test, MmGetMdlVirtualAddress(m), FAKE_KVA);
	KUNIT_EXPECT_PTR_EQ(test, (void *)MmGetMdlPfnArray(m), (void *)((char *)m + 48));
}

static void mdl_allocate_fields(struct kunit *test)
{
	PMDL m = IoAllocateMdl(FAKE_KVA, 0x3000, FALSE, FALSE, NULL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_NULL(test, m->Next);
	KUNIT_EXPECT_EQ(test, (int)m->Size, (int)(sizeof(MDL) + 4 * sizeof(PFN_NUMBER)));
	KUNIT_EXPECT_EQ(test, (int)m->MdlFlags, MDL_ALLOCATED_FIXED_SIZE);
	KUNIT_EXPECT_NULL(test, m->Process);
	KUNIT_EXPECT_NULL(test, m->MappedSystemVa);
	KUNIT_EXPECT_PTR_EQ(test, MmGetMdlBaseVa(m), (PVOID)0xffff888000001000UL);
	KUNIT_EXPECT_EQ(test, MmGetMdlByteOffset(m), 0x234U);
	KUNIT_EXPECT_EQ(test, MmGetMdlByteCount(m), 0x3000U);
	KUNIT_EXPECT_PTR_EQ(test, MmGetMdlVirtualAddress(m), FAKE_KVA);
	KUNIT_EXPECT_EQ(test, MmshimLiveMdlCount(), ((struct mmshim_usage *)test->priv)->mdls + 1);
	/* SecondaryBuffer and ChargeQuota make no difference without an IRP. */
	EXPECT_NO_REPORT(test, IoFreeMdl(m));
	m = IoAllocateMdl(FAKE_KVA, 1, TRUE, TRUE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, (int)m->Size, (int)(sizeof(MDL) + sizeof(PFN_NUMBER)));
	IoFreeMdl(m);
}

static void mdl_allocate_fixed_size_boundary(struct kunit *test)
{
	PVOID va = (PVOID)0xffff888000100000UL;
	PMDL small = IoAllocateMdl(va, 23 * PAGE_SIZE, FALSE, FALSE, NULL);
	PMDL large = IoAllocateMdl(va, 23 * PAGE_SIZE + 1, FALSE, FALSE, NULL);

	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_EXPECT_TRUE(test, small->MdlFlags & MDL_ALLOCATED_FIXED_SIZE);
	KUNIT_EXPECT_FALSE(test, large->MdlFlags & MDL_ALLOCATED_FIXED_SIZE);
	KUNIT_EXPECT_EQ(test, (int)large->Size, (int)(sizeof(MDL) + 24 * sizeof(PFN_NUMBER)));
	IoFreeMdl(small);
	IoFreeMdl(large);
}

static void mdl_allocate_length_limits(struct kunit *test)
{
	PMDL m;

	/* Windows 7+: up to 4 GiB minus one page, at any byte offset. */
	m = IoAllocateMdl((PVOID)0xffff888000000000UL, 0xFFFFF000U, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->ByteCount, 0xFFFFF000U);
	KUNIT_EXPECT_EQ(test, (int)m->Size, (int)(CSHORT)(sizeof(MDL) + 0xFFFFFUL * 8));
	IoFreeMdl(m);
	m = IoAllocateMdl((PVOID)0xffff888000000fffUL, 0xFFFFF000U, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->ByteOffset, 0xfffU);
	IoFreeMdl(m);

	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE,
		      m = IoAllocateMdl(FAKE_KVA, 0xFFFFF001U, FALSE, FALSE, NULL));
	KUNIT_EXPECT_NULL(test, m);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE,
		      m = IoAllocateMdl(FAKE_KVA, 0xFFFFFFFFU, FALSE, FALSE, NULL));
	KUNIT_EXPECT_NULL(test, m);
}

static void mdl_allocate_bad_input(struct kunit *test)
{
	PMDL m;

	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      m = IoAllocateMdl(FAKE_KVA, 0, FALSE, FALSE, NULL));
	KUNIT_EXPECT_NULL(test, m);
	/* The range would wrap past the top of the address space. */
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS,
		      m = IoAllocateMdl((PVOID)0xfffffffffffff000UL, 0x2000, FALSE, FALSE, NULL));
	KUNIT_EXPECT_NULL(test, m);
	/* The last byte of the address space is fine. */
	m = IoAllocateMdl((PVOID)0xffffffffffffffffUL, 1, FALSE, FALSE, NULL);
	KUNIT_EXPECT_NOT_NULL(test, m);
	IoFreeMdl(m);
	/* There is no IRP type yet: a non-NULL Irp is refused. */
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      m = IoAllocateMdl(FAKE_KVA, 10, FALSE, FALSE, (PIRP)test));
	KUNIT_EXPECT_NULL(test, m);
}

static void mdl_free_bad_input(struct kunit *test)
{
	PMDL m, embedded;
	u8 *copy;

	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      IoFreeMdl(NULL));

	m = IoAllocateMdl(FAKE_KVA, 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	IoFreeMdl(m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(m));

	/* An MDL the driver built in its own memory is not IoFreeMdl's to free. */
	embedded = kunit_kzalloc(test, 256, GFP_KERNEL);
	copy = kunit_kzalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, embedded);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	MmInitializeMdl(embedded, FAKE_KVA, 100);
	memcpy(copy, embedded, 256);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(embedded));
	KUNIT_EXPECT_EQ(test, memcmp(copy, embedded, 256), 0);
	/* A misaligned pointer into a real MDL is refused too. */
	m = IoAllocateMdl(FAKE_KVA, 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl((PMDL)((char *)m + 4)));
	EXPECT_NO_REPORT(test, IoFreeMdl(m));
}

static void mdl_size_of_mdl(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, MmSizeOfMdl(NULL, 0), 48UL);
	KUNIT_EXPECT_EQ(test, MmSizeOfMdl(NULL, 1), 56UL);
	KUNIT_EXPECT_EQ(test, MmSizeOfMdl(NULL, PAGE_SIZE), 56UL);
	KUNIT_EXPECT_EQ(test, MmSizeOfMdl((PVOID)1, PAGE_SIZE), 64UL);
	KUNIT_EXPECT_EQ(test, MmSizeOfMdl((PVOID)0xfff, 2), 64UL);
	KUNIT_EXPECT_EQ(test, MmSizeOfMdl((PVOID)0xfff, 0xFFFFF000UL), 48UL + 8 * 0x100000UL);
}

/* Check a built MDL against the frames the kernel itself reports. */
static void expect_built(struct kunit *test, PMDL m, void *va, ULONG len)
{
	ULONG_PTR pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len), i;
	char *base = (char *)((unsigned long)va & ~(PAGE_SIZE - 1));

	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_IO_SPACE);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	KUNIT_EXPECT_PTR_EQ(test, m->MappedSystemVa, va);
	KUNIT_EXPECT_NULL(test, m->Process);
	for (i = 0; i < pages; i++)
		KUNIT_EXPECT_EQ_MSG(test, MmGetMdlPfnArray(m)[i], kva_pfn(base + i * PAGE_SIZE),
				    "page %lu", i);
}

static void build_and_check(struct kunit *test, void *va, ULONG len)
{
	PMDL m = IoAllocateMdl(va, len, FALSE, FALSE, NULL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_NO_REPORT(test, MmBuildMdlForNonPagedPool(m));
	expect_built(test, m, va, len);
	IoFreeMdl(m);
}

static void mdl_build_kmalloc(struct kunit *test)
{
	char *small = kmalloc(64, GFP_KERNEL);
	char *big = kmalloc(5 * PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, big);
	build_and_check(test, small, 64);
	build_and_check(test, big + 100, 4 * PAGE_SIZE);
	build_and_check(test, big + PAGE_SIZE - 1, 2);
	kfree(small);
	kfree(big);
}

static void mdl_build_vmalloc(struct kunit *test)
{
	char *v = vmalloc(6 * PAGE_SIZE);
	ULONG_PTR i;

	KUNIT_ASSERT_NOT_NULL(test, v);
	build_and_check(test, v, 6 * PAGE_SIZE);
	build_and_check(test, v + 10, 5 * PAGE_SIZE);
	/* Every page resolved to a real frame (0 would mean a failed lookup). */
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_NE(test, kva_pfn(v + i * PAGE_SIZE), 0UL);
	vfree(v);
}

static void mdl_build_page_allocator(struct kunit *test)
{
	struct page *pages = alloc_pages(GFP_KERNEL, 2);
	PMDL m;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	m = IoAllocateMdl(page_address(pages), 4 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[i], page_to_pfn(pages) + i);
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	IoFreeMdl(m);
	__free_pages(pages, 2);
}

static char mdl_module_data[3 * 4096];

static void mdl_build_module_data(struct kunit *test)
{
	build_and_check(test, mdl_module_data + 5, sizeof(mdl_module_data) - 5);
}

static void mdl_build_pool_memory(struct kunit *test)
{
	PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * PAGE_SIZE, 'tldM');

	KUNIT_ASSERT_NOT_NULL(test, p);
	build_and_check(test, p, 3 * PAGE_SIZE);
	ExFreePoolWithTag(p, 'tldM');
}

static void mdl_build_zero_length(struct kunit *test)
{
	char *buf = kunit_kmalloc(test, 64, GFP_KERNEL);
	MDL *m = kunit_kzalloc(test, sizeof(MDL) + sizeof(PFN_NUMBER), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmInitializeMdl(m, buf, 0);
	EXPECT_NO_REPORT(test, MmBuildMdlForNonPagedPool(m));
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	KUNIT_EXPECT_PTR_EQ(test, m->MappedSystemVa, (PVOID)buf);
}

/* A refused MmBuildMdlForNonPagedPool leaves the MDL header as it was. */
static void expect_header_unchanged(struct kunit *test, PMDL m, const MDL *before)
{
	KUNIT_EXPECT_EQ(test, memcmp(m, before, sizeof(MDL)), 0);
}

static void mdl_build_bad_input(struct kunit *test)
{
	char stack_buf[64];
	char *v = vmalloc(PAGE_SIZE);
	MDL before;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, v);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      MmBuildMdlForNonPagedPool(NULL));

	/* A user-mode address is not nonpaged pool. */
	m = IoAllocateMdl((PVOID)0x10000, 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	before = *m;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY,
		      MmBuildMdlForNonPagedPool(m));
	expect_header_unchanged(test, m, &before);
	IoFreeMdl(m);

	/* The second page is vmalloc's unmapped guard page. */
	m = IoAllocateMdl(v, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	before = *m;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY,
		      MmBuildMdlForNonPagedPool(m));
	expect_header_unchanged(test, m, &before);
	IoFreeMdl(m);

	/* A kernel address that is mapped nowhere (non-canonical hole). */
	m = IoAllocateMdl((PVOID)0x8000000000000000UL, 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY,
		      MmBuildMdlForNonPagedPool(m));
	IoFreeMdl(m);

	/* Stack buffers are not pool. */
	m = IoAllocateMdl(stack_buf, sizeof(stack_buf), FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_STACK_BUFFER,
		      MmBuildMdlForNonPagedPool(m));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	IoFreeMdl(m);

	/* Corrupt header: StartVa not page aligned, ByteOffset past the page. */
	m = IoAllocateMdl(v, 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->StartVa = v + 8;
	before = *m;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT,
		      MmBuildMdlForNonPagedPool(m));
	expect_header_unchanged(test, m, &before);
	m->StartVa = v;
	m->ByteOffset = PAGE_SIZE;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT,
		      MmBuildMdlForNonPagedPool(m));
	/* ByteCount rewritten beyond what IoAllocateMdl sized the array for. */
	m->ByteOffset = 0;
	m->ByteCount = 30 * PAGE_SIZE;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      MmBuildMdlForNonPagedPool(m));
	IoFreeMdl(m);
	vfree(v);
}

static void mdl_build_too_small_hand_built(struct kunit *test)
{
	char *buf = kunit_kmalloc(test, 3 * PAGE_SIZE, GFP_KERNEL);
	/* Room for the header and one PFN, then a canary. */
	u8 *store = kunit_kzalloc(test, sizeof(MDL) + 4 * sizeof(PFN_NUMBER), GFP_KERNEL);
	MDL *m = (MDL *)store;
	PFN_NUMBER *canary = (PFN_NUMBER *)(store + sizeof(MDL) + sizeof(PFN_NUMBER));

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, store);
	MmInitializeMdl(m, buf, 3 * PAGE_SIZE);
	m->Size = sizeof(MDL) + sizeof(PFN_NUMBER);
	canary[0] = canary[1] = canary[2] = 0x5a5a5a5a5a5a5a5aUL;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      MmBuildMdlForNonPagedPool(m));
	KUNIT_EXPECT_EQ(test, canary[0], 0x5a5a5a5a5a5a5a5aUL);
	KUNIT_EXPECT_EQ(test, canary[2], 0x5a5a5a5a5a5a5a5aUL);
	KUNIT_EXPECT_EQ(test, (int)m->MdlFlags, 0);
}

static DEFINE_SPINLOCK(mdl_test_lock);

/* DISPATCH_LEVEL: allocate, build and free with a spinlock held. */
static void mdl_atomic_context(struct kunit *test)
{
	char *buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	unsigned long flags;
	PMDL small, large;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	spin_lock_irqsave(&mdl_test_lock, flags);
	small = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	large = IoAllocateMdl(buf, 64 * PAGE_SIZE, FALSE, FALSE, NULL);
	if (small)
		MmBuildMdlForNonPagedPool(small);
	spin_unlock_irqrestore(&mdl_test_lock, flags);

	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_EXPECT_TRUE(test, small->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(small)[1], kva_pfn(buf + PAGE_SIZE));
	KUNIT_EXPECT_NOT_NULL(test, large);

	spin_lock_irqsave(&mdl_test_lock, flags);
	IoFreeMdl(small);
	IoFreeMdl(large);
	spin_unlock_irqrestore(&mdl_test_lock, flags);
	kfree(buf);
}

static struct kunit_case mdl_cases[] = {
	KUNIT_CASE(mdl_macros),
	KUNIT_CASE(mdl_initialize_macro),
	KUNIT_CASE(mdl_allocate_fields),
	KUNIT_CASE(mdl_allocate_fixed_size_boundary),
	KUNIT_CASE(mdl_allocate_length_limits),
	KUNIT_CASE(mdl_allocate_bad_input),
	KUNIT_CASE(mdl_free_bad_input),
	KUNIT_CASE(mdl_size_of_mdl),
	KUNIT_CASE(mdl_build_kmalloc),
	KUNIT_CASE(mdl_build_vmalloc),
	KUNIT_CASE(mdl_build_page_allocator),
	KUNIT_CASE(mdl_build_module_data),
	KUNIT_CASE(mdl_build_pool_memory),
	KUNIT_CASE(mdl_build_zero_length),
	KUNIT_CASE(mdl_build_bad_input),
	KUNIT_CASE(mdl_build_too_small_hand_built),
	KUNIT_CASE(mdl_atomic_context),
	{}
};

static struct kunit_suite mdl_suite = {
	.name = "mmshim_mdl",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = mdl_cases,
};
kunit_test_suite(mdl_suite);
