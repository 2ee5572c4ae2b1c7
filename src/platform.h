/* SPDX-License-Identifier: GPL-2.0 */
/*
 * platform.h - the C ABI between mmshim's C++ core (src/core/) and its Linux
 * glue (src/glue/). The core calls only these functions to reach Linux; the
 * glue implements each with one Linux primitive. Host tests implement them
 * with a fake (tests/host/fake_platform.cpp).
 *
 * Only compiler built-in types are used: both sides include this header, one
 * with Linux headers, one without.
 *
 * Context rules are stated per function. "Atomic-safe" means callable with a
 * spinlock held or interrupts off (Windows DISPATCH_LEVEL), never sleeping.
 */
#ifndef MMSHIM_PLATFORM_H
#define MMSHIM_PLATFORM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long mmshim_uptr;
typedef unsigned long mmshim_size;

/* The one Linux errno the core needs to recognise or return (core init and
 * pinning report it negated, as Linux does). */
#define MMSHIM_ENOMEM 12

/* ---- context ----------------------------------------------------------- */

/* Non-zero if the caller may sleep (Windows IRQL <= APC_LEVEL). Atomic-safe. */
int mmshim_plat_may_sleep(void);

/* Lowest kernel virtual address: anything below is a user address. */
mmshim_uptr mmshim_plat_kernel_space_start(void);

/* ---- memory ------------------------------------------------------------ */

enum mmshim_alloc_flags {
	MMSHIM_ALLOC_ZERO = 1u << 0,   /* zero the block */
	MMSHIM_ALLOC_ATOMIC = 1u << 1, /* caller can't sleep: no vmalloc, no reclaim */
	/* Pool priorities (EX_POOL_PRIORITY): low never reclaims or dips
	 * into reserves; high may use the emergency reserves (__GFP_HIGH). */
	MMSHIM_ALLOC_LOW_PRIORITY = 1u << 2,
	MMSHIM_ALLOC_HIGH_PRIORITY = 1u << 3,
	/* The block's pages can be referenced (locks, user mappings): see
	 * mmshim_plat_alloc(). Free it with mmshim_plat_free_shareable(). */
	MMSHIM_ALLOC_SHAREABLE = 1u << 4,
};

/*
 * Allocate @size bytes of kernel memory, virtually contiguous and mapped
 * non-executable, at least 8-byte aligned; NULL on failure (never warns).
 * Small blocks come from kmalloc; large ones fall back to vmalloc when the
 * caller may sleep. Atomic-safe with MMSHIM_ALLOC_ATOMIC.
 */
void *mmshim_plat_alloc(mmshim_size size, unsigned int flags);
/*
 * With MMSHIM_ALLOC_SHAREABLE, a block of more than a page comes from the
 * page allocator (one compound allocation) or vmalloc instead of kmalloc:
 * newer kernels keep kmalloc's pages at a reference count of zero, and a
 * page nobody can take a reference on can be neither held by a lock nor
 * mapped into a process safely.
 */

/* Free a block from mmshim_plat_alloc() with MMSHIM_ALLOC_SHAREABLE. The
 * pages live on while a lock or a user mapping still references them.
 * Atomic-safe. */
void mmshim_plat_free_shareable(void *block);

/* Free a block from mmshim_plat_alloc(). Atomic-safe: a vmalloc'ed block
 * freed in atomic context is handed to a worker. */
void mmshim_plat_free(void *block);

/*
 * The aligned 8-byte word at @p, read without sanitizer checks (KASAN):
 * @p may lie outside any object the reader owns (just before an MDL the
 * driver embedded in its own structure), but must be in a mapped page, as
 * the word before an MDL is when it lies in the MDL's own page. The value
 * is only compared, never trusted. Atomic-safe.
 */
unsigned long long mmshim_plat_peek_word(const void *p);

/* Fixed-size object cache for small MDLs. create/destroy sleep. */
int mmshim_plat_mdl_cache_create(mmshim_size object_size);
void mmshim_plat_mdl_cache_destroy(void);
/* Atomic-safe when @atomic is non-zero. */
void *mmshim_plat_mdl_cache_alloc(int atomic);
void mmshim_plat_mdl_cache_free(void *object);

/* ---- kernel virtual addresses ------------------------------------------ */

enum mmshim_kva_kind {
	MMSHIM_KVA_INVALID = 0, /* not mapped kernel memory we can describe */
	MMSHIM_KVA_DIRECT,      /* linear map or kernel image: pfn = __pa >> PAGE_SHIFT */
	MMSHIM_KVA_VMALLOC,     /* vmalloc/vmap/ioremap/module space, resolved by page walk */
	MMSHIM_KVA_STACK,       /* on the current task's stack (pfn is set) */
};

/*
 * Classify kernel address @va and return the page frame backing it in *pfn
 * (valid unless MMSHIM_KVA_INVALID). Does not touch the memory. Atomic-safe.
 */
