// SPDX-License-Identifier: GPL-2.0
/*
 * seh_test.c - KUnit suite "mmshim_seh": __try/__except/__leave,
 * GetExceptionCode, ExRaiseStatus, nesting, filters, raising with a spinlock
 * held, unhandled raises; and ProbeForRead/ProbeForWrite, which raise.
 */
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/string.h>
#include "mmshim_kunit.h"

#define STATUS_TEST_A ((NTSTATUS)0xE0000001L)
#define STATUS_TEST_B ((NTSTATUS)0xE0000002L)

/* A raise through a function with its own (KASAN-redzoned) stack array. */
static noinline void raise_deep(NTSTATUS status, int depth)
{
	volatile char pad[64];

	memset((char *)pad, depth, sizeof(pad));
	if (depth > 0)
		raise_deep(status, depth - 1);
	else
		ExRaiseStatus(status);
	pad[0]++;
}

/* Uses a lot of the stack the raise abandoned: KASAN must not object. */
static noinline int use_stack(void)
{
	volatile char buf[512];
	int i, sum = 0;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i;
	for (i = 0; i < sizeof(buf); i++)
		sum += buf[i];
	return sum;
}

static ULONG unhandled_reports(NTSTATUS status)
{
	return MmshimVerifierReportCount(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)status);
}

static void seh_no_exception(struct kunit *test)
{
	volatile int body = 0, handler = 0;
	ULONG before = unhandled_reports(STATUS_TEST_A);

	__try {
		body = 1;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		handler = 1;
	}
	KUNIT_EXPECT_EQ(test, body, 1);
	KUNIT_EXPECT_EQ(test, handler, 0);
	/* The frame is gone: a raise now has no handler. */
	ExRaiseStatus(STATUS_TEST_A);
	KUNIT_EXPECT_EQ(test, unhandled_reports(STATUS_TEST_A), before + 1);
}

static void seh_raise_caught(struct kunit *test)
{
	volatile int after_raise = 0, handler = 0;
	volatile NTSTATUS code = 0;

	__try {
		ExRaiseStatus(STATUS_TEST_A);
		after_raise = 1;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		handler = 1;
		code = GetExceptionCode();
	}
	KUNIT_EXPECT_EQ(test, after_raise, 0);
	KUNIT_EXPECT_EQ(test, handler, 1);
	KUNIT_EXPECT_EQ(test, code, STATUS_TEST_A);
}

static void seh_raise_from_nested_calls(struct kunit *test)
{
	volatile NTSTATUS code = 0;
	int i;

	for (i = 0; i < 200; i++) {
		__try {
			raise_deep(STATUS_TEST_B, 6);
		} __except (EXCEPTION_EXECUTE_HANDLER) {
			code = GetExceptionCode();
		}
		KUNIT_ASSERT_EQ(test, code, STATUS_TEST_B);
		code = 0;
		KUNIT_ASSERT_NE(test, use_stack(), -1);
	}
}

static void seh_filter_and_nesting(struct kunit *test)
{
	volatile int inner = 0, outer = 0;
	volatile NTSTATUS outer_code = 0;

	__try {
		__try {
			ExRaiseStatus(STATUS_TEST_B);
		} __except (GetExceptionCode() == STATUS_TEST_A ? EXCEPTION_EXECUTE_HANDLER
								 : EXCEPTION_CONTINUE_SEARCH) {
			inner = 1;
		}
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		outer = 1;
		outer_code = GetExceptionCode();
	}
	KUNIT_EXPECT_EQ(test, inner, 0);
	KUNIT_EXPECT_EQ(test, outer, 1);
	KUNIT_EXPECT_EQ(test, outer_code, STATUS_TEST_B);

	/* A raise inside a handler goes to the next frame out. */
	inner = outer = 0;
	__try {
		__try {
			ExRaiseStatus(STATUS_TEST_A);
		} __except (EXCEPTION_EXECUTE_HANDLER) {
			inner = 1;
			ExRaiseStatus(STATUS_TEST_B);
			inner = 2;
		}
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		outer = 1;
		outer_code = GetExceptionCode();
	}
	KUNIT_EXPECT_EQ(test, inner, 1);
	KUNIT_EXPECT_EQ(test, outer, 1);
	KUNIT_EXPECT_EQ(test, outer_code, STATUS_TEST_B);
}

static void seh_unhandled_and_bad_dispositions(struct kunit *test)
{
	volatile int handler = 0, after = 0;
	ULONG before = unhandled_reports(STATUS_TEST_A);

	/* No __try at all: reported, and ExRaiseStatus returns. */
	ExRaiseStatus(STATUS_TEST_A);
	after = 1;
	KUNIT_EXPECT_EQ(test, after, 1);
	KUNIT_EXPECT_EQ(test, unhandled_reports(STATUS_TEST_A), before + 1);

	/* CONTINUE_SEARCH with nothing outside: reported, handler skipped. */
	__try {
		ExRaiseStatus(STATUS_TEST_A);
	} __except (EXCEPTION_CONTINUE_SEARCH) {
		handler = 1;
	}
	KUNIT_EXPECT_EQ(test, handler, 0);
	KUNIT_EXPECT_EQ(test, unhandled_reports(STATUS_TEST_A), before + 2);

	/* CONTINUE_EXECUTION cannot resume: reported, handler skipped. */
	__try {
		ExRaiseStatus(STATUS_TEST_A);
	} __except (EXCEPTION_CONTINUE_EXECUTION) {
		handler = 1;
	}
	KUNIT_EXPECT_EQ(test, handler, 0);
	KUNIT_EXPECT_EQ(test, unhandled_reports(STATUS_TEST_A), before + 3);
}

