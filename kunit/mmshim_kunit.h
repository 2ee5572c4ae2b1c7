/* SPDX-License-Identifier: GPL-2.0 */
/* mmshim_kunit.h - helpers shared by the mmshim KUnit suites. */
#ifndef MMSHIM_KUNIT_H
#define MMSHIM_KUNIT_H

#include <kunit/test.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include "../src/glue/compat.h" /* kernel-version differences; after kunit/test.h */
/* lookup_address(), PG_LEVEL_*, mmshim_kpte_*() on x86_64 and arm64 (Linux
 * headers: before wdm.h, whose PAGE_ALIGN is the WDK's) */
#include "../src/glue/kpte.h"
#include <wdm.h>

/*
 * Run @stmt and expect exactly one new verifier report with @code and
 * parameter 1 @p1, and no other report.
 */
#define EXPECT_REPORT(test, code, p1, stmt)                                          \
	do {                                                                         \
		ULONG __want = MmshimVerifierReportCount((code), (p1)) + 1;          \
		ULONG __all = MmshimVerifierReportCount((code), MMSHIM_ANY_PARAMETER) + 1; \
		stmt;                                                                \
		KUNIT_EXPECT_EQ_MSG(test, MmshimVerifierReportCount((code), (p1)), __want, \
				    "expected a verifier report 0x%x/0x%lx", (unsigned)(code), \
				    (unsigned long)(p1));                            \
		KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount((code), MMSHIM_ANY_PARAMETER), \
				__all);                                              \
	} while (0)

/* Run @stmt and expect no verifier report at all. */
#define EXPECT_NO_REPORT(test, stmt)                                        \
	do {                                                                \
		MMSHIM_VERIFIER_REPORT __before = {}, __after = {};         \
		MmshimVerifierLastReport(&__before);                        \
		stmt;                                                       \
		MmshimVerifierLastReport(&__after);                         \
		KUNIT_EXPECT_EQ_MSG(test, __after.Sequence, __before.Sequence, \
				    "unexpected verifier report from %s",   \
				    __after.Routine ? __after.Routine : "?"); \
	} while (0)

/* Are the @n bytes at @p all zero? */
static inline bool all_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

/* Per-test leak check: pool blocks and MDLs live before == after. */
struct mmshim_usage {
	SIZE_T blocks, bytes, mdls;
};
int mmshim_test_init(struct kunit *test);
/* The same for the DMA suites, which also run when mmshim_kunit.dma_only
 * skips every other suite (a DMA-configuration boot, tests/vm/kunit.sh). */
int mmshim_dma_test_init(struct kunit *test);
/*
 * qemu's edu as a DMA bus master (edu_dma.c): open finds it (pdev NULL
 * without one: 0 returned, the tests skip), turns on memory decoding and bus
 * mastering and maps its registers; transfer moves @cnt bytes between bus
 * address @bus and offset @off of its 4 KiB buffer (into RAM if @to_ram),
 * false if it is refused (off + cnt must stay below EDU_DMA_BUF_SIZE: qemu
 * 7.2 aborts at the last byte) or does not finish within 5 s; adapter is
 * IoGetDmaAdapter for it (32-bit bus master, *@regs map registers), or a
 * skipped test without edu.
 */
#define EDU_DMA_BUF_SIZE 4096U
struct pci_dev;
struct edu_dma {
	struct pci_dev *pdev;
	void __iomem *regs;
};
int edu_dma_open(struct edu_dma *e);
void edu_dma_close(struct edu_dma *e);
bool edu_dma_transfer(const struct edu_dma *e, u64 bus, u32 off, u32 cnt, bool to_ram);
PDMA_ADAPTER edu_dma_adapter(struct kunit *test, const struct edu_dma *e, BOOLEAN sg, ULONG max_length,
			     PDEVICE_OBJECT *pdo, ULONG *regs);
/* mmshim_kunit.<name>= from the kernel command line (kunit_main.c). */
bool mmshim_kunit_cmdline(const char *name, char *val, size_t len);
/* An MDL over [va, va + len) locked for write in KernelMode (asserts), and
 * its unlock + free (kunit_main.c). */
PMDL locked_mdl(struct kunit *test, void *va, ULONG len);
void release_mdl(PMDL m);
/* A file at @path holding @len bytes of @text, opened O_RDONLY (a file a
 * process may only read); NULL with the test skipped when the root file
 * system is not writable (kunit_main.c). */
struct file;
struct file *mmshim_read_only_file(struct kunit *test, const char *path, const void *text, size_t len);
/* A PHYSICAL_ADDRESS from a u64. */
PHYSICAL_ADDRESS pa(u64 v);
/* Physical address and length of BAR 0 of qemu's edu device, memory
 * decoding on; skips the test if there is none (iospace_test.c). */
u64 edu_bar0(struct kunit *test, u64 *len);
/* Cache type of the kernel page-table entry mapping @va, read independently
 * of mmshim: 0 write-back, 1 UC/UC-, 2 WC, -1 unmapped or other
 * (iospace_test.c). */
int pte_cache(const void *va);
#ifdef CONFIG_ARM64
int pte_attr(const void *va); /* arm64 MAIR index (MT_*) of the entry, -1 none */
#endif
void mmshim_test_exit(struct kunit *test);

/*
 * Two-CPU tests (kunit_main.c). mmshim_run_on_two_cpus runs fn[i](arg[i]),
 * i = 0 and 1, in kthreads "<name>0" and "<name>1" bound to the first two
 * online CPUs, wakes both together and waits until each has signalled
 * *done[i] (initialised here), then stops them; if the second thread cannot
 * be created the first is stopped before it ran and the test fails. A thread
 * function ends with return mmshim_thread_done(done): it signals and waits
 * to be stopped.
 */
struct completion;
void mmshim_run_on_two_cpus(struct kunit *test, int (*const fn[2])(void *), void *const arg[2],
			    struct completion *const done[2], const char *name);
int mmshim_thread_done(struct completion *done);

/*
 * The two threads' barrier: each calls mmshim_meet(b, n) for their n-th
 * meeting (counted from 1, b zeroed before the threads start). False once
 * either thread set b->abort or after 20 s waiting (then b->abort is set and
 * b->timeouts counted): the thread stops its rounds.
 */
struct mmshim_meet {
	atomic_t arrived;
	bool volatile abort;
	unsigned int timeouts;
};
bool mmshim_meet(struct mmshim_meet *b, int n);
/* A round's MDL over [va, va + len), locked for kernel-mode write; NULL
 * (and b->abort set: the other thread stops too) if that fails. */
PMDL mmshim_meet_locked_mdl(struct mmshim_meet *b, void *va, ULONG len);

/*
 * The address space of the process that loaded the test module, for tests
 * that need user memory. A suite's suite_init takes it with
 * mmshim_user_mm_get() (NULL when no user process loaded the module) and its
 * suite_exit gives it back with mmshim_user_mm_put(). A test borrows it with
 * mmshim_user_attach() (which skips the test when there is none) and gives
 * it back with mmshim_user_detach(). A test that aborts in between (a failed
 * ASSERT ends the test's thread with the address space still attached) is
 * cleaned up by mmshim_test_exit(), so a failure stays a failure and does
 * not take the loading process's address space down with it.
 */
struct mm_struct;
struct mm_struct *mmshim_user_mm_get(void);
void mmshim_user_mm_put(struct mm_struct **mm);
bool mmshim_user_attach(struct kunit *test, struct mm_struct *mm);
void mmshim_user_detach(void);

#endif
