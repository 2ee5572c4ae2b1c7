// SPDX-License-Identifier: GPL-2.0
/*
 * usermap.c - user-mode mappings of page frames for the core's
 * MmMapLockedPagesSpecifyCache(UserMode) and MmUnmapLockedPages.
 *
 * Each mapping is a shared mapping of its own anonymous-inode file, made
 * with vm_mmap() in the current process. The file's mmap handler fills the
 * VMA with remap_pfn_range() (which works for any frame: anonymous user
 * pages, slab memory, and later device memory) and locks the VMA's shape:
 *   - VM_DONTCOPY: fork does not copy it (a child sees nothing there);
 *   - VM_DONTEXPAND, and ->may_split / ->mremap refuse: it cannot grow,
 *     shrink, be split by a partial munmap/mprotect, or move;
 *   - VM_MAYEXEC cleared (and VM_MAYWRITE for read-only): mprotect cannot
 *     make it executable (or writable).
 * remap_pfn_range() entries hold no page references, so the handle takes one
 * per frame and keeps it until the process's last VMA of the mapping is
 * closed (munmap, exit): no frame goes back to the allocator while a process
 * can reach it, whatever order the driver frees things in.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "platform.h"
#include "glue.h"
#include "compat.h"
#include "kpte.h"

/* Top bit of a recorded frame: the handle holds a page reference on it. */
#define MMSHIM_UMAP_REFERENCED (1ULL << 63)

struct mmshim_umap {
	struct mmshim_deferred deferred; /* release from atomic context */
	refcount_t refs;                 /* the core's + the file's */
	atomic_t vmas;                   /* VMAs of the mapping in its process */
	bool mmapped;                    /* the one mmap has happened */
	bool read_only;
	bool revoke;                     /* deferred release: revoke first */
	unsigned int cache;              /* MMSHIM_CACHE_* */
	struct mm_struct *mm;            /* owner, mmgrab'ed (identity only) */
	unsigned long start, len, count;
	unsigned long long pfns[];
};

static const struct vm_operations_struct mmshim_umap_vm_ops;

static void mmshim_umap_drop_pages(struct mmshim_umap *u)
{
	unsigned long i;

	for (i = 0; i < u->count; i++) {
		if (u->pfns[i] & MMSHIM_UMAP_REFERENCED) {
			u->pfns[i] &= ~MMSHIM_UMAP_REFERENCED;
			put_page(pfn_to_page(u->pfns[i]));
		}
	}
}

static void mmshim_umap_put(struct mmshim_umap *u)
{
	if (!refcount_dec_and_test(&u->refs))
		return;
	/* Mapping never made (vm_mmap failed): the references are still here. */
	mmshim_umap_drop_pages(u);
	mmdrop(u->mm);
	kvfree(u);
}

static void mmshim_umap_vm_open(struct vm_area_struct *vma)
{
	struct mmshim_umap *u = vma->vm_private_data;

	atomic_inc(&u->vmas);
}

static void mmshim_umap_vm_close(struct vm_area_struct *vma)
{
	struct mmshim_umap *u = vma->vm_private_data;

	if (atomic_dec_and_test(&u->vmas))
		mmshim_umap_drop_pages(u);
}

/* Partial munmap/mprotect and mremap would change the range the core knows. */
static int mmshim_umap_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int mmshim_umap_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct mmshim_umap_vm_ops = {
	.open = mmshim_umap_vm_open,
	.close = mmshim_umap_vm_close,
	.may_split = mmshim_umap_may_split,
	.mremap = mmshim_umap_mremap,
};

static void mmshim_umap_set_flags(struct vm_area_struct *vma, vm_flags_t set, vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}

