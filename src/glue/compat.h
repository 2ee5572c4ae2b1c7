/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place for differences between the Linux series mmshim
 * builds on (5.10 to the newest series in Debian sid). Included by the glue
 * (src/glue/) and by the test modules (kunit/, kunit/stress/); never by
 * src/core/ or include/.
 *
 * Rules: one section per facility; a feature test (#ifdef of the macro that
 * came or went with the change) where one exists, a LINUX_VERSION_CODE
 * check where the change is not visible to the preprocessor. Each section
 * makes the NEWEST spelling work on every series, so the code that uses it
 * reads like code for the newest kernel. Architecture blocks (arm64 ...) go
 * at the end.
 */
#ifndef MMSHIM_GLUE_COMPAT_H
#define MMSHIM_GLUE_COMPAT_H

#include <linux/version.h>
#include <linux/kernel.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/irq_work.h>

/* --- symbol namespace -------------------------------------------------------
 * EXPORT_SYMBOL_NS_GPL() takes the namespace as a string literal from 6.13
 * on, as a bare token before (stringified by the macro). Importing modules
 * use MMSHIM_IMPORT_NS() from include/mmshim/linux.h.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define MMSHIM_EXPORT_NS_GPL(sym) EXPORT_SYMBOL_NS_GPL(sym, "MMSHIM")
#else
#define MMSHIM_EXPORT_NS_GPL(sym) EXPORT_SYMBOL_NS_GPL(sym, MMSHIM)
#endif

/* --- VMA flags ---------------------------------------------------------------
 * vm_flags became read-only in 6.3: vm_flags_mod() and friends change it
 * (with the mmap lock's write side held). Before 6.3 it is a plain field.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

/*
 * The vm_operations_struct hook that may refuse a split of the VMA is
 * may_split from 5.11 on, split before (same prototype).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#define may_split split
#endif

/*
 * zap_vma_ptes() (clear the PTEs of part of a VM_PFNMAP VMA) is
 * zap_special_vma_range() in the newest series. No macro tells them apart:
 * Kbuild greps the kernel's <linux/mm.h> (MMSHIM_HAVE_ZAP_SPECIAL_VMA_RANGE).
 */
#ifndef MMSHIM_HAVE_ZAP_SPECIAL_VMA_RANGE
#define zap_special_vma_range(vma, address, size) zap_vma_ptes(vma, address, size)
#endif

/* --- local kernel mappings ---------------------------------------------------
 * kmap_local_page() / kunmap_local() are 5.11; kmap_atomic() before (which
 * also disables preemption: fine for the short copies mmshim makes).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#include <linux/highmem.h>
#define kmap_local_page(page) kmap_atomic(page)
#define kunmap_local(va) kunmap_atomic(va)
#endif

/* --- KASAN pointer tags -------------------------------------------------------
 * kasan_reset_tag() (a tagged pointer with the match-all tag) is inline from
 * 5.11 on; 5.10 declares it only for software tags, out of line and not
 * exported. 5.10 has no hardware tags, and software tags are only checked by
 * instrumentation, which READ_ONCE_NOCHECK already skips: the pointer as is.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#define mmshim_untagged(p) (p)
#else
#include <linux/kasan.h>
#define mmshim_untagged(p) kasan_reset_tag(p)
#endif

/* --- VMA lookup --------------------------------------------------------------
 * vma_lookup() (the VMA that contains an address, or NULL) is 5.14.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 14, 0)
static inline struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && addr >= vma->vm_start ? vma : NULL;
}
#endif

/* --- faulting user pages in without storing to them ------------------------
 * fault_in_safe_writeable() is 5.16. Before, the same thing is what it is
 * built from: fixup_user_fault(FAULT_FLAG_WRITE) on every page under the
 * mmap lock (fault_in_pages_writeable() of those kernels stores zeroes).
 * Returns the bytes NOT faulted in, like the real one.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 16, 0)
#include <linux/sched.h>
#include <linux/mmap_lock.h>
static inline size_t mmshim_compat_fault_in_safe_writeable(const char __user *uaddr, size_t size)
{
	unsigned long addr = (unsigned long)uaddr, end = addr + size, page;
	struct mm_struct *mm = current->mm;
	bool unlocked = false;

	if (!size)
		return 0;
	if (end < addr || !mm)
		return size;
	mmap_read_lock(mm);
	for (page = addr & PAGE_MASK; page < end; page += PAGE_SIZE)
		if (fixup_user_fault(mm, page, FAULT_FLAG_WRITE, &unlocked))
			break;
	mmap_read_unlock(mm);
	return page >= end ? 0 : end - max(page, addr);
}
#define fault_in_safe_writeable mmshim_compat_fault_in_safe_writeable
#endif

/* --- TLB ----------------------------------------------------------------------
 * __flush_tlb_all() (this CPU's whole TLB, global entries too) is exported to
 * every module up to 6.x; the newest series export it to KVM only. Kbuild
 * reads the kernel's Module.symvers (MMSHIM_HAVE_EXPORT___FLUSH_TLB_ALL);
 * without the export, the same flush is done here with the instructions
 * Linux uses: INVPCID "all contexts, including globals" where the CPU has it,
 * else toggling CR4.PGE (with interrupts off, restoring the value read), else
 * a CR3 reload. Like the original: preemption must be off. (Native only: a
 * Xen PV guest, which cannot write CR4 itself, needs the exported one.)
 */
