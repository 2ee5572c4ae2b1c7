// SPDX-License-Identifier: GPL-2.0
// test_support.h - the fixture every host test runs in, and report checks.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include <wdm.h>

#include "fake_platform.h"
#include "platform.h"

namespace mmshim_test {

// A pool tag as Windows spells it: Tag("Test") == 'tseT' (bytes "Test" in
// memory), without the multi-character constant.
constexpr ULONG Tag(const char (&s)[5])
{
	return static_cast<ULONG>(static_cast<unsigned char>(s[0])) |
	       static_cast<ULONG>(static_cast<unsigned char>(s[1])) << 8 |
	       static_cast<ULONG>(static_cast<unsigned char>(s[2])) << 16 |
	       static_cast<ULONG>(static_cast<unsigned char>(s[3])) << 24;
}

// A PHYSICAL_ADDRESS from a number.
inline PHYSICAL_ADDRESS Pa(unsigned long long v)
{
	PHYSICAL_ADDRESS p;
	p.QuadPart = static_cast<LONGLONG>(v);
	return p;
}

inline std::string Describe(const fake::Report &r)
{
	char buf[256];
	std::snprintf(buf, sizeof(buf), "[#%u 0x%x/0x%lx (0x%lx, 0x%lx, 0x%lx) %s: %s]", r.sequence,
		      r.code, r.params[0], r.params[1], r.params[2], r.params[3], r.routine.c_str(),
		      r.what.c_str());
	return buf;
}

inline std::string DescribeSince(size_t first)
{
	std::string s;
	for (size_t i = first; i < fake::reports().size(); i++)
		s += Describe(fake::reports()[i]) + " ";
	return s.empty() ? "(none)" : s;
}

// Runs fn and checks that it produced exactly one verifier report, with
// this bug-check code and parameter 1, seen both by the platform (printed)
// and by the core's counters. The report is copied to *out.
template <typename Fn>
::testing::AssertionResult ReportsExactly(ULONG code, ULONG_PTR p1, Fn &&fn,
					  fake::Report *out = nullptr)
{
	const size_t printed = fake::reports().size();
	const ULONG counted = MmshimVerifierReportCount(code, p1);
	const ULONG any = MmshimVerifierReportCount(code, MMSHIM_ANY_PARAMETER);
	const unsigned long total = mmshim_core_verifier_total();
	fn();
	if (fake::reports().size() != printed + 1)
		return ::testing::AssertionFailure()
		       << "expected one report 0x" << std::hex << code << "/0x" << p1 << ", got "
		       << std::dec << fake::reports().size() - printed << ": " << DescribeSince(printed);
	const fake::Report &r = fake::reports().back();
	if (r.code != code || r.params[0] != p1)
		return ::testing::AssertionFailure() << "expected report 0x" << std::hex << code << "/0x"
						     << p1 << ", got " << Describe(r);
	if (MmshimVerifierReportCount(code, p1) != counted + 1 ||
	    MmshimVerifierReportCount(code, MMSHIM_ANY_PARAMETER) != any + 1 ||
	    mmshim_core_verifier_total() != total + 1)
		return ::testing::AssertionFailure() << "report printed but not counted: " << Describe(r);
	if (out)
		*out = r;
	return ::testing::AssertionSuccess();
}

template <typename Fn> ::testing::AssertionResult NoReport(Fn &&fn)
{
	const size_t printed = fake::reports().size();
	const unsigned long total = mmshim_core_verifier_total();
	fn();
	if (fake::reports().size() != printed || mmshim_core_verifier_total() != total)
		return ::testing::AssertionFailure() << "unexpected report: " << DescribeSince(printed);
	return ::testing::AssertionSuccess();
}

#define EXPECT_REPORT(code, p1, stmt) \
	EXPECT_TRUE(::mmshim_test::ReportsExactly((code), (p1), [&] { stmt; }))
#define EXPECT_REPORT_OUT(code, p1, out, stmt) \
	EXPECT_TRUE(::mmshim_test::ReportsExactly((code), (p1), [&] { stmt; }, (out)))
#define EXPECT_NO_REPORT(stmt) EXPECT_TRUE(::mmshim_test::NoReport([&] { stmt; }))

inline SIZE_T PoolBlocks()
{
	SIZE_T blocks = 0, bytes = 0;
	MmshimPoolUsage(&blocks, &bytes);
	return blocks;
}

inline SIZE_T PoolBytes()
{
	SIZE_T blocks = 0, bytes = 0;
	MmshimPoolUsage(&blocks, &bytes);
	return bytes;
}

// A fresh core on a fresh fake for every test. TearDown unloads the core and
// checks that it left nothing behind on the platform, that the test did not
// leak pool or MDLs (unless it says so), that reports were printed with no
// core lock held, and that the fake saw no context-rule violation.
class CoreTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		fake::reset();
		ASSERT_EQ(mmshim_core_init(), 0);
		ASSERT_TRUE(fake::cache_exists());
	}

	void TearDown() override
	{
		fake::set_may_sleep(true);
		const size_t first = fake::reports().size();
		mmshim_core_exit();
		if (!allow_leaks_) {
			for (size_t i = first; i < fake::reports().size(); i++)
				ADD_FAILURE() << "the test leaked: " << Describe(fake::reports()[i]);
		}
		EXPECT_EQ(fake::live_allocs(), 0u) << "mmshim_core_exit left heap blocks";
		EXPECT_EQ(fake::live_pins(), 0u) << "mmshim_core_exit left user pages pinned";
		EXPECT_EQ(fake::live_mappings(), 0u) << "mmshim_core_exit left system mappings";
		EXPECT_EQ(fake::live_cache_objects(), 0u) << "mmshim_core_exit left MDL cache objects";
		EXPECT_EQ(fake::live_reservations(), 0u) << "mmshim_core_exit left reserved mappings";
		EXPECT_FALSE(fake::cache_exists()) << "mmshim_core_exit kept the MDL cache";
		for (const auto &r : fake::reports())
			EXPECT_EQ(r.locks_held, 0u) << "report printed under a core lock: " << Describe(r);
		EXPECT_EQ(fake::locks_held(), 0u);
		for (const auto &v : fake::violations())
			ADD_FAILURE() << "platform rule broken: " << v;
		fake::reset();
	}

	// The test leaves pool or MDLs on purpose for mmshim_core_exit to find.
	void AllowLeaks() { allow_leaks_ = true; }

private:
	bool allow_leaks_ = false;
};

} // namespace mmshim_test
