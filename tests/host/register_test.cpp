// SPDX-License-Identifier: GPL-2.0
// register_test.cpp - include/mmshim/register.h on ordinary memory (widths,
// values, consecutive registers for the buffer variants; port I/O needs
// ring 0 and is covered by KUnit), and on the fake platform
// MmAllocateMdlForIoSpace (PFN array, flags, mapping, every bad input) and
// MmMapVideoDisplay / MmUnmapVideoDisplay.
#include "test_support.h"
#include "fake_physmem.h"

#include <ntddk.h>

#include <cstring>

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

TEST(RegisterAccess, EachWidthReadsAndWritesExactlyItsBytes)
{
	alignas(8) volatile UCHAR regs[32];
	for (unsigned i = 0; i < sizeof(regs); i++)
		regs[i] = static_cast<UCHAR>(i);
	EXPECT_EQ(READ_REGISTER_UCHAR(&regs[3]), 3);
	EXPECT_EQ(READ_REGISTER_USHORT(reinterpret_cast<volatile USHORT *>(&regs[2])), 0x0302);
	EXPECT_EQ(READ_REGISTER_ULONG(reinterpret_cast<volatile ULONG *>(&regs[4])), 0x07060504u);
	EXPECT_EQ(READ_REGISTER_ULONG64(reinterpret_cast<volatile ULONG64 *>(&regs[8])), 0x0f0e0d0c0b0a0908ull);

	WRITE_REGISTER_UCHAR(&regs[0], 0xaa);
	WRITE_REGISTER_USHORT(reinterpret_cast<volatile USHORT *>(&regs[2]), 0xbbcc);
	WRITE_REGISTER_ULONG(reinterpret_cast<volatile ULONG *>(&regs[4]), 0x11223344);
	WRITE_REGISTER_ULONG64(reinterpret_cast<volatile ULONG64 *>(&regs[8]), 0x5566778899aabbccull);
	const UCHAR want[16] = {0xaa, 1, 0xcc, 0xbb, 0x44, 0x33, 0x22, 0x11,
				0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55};
	for (unsigned i = 0; i < 16; i++)
		EXPECT_EQ(regs[i], want[i]) << "byte " << i;
	EXPECT_EQ(regs[16], 16); // nothing beyond
}

TEST(RegisterAccess, BufferVariantsWalkConsecutiveRegisters)
{
	alignas(8) volatile ULONG64 regs[4] = {0x1111111111111111ull, 0x2222222222222222ull, 0x3333333333333333ull,
					       0x4444444444444444ull};
	ULONG64 q[3] = {};
	READ_REGISTER_BUFFER_ULONG64(regs, q, 3);
	EXPECT_EQ(q[0], 0x1111111111111111ull);
	EXPECT_EQ(q[2], 0x3333333333333333ull);
	ULONG l[3] = {};
	READ_REGISTER_BUFFER_ULONG(reinterpret_cast<volatile ULONG *>(regs), l, 3);
	EXPECT_EQ(l[1], 0x11111111u);
	EXPECT_EQ(l[2], 0x22222222u);
	USHORT s[5] = {};
	READ_REGISTER_BUFFER_USHORT(reinterpret_cast<volatile USHORT *>(&regs[1]), s, 5);
	EXPECT_EQ(s[3], 0x2222);
	EXPECT_EQ(s[4], 0x3333);
	UCHAR b[9] = {};
	READ_REGISTER_BUFFER_UCHAR(reinterpret_cast<volatile UCHAR *>(&regs[2]), b, 9);
	EXPECT_EQ(b[7], 0x33);
	EXPECT_EQ(b[8], 0x44);

	const UCHAR in_b[3] = {1, 2, 3};
	WRITE_REGISTER_BUFFER_UCHAR(reinterpret_cast<volatile UCHAR *>(&regs[0]), const_cast<PUCHAR>(in_b), 3);
	EXPECT_EQ(regs[0], 0x1111111111030201ull);
	USHORT in_s[2] = {0xabcd, 0x1234};
	WRITE_REGISTER_BUFFER_USHORT(reinterpret_cast<volatile USHORT *>(&regs[1]), in_s, 2);
	EXPECT_EQ(regs[1], 0x222222221234abcdull);
	ULONG in_l[3] = {0xdeadbeef, 0xfeedface, 0x01020304};
	WRITE_REGISTER_BUFFER_ULONG(reinterpret_cast<volatile ULONG *>(&regs[2]), in_l, 3);
	EXPECT_EQ(regs[2], 0xfeedfacedeadbeefull);
	EXPECT_EQ(regs[3], 0x4444444401020304ull);
	ULONG64 in_q[2] = {5, 6};
	WRITE_REGISTER_BUFFER_ULONG64(regs, in_q, 2);
	EXPECT_EQ(regs[0], 5u);
	EXPECT_EQ(regs[1], 6u);
	EXPECT_EQ(regs[2], 0xfeedfacedeadbeefull);
	// A count of 0 touches nothing.
	WRITE_REGISTER_BUFFER_ULONG64(regs, in_q, 0);
	READ_REGISTER_BUFFER_ULONG64(regs, q, 0);
	EXPECT_EQ(q[0], 0x1111111111111111ull);
}

class IoMdlTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::physmem_reset();
		// Frames from 1 GiB on are device memory (RAM below).
		fake::set_ram_end(kIoPfn);
		for (unsigned long long pfn = kIoPfn; pfn < kIoPfn + 128; pfn++)
			fake::add_io_pfn(pfn); // what the mapping code asks (pfn_is_ram)
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		EXPECT_EQ(fake::live_ioremaps(), 0u) << "ioremaps leaked";
		fake::physmem_reset();
	}
	static constexpr unsigned long long kIoPfn = 0x40000;
	static MM_PHYSICAL_ADDRESS_LIST Range(unsigned long long phys, SIZE_T bytes)
	{
		MM_PHYSICAL_ADDRESS_LIST e;
		e.PhysicalAddress = Pa(phys);
		e.NumberOfBytes = bytes;
		return e;
	}
};

TEST_F(IoMdlTest, DescribesTheRangesInOrder)
{
	MM_PHYSICAL_ADDRESS_LIST list[3] = {Range((kIoPfn + 8) << 12, 0x2000), Range(kIoPfn << 12, 0x1000),
					    Range((kIoPfn + 100) << 12, 0x3000)};
	PMDL m = nullptr;
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocateMdlForIoSpace(list, 3, &m), STATUS_SUCCESS));
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(MmshimLiveMdlCount(), 1u);
	EXPECT_EQ(MmGetMdlByteCount(m), 0x6000u);
	EXPECT_EQ(MmGetMdlByteOffset(m), 0u);
	EXPECT_EQ(MmGetMdlVirtualAddress(m), nullptr);
	EXPECT_EQ(m->MdlFlags & (MDL_IO_SPACE | MDL_PAGES_LOCKED), MDL_IO_SPACE | MDL_PAGES_LOCKED);
	EXPECT_FALSE(m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL));
	const PFN_NUMBER want[6] = {kIoPfn + 8, kIoPfn + 9, kIoPfn, kIoPfn + 100, kIoPfn + 101, kIoPfn + 102};
	for (unsigned i = 0; i < 6; i++)
		EXPECT_EQ(MmGetMdlPfnArray(m)[i], want[i]) << "PFN " << i;
	// Not contiguous: the device frames cannot be mapped in one ioremap.
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, nullptr, FALSE,
							     NormalPagePriority),
				nullptr));
	// Not locked by MmProbeAndLockPages: MmUnlockPages is refused, nothing changes.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED, MmUnlockPages(m));
	EXPECT_EQ(m->MdlFlags & (MDL_IO_SPACE | MDL_PAGES_LOCKED), MDL_IO_SPACE | MDL_PAGES_LOCKED);
	EXPECT_EQ(MmGetMdlPfnArray(m)[5], kIoPfn + 102);
	EXPECT_NO_REPORT(IoFreeMdl(m));
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
}