#if defined(CONFIG_X86) && !defined(MMSHIM_HAVE_EXPORT___FLUSH_TLB_ALL)
#include <asm/tlbflush.h>
#include <asm/invpcid.h>
#include <asm/special_insns.h>
#include <asm/cpufeature.h>
static inline void mmshim_compat_flush_tlb_all(void)
{
	unsigned long flags, cr4;

	if (static_cpu_has(X86_FEATURE_INVPCID)) {
		invpcid_flush_all();
	} else if (boot_cpu_has(X86_FEATURE_PGE)) {
		raw_local_irq_save(flags);
		cr4 = native_read_cr4();
		asm volatile("mov %0, %%cr4" : : "r"(cr4 ^ X86_CR4_PGE) : "memory");
		asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
		raw_local_irq_restore(flags);
	} else {
		native_write_cr3(__native_read_cr3());
	}
}
#define __flush_tlb_all mmshim_compat_flush_tlb_all
#endif

/* --- interrupt context ------------------------------------------------------
 * in_hardirq() is 5.11 (in_irq() before, same meaning).
 */
#ifndef in_hardirq
#define in_hardirq() in_irq()
#endif

/* --- cross-CPU calls ---------------------------------------------------------
 * INIT_CSD() (prepare a call_single_data for smp_call_function_single_async())
 * is 5.11; before, the fields are set by hand (flags 0: not queued).
 */
#ifndef INIT_CSD
#define INIT_CSD(_csd, _func, _info) \
	do { \
		*(_csd) = (struct __call_single_data){ .func = (_func), .info = (_info) }; \
	} while (0)
#endif

/*
 * IRQ_WORK_INIT_HARD() (an irq_work that runs in hard interrupt context even
 * on PREEMPT_RT) is 5.11; 5.10 has the flag, not the initializer.
 */
#ifndef IRQ_WORK_INIT_HARD
#define IRQ_WORK_INIT_HARD(_func) \
	((struct irq_work){ .flags = ATOMIC_INIT(IRQ_WORK_HARD_IRQ), .func = (_func) })
#endif

/* --- timers ------------------------------------------------------------------
 * from_timer() became timer_container_of() (6.16); del_timer_sync() became
 * timer_delete_sync() (6.2; the old name is gone from 6.15 on); hrtimer_init()
 * plus a store to ->function became hrtimer_setup() (6.13; hrtimer_init() is
 * gone from 6.15 on).
 */
#ifndef timer_container_of
#define timer_container_of(var, callback_timer, timer_fieldname) \
	from_timer(var, callback_timer, timer_fieldname)
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define timer_delete_sync(t) del_timer_sync(t)
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
static inline void mmshim_compat_hrtimer_setup(struct hrtimer *timer,
					       enum hrtimer_restart (*fn)(struct hrtimer *),
					       clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = fn;
}
#define hrtimer_setup mmshim_compat_hrtimer_setup
#endif

/* --- KUnit (test modules only: after <kunit/test.h>) -------------------------
 * kunit/mmshim_kunit.h includes compat.h after <kunit/test.h>.
 * kunit_skip() is 5.12. Before, KUnit has no "skipped" result: a test that
 * would skip fails instead, saying why, so nothing passes silently.
 */