enum mmshim_kva_kind mmshim_plat_kva_to_pfn(const void *va, unsigned long long *pfn);

/* Non-zero if @pfn has a struct page (memory the kernel manages, Windows'
 * "in the PFN database"); zero for device memory. O(1). Atomic-safe. */
int mmshim_plat_pfn_is_ram(unsigned long long pfn);

/* ---- locking pages (MmProbeAndLockPages) ------------------------------ */

/*
 * User pins live in storage the core allocates with its lock record, so a
 * lock costs one allocation: mmshim_plat_pin_size() bytes (8-byte aligned),
 * 0 if @npages is too large.
 */
mmshim_size mmshim_plat_pin_size(mmshim_size npages);

/*
 * Pin @npages pages of the current process's address space from the page
 * aligned user address @start (pin_user_pages_fast, FOLL_WRITE if @write,
 * which breaks copy-on-write and fails on read-only mappings) into @pin.
 * Long-term (FOLL_LONGTERM: out of CMA and movable zones) where Linux
 * allows it, else short-term (Linux refuses long-term writable pins of
 * file pages that need dirty tracking). Returns 0, or a negative errno
 * with nothing left pinned. May sleep.
 */
int mmshim_plat_pin_user(void *pin, mmshim_uptr start, mmshim_size npages, int write);

/* The pinned frames of @pin, into @pfns. Atomic-safe. */
void mmshim_plat_pin_frames(const void *pin, unsigned long long *pfns);

/*
 * Unpin @pin's pages (marked dirty if @dirty). Returns 1 when done; in
 * atomic context the unpin is handed to a worker and 0 is returned: @pin
 * stays in use until the worker calls mmshim_core_unpin_done(@pin).
 * Atomic-safe.
 */
int mmshim_plat_unpin_user(void *pin, int dirty);

/* Take a reference on the page at kernel frame @pfn if it is refcounted
 * (non-zero if taken; not for frames without a struct page or for tail
 * pages of non-compound allocations, whose count is 0), and drop one taken
 * that way. Atomic-safe. */
int mmshim_plat_get_page(unsigned long long pfn);
void mmshim_plat_put_page(unsigned long long pfn);

/* Non-zero if the kernel address @va is mapped writable. Atomic-safe. */
int mmshim_plat_kva_writable(const void *va);

/* The current process's address space (MDL->Process), NULL in a kernel
 * thread. Atomic-safe. */
void *mmshim_plat_current_process(void);

/* ---- system mappings (MmMapLockedPagesSpecifyCache) ---------------------- */

enum mmshim_cache { MMSHIM_CACHE_WB = 0, MMSHIM_CACHE_UC = 1, MMSHIM_CACHE_WC = 2 };

/* Linear-map address of RAM frame @pfn, NULL if it is not RAM. Atomic-safe. */
void *mmshim_plat_pfn_to_linear(unsigned long long pfn);

/* Where the linear map has (or would have) frame @pfn, by arithmetic only:
 * for frames already known to be RAM, or to compare an address with. */
mmshim_uptr mmshim_plat_pfn_linear_address(unsigned long long pfn);

/*
 * How many of the first frames of @pfns are RAM with a struct page (@count
 * when all are), and in *@contiguous whether those are consecutive. Cheaper
 * than a mmshim_plat_pfn_is_ram() per frame: validity is looked up once per
 * memory subsection. Atomic-safe.
 */
mmshim_size mmshim_plat_frames_ram(const unsigned long long *pfns, mmshim_size count,
				   int *contiguous);

/* The platform's state for one mapping, kept inside the core's mapping
 * record so that mapping allocates nothing of its own. */
struct mmshim_map_state {
	mmshim_uptr opaque[4];
};

/*
 * Map @count RAM frames at contiguous kernel addresses, never executable,
 * read-only if @read_only, with cache type @cache, recording what to undo in
 * @state. @scratch is NULL or room for @count pointers, which the platform
 * may use for the duration of the call (its page array, for more than
 * MMSHIM_MAP_STACK_FRAMES frames) instead of allocating one. Returns the
 * page-aligned address, or NULL. May sleep.
 */
#define MMSHIM_MAP_STACK_FRAMES 16
void *mmshim_plat_map_frames(const unsigned long long *pfns, mmshim_size count,
			     unsigned int cache, int read_only, struct mmshim_map_state *state,
			     void *scratch);

/* Remove a mapping. Returns 1 when done; in atomic context the unmap is
 * handed to a worker and 0 is returned: @state stays in use until the
 * worker calls mmshim_core_map_state_done(@state). Atomic-safe. */
int mmshim_plat_unmap_frames(struct mmshim_map_state *state);

/* ---- atomic-context VA pool ------------------------------------------- */

/* Reserve @pages pages of kernel VA with page tables in place and every entry
 * empty; returns the base or NULL. Sleeps (module load). */
