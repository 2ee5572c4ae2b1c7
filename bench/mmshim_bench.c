// SPDX-License-Identifier: GPL-2.0
/*
 * mmshim_bench.c - benchmark module for `make bench`. At load (in the
 * insmod process, which has a user address space) it times each mmshim
 * operation and the raw Linux primitive it stands in for, alternating
 * rounds so both see the same conditions, and prints
 *   bench: <case> pages=<n> mmshim=<ns/op> linux=<ns/op> ratio=<mmshim/linux>
 * then fails the load on purpose (-ECANCELED) so nothing stays loaded.
 */
#include <linux/module.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/numa.h>
#include <linux/smp.h>
#include <asm/tlbflush.h>
#include <wdm.h>

#define ROUNDS 5
#define BENCH_TAG 0x68636e42u /* "Bnch" */

static const unsigned int bench_pages[] = { 1, 4, 16, 64, 256 };

static void report(const char *name, unsigned int pages, u64 ours, u64 raw, unsigned int iters)
{
	u64 ours_ns = div_u64(ours, iters), raw_ns = div_u64(raw, iters);
	u64 milli = raw ? div64_u64(ours * 1000, raw) : 0;

	pr_info("bench: %-22s pages=%-3u mmshim=%llu linux=%llu ratio=%llu.%03llu\n", name, pages,
		ours_ns, raw_ns, milli / 1000, milli % 1000);
}

static unsigned int iterations(unsigned int pages)
{
	return pages >= 64 ? 200 : 2000;
}

/* Kernel-space mapping of scattered (vmalloc) pages: mmshim vs vm_map_ram/vmap. */
static void bench_map(unsigned int pages, bool contiguous)
{
	unsigned int iters = iterations(pages), r, i;
	struct page **pgs = kvmalloc_array(pages, sizeof(*pgs), GFP_KERNEL);
	void *buf = contiguous ? (void *)__get_free_pages(GFP_KERNEL, get_order(pages * PAGE_SIZE))
			       : vmalloc(pages * PAGE_SIZE);
	u64 ours = 0, raw = 0, t;
	PMDL mdl;

	if (!pgs || !buf)
		goto out;
	for (i = 0; i < pages; i++)
		pgs[i] = contiguous ? virt_to_page(buf + i * PAGE_SIZE)
				    : vmalloc_to_page(buf + i * PAGE_SIZE);
	mdl = IoAllocateMdl(buf, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!mdl || MmshimProbeAndLockPages(mdl, KernelMode, IoWriteAccess) != STATUS_SUCCESS)
		goto out;
	for (r = 0; r < ROUNDS; r++) {
		t = ktime_get_ns();
		for (i = 0; i < iters; i++) {
			void *va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);

			MmUnmapLockedPages(va, mdl);
		}
		ours += ktime_get_ns() - t;
		t = ktime_get_ns();
		for (i = 0; i < iters; i++) {
			void *va;

			if (pages <= 16) {
				va = vm_map_ram(pgs, pages, NUMA_NO_NODE);
				vm_unmap_ram(va, pages);
			} else {
				va = vmap(pgs, pages, VM_MAP, PAGE_KERNEL);
				vunmap(va);
			}
		}
		raw += ktime_get_ns() - t;
	}
	report(contiguous ? "map+unmap contiguous" : (pages <= 16 ? "map+unmap vs vm_map_ram"
								     : "map+unmap vs vmap"),
	       pages, ours, raw, iters * ROUNDS);
	MmUnlockPages(mdl);
	IoFreeMdl(mdl);
out:
	if (buf) {
		if (contiguous)
			free_pages((unsigned long)buf, get_order(pages * PAGE_SIZE));
		else
			vfree(buf);
	}
	kvfree(pgs);
}

