// SPDX-License-Identifier: GPL-2.0
/* report.c - printing verifier reports and core log lines. */
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/bug.h>
#include "platform.h"

static bool verifier_backtrace = true;
module_param(verifier_backtrace, bool, 0644);
MODULE_PARM_DESC(verifier_backtrace, "Dump the stack with each verifier report (default: on)");

static bool verifier_warn;
module_param(verifier_warn, bool, 0644);
MODULE_PARM_DESC(verifier_warn,
		 "Raise a WARN for each verifier report, for CI that fails on WARN (default: off)");

/**
 * mmshim_plat_report() - print one verifier report.
 * @r: the report
 *
 * pr_err lines with the routine, what went wrong, the caller (%pS) and the
 * Windows bug-check code and parameters, then a stack dump (or a WARN if
 * verifier_warn is set). Rate limited; the core counts every report anyway.
 * Atomic-safe.
 */
void mmshim_plat_report(const struct mmshim_plat_report *r)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 20);

	if (!__ratelimit(&rs))
		return;
	pr_err("mmshim: verifier report %u: %s: %s (caller %pS)\n", r->sequence, r->routine,
	       r->what, r->caller);
	if (r->code)
		pr_err("mmshim: verifier report %u: Windows would bug-check 0x%X %s (0x%lx, 0x%lx, 0x%lx, 0x%lx); mmshim refused the operation\n",
		       r->sequence, r->code, r->code_name, r->params[0], r->params[1],
		       r->params[2], r->params[3]);
	else
		pr_err("mmshim: verifier report %u: the call %s (reason 0x%lx, 0x%lx, 0x%lx, 0x%lx)\n",
		       r->sequence, r->code_name, r->params[0], r->params[1], r->params[2],
		       r->params[3]);
	if (verifier_warn)
		WARN(1, "mmshim: verifier report %u\n", r->sequence);
	else if (verifier_backtrace)
		dump_stack();
}
