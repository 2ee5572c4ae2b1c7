// SPDX-License-Identifier: GPL-2.0
/*
 * mmshim_bench.c - benchmark module for `make bench`. At load (in the
 * insmod process, which has a user address space) it times each mmshim
 * operation and the raw Linux primitive it stands in for, in many short
 * alternating rounds so both see the same conditions, and prints
 *   bench: <case> pages=<n> mmshim=<ns/op> linux=<ns/op> ratio=<mmshim/linux>
 * where each figure is the median over the rounds (the ratio is the median
 * of the per-round ratios), so a burst of host noise in a few rounds (qemu
 * TCG on a shared machine) does not move the result. The module holds
 * nothing once loaded; the init script unloads it.
 *
 * With profile=<pages> (make bench MMSHIM_BENCH_PROFILE=<pages>), each case
 * of that size is also run under a sampling profiler (profile() below) and
 * the functions its samples fall in are printed, for mmshim and for Linux:
 *   bench: profile <case> pages=<n> mmshim|linux samples=<n>
 *   bench:   <percent> <function>
 */
#include <linux/module.h>
#include <mmshim/linux.h> /* MMSHIM_IMPORT_NS() */
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/numa.h>
#include <linux/sort.h>
#include <linux/smp.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/sched/mm.h>
#include <asm/tlbflush.h>
#include <linux/hrtimer.h>
#include <linux/kallsyms.h>
#include <asm/irq_regs.h>
#include "../src/glue/compat.h" /* kernel-version differences */
#include <wdm.h>

#define ROUNDS 31
#define BENCH_TAG 0x68636e42u /* "Bnch" */

static const unsigned int bench_pages[] = { 1, 4, 16, 64, 256 };

/* Per-round times (ns) of one case, mmshim and Linux, and their ratio x1000. */
struct rounds {
	u64 ours[ROUNDS], raw[ROUNDS], milli[ROUNDS];
	unsigned int n;
};