void *mmshim_plat_vapool_create(mmshim_size pages);
/* Release it (all entries must be empty). Sleeps (module unload). */
void mmshim_plat_vapool_destroy(void);
/* Write PTEs for @count RAM frames at pool page @index: cached, NX, RO if
 * @read_only. The entries must be empty and flushed. Atomic-safe. */
void mmshim_plat_vapool_map(mmshim_size index, const unsigned long long *pfns,
			    mmshim_size count, int read_only);
/* Clear @count entries at @index (no TLB flush). Atomic-safe. */
void mmshim_plat_vapool_unmap(mmshim_size index, mmshim_size count);
/* Schedule a TLB flush of all CPUs; the worker calls
 * mmshim_core_vapool_flush_begin/end around it. Atomic-safe. */
void mmshim_plat_vapool_request_flush(void);
/* Flush every CPU's TLB before returning, if this context allows it
 * (interrupts on, not hard IRQ/NMI; a spinlock may be held): 0, else
 * negative (refused, or another CPU did not answer within a bounded wait).
 * Call with no core lock held. Atomic-safe. */
int mmshim_plat_vapool_flush_now(void);

/* ---- reserved mappings (MmAllocateMappingAddress) ----------------------- */

/*
 * Reserve @pages pages of kernel VA with page tables in place and every entry
 * empty; returns an opaque handle and the page-aligned base in *@base, or
 * NULL. Sleeps.
 */
void *mmshim_plat_reserve_create(mmshim_size pages, mmshim_uptr *base);
/* Release a reservation (every entry empty). Sleeps. */
void mmshim_plat_reserve_destroy(void *handle);
/*
 * Write PTEs for @count RAM frames from the reservation's first page: RW, NX,
 * with memory type @cache (MMSHIM_CACHE_*: the frames' own, so no alias of
 * another type is made). The entries must be empty. If the last unmap could not flush every
 * CPU's TLB synchronously, this finishes that first. Allocates nothing.
 * Atomic-safe; call it with no core lock held (it may need to send IPIs).
 */
void mmshim_plat_reserve_map(void *handle, const unsigned long long *pfns, mmshim_size count,
			     unsigned int cache, int read_only);
/*
 * Clear the first @count entries and flush the TLBs (all CPUs, synchronously,
 * when the context allows IPIs; else this CPU now and the others from a
 * worker, finished by the next map at the latest). Allocates nothing.
 * Atomic-safe; call it with no core lock held.
 */
void mmshim_plat_reserve_unmap(void *handle, mmshim_size count);
/* Since load: unmaps that flushed every CPU synchronously, unmaps that left
 * other CPUs to a worker, and maps that reused a range before that worker
 * had run and had to flush only their own CPU. Atomic-safe. */
void mmshim_plat_reserve_stats(unsigned long *sync, unsigned long *deferred, unsigned long *early);

/* ---- locks ------------------------------------------------------------- */

enum mmshim_lock_id {
	MMSHIM_LOCK_POOL,
	MMSHIM_LOCK_MDL,
	MMSHIM_LOCK_VERIFIER,
	MMSHIM_LOCK_SEH,
	MMSHIM_LOCK_PAGES,
	MMSHIM_LOCK_MAP,
	MMSHIM_LOCK_VAPOOL,
	MMSHIM_LOCK_RESERVE,
	MMSHIM_LOCK_IOSPACE,
	MMSHIM_LOCK_PAGEALLOC,
	MMSHIM_LOCK_PARTIAL,
	MMSHIM_LOCK_LOOKASIDE,
	MMSHIM_LOCK_DMA,
	MMSHIM_LOCK_COUNT
};

/* IRQ-safe spinlocks owned by the glue (visible to lockdep). Atomic-safe. */
unsigned long mmshim_plat_lock(enum mmshim_lock_id id);
void mmshim_plat_unlock(enum mmshim_lock_id id, unsigned long irq_flags);

/*
 * Non-zero if every page of the user range [addr, addr + len) of the current
 * process is mapped writable; faults pages in without writing to them.
 * May sleep; 0 for a thread without a user address space.
 */
int mmshim_plat_user_range_writable(mmshim_uptr addr, mmshim_size len);

/* ---- exceptions --------------------------------------------------------- */

/* Identifies the running thread and its interrupt level (task pointer with
 * hardirq/softirq/NMI bits), so a raise in an interrupt handler never lands
 * in the interrupted thread's __try. Atomic-safe. */
mmshim_uptr mmshim_plat_thread_key(void);

/*
 * Resume at a __try whose registers MmshimSehSave stored in @context, making
 * its MmshimSehSave return 1. Returns (doing nothing) only if @context is not
 * a live frame above the caller on the current stack. Atomic-safe.
 */
void mmshim_plat_seh_resume(const mmshim_uptr *context);

/* ---- reports ----------------------------------------------------------- */

