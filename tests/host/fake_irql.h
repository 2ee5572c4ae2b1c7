// SPDX-License-Identifier: GPL-2.0
// fake_irql.h - the host tests' stand-in for src/glue/irql.c: a single fake
// CPU whose Linux context (task, softirq, hard IRQ, NMI; preemption or
// interrupts disabled by Linux itself) the tests set, and that records what
// the core asked of it (dispatch and interrupt blocks, stalls, sleeps,
// prints). While the core holds a dispatch or interrupt block,
// mmshim_plat_may_sleep() is false, as preemptible() is in the kernel.
#pragma once

#include <string>
#include <vector>

#include "platform.h"

namespace fake {

struct Sleep {
	unsigned long long ns;
	bool absolute;
	bool interruptible;
};

struct Print {
	unsigned level;
	std::string text;
	void *caller;
};

struct Irql {
	unsigned ctx = MMSHIM_CTX_TASK; // enum mmshim_irql_context
	bool linux_atomic = false;      // preemption disabled by Linux code
	int dispatch_blocks = 0;        // outstanding mmshim_plat_irql_block_dispatch()
	int interrupt_blocks = 0;       // outstanding mmshim_plat_irql_block_interrupts()
	unsigned long dispatch_unblocks = 0;
	mmshim_irql_cpu records[4] = {};
	unsigned long long stalled_us = 0;
	std::vector<Sleep> sleeps;
	bool signal_pending = false;       // the next interruptible sleep ends early
	unsigned long long realtime_ns = 1'700'000'000ULL * 1'000'000'000ULL;
	unsigned long long relaxes = 0;
	unsigned long relax_limit = 0;     // if non-zero: a spin-wait longer than this aborts the test
	std::vector<Print> prints;
	std::vector<std::string> assertions;
	mmshim_uptr thread_key = 0x1000;
};

// The fake CPU (reset by fake::reset()).
Irql &irql();
void irql_reset();
// Non-zero while mmshim_plat_may_sleep() must say no because of the IRQL.
bool irql_blocks_sleep();

} // namespace fake
