// SPDX-License-Identifier: GPL-2.0
// verifier_test.cpp - verifier counters, the last report, what the platform
// is given to print, and the counter table's limits.
#include <cstdint>
#include <cstring>
#include <vector>

#include "test_support.h"
#include "core/verifier.h"

namespace {

using namespace mmshim_test;

class VerifierTest : public CoreTest {};

// Reports name the driver's return address: IoFreeMdl is called from here,
// so the caller must lie inside this function.
__attribute__((noinline)) void FreeNullMdlFromHere()
{
	IoFreeMdl(nullptr);
	asm volatile("" ::: "memory"); // no tail call: keep the return address here
}

TEST_F(VerifierTest, NothingReportedAfterInit)
{
	MMSHIM_VERIFIER_REPORT r;
	std::memset(&r, 0x5a, sizeof(r));
	EXPECT_FALSE(MmshimVerifierLastReport(&r));
	EXPECT_FALSE(MmshimVerifierLastReport(nullptr));
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_ANY_PARAMETER), 0u);
	EXPECT_EQ(MmshimVerifierReportCount(MMSHIM_CALL_FAILED, MMSHIM_ANY_PARAMETER), 0u);
	EXPECT_EQ(mmshim_core_verifier_total(), 0u);
	mmshim_counter_row rows[4];
	EXPECT_EQ(mmshim_core_verifier_rows(rows, 4), 0u);
}

TEST_F(VerifierTest, LastReportFieldsAndCaller)
{
	FreeNullMdlFromHere();
	MMSHIM_VERIFIER_REPORT r{};
	ASSERT_TRUE(MmshimVerifierLastReport(&r));
	EXPECT_EQ(r.BugCheckCode, static_cast<ULONG>(DRIVER_VERIFIER_DETECTED_VIOLATION));
	EXPECT_EQ(r.Sequence, 1u);
	EXPECT_EQ(r.Parameters[0], static_cast<ULONG_PTR>(MMSHIM_VRF_NULL_ARGUMENT));
	EXPECT_EQ(r.Parameters[1], 0u);
	EXPECT_EQ(r.Parameters[2], 0u);
	EXPECT_EQ(r.Parameters[3], 0u);
	ASSERT_NE(r.Routine, nullptr);
	EXPECT_STREQ(r.Routine, "IoFreeMdl");
	const auto caller = reinterpret_cast<uintptr_t>(r.Caller);
	const auto fn = reinterpret_cast<uintptr_t>(&FreeNullMdlFromHere);
	EXPECT_GT(caller, fn);
	EXPECT_LT(caller, fn + 512) << "the caller is not the driver's call site";

	// The platform printed the same report.
	ASSERT_EQ(fake::reports().size(), 1u);
	const fake::Report &p = fake::reports()[0];
	EXPECT_EQ(p.code, r.BugCheckCode);
	EXPECT_EQ(p.code_name, "DRIVER_VERIFIER_DETECTED_VIOLATION");
	EXPECT_EQ(p.sequence, 1u);
	EXPECT_EQ(p.caller, r.Caller);
	EXPECT_EQ(p.routine, "IoFreeMdl");
	EXPECT_FALSE(p.what.empty());
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(p.params[i], r.Parameters[i]);

	// The next report replaces it and numbers on.
	void *q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, Tag("Seq2"));
	EXPECT_EQ(q, nullptr);
	ASSERT_TRUE(MmshimVerifierLastReport(&r));
	EXPECT_EQ(r.Sequence, 2u);
	EXPECT_EQ(r.BugCheckCode, static_cast<ULONG>(BAD_POOL_CALLER));
	EXPECT_STREQ(r.Routine, "ExAllocatePool2");
	EXPECT_EQ(r.Parameters[3], Tag("Seq2"));
	EXPECT_EQ(fake::reports().back().sequence, 2u);
	EXPECT_EQ(fake::reports().back().code_name, "BAD_POOL_CALLER");
}