struct mmshim_plat_report {
	unsigned int code;            /* Windows bug-check code, 0 = call failed */
	const char *code_name;        /* e.g. "BAD_POOL_CALLER" */
	unsigned long params[4];      /* bug-check parameters */
	const char *routine;          /* Windows routine that detected it */
	const char *what;             /* one line for the porter */
	void *caller;                 /* return address into the driver */
	unsigned int sequence;        /* report number since load */
};

/* Print a verifier report (ratelimited) with the caller as %pS and, if
 * configured, a stack dump or WARN. Atomic-safe. */
void mmshim_plat_report(const struct mmshim_plat_report *report);


/* ---- user-mode mappings (MmMapLockedPagesSpecifyCache UserMode) -------- */

/* End of the current process's user address space (TASK_SIZE). Atomic-safe. */
mmshim_uptr mmshim_plat_user_space_end(void);

enum mmshim_usermap_error {
	MMSHIM_UMAP_NOMEM = 1,       /* no memory for the mapping */
	MMSHIM_UMAP_CONFLICT = 2,    /* the requested range is in use */
	MMSHIM_UMAP_BAD_ADDRESS = 3, /* the requested range is not mappable */
	MMSHIM_UMAP_NO_PROCESS = 4,  /* no user address space (kernel thread, exiting) */
	MMSHIM_UMAP_UNSHAREABLE = 5, /* a frame without a page reference count */
	MMSHIM_UMAP_FAILED = 6,      /* anything else Linux refused */
};

/*
 * Map @count RAM frames into the current process, shared, never executable
 * (not even by mprotect), read-only (for good) if @read_only, at @requested
 * if non-zero (only if that range is free) or anywhere. The mapping cannot
 * be split, moved, grown, or inherited by fork. Each frame is referenced
 * while the mapping exists. Returns a handle and the page-aligned address in
 * *@base, or NULL with *@error an enum mmshim_usermap_error. May sleep.
 */
void *mmshim_plat_usermap_map(const unsigned long long *pfns, mmshim_size count,
			      unsigned int cache, int read_only, mmshim_uptr requested,
			      mmshim_uptr *base, int *error);

/* Non-zero while the mapping is still in its process (not munmap'ed by the
 * process, not torn down at exit). Atomic-safe. */
int mmshim_plat_usermap_live(void *handle);

/* munmap the mapping from the current process, which must own it. May sleep. */
void mmshim_plat_usermap_unmap(void *handle);

/* The core forgets the mapping: if @revoke, first remove its page-table
 * entries from whatever process has it (later accesses get SIGBUS); then
 * drop the core's reference on the handle. Atomic-safe (deferred). */
void mmshim_plat_usermap_release(void *handle, int revoke);

/* ---- physical memory: I/O space and page allocation (iospace.c, pagealloc.c) ---- */

/* How much of a physical range is System RAM. */
enum mmshim_phys_kind { MMSHIM_PHYS_DEVICE = 0, MMSHIM_PHYS_RAM = 1, MMSHIM_PHYS_MIXED = 2 };

/* region_intersects() of [@phys, @phys + @size) with System RAM. Atomic-safe. */
enum mmshim_phys_kind mmshim_plat_phys_kind(unsigned long long phys, unsigned long long size);

/* One past the highest physical address the CPU can address. Atomic-safe. */
unsigned long long mmshim_plat_phys_limit(void);

/*
 * Map @size bytes of device memory at the page-aligned @phys with cache type
 * @cache (ioremap, ioremap_wc, ioremap_cache), read-only if @read_only, never
 * executable. Returns the page-aligned address, or NULL; *@conflict is set
 * when Linux's memory-type tracking gave (or would give) a different cache
 * type than asked, in which case nothing stays mapped. *@handle is for
 * mmshim_plat_iounmap(). May sleep.
 */
void *mmshim_plat_ioremap(unsigned long long phys, mmshim_size size, unsigned int cache,
			  int read_only, int *conflict, void **handle);
/* iounmap a handle from mmshim_plat_ioremap(); deferred to a worker in
 * atomic context. Atomic-safe. */
void mmshim_plat_iounmap(void *handle);

/* Cache type of the kernel page table entry mapping @va (MMSHIM_CACHE_*), or
 * -1 if @va is not mapped or has a type mmshim does not use. Atomic-safe. */
int mmshim_plat_kva_cache(const void *va);

enum mmshim_page_flags {
	MMSHIM_PAGES_ZERO = 1u << 0,     /* zero-filled */
	MMSHIM_PAGES_ATOMIC = 1u << 1,   /* caller can't sleep (GFP_ATOMIC) */
	MMSHIM_PAGES_NOWAIT = 1u << 2,   /* no reclaim (GFP_NOWAIT) */
	MMSHIM_PAGES_DMA = 1u << 3,      /* below 16 MiB */
	MMSHIM_PAGES_DMA32 = 1u << 4,    /* below 4 GiB */
	MMSHIM_PAGES_THIS_NODE = 1u << 5, /* only from the current CPU's NUMA node */
	MMSHIM_PAGES_WHOLE = 1u << 6,    /* one block, not split: mmshim_plat_pages_split/free_whole */
};