TEST_F(IoMdlTest, AContiguousMdlMapsWithTheCacheTypeAskedAndFreesWithIoFreeMdl)
{
	MM_PHYSICAL_ADDRESS_LIST list[2] = {Range(kIoPfn << 12, 0x1000), Range((kIoPfn + 1) << 12, 0x1000)};
	PMDL m = nullptr;
	ASSERT_EQ(MmAllocateMdlForIoSpace(list, 2, &m), STATUS_SUCCESS);
	PVOID va = nullptr;
	EXPECT_NO_REPORT(va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmWriteCombined, nullptr, FALSE,
							   NormalPagePriority));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(fake::live_ioremaps(), 1u);
	EXPECT_TRUE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_NO_REPORT(MmUnmapLockedPages(va, m));
	EXPECT_EQ(fake::live_ioremaps(), 0u);
	EXPECT_NO_REPORT(IoFreeMdl(m));
	// Freed while mapped: unmapped first, reported (as for any MDL).
	ASSERT_EQ(MmAllocateMdlForIoSpace(list, 1, &m), STATUS_SUCCESS);
	ASSERT_NE(MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, nullptr, FALSE, NormalPagePriority),
		  nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_MAPPED, IoFreeMdl(m));
	EXPECT_EQ(fake::live_ioremaps(), 0u);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
}

TEST_F(IoMdlTest, WorksWithASpinLockHeld)
{
	MM_PHYSICAL_ADDRESS_LIST list[1] = {Range(kIoPfn << 12, 0x4000)};
	PMDL m = nullptr;
	fake::set_may_sleep(false);
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocateMdlForIoSpace(list, 1, &m), STATUS_SUCCESS));
	fake::set_may_sleep(true);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(MmGetMdlPfnArray(m)[3], kIoPfn + 3);
	IoFreeMdl(m);
}

TEST_F(IoMdlTest, BadInputIsRefusedAndReported)
{
	const unsigned long long io = kIoPfn << 12;
	MM_PHYSICAL_ADDRESS_LIST one[1] = {Range(io, 0x1000)};
	PMDL m = reinterpret_cast<PMDL>(0x1234);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmAllocateMdlForIoSpace(one, 1, nullptr), STATUS_INVALID_PARAMETER_3));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmAllocateMdlForIoSpace(nullptr, 1, &m), STATUS_INVALID_PARAMETER_1));
	EXPECT_EQ(m, nullptr); // cleared on failure
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      EXPECT_EQ(MmAllocateMdlForIoSpace(one, 0, &m), STATUS_INVALID_PARAMETER_2));

	struct Case {
		MM_PHYSICAL_ADDRESS_LIST second;
		ULONG_PTR reason;
	};
	const Case cases[] = {
		{Range(io + 0x2000, 0), MMSHIM_FAIL_ZERO_LENGTH},
		{Range(io + 0x2010, 0x1000), MMSHIM_FAIL_NOT_ALIGNED},
		{Range(io + 0x2000, 0x1800), MMSHIM_FAIL_NOT_ALIGNED},
		{Range(0x100000, 0x1000), MMSHIM_FAIL_RAM_AS_IO_SPACE},         // RAM
		{Range(io - 0x1000, 0x2000), MMSHIM_FAIL_RAM_AS_IO_SPACE},      // RAM and device
		{Range(~0xfffULL, 0x2000), MMSHIM_FAIL_RANGE_WRAPS},           // negative
		{Range(0x7ffffffffffff000ULL, ~0xfffULL), MMSHIM_FAIL_RANGE_WRAPS}, // wraps
		{Range(1ULL << 50, 0x1000), MMSHIM_FAIL_BAD_ADDRESS},           // beyond the CPU
		{Range(io + 0x100000, 0xFFFFF000UL), MMSHIM_FAIL_LENGTH_TOO_LARGE}, // total >= 4 GiB
	};
	for (const Case &c : cases) {
		MM_PHYSICAL_ADDRESS_LIST list[2] = {one[0], c.second};
		m = reinterpret_cast<PMDL>(0x1234);
		const size_t before = fake::reports().size();
		EXPECT_REPORT(MMSHIM_CALL_FAILED, c.reason,
			      EXPECT_EQ(MmAllocateMdlForIoSpace(list, 2, &m), STATUS_INVALID_PARAMETER_1));
		EXPECT_EQ(m, nullptr);
		ASSERT_EQ(fake::reports().size(), before + 1);
		EXPECT_EQ(fake::reports().back().params[1], 1u) << "the entry's index";
		EXPECT_EQ(fake::reports().back().routine, "MmAllocateMdlForIoSpace");
	}
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
}