static void record(struct rounds *r, u64 ours, u64 raw)
{
	if (r->n >= ROUNDS || !raw)
		return;
	r->ours[r->n] = ours;
	r->raw[r->n] = raw;
	r->milli[r->n] = div64_u64(ours * 1000, raw);
	r->n++;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

static void report(const char *name, unsigned int pages, struct rounds *r, unsigned int iters)
{
	u64 milli;

	if (!r->n) {
		pr_info("bench: %-22s pages=%-3u failed\n", name, pages);
		return;
	}
	milli = median(r->milli, r->n);
	pr_info("bench: %-22s pages=%-3u mmshim=%llu linux=%llu ratio=%llu.%03llu\n", name, pages,
		div_u64(median(r->ours, r->n), iters), div_u64(median(r->raw, r->n), iters),
		milli / 1000, milli % 1000);
}

static unsigned int iterations(unsigned int pages)
{
	return pages >= 64 ? 40 : 300;
}

/* One case: what is timed, on what. */
struct bench_ctx {
	PMDL mdl;
	struct page **pgs;
	unsigned long user;
	PVOID base;          /* reserved mapping */
	PDMA_ADAPTER adapter; /* DMA: mmshim's adapter for dev */
	PDEVICE_OBJECT pdo;
	struct device *dev;
	struct scatterlist *sg;
	unsigned int pages;
	unsigned int iters;  /* calls per round; 0: by size */
	bool from_device;    /* DMA: the device writes memory (else it reads) */
	PMDL floor;          /* floors: their own MDL over the same pages */
	struct page **scratch; /* floors: page pointers, one per page */
};

typedef void (*bench_fn)(struct bench_ctx *c, unsigned int iters);

static u64 time_it(bench_fn fn, struct bench_ctx *c, unsigned int iters)
{
	u64 t = ktime_get_ns();

	fn(c, iters);
	return ktime_get_ns() - t;
}

/*
 * The sampling profiler: an hrtimer pinned to this CPU fires every
 * PROF_PERIOD_NS while a case runs and records the interrupted kernel
 * address; the samples are then counted per function (kallsyms). Read the
 * result with two caveats of qemu TCG: a timer interrupt is taken only
 * between translated blocks, so samples fall on block starts (often a
 * function's first instruction or the return point after a call), and a
 * section that runs with interrupts off is counted where they come back on
 * (_raw_spin_unlock_irqrestore, for one).
 */
static unsigned int profile_pages;
module_param_named(profile, profile_pages, uint, 0444);
MODULE_PARM_DESC(profile, "also profile every case of this many pages (0: none)");

#define PROF_SAMPLES 100000
#define PROF_PERIOD_NS 7000
#define PROF_FUNCTIONS 64
struct prof_fn {
	char name[KSYM_NAME_LEN];
	unsigned int n;
};
static struct {
	unsigned long ip[PROF_SAMPLES];
	unsigned int n;
	struct hrtimer timer;
	struct prof_fn fn[PROF_FUNCTIONS];
} *prof;

static enum hrtimer_restart prof_tick(struct hrtimer *t)
{
	struct pt_regs *regs = get_irq_regs();

	if (regs && !user_mode(regs) && prof->n < PROF_SAMPLES)
		prof->ip[prof->n++] = instruction_pointer(regs);
	hrtimer_forward_now(t, ns_to_ktime(PROF_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void profile(const char *name, const char *side, struct bench_ctx *c, bench_fn fn, unsigned int iters)
{
	unsigned int i, j, functions = 0, other = 0;
	char buf[KSYM_SYMBOL_LEN];

	prof = vzalloc(sizeof(*prof));
	if (!prof)
		return;
	hrtimer_init(&prof->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	prof->timer.function = prof_tick;
	migrate_disable(); /* the timer samples this CPU; the case may still sleep */
	hrtimer_start(&prof->timer, ns_to_ktime(PROF_PERIOD_NS), HRTIMER_MODE_REL_PINNED);
	fn(c, iters);
	hrtimer_cancel(&prof->timer);
	migrate_enable();
	for (i = 0; i < prof->n; i++) {
		sprint_symbol_no_offset(buf, prof->ip[i]);
		for (j = 0; j < functions && strcmp(prof->fn[j].name, buf); j++)
			;
		if (j == functions) {
			if (functions == PROF_FUNCTIONS) {
				other++;
				continue;
			}
			strscpy(prof->fn[functions++].name, buf, KSYM_NAME_LEN);
		}
		prof->fn[j].n++;
	}
	pr_info("bench: profile %s pages=%u %s samples=%u\n", name, c->pages, side, prof->n);
	/* The functions with at least 1% of the samples, most first. */
	while (prof->n) {
		unsigned int best = 0;

		for (j = 1; j < functions; j++)
			if (prof->fn[j].n > prof->fn[best].n)
				best = j;
		if (!functions || prof->fn[best].n * 100 < prof->n)
			break;
		pr_info("bench:   %3u.%u%% %s\n", prof->fn[best].n * 100 / prof->n,
			prof->fn[best].n * 1000 / prof->n % 10, prof->fn[best].name);
		prof->fn[best].n = 0;
	}
	if (other)
		pr_info("bench:   (%u samples in functions not counted)\n", other);
	vfree(prof);
	prof = NULL;
}

/*
 * ROUNDS rounds of `iters` calls each of ours and raw, alternating which
 * goes first so that lazily deferred work (vunmap's purge, for one) left by
 * one side is paid by each side equally often. Prints the medians.
 */
static void run_case(const char *name, struct bench_ctx *c, bench_fn ours, bench_fn raw)
{
	unsigned int iters = c->iters ? c->iters : iterations(c->pages), r;
	struct rounds *res = kzalloc(sizeof(*res), GFP_KERNEL);

	if (!res)
		return;
	ours(c, iters); /* warm up both */
	raw(c, iters);
	for (r = 0; r < ROUNDS; r++) {
		u64 a, b;

		if (r & 1) {
			b = time_it(raw, c, iters);
			a = time_it(ours, c, iters);
		} else {
			a = time_it(ours, c, iters);
			b = time_it(raw, c, iters);
		}
		record(res, a, b);
	}
	report(name, c->pages, res, iters);
	kfree(res);
	if (profile_pages && c->pages == profile_pages) {
		profile(name, "mmshim", c, ours, 100 * iters);
		profile(name, "linux", c, raw, 100 * iters);
	}
}

static void ours_map(struct bench_ctx *c, unsigned int iters)
{
	while (iters--) {
		void *va = MmGetSystemAddressForMdlSafe(c->mdl, NormalPagePriority);

		MmUnmapLockedPages(va, c->mdl);
	}
}

static void raw_vm_map_ram(struct bench_ctx *c, unsigned int iters)
{
	while (iters--)
		vm_unmap_ram(vm_map_ram(c->pgs, c->pages, NUMA_NO_NODE), c->pages);
}

static void raw_vmap(struct bench_ctx *c, unsigned int iters)
{
	while (iters--)
		vunmap(vmap(c->pgs, c->pages, VM_MAP, PAGE_KERNEL));
}

static int cmp_page_desc(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page *const *)a), pb = page_to_pfn(*(struct page *const *)b);

	return pa < pb ? 1 : pa > pb ? -1 : 0;
}

/*
 * Floors: for each mmshim row, the least any Windows-shaped version of the
 * same calls can do over the same Linux primitive, written here with none
 * of mmshim's checks, records, tables or verifier. A floor trusts its MDL
 * completely (whole pages from a page-aligned start, nothing rewritten,
 * nothing racing), so it is no implementation, only a yardstick: the ratio
 * a row could reach on this machine if mmshim did nothing but its job. The
 * floors run on their own MDL (floor_mdl()), never on one mmshim tracks.
 */
static PMDL floor_mdl(void *va, unsigned int pages, struct page **pgs)
{
	PMDL m = kzalloc(sizeof(*m) + pages * sizeof(PFN_NUMBER), GFP_KERNEL);
	unsigned int i;

	if (!m)
		return NULL;
	MmInitializeMdl(m, va, pages * PAGE_SIZE);
	for (i = 0; pgs && i < pages; i++)
		MmGetMdlPfnArray(m)[i] = page_to_pfn(pgs[i]);
	return m;
}

/* The map floor: page pointers from the PFN array, vm_map_ram (<= 16
 * pages) or vmap, the MDL's address and flag; the unmap undoes it. */
static noinline PVOID floor_map(PMDL m, struct page **scratch)
{
	unsigned int n = m->ByteCount >> PAGE_SHIFT, i;
	const PFN_NUMBER *pfns = MmGetMdlPfnArray(m);
	void *va;

	for (i = 0; i < n; i++)
		scratch[i] = pfn_to_page(pfns[i]);
	va = n <= 16 ? vm_map_ram(scratch, n, NUMA_NO_NODE) : vmap(scratch, n, VM_MAP, PAGE_KERNEL);
	if (!va)
		return NULL;
	m->MappedSystemVa = va;
	m->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
	return va;
}

static noinline void floor_unmap(PVOID va, PMDL m)
{
	unsigned int n = m->ByteCount >> PAGE_SHIFT;

	if (n <= 16)
		vm_unmap_ram(va, n);
	else
		vunmap(va);
	m->MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA;
}

static void floor_map_run(struct bench_ctx *c, unsigned int iters)
{
	while (iters--) {
		void *va = floor_map(c->floor, c->scratch);

		if (va)
			floor_unmap(va, c->floor);
	}
}

/*
 * @pages separately allocated pages in descending frame order, mapped
 * virtually contiguous at *@va, no two neighbours physically adjacent, so a
 * "scattered" case never measures a contiguous (linear-map) MDL: up to four
 * times as many candidates are allocated, sorted, and every page that would
 * touch the last one kept is given back.
 */
static bool scattered_alloc(struct page **pgs, unsigned int pages, void **va)
{
	unsigned int want = 4 * pages, got, kept = 0, i;
	struct page **cand = kvmalloc_array(want, sizeof(*cand), GFP_KERNEL);

	if (!cand)
		return false;
	for (got = 0; got < want; got++) {
		cand[got] = alloc_page(GFP_KERNEL);
		if (!cand[got])
			break;
	}
	sort(cand, got, sizeof(*cand), cmp_page_desc, NULL);
	for (i = 0; i < got; i++) {
		if (kept < pages && (!kept || page_to_pfn(pgs[kept - 1]) > page_to_pfn(cand[i]) + 1))
			pgs[kept++] = cand[i];
		else
			__free_page(cand[i]);
	}
	kvfree(cand);
	*va = kept == pages ? vmap(pgs, pages, VM_MAP, PAGE_KERNEL) : NULL;
	if (*va)
		return true;
	while (kept--)
		__free_page(pgs[kept]);
	return false;
}

static void scattered_free(struct page **pgs, unsigned int pages, void *va)
{
	unsigned int i;

	vunmap(va);
	for (i = 0; i < pages; i++)
		__free_page(pgs[i]);
}

/* Kernel-space mapping of scattered or contiguous pages: mmshim vs vm_map_ram/vmap. */
static void bench_map(unsigned int pages, bool contiguous)
{
	struct bench_ctx c = { .pages = pages };
	void *buf = NULL;
	unsigned int i;

	c.pgs = kvmalloc_array(pages, sizeof(*c.pgs), GFP_KERNEL);
	if (!c.pgs)
		return;
	if (contiguous) {
		buf = (void *)__get_free_pages(GFP_KERNEL, get_order(pages * PAGE_SIZE));
		for (i = 0; buf && i < pages; i++)
			c.pgs[i] = virt_to_page(buf + i * PAGE_SIZE);
	} else if (!scattered_alloc(c.pgs, pages, &buf)) {
		buf = NULL;
	}
	if (!buf) {
		pr_info("bench: map pages=%u: no %s pages\n", pages, contiguous ? "contiguous" : "scattered");
		goto out;
	}
	c.mdl = IoAllocateMdl(buf, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!c.mdl)
		goto out;
	if (MmshimProbeAndLockPages(c.mdl, KernelMode, IoWriteAccess) == STATUS_SUCCESS) {
		run_case(contiguous ? "map+unmap contiguous"
				    : (pages <= 16 ? "map+unmap vs vm_map_ram" : "map+unmap vs vmap"),
			 &c, ours_map, pages <= 16 ? raw_vm_map_ram : raw_vmap);
		c.floor = contiguous ? NULL : floor_mdl(buf, pages, c.pgs);
		c.scratch = c.floor ? kvmalloc_array(pages, sizeof(*c.scratch), GFP_KERNEL) : NULL;
		if (c.scratch)
			run_case(pages <= 16 ? "map floor vs vm_map_ram" : "map floor vs vmap", &c, floor_map_run,
				 pages <= 16 ? raw_vm_map_ram : raw_vmap);
		kvfree(c.scratch);
		kfree(c.floor);
		MmUnlockPages(c.mdl);
	}
	IoFreeMdl(c.mdl);
out:
	if (buf) {
		if (contiguous)
			free_pages((unsigned long)buf, get_order(pages * PAGE_SIZE));
		else
			scattered_free(c.pgs, pages, buf);
	}
	kvfree(c.pgs);
}

static void ours_lock(struct bench_ctx *c, unsigned int iters)
{
	while (iters--)
		if (MmshimProbeAndLockPages(c->mdl, UserMode, IoWriteAccess) == STATUS_SUCCESS)
			MmUnlockPages(c->mdl);
}

static void raw_pin(struct bench_ctx *c, unsigned int iters)
{
	while (iters--) {
		int n = pin_user_pages_fast(c->user, c->pages, FOLL_WRITE, c->pgs);

		if (n > 0)
			unpin_user_pages_dirty_lock(c->pgs, n, true);
	}
}

/* The lock floor: pin (long-term and writable, as mmshim pins), the PFNs
 * into the MDL, its flags; the unlock unpins the pages pinned. */
static noinline NTSTATUS floor_lock(PMDL m, struct page **pinned)
{
	unsigned int n = m->ByteCount >> PAGE_SHIFT, i;
	int got = pin_user_pages_fast((unsigned long)m->StartVa, n, FOLL_WRITE | FOLL_LONGTERM, pinned);

	if (got != n) {
		if (got > 0)
			unpin_user_pages(pinned, got);
		return STATUS_ACCESS_VIOLATION;
	}
	for (i = 0; i < n; i++)
		MmGetMdlPfnArray(m)[i] = page_to_pfn(pinned[i]);
	m->MdlFlags |= MDL_PAGES_LOCKED | MDL_WRITE_OPERATION;
	return STATUS_SUCCESS;
}

static noinline void floor_unlock(PMDL m, struct page **pinned)
{
	unpin_user_pages_dirty_lock(pinned, m->ByteCount >> PAGE_SHIFT, true);
	m->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
}

static void floor_lock_run(struct bench_ctx *c, unsigned int iters)
{
	while (iters--)
		if (floor_lock(c->floor, c->scratch) == STATUS_SUCCESS)
			floor_unlock(c->floor, c->scratch);
}

/* User buffer: MmProbeAndLockPages + MmUnlockPages vs pin_user_pages_fast + unpin. */
static void bench_lock(unsigned int pages)
{
	struct bench_ctx c = { .pages = pages };

	c.pgs = kvmalloc_array(pages, sizeof(*c.pgs), GFP_KERNEL);
	c.user = vm_mmap(NULL, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!c.pgs || IS_ERR_VALUE(c.user) || clear_user((void __user *)c.user, pages * PAGE_SIZE))
		goto out;
	c.mdl = IoAllocateMdl((PVOID)c.user, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!c.mdl)
		goto out;
	run_case("probe+lock+unlock", &c, ours_lock, raw_pin);
	IoFreeMdl(c.mdl);
	c.floor = floor_mdl((void *)c.user, pages, NULL);
	c.scratch = c.floor ? kvmalloc_array(pages, sizeof(*c.scratch), GFP_KERNEL) : NULL;
	if (c.scratch)
		run_case("lock floor", &c, floor_lock_run, raw_pin);
	kvfree(c.scratch);
	kfree(c.floor);
out:
	if (!IS_ERR_VALUE(c.user))
		vm_munmap(c.user, pages * PAGE_SIZE);
	kvfree(c.pgs);
}

static void bench_flush_cpu(void *unused)
{
	__flush_tlb_all();
}

static void ours_reserved(struct bench_ctx *c, unsigned int iters)
{
	while (iters--) {
		MmMapLockedPagesWithReservedMapping(c->base, BENCH_TAG, c->mdl, MmCached);
		MmUnmapReservedMapping(c->base, BENCH_TAG, c->mdl);
	}
}

static void raw_vmap_flush(struct bench_ctx *c, unsigned int iters)
{
	while (iters--) {
		vunmap(vmap(c->pgs, c->pages, VM_MAP, PAGE_KERNEL));
		on_each_cpu(bench_flush_cpu, NULL, 1);
	}
}

/*
 * Reserved mapping (MmAllocateMappingAddress once) map+unmap vs vmap+vunmap.
 * vunmap() defers its TLB flush (lazy purge), while a reservation reuses its
 * VA at once and must flush every CPU on each unmap; with @eager_flush the
 * Linux side also flushes every CPU after each vunmap, the same work.
 */
static void bench_reserved(unsigned int pages, bool eager_flush)
{
	struct bench_ctx c = { .pages = pages, .iters = 20 };
	void *buf = vmalloc(pages * PAGE_SIZE);
	unsigned int i;

	c.pgs = kvmalloc_array(pages, sizeof(*c.pgs), GFP_KERNEL);
	c.base = MmAllocateMappingAddress(pages * PAGE_SIZE, BENCH_TAG);
	if (!c.pgs || !buf || !c.base)
		goto out;
	for (i = 0; i < pages; i++)
		c.pgs[i] = vmalloc_to_page(buf + i * PAGE_SIZE);
	c.mdl = IoAllocateMdl(buf, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!c.mdl)
		goto out;
	if (MmshimProbeAndLockPages(c.mdl, KernelMode, IoWriteAccess) == STATUS_SUCCESS) {
		run_case(eager_flush ? "reserved vs vmap+flush" : "reserved map+unmap", &c,
			 ours_reserved, eager_flush ? raw_vmap_flush : raw_vmap);
		MmUnlockPages(c.mdl);
	}
	IoFreeMdl(c.mdl);
out:
	if (c.base)
		MmFreeMappingAddress(c.base, BENCH_TAG);
	vfree(buf);
	kvfree(c.pgs);
}

static VOID dma_list_ready(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather,
			   PVOID Context)
{
	*(PSCATTER_GATHER_LIST *)Context = ScatterGather;
}

static void ours_dma(struct bench_ctx *c, unsigned int iters)
{
	const DMA_OPERATIONS *ops = c->adapter->DmaOperations;

	while (iters--) {
		PSCATTER_GATHER_LIST sgl = NULL;

		if (ops->GetScatterGatherList(c->adapter, c->pdo, c->mdl, MmGetMdlVirtualAddress(c->mdl),
					      c->pages * PAGE_SIZE, dma_list_ready, &sgl, !c->from_device) ==
		    STATUS_SUCCESS)
			ops->PutScatterGatherList(c->adapter, sgl, !c->from_device);
	}
}

/* What a Linux driver does per request: a scatterlist over the pages,
 * dma_map_sg, dma_unmap_sg. */
static void raw_dma(struct bench_ctx *c, unsigned int iters)
{
	while (iters--) {
		unsigned int i;
		int n;

		sg_init_table(c->sg, c->pages);
		for (i = 0; i < c->pages; i++)
			sg_set_page(&c->sg[i], c->pgs[i], PAGE_SIZE, 0);
		n = dma_map_sg(c->dev, c->sg, c->pages, c->from_device ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
		if (n > 0)
			dma_unmap_sg(c->dev, c->sg, c->pages, c->from_device ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
	}
}

/*
 * The floor under the DMA rows: the least a GetScatterGatherList +
 * PutScatterGatherList over the Linux DMA API can do, with none of mmshim's
 * checks, tables, holds or verifier. It trusts the MDL completely and only
 * takes whole, page-aligned pages (the bench's buffer), so it is no
 * implementation, only a yardstick for how low any Windows-shaped version
 * of these two calls can go on this machine: the driver reaches both
 * through its adapter's DMA_OPERATIONS, the scatterlist is built from the
 * MDL's PFN array, the bus addresses are copied into a SCATTER_GATHER_LIST
 * and the driver's execution routine is called through its pointer; the
 * put unmaps. The raw side is the same raw_dma as the mmshim rows.
 */
struct floor_adapter {
	DMA_ADAPTER adapter; /* first: the driver holds a PDMA_ADAPTER */
	DMA_OPERATIONS ops;
	struct device *dev;
	struct scatterlist *sg;
	unsigned int nents;
	PSCATTER_GATHER_LIST list; /* room for one element per page */
};

static NTSTATUS floor_get(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl, PVOID CurrentVa,
			  ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context, BOOLEAN WriteToDevice)
{
	struct floor_adapter *f = container_of(DmaAdapter, struct floor_adapter, adapter);
	const PFN_NUMBER *pfns = MmGetMdlPfnArray(Mdl);
	unsigned int pages = Length >> PAGE_SHIFT, i;
	int n;

	sg_init_table(f->sg, pages);
	for (i = 0; i < pages; i++)
		sg_set_page(&f->sg[i], pfn_to_page(pfns[i]), PAGE_SIZE, 0);
	n = dma_map_sg(f->dev, f->sg, pages, WriteToDevice ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
	if (n <= 0)
		return STATUS_INSUFFICIENT_RESOURCES;
	f->nents = pages;
	for (i = 0; i < n; i++) {
		f->list->Elements[i].Address.QuadPart = sg_dma_address(&f->sg[i]);
		f->list->Elements[i].Length = sg_dma_len(&f->sg[i]);
	}
	f->list->NumberOfElements = n;
	ExecutionRoutine(DeviceObject, NULL, f->list, Context);
	return STATUS_SUCCESS;
}

static VOID floor_put(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather, BOOLEAN WriteToDevice)
{
	struct floor_adapter *f = container_of(DmaAdapter, struct floor_adapter, adapter);

	dma_unmap_sg(f->dev, f->sg, f->nents, WriteToDevice ? DMA_TO_DEVICE : DMA_FROM_DEVICE);
}

/* The floor adapter for @dev, over the same scatterlist storage as raw_dma. */
static struct floor_adapter *floor_adapter(struct device *dev, struct scatterlist *sg, unsigned int pages)
{
	struct floor_adapter *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	f->list = kzalloc(struct_size(f->list, Elements, pages), GFP_KERNEL);
	if (!f->list) {
		kfree(f);
		return NULL;
	}
	f->adapter.Size = sizeof(f->adapter);
	f->adapter.DmaOperations = &f->ops;
	f->ops.Size = sizeof(f->ops);
	f->ops.GetScatterGatherList = floor_get;
	f->ops.PutScatterGatherList = floor_put;
	f->dev = dev;
	f->sg = sg;
	return f;
}

static void floor_adapter_free(struct floor_adapter *f)
{
	if (f)
		kfree(f->list);
	kfree(f);
}

/*
 * GetScatterGatherList + PutScatterGatherList of a locked MDL over scattered
 * pages vs a scatterlist over the same pages + dma_map_sg +
 * dma_unmap_sg, for qemu's edu device (no IOMMU in the bench VM: dma-direct).
 */
static void bench_dma(struct pci_dev *edu, unsigned int pages)
{
	DEVICE_DESCRIPTION d = {
		.Version = DEVICE_DESCRIPTION_VERSION3, .Master = TRUE, .ScatterGather = TRUE,
		.Dma32BitAddresses = TRUE, .DmaAddressWidth = 32, .InterfaceType = PCIBus,
		.MaximumLength = 256 * PAGE_SIZE,
	};
	struct bench_ctx c = { .pages = pages, .dev = &edu->dev };
	struct floor_adapter *floor;
	void *buf = NULL;
	ULONG regs;

	c.pgs = kvmalloc_array(pages, sizeof(*c.pgs), GFP_KERNEL);
	c.sg = kvmalloc_array(pages, sizeof(*c.sg), GFP_KERNEL);
	c.pdo = MmshimDeviceObject(&edu->dev);
	c.adapter = c.pdo ? IoGetDmaAdapter(c.pdo, &d, &regs) : NULL;
	if (!c.pgs || !c.sg || !c.adapter || !scattered_alloc(c.pgs, pages, &buf)) {
		pr_info("bench: dma pages=%u: no adapter or no scattered pages\n", pages);
		buf = NULL;
		goto out;
	}
	c.mdl = IoAllocateMdl(buf, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!c.mdl)
		goto out;
	if (MmshimProbeAndLockPages(c.mdl, KernelMode, IoWriteAccess) == STATUS_SUCCESS) {
		run_case("dma sg list vs map_sg", &c, ours_dma, raw_dma);
		/* The device writing memory: mmshim also checks that the MDL's
		 * owner could write every frame (docs/security.md). */
		c.from_device = true;
		run_case("dma from device vs map_sg", &c, ours_dma, raw_dma);
		/* The floor, to the device, through the same ours_dma loop. */
		floor = floor_adapter(c.dev, c.sg, pages);
		c.floor = floor_mdl(buf, pages, c.pgs);
		if (floor && c.floor) {
			PDMA_ADAPTER adapter = c.adapter;
			PMDL mdl = c.mdl;

			c.adapter = &floor->adapter;
			c.mdl = c.floor;
			c.from_device = false;
			run_case("dma floor vs map_sg", &c, ours_dma, raw_dma);
			c.adapter = adapter;
			c.mdl = mdl;
		}
		floor_adapter_free(floor);
		kfree(c.floor);
		MmUnlockPages(c.mdl);
	}
	IoFreeMdl(c.mdl);
out:
	if (c.adapter)
		c.adapter->DmaOperations->PutDmaAdapter(c.adapter);
	if (buf)
		scattered_free(c.pgs, pages, buf);
	kvfree(c.sg);
	kvfree(c.pgs);
}

/*
 * ---- Two CPUs at once ----------------------------------------------------
 * The same per-thread work (its own MDL and pages) timed on one CPU, then on
 * two CPUs at once. Scaling = two-CPU throughput / one-CPU throughput
 * (2.0: perfect; 1.0: the two serialize), for mmshim and for the raw
 * primitive; the ratio printed is mmshim's scaling / Linux's (issue 14: at
 * least 0.9). Lines: "<case> pages=<n> scaling mmshim=<x> linux=<y> ratio=<x/y>".
 */
struct scale_thread {
	struct bench_ctx *c;
	bench_fn fn;
	unsigned int iters;
	struct mm_struct *mm; /* the lock case's user buffers */
	atomic_t *ready;
	u64 ns;
	struct completion done;
};

static int scale_thread_fn(void *arg)
{
	struct scale_thread *t = arg;
	u64 start;

	if (t->mm)
		kthread_use_mm(t->mm);
	atomic_dec(t->ready);
	while (atomic_read(t->ready) > 0) /* start together */
		cpu_relax();
	start = ktime_get_ns();
	t->fn(t->c, t->iters);
	t->ns = ktime_get_ns() - start;
	if (t->mm)
		kthread_unuse_mm(t->mm);
	complete(&t->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* ns for @iters calls of @fn in each of @n threads (1 or 2, on the first two
 * CPUs) started together: the slower thread's time; 0 if a thread failed. */
static u64 scale_run(struct bench_ctx *const c[2], bench_fn fn, unsigned int iters, unsigned int n,
		     struct mm_struct *mm)
{
	struct scale_thread t[2];
	struct task_struct *k[2];
	atomic_t ready = ATOMIC_INIT(n);
	unsigned int i, cpu = cpumask_first(cpu_online_mask);
	u64 worst = 0;

	for (i = 0; i < n; i++) {
		t[i] = (struct scale_thread){ .c = c[i], .fn = fn, .iters = iters, .mm = mm, .ready = &ready };
		init_completion(&t[i].done);
		k[i] = kthread_create(scale_thread_fn, &t[i], "mmshim_bench%u", i);
		if (IS_ERR(k[i])) {
			if (i) /* never woken: its function does not run */
				kthread_stop(k[0]);
			return 0;
		}
		kthread_bind(k[i], cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
	}
	for (i = 0; i < n; i++)
		wake_up_process(k[i]);
	for (i = 0; i < n; i++) {
		wait_for_completion(&t[i].done);
		kthread_stop(k[i]);
		worst = max(worst, t[i].ns);
	}
	return worst;
}

/* Scaling x1000 of @fn: 2 x one-thread time / two-thread time. */
static u64 scaling(struct bench_ctx *const c[2], bench_fn fn, unsigned int iters, struct mm_struct *mm)
{
	u64 one = scale_run(c, fn, iters, 1, mm), two = scale_run(c, fn, iters, 2, mm);

	return one && two ? div64_u64(2000 * one, two) : 0;
}

static void run_scaling(const char *name, struct bench_ctx *const c[2], bench_fn ours, bench_fn raw,
			struct mm_struct *mm)
{
	unsigned int iters = iterations(c[0]->pages), r;
	struct rounds *res = kzalloc(sizeof(*res), GFP_KERNEL);
	u64 so, sr, milli;

	if (!res)
		return;
	ours(c[0], iters); /* warm up both */
	raw(c[0], iters);
	for (r = 0; r < ROUNDS; r++) {
		u64 a, b;

		if (r & 1) {
			b = scaling(c, raw, iters, mm);
			a = scaling(c, ours, iters, mm);
		} else {
			a = scaling(c, ours, iters, mm);
			b = scaling(c, raw, iters, mm);
		}
		if (a)
			record(res, a, b);
	}
	if (!res->n) {
		pr_info("bench: %-22s pages=%-3u failed\n", name, c[0]->pages);
		kfree(res);
		return;
	}
	so = median(res->ours, res->n);
	sr = median(res->raw, res->n);
	milli = median(res->milli, res->n);
	pr_info("bench: %-22s pages=%-3u scaling mmshim=%llu.%03llu linux=%llu.%03llu ratio=%llu.%03llu\n", name,
		c[0]->pages, so / 1000, so % 1000, sr / 1000, sr % 1000, milli / 1000, milli % 1000);
	kfree(res);
}

/* Map+unmap of scattered pages (vm_map_ram) and probe+lock+unlock of a user
 * buffer, @pages each, every thread with its own. */
static void bench_two_cpus(unsigned int pages)
{
	struct bench_ctx ctx[2] = { { .pages = pages }, { .pages = pages } };
	struct bench_ctx *const c[2] = { &ctx[0], &ctx[1] };
	void *buf[2] = {};
	struct mm_struct *mm = get_task_mm(current);
	unsigned int i;
	bool ok = true;

	if (num_online_cpus() < 2 || !mm) {
		pr_info("bench: two CPUs pages=%u: needs two CPUs and a user process\n", pages);
		goto out_mm;
	}
	for (i = 0; i < 2; i++) {
		ctx[i].pgs = kvmalloc_array(pages, sizeof(*ctx[i].pgs), GFP_KERNEL);
		if (!ctx[i].pgs || !scattered_alloc(ctx[i].pgs, pages, &buf[i])) {
			buf[i] = NULL;
			ok = false;
			continue;
		}
		ctx[i].mdl = IoAllocateMdl(buf[i], pages * PAGE_SIZE, FALSE, FALSE, NULL);
		if (!ctx[i].mdl || MmshimProbeAndLockPages(ctx[i].mdl, KernelMode, IoWriteAccess) != STATUS_SUCCESS) {
			if (ctx[i].mdl)
				IoFreeMdl(ctx[i].mdl);
			ctx[i].mdl = NULL;
			ok = false;
		}
	}
	if (ok)
		run_scaling("2 CPUs map+unmap", c, ours_map, pages <= 16 ? raw_vm_map_ram : raw_vmap, NULL);
	for (i = 0; i < 2; i++) {
		if (ctx[i].mdl) {
			MmUnlockPages(ctx[i].mdl);
			IoFreeMdl(ctx[i].mdl);
			ctx[i].mdl = NULL;
		}
		if (buf[i])
			scattered_free(ctx[i].pgs, pages, buf[i]);
	}
	/* The lock case: a user buffer each in this process's address space,
	 * which both threads use (kthread_use_mm). */
	ok = true;
	for (i = 0; i < 2; i++) {
		ctx[i].user = vm_mmap(NULL, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
				      MAP_ANONYMOUS | MAP_PRIVATE, 0);
		if (!ctx[i].pgs || IS_ERR_VALUE(ctx[i].user) ||
		    clear_user((void __user *)ctx[i].user, pages * PAGE_SIZE)) {
			ok = false;
			continue;
		}
		ctx[i].mdl = IoAllocateMdl((PVOID)ctx[i].user, pages * PAGE_SIZE, FALSE, FALSE, NULL);
		ok = ok && ctx[i].mdl;
	}
	if (ok)
		run_scaling("2 CPUs probe+lock", c, ours_lock, raw_pin, mm);
	for (i = 0; i < 2; i++) {
		if (ctx[i].mdl)
			IoFreeMdl(ctx[i].mdl);
		if (!IS_ERR_VALUE(ctx[i].user))
			vm_munmap(ctx[i].user, pages * PAGE_SIZE);
		kvfree(ctx[i].pgs);
	}
out_mm:
	if (mm)
		mmput(mm);
}

/*
 * The unit most of mmshim's fixed cost per call is made of: one
 * IRQ-saving spinlock pair (every core table is under one), and a plain
 * pair beside it, timed here so each table says what they cost on this
 * machine (under qemu TCG, interrupts off and on again are expensive).
 */
static DEFINE_SPINLOCK(calibration_lock);

static u64 calibrate(bool irqsave)
{
	unsigned int i, r;
	u64 best = U64_MAX;

	for (r = 0; r < 5; r++) {
		u64 t = ktime_get_ns();

		for (i = 0; i < 100000; i++) {
			unsigned long flags;

			if (irqsave) {
				spin_lock_irqsave(&calibration_lock, flags);
				spin_unlock_irqrestore(&calibration_lock, flags);
			} else {
				spin_lock(&calibration_lock);
				spin_unlock(&calibration_lock);
			}
		}
		t = ktime_get_ns() - t;
		best = min(best, t);
	}
	return div_u64(best, 100);
}

static int __init mmshim_bench_init(void)
{
	struct pci_dev *edu;
	unsigned int i;

	pr_info("bench: begin (ns per operation; ratio = mmshim / Linux primitive)\n");
	pr_info("bench: scattered = separately allocated pages in descending frame order, no two adjacent\n");
	{
		u64 irqsave = calibrate(true), plain = calibrate(false);

		pr_info("bench: calibration: one spinlock pair %llu.%02llu ns with interrupts saved and restored, %llu.%02llu ns plain\n",
			irqsave / 1000, irqsave % 1000 / 10, plain / 1000, plain % 1000 / 10);
	}
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
	bench_two_cpus(4);
	bench_two_cpus(64);
	edu = pci_get_device(0x1234, 0x11e8, NULL); /* qemu's edu: a device to map for */
	if (edu) {
		for (i = 0; i < ARRAY_SIZE(bench_pages); i++)
			bench_dma(edu, bench_pages[i]);
		pci_dev_put(edu);
	} else {
		pr_info("bench: no edu device: no DMA case\n");
	}
	pr_info("bench: end\n");
	/* Stays loaded until the init script's rmmod: a failing init would be
	 * run again by busybox's insmod, which retries finit_module's failure
	 * with init_module (two tables from one boot). */
	return 0;
}

static void __exit mmshim_bench_exit(void)
{
}

module_init(mmshim_bench_init);
module_exit(mmshim_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmshim benchmark: ratios against raw Linux primitives");
MMSHIM_IMPORT_NS();
