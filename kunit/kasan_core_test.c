// SPDX-License-Identifier: GPL-2.0
/*
 * kasan_core_test.c - evidence that KASAN checks the C++ core (cxx.mk gives
 * the core the instrumentation Kbuild gives C objects).
 *
 * Writing 1 to /sys/module/mmshim_kunit/parameters/kasan_core_oob calls
 * MmGetSystemRoutineAddress with a UNICODE_STRING whose Length claims one
 * character more than its kmalloc'd Buffer holds: a caller bug that Windows
 * does not catch either. The Buffer holds "ExRaiseStatu", which matches
 * exactly one exported name for all its characters, so the core's name
 * comparison reads the one character past the allocation exactly once, and
 * KASAN must report that read from inside mmshim.ko. Nothing in mmshim is
 * deliberately buggy: the core does what Windows does with a bad Length.
 *
 * Not a KUnit case, because a KASAN report turns lockdep off for the rest
 * of the boot (and, without kasan_multi_shot, KASAN itself), and 6.12 marks
 * any KUnit test during which KASAN reports as failed: tests/vm/kunit-init.sh
 * triggers it after every suite and the ioctl client have run, and
 * tests/vm/kunit.sh requires the report on the console.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "mmshim_kunit.h"

static int kasan_core_oob_set(const char *val, const struct kernel_param *kp)
{
	static const char prefix[] = "ExRaiseStatu";
	const size_t chars = sizeof(prefix) - 1;
	UNICODE_STRING name;
	WCHAR *buffer;
	PVOID found;
	size_t i;

	if (!IS_ENABLED(CONFIG_KASAN_GENERIC))
		return -EOPNOTSUPP;
	buffer = kmalloc(chars * sizeof(WCHAR), GFP_KERNEL);
	if (!buffer)
		return -ENOMEM;
	for (i = 0; i < chars; i++)
		buffer[i] = prefix[i];
	name.Buffer = buffer;
	name.Length = (USHORT)((chars + 1) * sizeof(WCHAR)); /* one more than allocated */
	name.MaximumLength = name.Length;
	pr_info("mmshim-test: expect: BUG: KASAN: slab-out-of-bounds in\n");
	found = MmGetSystemRoutineAddress(&name);
	pr_info("mmshim-test: kasan_core_oob: MmGetSystemRoutineAddress returned %s\n",
		found ? "a routine" : "NULL");
	kfree(buffer);
	return 0;
}

static const struct kernel_param_ops kasan_core_oob_ops = {
	.set = kasan_core_oob_set,
};
module_param_cb(kasan_core_oob, &kasan_core_oob_ops, NULL, 0200);
MODULE_PARM_DESC(kasan_core_oob,
		 "Write 1: make the C++ core read past a driver's buffer (KASAN evidence)");
