// SPDX-License-Identifier: GPL-2.0
// c_header_vocab_test.cpp - what c_header_vocab.c (plain C11, -pedantic)
// computed with the base vocabulary, against the same expressions in C++.
#include <ntddk.h>

#include "c_header_vocab.h"
#include "fake_vocab.h"
#include "test_support.h"

namespace {

using namespace mmshim_test;

class CHeaderVocabTest : public CoreTest {};

struct Outer {
	int a;
	char pad[13];
	LONG64 field;
};

TEST_F(CHeaderVocabTest, BaseVocabularyIsValidCAndAgreesWithCxx)
{
	fake::vocab_reset();
	fake::set_current_ids(321, 322);
	fake::set_user_context(false);
	c_vocab_values v{};
	EXPECT_EQ(mmshim_c_header_vocab(&v), 28);

	EXPECT_EQ(v.field_offset, FIELD_OFFSET(Outer, field));
	EXPECT_EQ(v.field_offset, 24);
	EXPECT_EQ(v.field_size, 13u);
	EXPECT_EQ(v.containing_ok, 1);
	EXPECT_EQ(v.number_of, 7u);
	EXPECT_EQ(v.array_size, 7u);
	EXPECT_EQ(v.number_of_v1, 7u);
	EXPECT_EQ(v.number_of_v2, 7u);
	EXPECT_EQ(v.handle_size, 16u);
	EXPECT_EQ(v.long64_size, 16u);

	// CTL_CODE(0x8000, 0x801, METHOD_OUT_DIRECT, read|write): the WDK's bit layout.
	EXPECT_EQ(v.ctl_code, 0x8000E006u);
	EXPECT_EQ(v.ctl_code, static_cast<unsigned long>(CTL_CODE(0x8000UL, 0x801UL, METHOD_OUT_DIRECT,
								   FILE_READ_ACCESS | FILE_WRITE_ACCESS)));
	EXPECT_EQ(v.ctl_parts, 2u | 0x8000u << 4);
	EXPECT_EQ(v.methods, 0u | 1u << 2 | 2u << 4 | 3u << 6 | 1u << 8 | 2u << 10);
	EXPECT_EQ(v.access, 0u | 0u << 2 | 1u << 4 | 2u << 6);

	// The WDK's values, summed independently here.
	const unsigned long statuses[] = {
		0x00000000, 0x00000080, 0x000000C0, 0x00000101, 0x00000102, 0x00000103, 0x80000001,
		0x80000003, 0x80000004, 0x80000005, 0x8000000D, 0x80000011, 0x8000001A, 0xC0000004,
		0xC0000008, 0xC000000E, 0xC0000010, 0xC0000011, 0xC0000016, 0xC0000022, 0xC0000023,
		0xC0000030, 0xC0000034, 0xC0000045, 0xC0000056, 0xC0000095, 0xC00000A3, 0xC00000BB,
		0xC00000E8, 0xC0000120, 0xC0000184, 0xC0000185, 0xC0000206, 0xC0000225, 0xC00002B6,
		0xC0000002};
	unsigned long sum = 0;
	for (unsigned long s : statuses)
		sum += s;
	EXPECT_EQ(v.status_sum, sum);
	EXPECT_EQ(v.nt_classes, 1 | 0 << 1 | 1 << 2 | 1 << 3 | 0 << 4);

	EXPECT_EQ(v.interlocked32, 1);
	EXPECT_EQ(v.interlocked64, 1);
	EXPECT_EQ(v.interlocked_ptr, 1);
	EXPECT_EQ(v.compare, 9u);
	EXPECT_EQ(v.equal, 1);
	EXPECT_EQ(v.zeroed, 1);
	EXPECT_EQ(v.secure_zeroed, 1);
	EXPECT_EQ(v.probe_address_agrees, 1);
	EXPECT_EQ(MmUserProbeAddress, mmshim_plat_kernel_space_start());
	EXPECT_EQ(v.process_is_current, 1);
	EXPECT_EQ(v.process_id, 321u);
	EXPECT_EQ(v.thread_id, 322u);
	EXPECT_EQ(v.previous_mode, KernelMode);
	EXPECT_EQ(v.lock_and_secure_linked, 1);
	fake::vocab_reset();
}

} // namespace
