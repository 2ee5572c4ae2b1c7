// SPDX-License-Identifier: GPL-2.0
/*
 * mmextra.c - page-table access changes for MmProtectMdlSystemAddress, and
 * the RAM size for MmQuerySystemSize. The core decides which mapping and
 * which access; this file only rewrites page-table entries.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <asm/pgtable.h>
#include "platform.h"
#include "glue.h"
#include "kpte.h"

#ifdef CONFIG_X86
/*
 * The entry with its frame, memory type (PCD/PWT/PAT), NX and global bits
 * kept; present and writable set as asked. A non-present entry is rebuilt
 * with pfn_pte() so that the kernel's frame-number inversion for
 * non-present entries (L1TF) stays consistent with pte_pfn().
 */
static pte_t mmshim_pte_with_access(pte_t old, unsigned int access)
{
	/* Dirty without write is how x86 marks a shadow-stack page (CET; 7.x
	 * warns on it): an entry that loses write loses Dirty too, which
	 * means nothing for a kernel mapping (nothing writes it back). */
	unsigned long pfn = pte_pfn(old);
	pgprotval_t prot = pgprot_val(pte_pgprot(old));

	switch (access) {
	case MMSHIM_ACCESS_RW:
		prot |= _PAGE_PRESENT | _PAGE_RW;
		break;
	case MMSHIM_ACCESS_RO:
		prot = (prot | _PAGE_PRESENT) & ~(pgprotval_t)(_PAGE_RW | _PAGE_DIRTY);
		break;
	default:
		prot &= ~(pgprotval_t)(_PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY);
		break;
	}
	return pfn_pte(pfn, __pgprot(prot));
}
#elif defined(CONFIG_ARM64)
/*
 * arm64: the entry with its frame, attribute index, PXN/UXN, nG, AF and
 * software bits kept; valid and the access permission set as asked. A
 * writable kernel entry has PTE_WRITE (the DBM bit) set and AP[2]
 * (PTE_RDONLY) clear, a read-only one the reverse, as PAGE_KERNEL and
 * PAGE_KERNEL_RO. No access: PTE_VALID cleared, the rest kept.
 */
static pte_t mmshim_pte_with_access(pte_t old, unsigned int access)
{
	pteval_t val = pte_val(old);

	switch (access) {
	case MMSHIM_ACCESS_RW:
		val = (val | PTE_VALID | PTE_WRITE) & ~PTE_RDONLY;
		break;
	case MMSHIM_ACCESS_RO:
		val = (val | PTE_VALID | PTE_RDONLY) & ~PTE_WRITE;
		break;
	default:
		val &= ~PTE_VALID;
		break;
	}
	return __pte(val);
}
#endif

/**
 * mmshim_plat_kva_protect() - set the access of kernel page-table entries.
 * @va: page-aligned start of a mapping mmshim made (vmap, vm_map_ram, VA
 *      pool, ioremap), never the linear map
 * @pages: entries
 * @access: MMSHIM_ACCESS_*
 *
 * Every entry is looked up first (lookup_address(), 4 KiB level, non-empty);
 * if one is not, nothing changes. No TLB flush on x86: the caller flushes
 * after tightening (a stale entry after loosening only costs x86 a
 * spurious fault, which it handles). arm64 has no such handling for kernel
 * permission faults, so there the range is invalidated on every CPU
 * (flush_tlb_kernel_range(): broadcast TLBI, no IPI) after any change.
 * Atomic-safe, allocates nothing.
 *
 * Return: 0, or -EINVAL with nothing changed.
 */
int mmshim_plat_kva_protect(mmshim_uptr va, mmshim_size pages, unsigned int access)
{
	unsigned int level;
	mmshim_size i;

	if (access > MMSHIM_ACCESS_RW)
		return -EINVAL;
	for (i = 0; i < pages; i++) {
		pte_t *pte = lookup_address(va + i * PAGE_SIZE, &level);

		if (!pte || level != PG_LEVEL_4K || pte_none(*pte))
			return -EINVAL;
	}
	for (i = 0; i < pages; i++) {
		pte_t *pte = lookup_address(va + i * PAGE_SIZE, &level);

		set_pte(pte, mmshim_pte_with_access(*pte, access));
	}
#ifdef CONFIG_ARM64
	flush_tlb_kernel_range(va, va + pages * PAGE_SIZE);
#endif
	return 0;
}

/** mmshim_plat_total_ram_pages() - totalram_pages(). Atomic-safe. */
unsigned long long mmshim_plat_total_ram_pages(void)
{
	return totalram_pages();
}