/* User buffer: MmProbeAndLockPages + MmUnlockPages vs pin_user_pages_fast + unpin. */
static void bench_lock(unsigned int pages)
{
	unsigned int iters = iterations(pages), r, i;
	struct page **pgs = kvmalloc_array(pages, sizeof(*pgs), GFP_KERNEL);
	unsigned long user = vm_mmap(NULL, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	u64 ours = 0, raw = 0, t;
	PMDL mdl;

	if (!pgs || IS_ERR_VALUE(user) || clear_user((void __user *)user, pages * PAGE_SIZE))
		goto out;
	mdl = IoAllocateMdl((PVOID)user, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!mdl)
		goto out;
	for (r = 0; r < ROUNDS; r++) {
		t = ktime_get_ns();
		for (i = 0; i < iters; i++) {
			if (MmshimProbeAndLockPages(mdl, UserMode, IoWriteAccess) == STATUS_SUCCESS)
				MmUnlockPages(mdl);
		}
		ours += ktime_get_ns() - t;
		t = ktime_get_ns();
		for (i = 0; i < iters; i++) {
			int n = pin_user_pages_fast(user, pages, FOLL_WRITE, pgs);

			if (n > 0)
				unpin_user_pages_dirty_lock(pgs, n, true);
		}
		raw += ktime_get_ns() - t;
	}
	report("probe+lock+unlock", pages, ours, raw, iters * ROUNDS);
	IoFreeMdl(mdl);
out:
	if (!IS_ERR_VALUE(user))
		vm_munmap(user, pages * PAGE_SIZE);
	kvfree(pgs);
}

static void bench_flush_cpu(void *unused)
{
	__flush_tlb_all();
}

/*
 * Reserved mapping (MmAllocateMappingAddress once) map+unmap vs vmap+vunmap.
 * vunmap() defers its TLB flush (lazy purge), while a reservation reuses its
 * VA at once and must flush every CPU on each unmap; with @eager_flush the
 * Linux side also flushes every CPU after each vunmap, the same work.
 */
static void bench_reserved(unsigned int pages, bool eager_flush)
{
	unsigned int iters = iterations(pages), r, i;
	struct page **pgs = kvmalloc_array(pages, sizeof(*pgs), GFP_KERNEL);
	void *buf = vmalloc(pages * PAGE_SIZE);
	PVOID base = MmAllocateMappingAddress(pages * PAGE_SIZE, BENCH_TAG);
	u64 ours = 0, raw = 0, t;
	PMDL mdl;

	if (!pgs || !buf || !base)
		goto out;
	for (i = 0; i < pages; i++)
		pgs[i] = vmalloc_to_page(buf + i * PAGE_SIZE);
	mdl = IoAllocateMdl(buf, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!mdl || MmshimProbeAndLockPages(mdl, KernelMode, IoWriteAccess) != STATUS_SUCCESS)
		goto out;
	for (r = 0; r < ROUNDS; r++) {
		t = ktime_get_ns();
		for (i = 0; i < iters; i++) {
			MmMapLockedPagesWithReservedMapping(base, BENCH_TAG, mdl, MmCached);
			MmUnmapReservedMapping(base, BENCH_TAG, mdl);
		}
		ours += ktime_get_ns() - t;
		t = ktime_get_ns();
		for (i = 0; i < iters; i++) {
			void *va = vmap(pgs, pages, VM_MAP, PAGE_KERNEL);

			vunmap(va);
			if (eager_flush)
				on_each_cpu(bench_flush_cpu, NULL, 1);
		}
		raw += ktime_get_ns() - t;
	}
	report(eager_flush ? "reserved vs vmap+flush" : "reserved map+unmap", pages, ours, raw,
	       iters * ROUNDS);
	MmUnlockPages(mdl);
	IoFreeMdl(mdl);
out:
	if (base)
		MmFreeMappingAddress(base, BENCH_TAG);
	vfree(buf);
	kvfree(pgs);
}

static int __init mmshim_bench_init(void)
{
	unsigned int i;

	pr_info("bench: begin (ns per operation; ratio = mmshim / Linux primitive)\n");
	for (i = 0; i < ARRAY_SIZE(bench_pages); i++)
		bench_map(bench_pages[i], false);
	for (i = 0; i < ARRAY_SIZE(bench_pages); i++)
		bench_map(bench_pages[i], true);
	for (i = 0; i < ARRAY_SIZE(bench_pages); i++)
		bench_lock(bench_pages[i]);
	bench_reserved(1, false);
	bench_reserved(16, false);
	bench_reserved(256, false);
	bench_reserved(1, true);
	bench_reserved(16, true);
	bench_reserved(256, true);
	pr_info("bench: end\n");
	return -ECANCELED; /* measured; nothing to keep loaded */
}

module_init(mmshim_bench_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmshim benchmark: ratios against raw Linux primitives");
MODULE_IMPORT_NS(MMSHIM);
