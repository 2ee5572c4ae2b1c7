// SPDX-License-Identifier: GPL-2.0
// irql.h - the core's IRQL bookkeeping (irql.cpp), for the core's own use
// and the host tests.
#pragma once

#include "support.h"

namespace mmshim::irql {

// KeGetCurrentIrql.
KIRQL get();
// get() <= DISPATCH_LEVEL, answered without the raised-IRQL record when
// interrupts are on in a task or softirq (the common case).
bool at_most_dispatch();
// KeRaiseIrql / KeLowerIrql with the routine named in reports.
KIRQL raise(KIRQL to, const char *routine, void *caller);
void lower(KIRQL to, const char *routine, void *caller);
// The printk level (MMSHIM_PRINTK_*) DbgPrintEx uses for a DPFLTR level or mask.
unsigned int dbgprint_level(ULONG level);
// Windows system time (100 ns since 1601-01-01) as Unix nanoseconds: 0 at or
// before 1970, saturated on overflow.
unsigned long long system_time_to_unix_ns(ULONGLONG t);

} // namespace mmshim::irql