TEST_F(IoMdlTest, VideoDisplayIsMmMapIoSpaceUnderAnotherName)
{
	const unsigned long long io = (kIoPfn << 12) + 0x20;
	PVOID va = nullptr;
	EXPECT_NO_REPORT(va = MmMapVideoDisplay(Pa(io), 0x2000, MmWriteCombined));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va) & 0xfff, 0x20u);
	EXPECT_EQ(fake::live_ioremaps(), 1u);
	EXPECT_EQ(MmshimIoSpaceMappingCount(), 1u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_SIZE_MISMATCH, MmUnmapVideoDisplay(va, 0x10));
	EXPECT_EQ(fake::reports().back().routine, "MmUnmapVideoDisplay");
	EXPECT_NO_REPORT(MmUnmapVideoDisplay(va, 0x2000));
	EXPECT_EQ(fake::live_ioremaps(), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED, MmUnmapVideoDisplay(va, 0x2000));
	// The same records as MmMapIoSpace: either unmaps the other's mapping.
	va = MmMapVideoDisplay(Pa(io), 0x1000, MmNonCached);
	ASSERT_NE(va, nullptr);
	EXPECT_NO_REPORT(MmUnmapIoSpace(va, 0x1000));
	va = MmMapIoSpace(Pa(io), 0x1000, MmNonCached);
	EXPECT_NO_REPORT(MmUnmapVideoDisplay(va, 0x1000));
	EXPECT_EQ(MmshimIoSpaceMappingCount(), 0u);
	// Bad input: as MmMapIoSpace, named MmMapVideoDisplay.
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmMapVideoDisplay(Pa(io), 0x1000, MmNotMapped), nullptr));
	EXPECT_EQ(fake::reports().back().routine, "MmMapVideoDisplay");
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      EXPECT_EQ(MmMapVideoDisplay(Pa(io), 0, MmNonCached), nullptr));
	fake::set_may_sleep(false);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_IRQL,
		      EXPECT_EQ(MmMapVideoDisplay(Pa(io), 0x1000, MmNonCached), nullptr));
	fake::set_may_sleep(true);
	EXPECT_EQ(fake::live_ioremaps(), 0u);
}

} // namespace

extern "C" int mmshim_c_register_check(ULONG64 *mem);

TEST(RegisterAccess, HeaderIsPedanticCWithTheWdkFunctionTypes)
{
	alignas(8) ULONG64 mem[8] = {};
	EXPECT_EQ(mmshim_c_register_check(mem), 31);
	EXPECT_EQ(mem[0], 0xf012u);
	EXPECT_EQ(mem[1], 0xf0f03456u);
	EXPECT_EQ(mem[2], 0xf0f0f0f0789abcdeull);
	EXPECT_EQ(mem[3], 0x0102030405060708ull);
	EXPECT_EQ(mem[4], 0xf0f0f0f0f0f0f0f0ull);
}
