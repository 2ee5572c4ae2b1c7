// SPDX-License-Identifier: GPL-2.0
// c_header_test.cpp - checks what c_header_check.c (plain C11, -pedantic)
// computed with include/wdm.h, so a header that C sees differently from
// C++ fails here.
#include "c_header_check.h"
#include "test_support.h"

namespace {

using namespace mmshim_test;

class CHeaderTest : public CoreTest {};

TEST_F(CHeaderTest, WdmHeaderIsValidCAndAgreesWithCxx)
{
	c_header_values v{};
	EXPECT_EQ(mmshim_c_header_check(&v), 42);

	// Layout: the x64 MDL, as C sees it, equals what C++ sees.
	EXPECT_EQ(v.sizeof_mdl, 48u);
	EXPECT_EQ(v.sizeof_mdl, sizeof(MDL));
	EXPECT_EQ(v.offsetof_size, offsetof(MDL, Size));
	EXPECT_EQ(v.offsetof_mdl_flags, 10u);
	EXPECT_EQ(v.offsetof_process, 16u);
	EXPECT_EQ(v.offsetof_mapped_system_va, 24u);
	EXPECT_EQ(v.offsetof_start_va, 32u);
	EXPECT_EQ(v.offsetof_byte_count, 40u);
	EXPECT_EQ(v.offsetof_byte_offset, 44u);
	EXPECT_EQ(v.sizeof_ulong, 4u);
	EXPECT_EQ(v.sizeof_ulong_ptr, 8u);
	EXPECT_EQ(v.sizeof_pfn_number, 8u);
	EXPECT_EQ(v.sizeof_large_integer, 8u);
	EXPECT_EQ(v.sizeof_boolean, 1u);
	EXPECT_EQ(v.sizeof_cshort, 2u);

	// Macros.
	EXPECT_EQ(v.page_align, 0x12345000u);
	EXPECT_EQ(v.byte_offset, 0x678u);
	EXPECT_EQ(v.bytes_to_pages_0, 0u);
	EXPECT_EQ(v.bytes_to_pages_1, 1u);
	EXPECT_EQ(v.bytes_to_pages_4097, 2u);
	EXPECT_EQ(v.round_to_pages_1, 4096u);
	EXPECT_EQ(v.span_pages_no_wrap, 0x100000u);
	EXPECT_EQ(v.max_mdl_length, 0xFFFFF000u);

	EXPECT_EQ(v.init_size, 48 + 4 * 8);
	EXPECT_EQ(v.init_flags, 0);
	EXPECT_EQ(v.init_next_is_null, 1);
	EXPECT_EQ(v.init_start_va, 0xffff888000001000UL);
	EXPECT_EQ(v.init_byte_offset, 0x234u);
	EXPECT_EQ(v.init_byte_count, 0x3000u);
	EXPECT_EQ(v.pfn_array_offset, 48u);
	EXPECT_EQ(v.virtual_address, 0xffff888000001234UL);

	EXPECT_EQ(v.nt_success_of_success, 1);
	EXPECT_EQ(v.nt_success_of_no_memory, 0);
	EXPECT_EQ(v.nt_error_of_no_memory, 1);
	EXPECT_EQ(v.pool_flag_non_paged, 0x40u);
	EXPECT_EQ(v.pool_type_nx, 512u);

	// Calls from C reached the core with C linkage and the right ABI.
	EXPECT_EQ(v.size_of_mdl, 64u);
	EXPECT_EQ(v.mdl_allocated, 1);
	EXPECT_EQ(v.mdl_fixed_size, 1);
	EXPECT_EQ(v.mdl_freed, 1);
	EXPECT_EQ(v.pool_allocated, 1);
	EXPECT_EQ(v.pool_aligned, 1);
	EXPECT_EQ(v.pool_freed, 1);
	EXPECT_TRUE(fake::reports().empty()) << DescribeSince(0);
}

} // namespace