/*
 * Allocate 2^@order physically contiguous, naturally aligned pages (an order
 * above 0 is split, so every page is freed on its own, unless
 * MMSHIM_PAGES_WHOLE) and return the first
 * frame in *@pfn; non-zero on success. Never warns; order above 0 never
 * retries hard. Sleeps unless MMSHIM_PAGES_ATOMIC. @node: an online NUMA
 * node to take the pages from first (others when it has none, unless
 * MMSHIM_PAGES_THIS_NODE), or -1 for no preference (MMSHIM_PAGES_THIS_NODE:
 * the current CPU's node).
 */
int mmshim_plat_pages_alloc(unsigned int order, unsigned int flags, unsigned long long *pfn, int node);

/* Free one page from mmshim_plat_pages_alloc(). Atomic-safe. */
void mmshim_plat_page_free(unsigned long long pfn);

/* Largest order mmshim_plat_pages_alloc() can serve. */
unsigned int mmshim_plat_pages_max_order(void);

/*
 * Set the linear map's cache type of the @count frames from @pfn
 * (set_memory_uc / set_memory_wc / set_memory_wb); 0 on success. May sleep.
 */
int mmshim_plat_pages_set_cache(unsigned long long pfn, mmshim_size count, unsigned int cache);

/*
 * Free @count pages (frames in @pfns) after restoring write-back on the
 * linear map if @cache is not MMSHIM_CACHE_WB, then mmshim_plat_free(@block).
 * @pfns lies inside @block, a block from mmshim_plat_alloc() whose first
 * MMSHIM_PAGES_RELEASE_SCRATCH bytes the glue may overwrite (@pfns must start
 * past them). Atomic-safe: work that sleeps goes to a worker.
 */
#define MMSHIM_PAGES_RELEASE_SCRATCH 48
void mmshim_plat_pages_release(void *block, const unsigned long long *pfns, mmshim_size count,
			       unsigned int cache);

/* Current NUMA node id (for reports). Atomic-safe. */
int mmshim_plat_numa_node(void);

/* Non-zero if reading the kernel address @va would not fault. Atomic-safe. */
int mmshim_plat_kva_readable(const void *va);

/* ---- permissions and process identity (perm.c; docs/security.md) -- */

/*
 * Non-zero if any of the @count frames is RAM that must never become
 * writable through a mapping mmshim makes: the shared zero page (or huge
 * zero page), or a frame whose linear-map entry is read-only or absent
 * (kernel text and read-only data, a module's .rodata: set_memory_ro()
 * makes the linear alias read-only too). Device frames are not looked at.
 * Atomic-safe.
 */
int mmshim_plat_frames_read_only(const unsigned long long *pfns, mmshim_size count);

/* Frame @index of a pin made by mmshim_plat_pin_user(). Atomic-safe. */
unsigned long long mmshim_plat_pin_frame(const void *pin, mmshim_size index);

/* Whether @pfns[0..@count) are the first @count frames of @pin (@count at
 * most the pin's size). Atomic-safe. */
int mmshim_plat_pin_frames_equal(const void *pin, const unsigned long long *pfns, mmshim_size count);

/*
 * The current process's address space (as mmshim_plat_current_process()),
 * held (mmgrab) so that its address cannot be reused by another process
 * until mmshim_plat_process_release(); NULL in a kernel thread. The hold
 * keeps only the identity, not the address space. The hold is atomic-safe;
 * the release may be the last mmdrop() and must run where sleeping is allowed.
 */
void *mmshim_plat_process_hold(void);
void mmshim_plat_process_release(void *process);

/* Split a MMSHIM_PAGES_WHOLE block into single pages, or free it whole.
 * Atomic-safe. */
void mmshim_plat_pages_split(unsigned long long pfn, unsigned int order);
void mmshim_plat_pages_free_whole(unsigned long long pfn, unsigned int order);
/* Zero one page. Atomic-safe. */
void mmshim_plat_page_zero(unsigned long long pfn);
/* Free pages mmshim may still take for drivers: what is free above a floor
 * left to the rest of the system (never 0 pages short of it). Atomic-safe. */
mmshim_size mmshim_plat_pages_spare(void);

/* ---- the current task (base vocabulary: src/glue/vocab.c) ---------------- */

/* Non-zero if the caller runs for a user process (ExGetPreviousMode
 * UserMode): task context (not hard/soft IRQ or NMI), the task is not a
 * kernel thread (PF_KTHREAD), and it has a user address space. Atomic-safe. */
int mmshim_plat_user_context(void);

