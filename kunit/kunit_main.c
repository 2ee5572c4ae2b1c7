// SPDX-License-Identifier: GPL-2.0
/* kunit_main.c - module glue, the leak check every mmshim test runs, and
 * helpers the suites share. */
#include <linux/module.h>
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
MODULE_IMPORT_NS(MMSHIM);