TEST_F(VerifierTest, CallFailedReportsAreNamedAsSuch)
{
	EXPECT_EQ(IoAllocateMdl(nullptr, 0, FALSE, FALSE, nullptr), nullptr);
	ASSERT_EQ(fake::reports().size(), 1u);
	EXPECT_EQ(fake::reports()[0].code, static_cast<unsigned>(MMSHIM_CALL_FAILED));
	EXPECT_EQ(fake::reports()[0].code_name, "failed, as it does on Windows");
	MMSHIM_VERIFIER_REPORT r{};
	ASSERT_TRUE(MmshimVerifierLastReport(&r));
	EXPECT_EQ(r.BugCheckCode, 0u);
	EXPECT_EQ(r.Parameters[0], static_cast<ULONG_PTR>(MMSHIM_FAIL_ZERO_LENGTH));

	// What mmshim refuses although Windows would do it is told apart.
	alignas(16) char irp[16];
	EXPECT_EQ(IoAllocateMdl(irp, 10, FALSE, FALSE, reinterpret_cast<PIRP>(irp)), nullptr);
	ASSERT_EQ(fake::reports().size(), 2u);
	EXPECT_EQ(fake::reports()[1].code, static_cast<unsigned>(MMSHIM_CALL_FAILED));
	EXPECT_EQ(fake::reports()[1].code_name, "refused: mmshim does not support this (Windows would)");
}

TEST_F(VerifierTest, CountersPerCodeAndParameter)
{
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, Tag("Cnt1"));
	ASSERT_NE(p, nullptr);
	for (int i = 0; i < 3; i++)
		ExFreePoolWithTag(p, Tag("Cnt2")); // wrong tag x3
	ExFreePool(nullptr);                        // 0x42
	ExFreePool(p);
	ExFreePool(p);                              // 0x07
	IoFreeMdl(nullptr);                         // 0xC4/NULL
	ExAllocatePool2(0, 1, Tag("Cnt1"));         // call failed
	ExAllocatePool2(POOL_FLAG_NON_PAGED, 1, 0); // 0x9B

	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_WRONG_TAG), 3u);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_DOUBLE_FREE), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_TAG_ZERO), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_ZERO_BYTES), 0u);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_ANY_PARAMETER), 6u);
	EXPECT_EQ(MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT),
		  1u);
	EXPECT_EQ(MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_ANY_PARAMETER), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(SYSTEM_PTE_MISUSE, MMSHIM_ANY_PARAMETER), 0u);
	EXPECT_EQ(mmshim_core_verifier_total(), 8u);
	EXPECT_EQ(fake::reports().size(), 8u);
	for (size_t i = 0; i < fake::reports().size(); i++)
		EXPECT_EQ(fake::reports()[i].sequence, i + 1);

	mmshim_counter_row rows[16];
	const unsigned n = mmshim_core_verifier_rows(rows, 16);
	EXPECT_EQ(n, 6u);
	unsigned long sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += rows[i].count;
	EXPECT_EQ(sum, 8u);
	EXPECT_EQ(mmshim_core_verifier_rows(rows, 2), 2u);
}

TEST_F(VerifierTest, CounterTableOverflowKeepsTotals)
{
	// More distinct (code, parameter 1) pairs than the table has rows.
	constexpr unsigned kRows = mmshim::verifier::kCounterRows;
	constexpr unsigned kReports = kRows + 36;
	for (unsigned i = 0; i < kReports; i++)
		mmshim::verifier::report(BAD_POOL_CALLER, 0x1000 + i, 0, 0, 0, "test", "overflow", nullptr);
	std::vector<mmshim_counter_row> rows(kReports);
	const unsigned n = mmshim_core_verifier_rows(rows.data(), kReports);
	EXPECT_EQ(n, kRows);
	EXPECT_EQ(mmshim_core_verifier_total(), kReports);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, 0x1000), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, 0x1000 + kRows - 1), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, 0x1000 + kRows), 0u);
	MMSHIM_VERIFIER_REPORT r{};
	ASSERT_TRUE(MmshimVerifierLastReport(&r));
	EXPECT_EQ(r.Sequence, kReports);
	EXPECT_EQ(r.Parameters[0], 0x1000u + kReports - 1);
	EXPECT_EQ(fake::reports().size(), kReports);
	// Existing rows still count.
	mmshim::verifier::report(BAD_POOL_CALLER, 0x1000, 0, 0, 0, "test", "again", nullptr);
	EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, 0x1000), 2u);
}

TEST_F(VerifierTest, InitResetsCounters)
{
	IoFreeMdl(nullptr);
	EXPECT_EQ(mmshim_core_verifier_total(), 1u);
	mmshim_core_exit();
	ASSERT_EQ(mmshim_core_init(), 0);
	EXPECT_EQ(mmshim_core_verifier_total(), 0u);
	EXPECT_EQ(MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_ANY_PARAMETER), 0u);
	IoFreeMdl(nullptr);
	MMSHIM_VERIFIER_REPORT r{};
	ASSERT_TRUE(MmshimVerifierLastReport(&r));
	EXPECT_EQ(r.Sequence, 1u);
}

} // namespace