static int mmshim_umap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mmshim_umap *u = file->private_data;
	unsigned long i, run, addr = vma->vm_start;
	int rc;

	/* Only the vm_mmap() below, exactly once (not via /proc/PID/map_files). */
	if (u->mmapped || vma->vm_pgoff || vma->vm_end - vma->vm_start != u->len ||
	    (vma->vm_flags & VM_EXEC) || (u->read_only && (vma->vm_flags & VM_WRITE)))
		return -EINVAL;
	mmshim_umap_set_flags(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP,
			      VM_MAYEXEC | (u->read_only ? VM_MAYWRITE : 0));
	/* The type the core chose: the RAM's own, or the one asked for device
	 * memory. PAT tracking in remap_pfn_range() checks it against the
	 * frames' registered type. */
	vma->vm_page_prot = mmshim_uprot(vma->vm_page_prot, u->cache,
					 u->count && pfn_valid(u->pfns[0] & ~MMSHIM_UMAP_REFERENCED));
	for (i = 0; i < u->count; i += run) {
		unsigned long long pfn = u->pfns[i] & ~MMSHIM_UMAP_REFERENCED;

		for (run = 1; i + run < u->count; run++)
			if ((u->pfns[i + run] & ~MMSHIM_UMAP_REFERENCED) != pfn + run)
				break;
		rc = remap_pfn_range(vma, addr, pfn, run << PAGE_SHIFT, vma->vm_page_prot);
		if (rc)
			return rc; /* mmap_region() removes what was mapped */
		addr += run << PAGE_SHIFT;
	}
	vma->vm_private_data = u;
	vma->vm_ops = &mmshim_umap_vm_ops;
	u->mmapped = true;
	atomic_set(&u->vmas, 1);
	return 0;
}

static int mmshim_umap_release(struct inode *inode, struct file *file)
{
	mmshim_umap_put(file->private_data);
	return 0;
}

static const struct file_operations mmshim_umap_fops = {
	.owner = THIS_MODULE, /* a process's mapping keeps mmshim loaded */
	.mmap = mmshim_umap_mmap,
	.release = mmshim_umap_release,
};

/** mmshim_plat_user_space_end() - TASK_SIZE of the current task. Atomic-safe. */
mmshim_uptr mmshim_plat_user_space_end(void)
{
	return TASK_SIZE;
}

static int mmshim_umap_error(long err)
{
	switch (err) {
	case -ENOMEM:
		return MMSHIM_UMAP_NOMEM;
	case -EEXIST:
		return MMSHIM_UMAP_CONFLICT;
	case -EINVAL:
	case -EPERM: /* below mmap_min_addr */
		return MMSHIM_UMAP_BAD_ADDRESS;
	default:
		return MMSHIM_UMAP_FAILED;
	}
}

/**
 * mmshim_plat_usermap_map() - map frames into the current process.
 * @pfns: frames: RAM (each referenced while mapped) or device memory
 * @count: how many
 * @cache: MMSHIM_CACHE_*
 * @read_only: no write access, now or after mprotect
 * @requested: page-aligned user address, or 0 for anywhere
 * @base: out, the page-aligned user address
 * @error: out, enum mmshim_usermap_error on failure
 *
 * anon_inode_getfile() + vm_mmap(MAP_SHARED [| MAP_FIXED_NOREPLACE]).
 * May sleep.
 */
void *mmshim_plat_usermap_map(const unsigned long long *pfns, mmshim_size count,
			      unsigned int cache, int read_only, mmshim_uptr requested,
			      mmshim_uptr *base, int *error)
{
	struct mmshim_umap *u;
	struct file *file;
	unsigned long addr, i;

	if (!current->mm || (current->flags & PF_EXITING)) {
		*error = MMSHIM_UMAP_NO_PROCESS;
		return NULL;
	}
	if (!count || count > (TASK_SIZE >> PAGE_SHIFT) || cache > MMSHIM_CACHE_WC) {
		*error = MMSHIM_UMAP_BAD_ADDRESS;
		return NULL;
	}
	u = kvzalloc(struct_size(u, pfns, count), MMSHIM_GFP_NO_OOM);
	if (!u) {
		*error = MMSHIM_UMAP_NOMEM;
		return NULL;
	}
	refcount_set(&u->refs, 1); /* the core's */
	u->read_only = read_only;
	u->cache = cache;
	u->count = count;
	u->len = count << PAGE_SHIFT;
	u->mm = current->mm;
	mmgrab(u->mm);
	for (i = 0; i < count; i++) {
		/* Pages of a compound allocation are counted on its head; tail
		 * pages of a non-compound one have no count (kernel stacks). */
		if (!pfn_valid(pfns[i])) { /* device memory: nothing to reference */
			u->pfns[i] = pfns[i];
			continue;
		}
		if (!get_page_unless_zero(compound_head(pfn_to_page(pfns[i])))) {
			u->count = i;
			mmshim_umap_put(u);
			*error = MMSHIM_UMAP_UNSHAREABLE;
			return NULL;
		}
		u->pfns[i] = pfns[i] | MMSHIM_UMAP_REFERENCED;
	}
	file = anon_inode_getfile("[mmshim-usermap]", &mmshim_umap_fops, u,
				  read_only ? O_RDONLY : O_RDWR);
	if (IS_ERR(file)) {
		mmshim_umap_put(u);
		*error = mmshim_umap_error(PTR_ERR(file));
		return NULL;
	}
	refcount_inc(&u->refs); /* the file's, dropped by ->release */
	addr = vm_mmap(file, requested, u->len, PROT_READ | (read_only ? 0 : PROT_WRITE),
		       MAP_SHARED | (requested ? MAP_FIXED_NOREPLACE : 0), 0);
	fput(file); /* the VMA holds its own reference */
	if (IS_ERR_VALUE(addr)) {
		*error = mmshim_umap_error((long)addr);
		mmshim_umap_put(u);
		return NULL;
	}
	u->start = addr;
	*base = addr;
	return u;
}