/* The current task's thread group id (Windows' process id) and its own pid
 * (Windows' thread id), in the initial pid namespace. Atomic-safe. */
unsigned long mmshim_plat_current_tgid(void);
unsigned long mmshim_plat_current_tid(void);
/* ---- MmCopyMemory, physical memory ranges, NUMA nodes (mmcopy.c) ------- */

/* copy_from_kernel_nofault() of @size bytes from kernel address @src: 0 if
 * all were copied, non-zero if any byte faulted (how many were copied before
 * is unknown: callers copy a page at a time). Atomic-safe. */
int mmshim_plat_copy_kernel_nofault(void *dst, const void *src, mmshim_size size);

/* copy_from_user() from the current process's address space: the number
 * of bytes NOT copied (faults pages in). May sleep. */
mmshim_size mmshim_plat_copy_from_user(void *dst, mmshim_uptr src, mmshim_size size);

/* Copy @size bytes at @offset of RAM frame @pfn (struct page; offset + size
 * <= page size) through a local kernel mapping of it (kmap_local_pfn),
 * fault-safe: 0, or non-zero if the frame could not be read. Atomic-safe. */
int mmshim_plat_copy_from_frame(void *dst, unsigned long long pfn, mmshim_size offset, mmshim_size size);

struct mmshim_ram_range {
	unsigned long long start_pfn;
	unsigned long long pages;
};
/* The kernel's System RAM ranges in whole pages (walk_system_ram_range), in
 * ascending order: the first @max into @ranges; returns how many there are
 * (more than @max: call again with room). Atomic-safe. */
mmshim_size mmshim_plat_ram_ranges(struct mmshim_ram_range *ranges, mmshim_size max);

/* Non-zero if @node is an online NUMA node (node_online()). Atomic-safe. */
int mmshim_plat_node_online(unsigned int node);

/* ---- provided by the core ---------------------------------------------- */

int mmshim_core_init(void);
void mmshim_core_exit(void);

struct mmshim_counter_row {
	unsigned int code;
	unsigned long param1;
	unsigned long count;
};
/* Copy up to @max verifier counter rows; returns the number of rows. */
unsigned int mmshim_core_verifier_rows(struct mmshim_counter_row *rows, unsigned int max);
unsigned long mmshim_core_verifier_total(void);

struct mmshim_pool_row {
	unsigned int tag;
	unsigned long blocks;
	unsigned long bytes;
};
/* VA pool: pages unmapped before _begin become free after _end (the glue
 * flushes every TLB in between). Called from the glue's flush worker. */
void mmshim_core_vapool_flush_begin(void);
void mmshim_core_vapool_flush_end(void);

/* A deferred unmap (mmshim_plat_unmap_frames) or unpin
 * (mmshim_plat_unpin_user) has finished: the core may reuse the storage. */
void mmshim_core_map_state_done(struct mmshim_map_state *state);
void mmshim_core_unpin_done(void *pin);

/* MmshimDeviceObject (src/glue/dma.c): mmshim's device object for the
 * struct device @dev, the same for the same device; NULL if out of memory. */
void *mmshim_core_dma_device_object(void *dev, void *caller);

/* Live pool usage grouped by tag; returns the number of rows. */
unsigned int mmshim_core_pool_rows(struct mmshim_pool_row *rows, unsigned int max);

/* ---- IRQL, delays, debug output (irql.c; docs/irql.md) ----------------- */

/* The Linux context the caller runs in (low two bits) ... */
enum mmshim_irql_context {
	MMSHIM_CTX_TASK = 0,    /* process context (a softirq run by ksoftirqd included) */
	MMSHIM_CTX_SOFTIRQ = 1, /* serving a softirq on the way out of an interrupt */
	MMSHIM_CTX_HARDIRQ = 2, /* hard interrupt handler */
	MMSHIM_CTX_NMI = 3,
};
#define MMSHIM_CTX_MASK 3u
/* ... and whether it cannot sleep: preemption, softirqs or interrupts off,
 * or any interrupt context (!preemptible()). */
#define MMSHIM_CTX_ATOMIC 4u
/* Bits above: softirqs are disabled (local_bh_disable or serving one), and
 * interrupts are disabled. */
#define MMSHIM_CTX_BH_OFF 8u
#define MMSHIM_CTX_IRQS_OFF 16u
/* The current context, as above. Atomic-safe. */
unsigned int mmshim_plat_irql_context(void);
/* Non-zero if interrupts are on and the caller is a task or a softirq: the
 * IRQL is then at most DISPATCH_LEVEL (a raise above it turns interrupts
 * off). One cheap test for the routines callable up to DISPATCH_LEVEL.
 * Atomic-safe. */
int mmshim_plat_irql_low_context(void);

/* The raised-IRQL record of this CPU for the current context (one per
 * context, so an interrupt never sees the interrupted code's record). The
 * core owns the contents. Only while the caller cannot be preempted. */
