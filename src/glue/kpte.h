/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpte.h - the kernel page tables as the glue (and the KUnit suites, which
 * check mmshim's mappings independently of it) read them, per architecture.
 *
 * x86_64 has everything in the kernel: lookup_address(), PG_LEVEL_*, PAT
 * bits, __flush_tlb_all(). arm64 has none of those, so this header gives
 * arm64 the same names (the shared glue then reads the same on both):
 *
 *  - lookup_address(): a walk of the kernel's page tables with the generic
 *    p4d/pud/pmd/pte helpers. init_mm and swapper_pg_dir are not exported to
 *    modules; TTBR1_EL1 holds swapper_pg_dir's physical address whenever the
 *    kernel runs (with KPTI too: the trampoline tables are only live at EL0
 *    entry/exit), so the walk starts there. Like x86's, it is lockless:
 *    mmshim walks only its own mappings, ioremaps and the linear map.
 *  - PG_LEVEL_4K/2M/1G: PTE, PMD and PUD leaves (arm64 4K granule).
 *  - __flush_tlb_all(): this CPU's TLB (TLBI VMALLE1), as on x86.
 *
 * Memory types (docs/iospace.md, "arm64"): MmCached is Normal write-back
 * (MT_NORMAL), MmWriteCombined Normal non-cacheable (MT_NORMAL_NC), MmNonCached
 * Device-nGnRE (MT_DEVICE_nGnRE, what ioremap() gives) for device memory but
 * Normal non-cacheable for RAM: RAM must stay Normal memory (Device memory
 * faults on unaligned accesses and on DC ZVA, which memset()/memcpy() use).
 * An MmNonCached mapping of RAM therefore has the same hardware attribute as
 * an MmWriteCombined one; mmshim marks its own kernel entries for it with
 * the software bit MMSHIM_PTE_NONCACHED_RAM (bit 58, one of the PTE bits
 * [58:55] the architecture leaves to software; Linux uses it only in user
 * PTEs, for uffd-wp) so that the memory type the driver asked is still read
 * back from the page table and the core's alias rules hold as on x86.
 */
#ifndef MMSHIM_KPTE_H
#define MMSHIM_KPTE_H

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>

#ifdef CONFIG_X86
#include <asm/pgtable_types.h>
#include <asm/processor.h>

/* Cache type of a present kernel entry: 0 WB, 1 UC/UC-, 2 WC, -1 other. */
static inline int mmshim_kpte_cache(pte_t pte, unsigned int level)
{
	pgprot_t prot = pte_pgprot(pte);
	unsigned long bits;

	if (level != PG_LEVEL_4K)
		prot = pgprot_large_2_4k(prot);
	bits = pgprot_val(prot) & _PAGE_CACHE_MASK;
	if (bits == cachemode2protval(_PAGE_CACHE_MODE_WB))
		return 0;
	if (bits == cachemode2protval(_PAGE_CACHE_MODE_UC) ||
	    bits == cachemode2protval(_PAGE_CACHE_MODE_UC_MINUS))
		return 1;
	if (bits == cachemode2protval(_PAGE_CACHE_MODE_WC))
		return 2;
	return -1;
}

static inline bool mmshim_kpte_nx(pte_t pte)
{
	return pte_flags(pte) & _PAGE_NX;
}

/* Physical address bits of the machine. */
static inline unsigned int mmshim_phys_bits(void)
{
	return boot_cpu_data.x86_phys_bits;
}

static inline bool mmshim_kpte_valid(pte_t pte)
{
	return pte_flags(pte) & _PAGE_PRESENT;
}

/* A kernel entry that translates (x86: pte_present()). */
static inline bool mmshim_kpte_present(pte_t pte)
{
	return pte_present(pte);
}

/* @prot with memory type @cache (MMSHIM_CACHE_* values 0 WB, 1 UC, 2 WC);
 * @ram: the frame is RAM (no difference on x86: PAT types apply to both). */
static inline pgprot_t mmshim_kprot(pgprot_t prot, unsigned int cache, bool ram)
{
	if (cache == 1)
		return pgprot_noncached(prot);
	if (cache == 2)
		return pgprot_writecombine(prot);
	return prot;
}

/* @prot for a user mapping of memory type @cache. */
static inline pgprot_t mmshim_uprot(pgprot_t prot, unsigned int cache, bool ram)
{
	return mmshim_kprot(prot, cache, ram);
}

/* No hardware broadcast of TLB invalidations: other CPUs need an IPI. */
#define MMSHIM_KFLUSH_BROADCAST 0

#elif defined(CONFIG_ARM64)

#include <asm/cpufeature.h>
#include <asm/cputype.h>

#ifndef CONFIG_ARM64_4K_PAGES
#error "mmshim on arm64 needs 4 KiB pages (the Windows MDL's page size)"
#endif

enum mmshim_pg_level { PG_LEVEL_NONE, PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G };

#define MMSHIM_PTE_NONCACHED_RAM (_AT(pteval_t, 1) << 58)

/* swapper_pg_dir, from TTBR1_EL1 (ASID in [63:48], CnP in bit 0). */
static inline pgd_t *mmshim_kernel_pgd(void)
{
	u64 ttbr = read_sysreg(ttbr1_el1);
	phys_addr_t phys;

#ifdef CONFIG_ARM64_PA_BITS_52
	phys = (ttbr & GENMASK_ULL(47, 6)) | ((ttbr & GENMASK_ULL(5, 2)) << 46);
#else
	phys = ttbr & GENMASK_ULL(47, 1);
#endif
	return (pgd_t *)phys_to_virt(phys);
}

/*
 * The leaf entry that maps kernel address @addr (a PUD or PMD block entry
 * cast to pte_t *, as x86's lookup_address() does), or NULL if an upper
 * level is empty. A PTE-level entry is returned even when it is empty.
 * Atomic-safe, allocates nothing.
 */
static inline pte_t *lookup_address(unsigned long addr, unsigned int *level)
{
	pgd_t *pgdp;
	p4d_t *p4dp;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;

	*level = PG_LEVEL_NONE;
	if (addr < PAGE_OFFSET)
		return NULL; /* TTBR0's half: user space */
	pgdp = mmshim_kernel_pgd() + pgd_index(addr);
	if (pgd_none(READ_ONCE(*pgdp)))
		return NULL;
	p4dp = p4d_offset(pgdp, addr);
	if (p4d_none(READ_ONCE(*p4dp)))
		return NULL;
	pudp = pud_offset(p4dp, addr);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud))
		return NULL;
	if (pud_leaf(pud)) {
		*level = PG_LEVEL_1G;
		return (pte_t *)pudp;
	}
	pmdp = pmd_offset(pudp, addr);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd))
		return NULL;
	if (pmd_leaf(pmd)) {
		*level = PG_LEVEL_2M;
		return (pte_t *)pmdp;
	}
	*level = PG_LEVEL_4K;
	return pte_offset_kernel(pmdp, addr);
}

