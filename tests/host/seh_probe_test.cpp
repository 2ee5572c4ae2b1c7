// SPDX-License-Identifier: GPL-2.0
// seh_probe_test.cpp - the core side of exceptions on the host: frame
// bookkeeping (push/pop/innermost), unhandled raises, filter dispositions,
// and ProbeForRead/ProbeForWrite range rules. The jump itself is glue
// assembly and is tested by KUnit; here the fake records resume requests
// and refuses them, which the core reports as a stale frame.
#include "test_support.h"

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class SehTest : public CoreTest {};

constexpr NTSTATUS kStatusA = static_cast<NTSTATUS>(0xE0000001u);

TEST_F(SehTest, RaiseWithoutFrameIsReportedAndReturns)
{
	fake::Report r;
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(kStatusA),
				   [] { ExRaiseStatus(kStatusA); }, &r));
	EXPECT_EQ(r.routine, "ExRaiseStatus");
	EXPECT_TRUE(fake::seh_resumes().empty());
}

TEST_F(SehTest, RaiseTargetsInnermostFrameAndTakesItOffTheChain)
{
	MMSHIM_SEH_FRAME outer{}, inner{};
	MmshimSehPush(&outer);
	MmshimSehPush(&inner);
	// The fake refuses the jump: one request for the innermost frame, then
	// a stale-frame report.
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(kStatusA),
				   [] { ExRaiseStatus(kStatusA); }));
	ASSERT_EQ(fake::seh_resumes().size(), 1u);
	EXPECT_EQ(fake::seh_resumes()[0], inner.Context);
	EXPECT_EQ(inner.Code, kStatusA);
	// The next raise goes to the outer frame.
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(kStatusA),
				   [] { ExRaiseStatus(kStatusA); }));
	ASSERT_EQ(fake::seh_resumes().size(), 2u);
	EXPECT_EQ(fake::seh_resumes()[1], outer.Context);
	// Both are off the chain: popping them again changes nothing.
	MmshimSehPop(&inner);
	MmshimSehPop(&outer);
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(kStatusA),
				   [] { ExRaiseStatus(kStatusA); }));
	EXPECT_EQ(fake::seh_resumes().size(), 2u);
}

TEST_F(SehTest, PopRemovesOnlyThatFrame)
{
	MMSHIM_SEH_FRAME a{}, b{}, c{};
	MmshimSehPush(&a);
	MmshimSehPush(&b);
	MmshimSehPush(&c);
	MmshimSehPop(&b); // out of order, e.g. a return inside nested scopes
	MmshimSehPop(&b); // idempotent
	ExRaiseStatus(kStatusA);
	ExRaiseStatus(kStatusA);
	ExRaiseStatus(kStatusA);
	ASSERT_EQ(fake::seh_resumes().size(), 2u);
	EXPECT_EQ(fake::seh_resumes()[0], c.Context);
	EXPECT_EQ(fake::seh_resumes()[1], a.Context);
}

TEST_F(SehTest, FilterDispositions)
{
	MMSHIM_SEH_FRAME f{};
	f.Code = kStatusA;
	EXPECT_TRUE(NoReport([&] { EXPECT_EQ(MmshimSehFilter(&f, EXCEPTION_EXECUTE_HANDLER), 1); }));
	// Continue search with no outer frame: reported, handler skipped.
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(kStatusA), [&] {
		EXPECT_EQ(MmshimSehFilter(&f, EXCEPTION_CONTINUE_SEARCH), 0);
	}));
	// Continue execution cannot be honoured: reported, handler skipped.
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(kStatusA), [&] {
		EXPECT_EQ(MmshimSehFilter(&f, EXCEPTION_CONTINUE_EXECUTION), 0);
	}));
	// Continue search with an outer frame raises to it.
	MMSHIM_SEH_FRAME outer{};
	MmshimSehPush(&outer);
	MmshimSehFilter(&f, EXCEPTION_CONTINUE_SEARCH);
	ASSERT_EQ(fake::seh_resumes().size(), 1u);
	EXPECT_EQ(fake::seh_resumes()[0], outer.Context);
	EXPECT_EQ(outer.Code, kStatusA);
}

class ProbeTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		frame_ = {};
		MmshimSehPush(&frame_);
	}
	void TearDown() override
	{
		MmshimSehPop(&frame_);
		CoreTest::TearDown();
	}
	// The status ProbeFor* raised (to our frame), or STATUS_SUCCESS.
	template <typename Fn> NTSTATUS Raised(Fn &&fn)
	{
		const size_t before = fake::seh_resumes().size();
		fake::clear_reports();
		fn();
		if (fake::seh_resumes().size() == before)
			return STATUS_SUCCESS;
		NTSTATUS code = frame_.Code;
		MmshimSehPush(&frame_); // the raise took it off the chain
		fake::clear_reports();  // the refused jump's stale-frame report
		return code;
	}
	MMSHIM_SEH_FRAME frame_{};
};

TEST_F(ProbeTest, ProbeForReadRanges)
{
	auto read = [&](uptr a, SIZE_T n, ULONG al) {
		return Raised([&] { ProbeForRead(reinterpret_cast<PVOID>(a), n, al); });
	};
	EXPECT_EQ(read(0x10000, 100, 4), STATUS_SUCCESS);
	EXPECT_EQ(read(0x10002, 100, 4), STATUS_DATATYPE_MISALIGNMENT);
	EXPECT_EQ(read(0x10008, 100, 16), STATUS_DATATYPE_MISALIGNMENT);
	EXPECT_EQ(read(0x7ffffffffff0ULL, 16, 1), STATUS_SUCCESS);
	EXPECT_EQ(read(0x7ffffffffff0ULL, 17, 1), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(read(0xffff888000000000ULL, 1, 1), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(read(0x10000, ~static_cast<SIZE_T>(0), 1), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(read(0xffff888000000000ULL, 0, 8), STATUS_SUCCESS); // length 0: no checks
}

TEST_F(ProbeTest, ProbeForReadBadAlignmentArgument)
{
	fake::Report r;
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ALIGNMENT_ARGUMENT,
				   [] { ProbeForRead(reinterpret_cast<PVOID>(0x10001), 8, 3); }, &r));
	EXPECT_EQ(r.params[1], 3u);
	EXPECT_TRUE(fake::seh_resumes().empty()); // then checked with alignment 1: fine
}

TEST_F(ProbeTest, ProbeForWriteChecksPages)
{
	fake::set_user_writable(0x20000, 0x30000);
	auto write = [&](uptr a, SIZE_T n) {
		return Raised([&] { ProbeForWrite(reinterpret_cast<PVOID>(a), n, 1); });
	};
	EXPECT_EQ(write(0x20000, 0x10000), STATUS_SUCCESS);
	EXPECT_EQ(write(0x1f000, 0x2000), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(write(0x2ffff, 2), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(write(0xffff888000000000ULL, 8), STATUS_ACCESS_VIOLATION);
}

TEST_F(ProbeTest, ProbeForWriteInAtomicContextIsReported)
{
	fake::set_user_writable(0x20000, 0x30000);
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				   [] { ProbeForWrite(reinterpret_cast<PVOID>(0x20000), 8, 1); }));
	EXPECT_TRUE(fake::seh_resumes().empty());
	fake::set_may_sleep(true);
}

} // namespace