#ifdef _KUNIT_TEST_H
#ifndef kunit_skip
#define kunit_skip(test, fmt, ...) \
	KUNIT_ASSERT_FAILURE(test, "cannot skip before 5.12 (no KUnit skip): " fmt, ##__VA_ARGS__)
#endif
/*
 * Suite registration. A suite with suite_init/suite_exit hooks (named
 * <suite>_init and <suite>_exit) says MMSHIM_SUITE_HOOKS(suite) in its
 * struct kunit_suite and registers with mmshim_kunit_suite_with_hooks(suite);
 * the others with kunit_test_suite(suite).
 * Before 6.0 (kunit_test_suites_for_module() exists) kunit_test_suite()
 * defines the module's init and exit functions, so a module registers once,
 * and struct kunit_suite has no suite_init/suite_exit (6.2). There, each file
 * only publishes its suite and hooks (struct mmshim_kunit_reg) and
 * kunit/kunit_main.c runs the list MMSHIM_KUNIT_SUITES from its own init,
 * calling the hooks around each suite.
 */
#ifdef kunit_test_suites_for_module
#define MMSHIM_KUNIT_ONE_REGISTRATION 1
struct mmshim_kunit_reg {
	struct kunit_suite *suite;
	int (*init)(struct kunit_suite *suite);
	void (*exit)(struct kunit_suite *suite);
};
#undef kunit_test_suite
#define kunit_test_suite(s) \
	const struct mmshim_kunit_reg mmshim_kunit_reg_##s = { &(s), NULL, NULL }
#define mmshim_kunit_suite_with_hooks(s) \
	const struct mmshim_kunit_reg mmshim_kunit_reg_##s = { &(s), s##_init, s##_exit }
#define MMSHIM_SUITE_HOOKS(s)
#else
#define mmshim_kunit_suite_with_hooks(s) kunit_test_suite(s)
#define MMSHIM_SUITE_HOOKS(s) .suite_init = s##_init, .suite_exit = s##_exit,
#endif
/* NULL checks (after 5.10) in terms of the pointer comparisons every series has. */
#ifndef KUNIT_EXPECT_NULL
#define KUNIT_EXPECT_NULL(test, p) KUNIT_EXPECT_PTR_EQ(test, p, (typeof(p))NULL)
#define KUNIT_EXPECT_NULL_MSG(test, p, fmt, ...) \
	KUNIT_EXPECT_PTR_EQ_MSG(test, p, (typeof(p))NULL, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NOT_NULL(test, p) KUNIT_EXPECT_PTR_NE(test, p, (typeof(p))NULL)
#define KUNIT_EXPECT_NOT_NULL_MSG(test, p, fmt, ...) \
	KUNIT_EXPECT_PTR_NE_MSG(test, p, (typeof(p))NULL, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NULL(test, p) KUNIT_ASSERT_PTR_EQ(test, p, (typeof(p))NULL)
#define KUNIT_ASSERT_NULL_MSG(test, p, fmt, ...) \
	KUNIT_ASSERT_PTR_EQ_MSG(test, p, (typeof(p))NULL, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NOT_NULL(test, p) KUNIT_ASSERT_PTR_NE(test, p, (typeof(p))NULL)
#define KUNIT_ASSERT_NOT_NULL_MSG(test, p, fmt, ...) \
	KUNIT_ASSERT_PTR_NE_MSG(test, p, (typeof(p))NULL, fmt, ##__VA_ARGS__)
#endif
/* kunit_kcalloc() (zeroed, overflow-checked array, freed with the test). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 15, 0)
static inline void *mmshim_compat_kunit_kcalloc(struct kunit *test, size_t n, size_t size,
						gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kunit_kzalloc(test, bytes, gfp);
}
#define kunit_kcalloc mmshim_compat_kunit_kcalloc
#endif
/*
 * 5.10's binary assertions require both sides to have the same type
 * (__typecheck: "comparison of distinct pointer types" for KIRQL against an
 * int constant) and its string assertions copy each side with typeof (no
 * char arrays). Newer series compare like C does and take strings as
 * const char *: the same here, with 5.10's own assertion structures.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#undef KUNIT_BASE_BINARY_ASSERTION
#define KUNIT_BASE_BINARY_ASSERTION(test, assert_class, ASSERT_CLASS_INIT, assert_type, \
				    left, op, right, fmt, ...) \
	do { \
		typeof(left) __mmshim_l = (left); \
		typeof(right) __mmshim_r = (right); \
		KUNIT_ASSERTION(test, __mmshim_l op __mmshim_r, assert_class, \
				ASSERT_CLASS_INIT(test, assert_type, #op, #left, __mmshim_l, \
						  #right, __mmshim_r), \
				fmt, ##__VA_ARGS__); \
	} while (0)
#undef KUNIT_BINARY_STR_ASSERTION
#define KUNIT_BINARY_STR_ASSERTION(test, assert_type, left, op, right, fmt, ...) \
	do { \
		const char *__mmshim_l = (left); \
		const char *__mmshim_r = (right); \
		KUNIT_ASSERTION(test, strcmp(__mmshim_l, __mmshim_r) op 0, \
				kunit_binary_str_assert, \
				KUNIT_INIT_BINARY_STR_ASSERT_STRUCT(test, assert_type, #op, #left, \
								    __mmshim_l, #right, \
								    __mmshim_r), \
				fmt, ##__VA_ARGS__); \
	} while (0)
#endif
#endif

/* --- architecture blocks (after the generic sections) ---------------------- */

#endif /* MMSHIM_GLUE_COMPAT_H */
