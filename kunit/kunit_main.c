// SPDX-License-Identifier: GPL-2.0
/* kunit_main.c - module glue, the leak check every mmshim test runs, and
 * helpers the suites share. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/sched/mm.h>
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <mmshim/linux.h> /* MMSHIM_IMPORT_NS() */
#include "mmshim_kunit.h"

/*
 * The value of mmshim_kunit.<name>= on the kernel command line, copied into
 * @val (at most @len bytes with the NUL); false if absent. Read from
 * /proc/cmdline rather than taken as module parameters: 6.1's KUnit runs a
 * module's suites when it is COMING, before its parameters are parsed.
 */
bool mmshim_kunit_cmdline(const char *name, char *val, size_t len)
{
	static char line[2048];
	static bool have;
	char key[64];
	const char *p;
	size_t n;

	if (!have) {
		struct file *f = filp_open("/proc/cmdline", O_RDONLY, 0);
		loff_t pos = 0;
		ssize_t got;

		if (IS_ERR(f))
			return false;
		got = kernel_read(f, line + 1, sizeof(line) - 2, &pos);
		filp_close(f, NULL);
		if (got < 0)
			return false;
		line[0] = ' ';
		line[got + 1] = '\0';
		strreplace(line, '\n', ' ');
		have = true;
	}
	snprintf(key, sizeof(key), " mmshim_kunit.%s=", name);
	p = strstr(line, key);
	if (!p)
		return false;
	p += strlen(key);
	n = strcspn(p, " ");
	if (n >= len)
		n = len - 1;
	memcpy(val, p, n);
	val[n] = '\0';
	return true;
}

/*
 * mmshim_kunit.dma_only=1 on the kernel command line: a boot in one of the
 * DMA configurations (tests/vm/kunit.sh: IOMMU, bounce buffering) runs only
 * the suites whose tests start with mmshim_dma_test_init(); every other
 * test is skipped at once.
 */
static bool dma_only(void)
{
	static int only = -1;
	char v[4];

	if (only < 0)
		only = mmshim_kunit_cmdline("dma_only", v, sizeof(v)) && !strcmp(v, "1");
	return only;
}

static int usage_init(struct kunit *test)
{
	struct mmshim_usage *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);

	if (!u)
		return -ENOMEM;
	MmshimPoolUsage(&u->blocks, &u->bytes);
	u->mdls = MmshimLiveMdlCount();
	test->priv = u;
	return 0;
}

int mmshim_test_init(struct kunit *test)
{
	int rc = usage_init(test);

#ifdef kunit_skip
	if (!rc && dma_only())
		kunit_skip(test, "mmshim_kunit.dma_only: this boot runs the DMA suites");
#endif
	return rc;
}

int mmshim_dma_test_init(struct kunit *test)
{
	return usage_init(test);
}

/* The address space mmshim_user_attach() lent the running test, if any. */
static struct mm_struct *mmshim_attached_mm;

/* In suite_init, which runs in the process that loads the module. */
struct mm_struct *mmshim_user_mm_get(void)
{
	if (!current->mm || (current->flags & PF_KTHREAD))
		return NULL;
	mmget(current->mm);
	return current->mm;
}

void mmshim_user_mm_put(struct mm_struct **mm)
{
	if (*mm)
		mmput(*mm);
	*mm = NULL;
}

bool mmshim_user_attach(struct kunit *test, struct mm_struct *mm)
{
	if (!mm) {
		kunit_skip(test, "the test module was not loaded by a user process");
		return false;
	}
	/* A reference of the test's own: if the test's thread ends while
	 * attached, exit_mm() drops one (see mmshim_test_exit()). */
	mmget(mm);
	kthread_use_mm(mm);
	mmshim_attached_mm = mm;
	return true;
}

void mmshim_user_detach(void)
{
	struct mm_struct *mm = mmshim_attached_mm;

	mmshim_attached_mm = NULL;
	kthread_unuse_mm(mm);
	mmput(mm);
}

/* A test that ended while attached: aborted, or forgot to detach. */
static void mmshim_user_cleanup(struct kunit *test)
{
	struct mm_struct *mm = mmshim_attached_mm;

	if (!mm)
		return;
	if (current->mm == mm && (current->flags & PF_KTHREAD)) {
		/* Still attached in this thread (before 6.6 the exit hook
		 * runs in the test's thread when the test did not abort). */
		KUNIT_FAIL(test, "the test ended with the user address space attached");
		mmshim_user_detach();
		return;
	}
	/* The test's thread ended attached: exit_mm() dropped the address
	 * space's user reference mmshim_user_attach() took; what is left is
	 * the mm_count reference kthread_use_mm() took. */
	mmshim_attached_mm = NULL;
	mmdrop(mm);
}

void mmshim_test_exit(struct kunit *test)
{
	struct mmshim_usage *before = test->priv, after;

	mmshim_user_cleanup(test);

	MmshimPoolUsage(&after.blocks, &after.bytes);
	after.mdls = MmshimLiveMdlCount();
	KUNIT_EXPECT_EQ_MSG(test, after.blocks, before->blocks, "pool blocks leaked");
	KUNIT_EXPECT_EQ_MSG(test, after.bytes, before->bytes, "pool bytes leaked");
	KUNIT_EXPECT_EQ_MSG(test, after.mdls, before->mdls, "MDLs leaked");
}

struct file *mmshim_read_only_file(struct kunit *test, const char *path, const void *text, size_t len)
{
	struct file *rw, *ro;
	loff_t pos = 0;