struct mmshim_irql_cpu {
	unsigned char level;    /* IRQL raised to in this context (>= DISPATCH_LEVEL), 0 if none */
	unsigned char dispatch; /* cookie of mmshim_plat_irql_block_dispatch(), 0 if none */
	unsigned char irqs;     /* non-zero if irq_flags holds saved interrupt state */
	unsigned int depth;     /* raises to >= DISPATCH_LEVEL not yet lowered */
	unsigned long irq_flags;
};
struct mmshim_irql_cpu *mmshim_plat_irql_cpu(void);

/* DISPATCH_LEVEL: no preemption and no softirq on this CPU until undone
 * (local_bh_disable; preempt_disable where softirqs cannot run anyway and
 * local_bh_enable would be illegal: interrupts off, hard IRQ, NMI). Returns
 * the cookie to undo it with; undoing may run pending softirqs and
 * reschedule. Atomic-safe. */
int mmshim_plat_irql_block_dispatch(void);
void mmshim_plat_irql_unblock_dispatch(int cookie);
/* Above DISPATCH_LEVEL: local_irq_save / local_irq_restore. Atomic-safe. */
unsigned long mmshim_plat_irql_block_interrupts(void);
void mmshim_plat_irql_unblock_interrupts(unsigned long flags);

/* cpu_relax() in a spin-wait loop. Atomic-safe. */
void mmshim_plat_cpu_relax(void);
/* Busy-wait @us microseconds (udelay in chunks). Atomic-safe. */
void mmshim_plat_stall_us(unsigned long us);
/*
 * Sleep @ns nanoseconds (relative) or until CLOCK_REALTIME @ns since the
 * Unix epoch (if @absolute); 0 relative just offers the CPU (yield). If
 * @interruptible a signal ends the sleep early: returns 1 then, else 0.
 * May sleep.
 */
int mmshim_plat_sleep(unsigned long long ns, int absolute, int interruptible);
/* CLOCK_REALTIME in nanoseconds since the Unix epoch. Atomic-safe. */
unsigned long long mmshim_plat_realtime_ns(void);

/* Linux printk levels (KERN_ERR ... KERN_DEBUG) for mmshim_plat_debug_print. */
enum mmshim_printk_level {
	MMSHIM_PRINTK_ERR = 3,
	MMSHIM_PRINTK_WARNING = 4,
	MMSHIM_PRINTK_NOTICE = 5,
	MMSHIM_PRINTK_INFO = 6,
	MMSHIM_PRINTK_DEBUG = 7,
};
/* printk @fmt/@ap at @level, prefixed with the name of the module that
 * contains @caller ("kernel" if none). Atomic-safe. */
void mmshim_plat_debug_print(unsigned int level, void *caller, const char *fmt,
			     __builtin_va_list ap);
/* One line for a failed assertion: "@kind: @expr at @file:@line (@message)". */
void mmshim_plat_print_assertion(const char *kind, const char *expr, const char *file,
				 unsigned long line, const char *message, void *caller);
/* ---- mmextra: page protection of system mappings, system size (mmextra.c) ---- */

/* Access a system mapping's page-table entries allow. */
enum mmshim_access { MMSHIM_ACCESS_NONE = 0, MMSHIM_ACCESS_RO = 1, MMSHIM_ACCESS_RW = 2 };

/*
 * Set the access of the @pages 4 KiB kernel page-table entries from the
 * page-aligned @va (a vmap, vm_map_ram, VA-pool or ioremap mapping mmshim
 * made; never the linear map) to @access, keeping each entry's frame,
 * memory type and NX bit. No TLB is flushed: the caller flushes
 * (mmshim_plat_vapool_flush_now()) after tightening. Returns 0, or
 * negative with nothing changed if an entry is missing or not 4 KiB (or the
 * architecture has no support). Allocates nothing, takes no lock.
 * Atomic-safe.
 */
int mmshim_plat_kva_protect(mmshim_uptr va, mmshim_size pages, unsigned int access);

/* Pages of RAM the kernel manages (totalram_pages()). Atomic-safe. */
unsigned long long mmshim_plat_total_ram_pages(void);

/* ---- DMA over the Linux DMA API (dma.c; docs/dma.md) ------------------- */

/* @dev is a struct device. Take / drop a reference on it (get_device /
 * put_device). The get is atomic-safe; the put may sleep (the last
 * reference runs the release). */
void mmshim_plat_dma_get_device(void *dev);
void mmshim_plat_dma_put_device(void *dev);

/* dma_set_mask_and_coherent(@dev, DMA_BIT_MASK(@bits)), @bits 24..64:
 * 0, or a negative errno when the platform cannot address the device that
 * way. May sleep. */
int mmshim_plat_dma_set_mask(void *dev, unsigned int bits);

/* dma_get_cache_alignment(): the alignment DMA buffers need so no cache
 * line is shared with the CPU. Atomic-safe. */
