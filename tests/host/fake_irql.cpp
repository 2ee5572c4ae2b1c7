// SPDX-License-Identifier: GPL-2.0
// fake_irql.cpp - src/glue/irql.c's functions for the host tests (see
// fake_irql.h).
#include "fake_irql.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "fake_platform.h"

namespace fake {

Irql &irql()
{
	static Irql s;
	return s;
}

void irql_reset() { irql() = Irql{}; }

bool irql_blocks_sleep()
{
	const Irql &s = irql();
	return s.dispatch_blocks > 0 || s.interrupt_blocks > 0 || s.linux_atomic ||
	       s.ctx != MMSHIM_CTX_TASK;
}

} // namespace fake

using fake::irql;

extern "C" {

unsigned int mmshim_plat_irql_context(void)
{
	const auto &s = irql();
	unsigned ctx = s.ctx;
	if (!mmshim_plat_may_sleep())
		ctx |= MMSHIM_CTX_ATOMIC;
	if (s.dispatch_blocks || s.ctx == MMSHIM_CTX_SOFTIRQ)
		ctx |= MMSHIM_CTX_BH_OFF;
	if (s.interrupt_blocks || s.ctx >= MMSHIM_CTX_HARDIRQ)
		ctx |= MMSHIM_CTX_IRQS_OFF;
	return ctx;
}

int mmshim_plat_irql_low_context(void)
{
	const unsigned ctx = mmshim_plat_irql_context();
	return !(ctx & MMSHIM_CTX_IRQS_OFF) && (ctx & MMSHIM_CTX_MASK) <= MMSHIM_CTX_SOFTIRQ;
}

struct mmshim_irql_cpu *mmshim_plat_irql_cpu(void)
{
	auto &s = irql();
	if (mmshim_plat_may_sleep()) {
		std::fprintf(stderr, "fake: mmshim_plat_irql_cpu() while preemptible\n");
		std::abort();
	}
	return &s.records[s.ctx];
}

int mmshim_plat_irql_block_dispatch(void)
{
	irql().dispatch_blocks++;
	return 1;
}

void mmshim_plat_irql_unblock_dispatch(int cookie)
{
	auto &s = irql();
	if (cookie != 1 || s.dispatch_blocks <= 0) {
		std::fprintf(stderr, "fake: unbalanced dispatch unblock (cookie %d)\n", cookie);
		std::abort();
	}
	s.dispatch_blocks--;
	s.dispatch_unblocks++;
}

unsigned long mmshim_plat_irql_block_interrupts(void)
{
	return static_cast<unsigned long>(++irql().interrupt_blocks) * 0x100;
}

void mmshim_plat_irql_unblock_interrupts(unsigned long flags)
{
	auto &s = irql();
	if (flags != static_cast<unsigned long>(s.interrupt_blocks) * 0x100) {
		std::fprintf(stderr, "fake: interrupts restored out of order\n");
		std::abort();
	}
	s.interrupt_blocks--;
}

void mmshim_plat_cpu_relax(void)
{
	auto &s = irql();
	if (s.relax_limit && ++s.relaxes > s.relax_limit) {
		std::fprintf(stderr, "fake: spin-wait that would never end\n");
		std::abort();
	}
}

void mmshim_plat_stall_us(unsigned long us) { irql().stalled_us += us; }

int mmshim_plat_sleep(unsigned long long ns, int absolute, int interruptible)
{
	auto &s = irql();
	s.sleeps.push_back({ns, absolute != 0, interruptible != 0});
	if (interruptible && s.signal_pending) {
		s.signal_pending = false;
		return 1;
	}
	return 0;
}

unsigned long long mmshim_plat_realtime_ns(void) { return irql().realtime_ns; }

void mmshim_plat_debug_print(unsigned int level, void *caller, const char *fmt, __builtin_va_list ap)
{
	char buf[512];
	std::vsnprintf(buf, sizeof(buf), fmt, ap);
	irql().prints.push_back({level, buf, caller});
}

void mmshim_plat_print_assertion(const char *kind, const char *expr, const char *file,
				 unsigned long line, const char *message, void *caller)
{
	(void)caller;
	char buf[512];
	std::snprintf(buf, sizeof(buf), "%s: %s at %s:%lu%s%s", kind, expr ? expr : "?",
		      file ? file : "?", line, message ? ": " : "", message ? message : "");
	irql().assertions.push_back(buf);
}

} // extern "C"