	rw = filp_open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (IS_ERR(rw)) {
		kunit_skip(test, "no writable root file system");
		return NULL;
	}
	KUNIT_ASSERT_EQ(test, kernel_write(rw, text, len, &pos), (ssize_t)len);
	filp_close(rw, NULL);
	ro = filp_open(path, O_RDONLY, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ro));
	return ro;
}

PMDL locked_mdl(struct kunit *test, void *va, ULONG len)
{
	PMDL m = IoAllocateMdl(va, len, FALSE, FALSE, NULL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	return m;
}

void release_mdl(PMDL m)
{
	MmUnlockPages(m);
	IoFreeMdl(m);
}

void mmshim_run_on_two_cpus(struct kunit *test, int (*const fn[2])(void *), void *const arg[2],
			    struct completion *const done[2], const char *name)
{
	struct task_struct *t[2];
	unsigned int i, cpu = cpumask_first(cpu_online_mask);

	for (i = 0; i < 2; i++) {
		init_completion(done[i]);
		t[i] = kthread_create(fn[i], arg[i], "%s%u", name, i);
		if (IS_ERR(t[i]) && i) /* never woken: fn[0] does not run */
			kthread_stop(t[0]);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		kthread_bind(t[i], cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
	}
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	for (i = 0; i < 2; i++) {
		wait_for_completion(done[i]);
		kthread_stop(t[i]);
	}
}

int mmshim_thread_done(struct completion *done)
{
	complete(done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

bool mmshim_meet(struct mmshim_meet *b, int n)
{
	unsigned long deadline = jiffies + 20 * HZ;
	unsigned int spins = 0;

	atomic_inc(&b->arrived);
	while (atomic_read(&b->arrived) < 2 * n) {
		if (!(++spins & 4095))
			cond_resched(); /* let this CPU's workers run now and then */
		if (READ_ONCE(b->abort))
			return false;
		if (time_after(jiffies, deadline)) {
			WRITE_ONCE(b->abort, true);
			b->timeouts++;
			return false;
		}
		cpu_relax();
	}
	return true;
}

PMDL mmshim_meet_locked_mdl(struct mmshim_meet *b, void *va, ULONG len)
{
	PMDL m = IoAllocateMdl(va, len, FALSE, FALSE, NULL);

	if (m && MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess) == STATUS_SUCCESS)
		return m;
	if (m)
		IoFreeMdl(m);
	WRITE_ONCE(b->abort, true);
	return NULL;
}

PHYSICAL_ADDRESS pa(u64 v)
{
	PHYSICAL_ADDRESS p;

	p.QuadPart = (LONGLONG)v;
	return p;
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for mmshim");
MMSHIM_IMPORT_NS();

#ifdef MMSHIM_KUNIT_ONE_REGISTRATION
/*
 * Kernels before 6.0 allow one KUnit registration per module and have no
 * suite_init/suite_exit (src/glue/compat.h): every suite of this module is
 * listed here and run from the module's init, in load order, with its hooks
 * around it, in the insmod process as on newer kernels. A suite missing here
 * is caught by tests/vm/kunit.sh, which compares the suites that reported
 * with the registrations in the kunit/ sources.
 */
#define MMSHIM_KUNIT_SUITES(X) \
	X(mdl_suite) X(pool_suite) X(seh_suite) X(lock_suite) X(map_suite) X(fault_suite) \
	X(iospace_suite) X(pagealloc_suite) X(reserve_suite) X(usermap_suite) X(race_suite) \
	X(reserve_cache_suite) X(perm_suite) X(seh_irq_suite) X(vapool_suite) \
	X(partial_suite) X(hostile_suite) X(irql_suite) X(vocab_suite) X(lookaside_suite) \
	X(mmextra_suite) X(mmcopy_suite) X(register_suite) X(iomdl_suite) X(dma_suite) X(dma_config_suite)

#define MMSHIM_KUNIT_DECLARE(s) extern const struct mmshim_kunit_reg mmshim_kunit_reg_##s;
MMSHIM_KUNIT_SUITES(MMSHIM_KUNIT_DECLARE)
#define MMSHIM_KUNIT_ENTRY(s) &mmshim_kunit_reg_##s,
static const struct mmshim_kunit_reg *const mmshim_kunit_regs[] = {
	MMSHIM_KUNIT_SUITES(MMSHIM_KUNIT_ENTRY)
};
/* __kunit_test_suites_init() takes a NULL-terminated array: one per suite. */
static struct kunit_suite *mmshim_kunit_run[ARRAY_SIZE(mmshim_kunit_regs)][2];
static bool mmshim_kunit_ran[ARRAY_SIZE(mmshim_kunit_regs)];

static int __init mmshim_kunit_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mmshim_kunit_regs); i++) {
		const struct mmshim_kunit_reg *r = mmshim_kunit_regs[i];
		int rc = r->init ? r->init(r->suite) : 0;

		if (rc) {
			/* Not run, so it does not report: kunit.sh counts it missing. */
			pr_err("mmshim_kunit: %s: suite_init failed (%d), suite not run\n",
			       r->suite->name, rc);
			continue;
		}
		mmshim_kunit_run[i][0] = r->suite;
		__kunit_test_suites_init(mmshim_kunit_run[i]);
		mmshim_kunit_ran[i] = true;
		if (r->exit)
			r->exit(r->suite);
	}
	return 0;
}

static void __exit mmshim_kunit_exit(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mmshim_kunit_regs); i++)
		if (mmshim_kunit_ran[i])
			__kunit_test_suites_exit(mmshim_kunit_run[i]);
}
module_init(mmshim_kunit_init);
module_exit(mmshim_kunit_exit);
#endif