/** mmshim_plat_usermap_live() - the mapping still has a VMA. Atomic-safe. */
int mmshim_plat_usermap_live(void *handle)
{
	struct mmshim_umap *u = handle;

	return atomic_read(&u->vmas) > 0;
}

/* The mapping's VMA in @mm, if it is still there. mmap lock held. */
static struct vm_area_struct *mmshim_umap_vma(struct mmshim_umap *u, struct mm_struct *mm)
{
	struct vm_area_struct *vma = vma_lookup(mm, u->start);

	if (vma && vma->vm_ops == &mmshim_umap_vm_ops && vma->vm_private_data == u &&
	    vma->vm_start == u->start)
		return vma;
	return NULL;
}

/**
 * mmshim_plat_usermap_unmap() - remove the mapping from the current process
 * (its owner). May sleep.
 *
 * Under the mmap write lock, the VMA at the mapping's address is checked to
 * be this mapping's (by identity: vm_ops and private data) and its
 * page-table entries are zapped there and then: from that instant the
 * process reaches none of the frames, whatever it does to the address
 * afterwards. The VMA itself can only be removed with vm_munmap(), the one
 * unmap primitive modules have, which takes the lock itself; it runs only if
 * the VMA is still this mapping's just before. What is left between that
 * check and vm_munmap() taking the lock is a thread of the same process
 * munmapping the (already empty) mapping and mapping something else at the
 * same address: then that process loses its own new mapping, which it could
 * unmap itself anyway; no frame and no other process is affected
 * (docs/usermap.md).
 */
void mmshim_plat_usermap_unmap(void *handle)
{
	struct mmshim_umap *u = handle;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ours;

	if (mm != u->mm)
		return;
	mmap_write_lock(mm);
	vma = mmshim_umap_vma(u, mm);
	if (vma)
		zap_special_vma_range(vma, vma->vm_start, vma->vm_end - vma->vm_start);
	mmap_write_unlock(mm);
	if (!vma)
		return;
	mmap_read_lock(mm);
	ours = mmshim_umap_vma(u, mm) != NULL;
	mmap_read_unlock(mm);
	if (ours)
		vm_munmap(u->start, u->len);
}

/* zap_special_vma_range() in the owner's address space, if it still exists. */
static void mmshim_umap_revoke(struct mmshim_umap *u)
{
	struct vm_area_struct *vma;

	if (!mmget_not_zero(u->mm))
		return;
	mmap_read_lock(u->mm);
	vma = mmshim_umap_vma(u, u->mm);
	if (vma)
		zap_special_vma_range(vma, vma->vm_start, vma->vm_end - vma->vm_start);
	mmap_read_unlock(u->mm);
	mmput(u->mm);
}

static void mmshim_umap_release_now(struct mmshim_umap *u, int revoke)
{
	if (revoke && atomic_read(&u->vmas) > 0)
		mmshim_umap_revoke(u);
	mmshim_umap_put(u);
}

static void mmshim_umap_deferred_release(struct mmshim_deferred *d)
{
	struct mmshim_umap *u = container_of(d, struct mmshim_umap, deferred);

	mmshim_umap_release_now(u, u->revoke);
}

/**
 * mmshim_plat_usermap_release() - the core is done with @handle.
 * @handle: from mmshim_plat_usermap_map()
 * @revoke: first remove the mapping's page-table entries from its process
 *
 * Revoking takes the owner's mmap lock and the last reference drops an mm
 * reference; in atomic context both are queued for the deferral worker.
 * Atomic-safe.
 */
void mmshim_plat_usermap_release(void *handle, int revoke)
{
	struct mmshim_umap *u = handle;

	if (mmshim_plat_may_sleep()) {
		mmshim_umap_release_now(u, revoke);
		return;
	}
	u->revoke = revoke;
	u->deferred.fn = mmshim_umap_deferred_release;
	mmshim_defer(&u->deferred);
}