static noinline int return_from_try(void)
{
	__try {
		return 7;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		return -1;
	}
	return 0;
}

static void seh_leave_and_return(struct kunit *test)
{
	volatile int after_leave = 0;
	ULONG before = unhandled_reports(STATUS_TEST_B);

	KUNIT_EXPECT_EQ(test, return_from_try(), 7);
	__try {
		__leave;
		after_leave = 1;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
	}
	KUNIT_EXPECT_EQ(test, after_leave, 0);
	/* Neither left a frame behind. */
	ExRaiseStatus(STATUS_TEST_B);
	KUNIT_EXPECT_EQ(test, unhandled_reports(STATUS_TEST_B), before + 1);
}

static DEFINE_SPINLOCK(seh_test_lock);
/* Not a local: a local changed inside __try is stale in __except (setjmp rule). */
static unsigned long seh_test_flags;

static void seh_raise_with_spinlock_held(struct kunit *test)
{
	volatile int caught = 0;

	__try {
		spin_lock_irqsave(&seh_test_lock, seh_test_flags);
		ExRaiseStatus(STATUS_TEST_A);
		spin_unlock_irqrestore(&seh_test_lock, seh_test_flags);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		/* As on Windows, the handler owns whatever the body held. */
		caught = 1;
		spin_unlock_irqrestore(&seh_test_lock, seh_test_flags);
	}
	KUNIT_EXPECT_EQ(test, caught, 1);
	KUNIT_EXPECT_FALSE(test, irqs_disabled());
}

struct other_thread_raise {
	struct work_struct work;
};

static void raise_in_worker(struct work_struct *work)
{
	ExRaiseStatus(STATUS_TEST_B);
}

/* Another thread's raise never lands in this thread's __try. */
static void seh_other_thread(struct kunit *test)
{
	struct other_thread_raise r;
	volatile int handler = 0;
	ULONG before = unhandled_reports(STATUS_TEST_B);

	INIT_WORK_ONSTACK(&r.work, raise_in_worker);
	__try {
		schedule_work(&r.work);
		flush_work(&r.work);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		handler = 1;
	}
	destroy_work_on_stack(&r.work);
	KUNIT_EXPECT_EQ(test, handler, 0);
	KUNIT_EXPECT_EQ(test, unhandled_reports(STATUS_TEST_B), before + 1);
}

/* Run a probe in __try; return the exception code or STATUS_SUCCESS. */
static noinline NTSTATUS probe_status(bool write, PVOID address, SIZE_T length, ULONG alignment)
{
	volatile NTSTATUS status = STATUS_SUCCESS;

	__try {
		if (write)
			ProbeForWrite(address, length, alignment);
		else
			ProbeForRead(address, length, alignment);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		status = GetExceptionCode();
	}
	return status;
}
#define PROBE_STATUS_READ(a, n, al) probe_status(false, (PVOID)(a), (n), (al))
#define PROBE_STATUS_WRITE(a, n, al) probe_status(true, (PVOID)(a), (n), (al))

static void probe_for_read(struct kunit *test)
{
	char *kbuf = kunit_kzalloc(test, 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, kbuf);
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ((PVOID)0x10000, 100, 4), STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ((PVOID)0x10001, 100, 1), STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ((PVOID)0x10002, 100, 4),
			STATUS_DATATYPE_MISALIGNMENT);
	/* A kernel address is never a valid user buffer. */
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ(kbuf, 64, 1), STATUS_ACCESS_VIOLATION);
	/* Ends exactly at the user limit: fine; one byte more: not. */
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ((PVOID)(TASK_SIZE_MAX - 16), 16, 1),
			STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ((PVOID)(TASK_SIZE_MAX - 16), 17, 1),
			STATUS_ACCESS_VIOLATION);
	/* Wrapping ranges. */
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ((PVOID)0x10000, ~(SIZE_T)0, 1),
			STATUS_ACCESS_VIOLATION);
	/* Length 0 checks nothing, even for a kernel address. */
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ(kbuf, 0, 4), STATUS_SUCCESS);
	/* A bad Alignment argument is reported, then treated as 1. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ALIGNMENT_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, PROBE_STATUS_READ((PVOID)0x10001, 8, 3),
				      STATUS_SUCCESS));
}

static void probe_for_write(struct kunit *test)
{
	char *kbuf = kunit_kzalloc(test, 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, kbuf);
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_WRITE(kbuf, 64, 1), STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_WRITE((PVOID)0x10002, 8, 8),
			STATUS_DATATYPE_MISALIGNMENT);
	/* A KUnit thread has no user address space: nothing is writable. */
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_WRITE((PVOID)0x10000, 8, 8),
			STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, PROBE_STATUS_WRITE(kbuf, 0, 8), STATUS_SUCCESS);
}

static struct kunit_case seh_cases[] = {
	KUNIT_CASE(seh_no_exception),
	KUNIT_CASE(seh_raise_caught),
	KUNIT_CASE(seh_raise_from_nested_calls),
	KUNIT_CASE(seh_filter_and_nesting),
	KUNIT_CASE(seh_unhandled_and_bad_dispositions),
	KUNIT_CASE(seh_leave_and_return),
	KUNIT_CASE(seh_raise_with_spinlock_held),
	KUNIT_CASE(seh_other_thread),
	KUNIT_CASE(probe_for_read),
	KUNIT_CASE(probe_for_write),
	{}
};

static struct kunit_suite seh_suite = {
	.name = "mmshim_seh",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = seh_cases,
};
kunit_test_suite(seh_suite);
