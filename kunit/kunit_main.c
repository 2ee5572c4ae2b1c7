// SPDX-License-Identifier: GPL-2.0
/* kunit_main.c - module glue, the leak check every mmshim test runs, and
 * helpers the suites share. */
#include <linux/module.h>
#include <mmshim/linux.h> /* MMSHIM_IMPORT_NS() */
#include "mmshim_kunit.h"

int mmshim_test_init(struct kunit *test)
{
	struct mmshim_usage *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);

	if (!u)
		return -ENOMEM;
	MmshimPoolUsage(&u->blocks, &u->bytes);
	u->mdls = MmshimLiveMdlCount();
	test->priv = u;
	return 0;
}

void mmshim_test_exit(struct kunit *test)
{
	struct mmshim_usage *before = test->priv, after;

	MmshimPoolUsage(&after.blocks, &after.bytes);
	after.mdls = MmshimLiveMdlCount();
	KUNIT_EXPECT_EQ_MSG(test, after.blocks, before->blocks, "pool blocks leaked");
	KUNIT_EXPECT_EQ_MSG(test, after.bytes, before->bytes, "pool bytes leaked");
	KUNIT_EXPECT_EQ_MSG(test, after.mdls, before->mdls, "MDLs leaked");
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
	X(mmextra_suite) X(mmcopy_suite) X(register_suite) X(iomdl_suite)

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