unsigned int mmshim_plat_dma_alignment(void);

/* dma_alloc_coherent(@dev, @size, GFP_KERNEL): the CPU address, and the
 * device's bus address in *@bus; NULL on failure. May sleep. */
void *mmshim_plat_dma_alloc_coherent(void *dev, mmshim_size size, unsigned long long *bus);
/* The same with the device's coherent mask narrowed to @bits for this one
 * allocation (AllocateCommonBufferEx's MaximumAddress); NULL if the
 * platform cannot give such memory. May sleep. */
void *mmshim_plat_dma_alloc_coherent_below(void *dev, mmshim_size size, unsigned int bits, unsigned long long *bus);
/* dma_free_coherent of exactly what mmshim_plat_dma_alloc_coherent gave.
 * May sleep. */
void mmshim_plat_dma_free_coherent(void *dev, mmshim_size size, void *va, unsigned long long bus);

/* One piece of a transfer: @length bytes at @offset in RAM frame @pfn (a
 * frame with a struct page), offset + length <= page size. */
struct mmshim_dma_frag {
	unsigned long long pfn;
	unsigned int offset;
	unsigned int length;
};

/* Bytes of state (8-byte aligned) the glue needs to map @count fragments:
 * the Linux scatterlist. Atomic-safe. */
mmshim_size mmshim_plat_dma_sg_size(mmshim_size count);

/* One MDL's part of a transfer: @length bytes from @offset (below the page
 * size) in the frame pfns[0], continuing through pfns[1], ... (the MDL's
 * own PFN array, checked by the core to hold them). */
struct mmshim_dma_run {
	const unsigned long long *pfns;
	unsigned int offset;
	unsigned int length;
};

/*
 * Map the page fragments of @nruns runs, @count fragments in all, for @dev
 * with dma_map_sg (DMA_TO_DEVICE if @to_device, else DMA_FROM_DEVICE),
 * building the scatterlist in @state (mmshim_plat_dma_sg_size(@count)
 * bytes) in one pass over the PFN arrays, each entry read once. Every
 * frame is checked to be RAM with a struct page (mmshim_plat_pfn_is_ram):
 * if one is not, *@not_ram receives it and 0 is returned with nothing
 * mapped. Returns the number of bus address ranges (1 .. @count: an IOMMU
 * may merge), read with mmshim_plat_dma_sg_elements(); 0 on failure with
 * nothing mapped (*@not_ram = ~0 unless a frame was refused). Allocates
 * nothing of its own (the DMA layer may, with GFP_ATOMIC). Atomic-safe.
 */
mmshim_size mmshim_plat_dma_map_runs(void *dev, void *state, const struct mmshim_dma_run *runs, mmshim_size nruns,
				     mmshim_size count, int to_device, unsigned long long *not_ram);
/* One mapped range, laid out as Windows' SCATTER_GATHER_ELEMENT (the core
 * checks that), so the glue fills a driver's list in one pass. */
struct mmshim_dma_element {
	unsigned long long bus;
	unsigned int length;
	unsigned int pad;
	unsigned long long reserved;
};
/* Bus address and length of the first @count mapped ranges of @state into
 * @out (pad and reserved zeroed). Atomic-safe. */
void mmshim_plat_dma_sg_elements(const void *state, mmshim_size count, struct mmshim_dma_element *out);
/* dma_unmap_sg of a mapping of @count fragments (bounce buffers are copied
 * back for DMA_FROM_DEVICE). Atomic-safe. */
void mmshim_plat_dma_unmap_sg(void *dev, void *state, mmshim_size count, int to_device);

/* Packet-based DMA (MapTransfer). dma_map_page of @length bytes from
 * @offset (< page size) in frame @pfn, the frames physically contiguous
 * from @pfn (one bus range: an IOVA, a swiotlb slot, or the physical
 * address). 0 with *@bus set, or non-zero with nothing mapped. Atomic-safe. */
int mmshim_plat_dma_map_range(void *dev, unsigned long long pfn, unsigned int offset, mmshim_size length,
			      int to_device, unsigned long long *bus);
/* dma_unmap_page of exactly what mmshim_plat_dma_map_range mapped (a
 * bounce buffer is copied back for DMA_FROM_DEVICE). Atomic-safe. */
void mmshim_plat_dma_unmap_range(void *dev, unsigned long long bus, mmshim_size length, int to_device);
/* Copy @size bytes between @buf and @offset of RAM frame @pfn (offset +
 * size <= page size; into the frame if @to_frame) through a local kernel
 * mapping (kmap_local_page). Allocates nothing. Atomic-safe. */
void mmshim_plat_dma_copy_frame(unsigned long long pfn, unsigned int offset, void *buf, mmshim_size size,
				int to_frame);

#ifdef __cplusplus
}
#endif

#endif /* MMSHIM_PLATFORM_H */