static inline unsigned long page_level_mask(unsigned int level)
{
	return level == PG_LEVEL_1G ? PUD_MASK : level == PG_LEVEL_2M ? PMD_MASK : PAGE_MASK;
}

/* This CPU's TLB, kernel (global) entries included. */
static inline void __flush_tlb_all(void)
{
	local_flush_tlb_all();
}

/*
 * Every CPU's translations of kernel range [@start, @end): TLBI VAALE1IS
 * is broadcast to the inner-shareable domain by the hardware (no IPI, so
 * any context), which flush_tlb_kernel_range() issues page by page (a
 * whole TLBI VMALLE1IS for long ranges).
 */
#define MMSHIM_KFLUSH_BROADCAST 1
static inline void mmshim_kflush_range_all(unsigned long start, unsigned long end)
{
	flush_tlb_kernel_range(start, end);
}

/*
 * Cache type of a present kernel entry from its MAIR attribute index
 * (block entries keep AttrIndx at the same bits): 0 Normal write-back
 * (MT_NORMAL, or MT_NORMAL_TAGGED, which the linear map uses: write-back
 * with MTE tags where the CPU has MTE, plain write-back otherwise), 1 Device
 * (or Normal-NC marked MMSHIM_PTE_NONCACHED_RAM), 2 Normal-NC, -1 other.
 */
static inline int mmshim_kpte_cache(pte_t pte, unsigned int level)
{
	switch ((pte_val(pte) & PTE_ATTRINDX_MASK) >> 2) {
	case MT_NORMAL:
	case MT_NORMAL_TAGGED:
		return 0;
	case MT_NORMAL_NC:
		return (pte_val(pte) & MMSHIM_PTE_NONCACHED_RAM) ? 1 : 2;
	case MT_DEVICE_nGnRnE:
	case MT_DEVICE_nGnRE:
		return 1;
	default:
		return -1;
	}
}

/*
 * Physical address bits: the smaller of what every CPU implements
 * (ID_AA64MMFR0_EL1.PARange, system-wide value) and what the kernel was
 * built for (PHYS_MASK_SHIFT).
 */
static inline unsigned int mmshim_phys_bits(void)
{
	u64 mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	unsigned int bits = id_aa64mmfr0_parange_to_phys_shift(
		cpuid_feature_extract_unsigned_field(mmfr0, ID_AA64MMFR0_EL1_PARANGE_SHIFT));

	return min_t(unsigned int, bits, PHYS_MASK_SHIFT);
}

/* Never executable at EL1 (PXN; mmshim's kernel entries have UXN too). */
static inline bool mmshim_kpte_nx(pte_t pte)
{
	return pte_val(pte) & PTE_PXN;
}

static inline bool mmshim_kpte_valid(pte_t pte)
{
	return pte_val(pte) & PTE_VALID;
}

/*
 * A kernel entry that translates. Not pte_present(): with KPTI, kernel
 * entries are non-global (nG), and an invalid entry with nG set is
 * "present but invalid" (PTE_PRESENT_INVALID) to pte_present().
 */
static inline bool mmshim_kpte_present(pte_t pte)
{
	return pte_valid(pte);
}

/*
 * @prot with memory type @cache (0 WB, 1 UC, 2 WC): Normal-NC for WC, and
 * for UC of RAM (marked, see above); Device-nGnRE for UC of device memory.
 */
static inline pgprot_t mmshim_kprot(pgprot_t prot, unsigned int cache, bool ram)
{
	if (cache == 1 && ram)
		return __pgprot(pgprot_val(pgprot_writecombine(prot)) | MMSHIM_PTE_NONCACHED_RAM);
	if (cache == 1)
		return pgprot_device(prot);
	if (cache == 2)
		return pgprot_writecombine(prot);
	return prot;
}

/* User entries: the same hardware attributes, without mmshim's mark (bit
 * 58 is uffd-wp in user PTEs). */
static inline pgprot_t mmshim_uprot(pgprot_t prot, unsigned int cache, bool ram)
{
	if (cache == 1 && ram)
		return pgprot_writecombine(prot);
	return mmshim_kprot(prot, cache, ram);
}

#else
#error "mmshim's glue supports x86_64 and arm64"
#endif

#endif
