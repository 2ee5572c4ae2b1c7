// SPDX-License-Identifier: GPL-2.0
// vocab_test.cpp - the base vocabulary on the fake platform: Interlocked*
// values and atomicity from two threads, the Rtl memory routines
// (RtlCompareMemory counts, overlapping RtlMoveMemory), the address-space
// boundary variables, process identity and ExGetPreviousMode,
// MmProbeAndLockProcessPages (current, foreign, NULL process), and
// MmSecureVirtualMemory / MmUnsecureVirtualMemory with bad input.
#include <ntddk.h>

#include <thread>

#include "fake_vocab.h"
#include "test_support.h"

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

// ---- Interlocked ---------------------------------------------------------

TEST(VocabInterlocked, ReturnValuesFollowTheWdk)
{
	LONG volatile v = 5;
	EXPECT_EQ(InterlockedIncrement(&v), 6);
	EXPECT_EQ(InterlockedDecrement(&v), 5);
	EXPECT_EQ(InterlockedExchange(&v, 9), 5);
	EXPECT_EQ(InterlockedExchangeAdd(&v, 3), 9);
	EXPECT_EQ(v, 12);
	EXPECT_EQ(InterlockedAdd(&v, 3), 15);
	EXPECT_EQ(InterlockedCompareExchange(&v, 1, 14), 15); // no match: unchanged
	EXPECT_EQ(v, 15);
	EXPECT_EQ(InterlockedCompareExchange(&v, 1, 15), 15); // match: stored
	EXPECT_EQ(v, 1);
	EXPECT_EQ(InterlockedOr(&v, 6), 1);
	EXPECT_EQ(v, 7);
	EXPECT_EQ(InterlockedAnd(&v, 5), 7);
	EXPECT_EQ(v, 5);
	EXPECT_EQ(InterlockedXor(&v, 0xF), 5);
	EXPECT_EQ(v, 10);
	v = 0x7FFFFFFF; // wraps as the CPU does, no UB in the caller
	EXPECT_EQ(InterlockedIncrement(&v), static_cast<LONG>(0x80000000u));

	LONG64 volatile w = 1LL << 40;
	EXPECT_EQ(InterlockedIncrement64(&w), (1LL << 40) + 1);
	EXPECT_EQ(InterlockedDecrement64(&w), 1LL << 40);
	EXPECT_EQ(InterlockedExchange64(&w, 7), 1LL << 40);
	EXPECT_EQ(InterlockedExchangeAdd64(&w, 1LL << 33), 7);
	EXPECT_EQ(InterlockedAdd64(&w, 1), (1LL << 33) + 8);
	EXPECT_EQ(InterlockedCompareExchange64(&w, 3, 0), (1LL << 33) + 8);
	EXPECT_EQ(InterlockedCompareExchange64(&w, 3, (1LL << 33) + 8), (1LL << 33) + 8);
	EXPECT_EQ(w, 3);
	EXPECT_EQ(InterlockedOr64(&w, 1LL << 50), 3);
	EXPECT_EQ(InterlockedAnd64(&w, 1LL << 50 | 1), (1LL << 50) | 3);
	EXPECT_EQ(InterlockedXor64(&w, 1), (1LL << 50) | 1);
	EXPECT_EQ(w, 1LL << 50);

	int a = 0, b = 0;
	PVOID volatile p = &a;
	EXPECT_EQ(InterlockedExchangePointer(&p, &b), &a);
	EXPECT_EQ(InterlockedCompareExchangePointer(&p, &a, nullptr), &b);
	EXPECT_EQ(p, &b);
	EXPECT_EQ(InterlockedCompareExchangePointer(&p, &a, &b), &b);
	EXPECT_EQ(p, &a);
	KeMemoryBarrier();
	KeMemoryBarrierWithoutFence();
}

TEST(VocabInterlocked, TwoThreadsLoseNoUpdate)
{
	constexpr int kRounds = 200000;
	LONG volatile counter = 0;
	LONG64 volatile counter64 = 0;
	LONG volatile cas_counter = 0;
	LONG volatile bits = 0;
	auto work = [&](int id) {
		for (int i = 0; i < kRounds; i++) {
			InterlockedIncrement(&counter);
			InterlockedExchangeAdd64(&counter64, 2);
			LONG seen;
			do
				seen = cas_counter;
			while (InterlockedCompareExchange(&cas_counter, seen + 1, seen) != seen);
			// Each thread toggles its own bit twice: both end clear.
			InterlockedXor(&bits, 1 << id);
		}
		InterlockedOr(&bits, 0x100 << id);
	};
	std::thread t0(work, 0), t1(work, 1);
	t0.join();
	t1.join();
	EXPECT_EQ(counter, 2 * kRounds);
	EXPECT_EQ(counter64, 4LL * kRounds);
	EXPECT_EQ(cas_counter, 2 * kRounds);
	EXPECT_EQ(bits, 0x300);
}

// ---- helpers and Rtl -----------------------------------------------------

struct Outer {
	int a;
	char pad[13];
	long long field;
};

TEST(VocabMacros, FieldOffsetContainingRecordNumberOf)
{
	Outer o{};
	EXPECT_EQ(FIELD_OFFSET(Outer, field), static_cast<LONG>(offsetof(Outer, field)));
	EXPECT_EQ(RTL_FIELD_SIZE(Outer, pad), 13u);
	EXPECT_EQ(CONTAINING_RECORD(&o.field, Outer, field), &o);
	int arr[7];
	EXPECT_EQ(RTL_NUMBER_OF(arr), 7u);
	EXPECT_EQ(ARRAYSIZE(arr), 7u);
	EXPECT_EQ(CTL_CODE(0x8000u, 0x801u, METHOD_OUT_DIRECT, FILE_READ_ACCESS | FILE_WRITE_ACCESS),
		  0x8000E006u);
	EXPECT_EQ(METHOD_FROM_CTL_CODE(0x8000E006u), static_cast<unsigned>(METHOD_OUT_DIRECT));
	EXPECT_EQ(DEVICE_TYPE_FROM_CTL_CODE(0x8000E006u), 0x8000u);
	EXPECT_TRUE(NT_INFORMATION(STATUS_PENDING) == 0 && NT_SUCCESS(STATUS_PENDING));
	EXPECT_TRUE(NT_WARNING(STATUS_BUFFER_OVERFLOW));
	EXPECT_TRUE(NT_ERROR(STATUS_BUFFER_TOO_SMALL));
	EXPECT_FALSE(NT_SUCCESS(STATUS_INVALID_DEVICE_REQUEST));
}

class VocabTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::vocab_reset();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kKernel, 16 * 4096, 0x100);
		fake::set_user_writable(kUser, kUser + 8 * 4096);
		fake::set_user_readable(kUserRo, kUserRo + 4 * 4096);
	}
	void TearDown() override
	{
		fake::vocab_reset();
		CoreTest::TearDown();
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr uptr kUser = 0x10000000;
	static constexpr uptr kUserRo = 0x20000000;
};

TEST_F(VocabTest, RtlCompareMemoryCountsMatchingBytes)
{
	unsigned char a[64], b[64];
	for (int i = 0; i < 64; i++)
		a[i] = b[i] = static_cast<unsigned char>(i * 7 + 1);
	EXPECT_EQ(RtlCompareMemory(a, b, 64), 64u);
	EXPECT_EQ(RtlCompareMemory(a, b, 0), 0u);
	// A difference at every position, across word boundaries and the tail.
	for (SIZE_T at = 0; at < 64; at++) {
		b[at] ^= 0x80;
		EXPECT_EQ(RtlCompareMemory(a, b, 64), at) << at;
		EXPECT_EQ(RtlCompareMemory(a + 1, b + 1, 63), at ? at - 1 : 63u) << at;
		b[at] ^= 0x80;
	}
	EXPECT_EQ(RtlCompareMemory(a, a, 64), 64u);
	EXPECT_TRUE(RtlEqualMemory(a, b, 64));
	b[63]++;
	EXPECT_FALSE(RtlEqualMemory(a, b, 64));
	EXPECT_TRUE(RtlEqualMemory(a, b, 63));
	EXPECT_NO_REPORT(EXPECT_EQ(RtlCompareMemory(nullptr, nullptr, 0), 0u));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(RtlCompareMemory(nullptr, b, 4), 0u));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(RtlCompareMemory(a, nullptr, 4), 0u));
}

TEST_F(VocabTest, RtlCopyMoveFillZero)
{
	unsigned char buf[32];
	for (int i = 0; i < 32; i++)
		buf[i] = static_cast<unsigned char>(i);
	RtlMoveMemory(buf + 4, buf, 16); // overlapping, forwards
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(buf[4 + i], i);
	for (int i = 0; i < 32; i++)
		buf[i] = static_cast<unsigned char>(i);
	RtlMoveMemory(buf, buf + 4, 16); // overlapping, backwards
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(buf[i], i + 4);
	unsigned char dst[8];
	RtlCopyMemory(dst, buf, 8);
	EXPECT_EQ(RtlCompareMemory(dst, buf, 8), 8u);
	RtlFillMemory(dst, 5, 0xAB);
	EXPECT_EQ(dst[4], 0xAB);
	EXPECT_EQ(dst[5], buf[5]);
	RtlZeroMemory(dst, 3);
	EXPECT_EQ(dst[2], 0);
	EXPECT_EQ(dst[3], 0xAB);
	EXPECT_EQ(RtlSecureZeroMemory(dst, sizeof(dst)), static_cast<PVOID>(dst));
	for (unsigned char c : dst)
		EXPECT_EQ(c, 0);
}

TEST_F(VocabTest, AddressBoundariesAreTheCoresUserKernelBoundary)
{
	// Set at core init from the platform's boundary: reload the core so it
	// sees the one this fixture set.
	mmshim_core_exit();
	ASSERT_EQ(mmshim_core_init(), 0);
	EXPECT_EQ(MmUserProbeAddress, 0x0000800000000000ULL);
	EXPECT_EQ(MmUserProbeAddress, mmshim_plat_kernel_space_start());
	EXPECT_EQ(reinterpret_cast<uptr>(MmHighestUserAddress), MmUserProbeAddress - 1);
	EXPECT_EQ(reinterpret_cast<uptr>(MmSystemRangeStart), MmUserProbeAddress);
	EXPECT_EQ(MM_USER_PROBE_ADDRESS, MmUserProbeAddress);
	EXPECT_EQ(MM_HIGHEST_USER_ADDRESS, MmHighestUserAddress);
	EXPECT_EQ(MM_SYSTEM_RANGE_START, MmSystemRangeStart);
	// The probe routines agree with the variable at the boundary.
	MMSHIM_SEH_FRAME frame{};
	MmshimSehPush(&frame);
	const size_t resumes = fake::seh_resumes().size();
	ProbeForRead(reinterpret_cast<PVOID>(MmUserProbeAddress - 16), 16, 1);
	EXPECT_EQ(fake::seh_resumes().size(), resumes); // last byte is MmHighestUserAddress: fine
	ProbeForRead(reinterpret_cast<PVOID>(MmUserProbeAddress - 16), 17, 1);
	EXPECT_EQ(fake::seh_resumes().size(), resumes + 1); // one byte over: raised
	EXPECT_EQ(frame.Code, STATUS_ACCESS_VIOLATION);
	fake::clear_reports(); // the fake's refused jump reports a stale frame
}

TEST_F(VocabTest, ProcessIdentityIsTheLockOwner)
{
	EXPECT_EQ(reinterpret_cast<uptr>(PsGetCurrentProcess()), fake::kFakeProcess);
	EXPECT_EQ(IoGetCurrentProcess(), PsGetCurrentProcess());
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kUser), 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	EXPECT_EQ(m->Process, PsGetCurrentProcess());
	MmUnlockPages(m);
	IoFreeMdl(m);

	// A task without an address space: the System stand-in, never NULL,
	// and the same value each time.
	fake::set_current_process(nullptr);
	PEPROCESS sys = PsGetCurrentProcess();
	EXPECT_NE(sys, nullptr);
	EXPECT_NE(reinterpret_cast<uptr>(sys), fake::kFakeProcess);
	EXPECT_EQ(PsGetCurrentProcess(), sys);
	fake::set_current_process(reinterpret_cast<void *>(fake::kFakeProcess));

	fake::set_current_ids(77, 78);
	EXPECT_EQ(PsGetCurrentProcessId(), reinterpret_cast<HANDLE>(77));
	EXPECT_EQ(PsGetCurrentThreadId(), reinterpret_cast<HANDLE>(78));
}

TEST_F(VocabTest, PreviousModeFollowsThePlatformContext)
{
	fake::set_user_context(true);
	EXPECT_EQ(ExGetPreviousMode(), UserMode);
	fake::set_user_context(false);
	EXPECT_EQ(ExGetPreviousMode(), KernelMode);
}

class VocabSehTest : public VocabTest {
protected:
	void SetUp() override
	{
		VocabTest::SetUp();
		MmshimSehPush(&frame_);
	}
	void TearDown() override
	{
		MmshimSehPop(&frame_);
		VocabTest::TearDown();
	}
	// The status fn raised to our frame (STATUS_SUCCESS if none); *count
	// gets how many verifier reports of (0xC4, p1) it made.
	template <typename Fn> NTSTATUS Raised(ULONG_PTR p1, ULONG *count, Fn &&fn)
	{
		const size_t before = fake::seh_resumes().size();
		const ULONG reports = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, p1);
		fn();
		*count = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, p1) - reports;
		if (fake::seh_resumes().size() == before)
			return STATUS_SUCCESS;
		const NTSTATUS code = frame_.Code;
		MmshimSehPush(&frame_); // the raise took it off the chain
		fake::clear_reports();  // the fake's refused jump reports a stale frame
		return code;
	}
	MMSHIM_SEH_FRAME frame_{};
};

TEST_F(VocabSehTest, ProbeAndLockProcessPagesCurrentForeignNull)
{
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kUser + 0x10), 2 * 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	ULONG n = 0;
	// The current process: locked exactly as MmProbeAndLockPages does.
	EXPECT_EQ(Raised(MMSHIM_VRF_FOREIGN_PROCESS, &n,
			 [&] { MmProbeAndLockProcessPages(m, PsGetCurrentProcess(), UserMode, IoWriteAccess); }),
		  STATUS_SUCCESS);
	EXPECT_EQ(n, 0u);
	EXPECT_TRUE(m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_EQ(m->Process, PsGetCurrentProcess());
	EXPECT_EQ(fake::live_pins(), 1u);
	MmUnlockPages(m);
	EXPECT_EQ(fake::live_pins(), 0u);

	// Another process: reported, raised, nothing pinned, MDL untouched.
	int other;
	const PEPROCESS foreign = reinterpret_cast<PEPROCESS>(&other);
	EXPECT_EQ(Raised(MMSHIM_VRF_FOREIGN_PROCESS, &n,
			 [&] { MmProbeAndLockProcessPages(m, foreign, UserMode, IoWriteAccess); }),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(n, 1u);
	EXPECT_FALSE(m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_EQ(fake::live_pins(), 0u);

	// The System stand-in has no user space either.
	fake::set_current_process(nullptr);
	const PEPROCESS sys = PsGetCurrentProcess();
	fake::set_current_process(reinterpret_cast<void *>(fake::kFakeProcess));
	EXPECT_EQ(Raised(MMSHIM_VRF_FOREIGN_PROCESS, &n,
			 [&] { MmProbeAndLockProcessPages(m, sys, KernelMode, IoReadAccess); }),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(n, 1u);
	// ... and in a kernel thread, even "the current process" has none.
	fake::set_current_process(nullptr);
	EXPECT_EQ(Raised(MMSHIM_VRF_FOREIGN_PROCESS, &n,
			 [&] { MmProbeAndLockProcessPages(m, PsGetCurrentProcess(), KernelMode, IoReadAccess); }),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(n, 1u);
	fake::set_current_process(reinterpret_cast<void *>(fake::kFakeProcess));

	// NULL Process: reported and raised.
	EXPECT_EQ(Raised(MMSHIM_VRF_NULL_ARGUMENT, &n,
			 [&] { MmProbeAndLockProcessPages(m, nullptr, UserMode, IoWriteAccess); }),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(n, 1u);
	EXPECT_FALSE(m->MdlFlags & MDL_PAGES_LOCKED);
	IoFreeMdl(m);

	// Kernel addresses are shared by every process: any Process locks them.
	PMDL k = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(k, nullptr);
	EXPECT_EQ(Raised(MMSHIM_VRF_FOREIGN_PROCESS, &n,
			 [&] { MmProbeAndLockProcessPages(k, foreign, KernelMode, IoReadAccess); }),
		  STATUS_SUCCESS);
	EXPECT_EQ(n, 0u);
	EXPECT_TRUE(k->MdlFlags & MDL_PAGES_LOCKED);
	MmUnlockPages(k);
	// A kernel address probed in UserMode still raises, as in MmProbeAndLockPages.
	EXPECT_EQ(Raised(MMSHIM_VRF_FOREIGN_PROCESS, &n,
			 [&] { MmProbeAndLockProcessPages(k, PsGetCurrentProcess(), UserMode, IoReadAccess); }),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_FALSE(k->MdlFlags & MDL_PAGES_LOCKED);
	IoFreeMdl(k);
}

TEST_F(VocabTest, SecureVirtualMemoryPinsUntilUnsecured)
{
	HANDLE h = nullptr;
	EXPECT_NO_REPORT(h = MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUser + 0x20), 3 * 4096, PAGE_READWRITE));
	ASSERT_NE(h, nullptr);
	EXPECT_EQ(fake::live_pins(), 1u);
	EXPECT_EQ(MmshimSecuredRangeCount(), 1u);
	// A read-only range can be secured for reading, not for writing.
	HANDLE r = MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUserRo), 4096, PAGE_READONLY);
	EXPECT_NE(r, nullptr);
	EXPECT_NO_REPORT(EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUserRo), 4096, PAGE_READWRITE),
				   nullptr));
	// Not mapped at all: NULL, nothing held.
	EXPECT_NO_REPORT(EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(0x30000000), 4096, PAGE_READONLY),
				   nullptr));
	EXPECT_EQ(fake::live_pins(), 2u);
	EXPECT_NO_REPORT(MmUnsecureVirtualMemory(h));
	EXPECT_NO_REPORT(MmUnsecureVirtualMemory(r));
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(MmshimSecuredRangeCount(), 0u);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	// Released twice: reported, nothing else.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SECURE_HANDLE_UNKNOWN,
		      MmUnsecureVirtualMemory(h));
}

TEST_F(VocabTest, SecureVirtualMemoryLargeRangeSpansSeveralMdls)
{
	const uptr big = 0x40000000;
	const SIZE_T bytes = 5000 * 4096 + 100; // three chunks of at most 2048 pages
	fake::set_user_writable(big, big + bytes + 4096);
	HANDLE h = MmSecureVirtualMemory(reinterpret_cast<PVOID>(big + 100), bytes, PAGE_READWRITE);
	ASSERT_NE(h, nullptr);
	EXPECT_EQ(fake::live_pins(), 3u);
	EXPECT_EQ(MmshimLockedMdlCount(), 3u);
	MmUnsecureVirtualMemory(h);
	EXPECT_EQ(fake::live_pins(), 0u);
	// A hole in the last chunk: the earlier chunks are released again.
	fake::set_user_writable(0x50000000, 0x50000000 + 4096 * 4096);
	EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(0x50000000), 4097 * 4096, PAGE_READONLY), nullptr);
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
}

TEST_F(VocabTest, SecureVirtualMemoryBadInputIsReported)
{
	const auto bad = MMSHIM_VRF_BAD_ARGUMENT;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmSecureVirtualMemory(nullptr, 4096, PAGE_READWRITE), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, bad,
		      EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUser), 0, PAGE_READWRITE), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, bad,
		      EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUser), 4096, PAGE_EXECUTE_READWRITE),
				nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, bad,
		      EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(kKernel), 4096, PAGE_READONLY), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, bad,
		      EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUser), ~static_cast<SIZE_T>(0),
						      PAGE_READONLY),
				nullptr));
	fake::set_may_sleep(false);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      EXPECT_EQ(MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUser), 4096, PAGE_READONLY), nullptr));
	fake::set_may_sleep(true);
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, MmUnsecureVirtualMemory(nullptr));
	int not_a_handle;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SECURE_HANDLE_UNKNOWN,
		      MmUnsecureVirtualMemory(&not_a_handle));
}

TEST_F(VocabTest, UnsecureAtDispatchIsReportedAndStillReleases)
{
	HANDLE h = MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUser), 4096, PAGE_READWRITE);
	ASSERT_NE(h, nullptr);
	fake::set_may_sleep(false);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, MmUnsecureVirtualMemory(h));
	fake::set_may_sleep(true);
	EXPECT_EQ(MmshimSecuredRangeCount(), 0u);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	// The unpin was handed to "the worker".
	EXPECT_EQ(fake::live_pins(), 1u);
	fake::run_deferred();
	EXPECT_EQ(fake::live_pins(), 0u);
}

TEST_F(VocabTest, UnloadReleasesAndReportsSecuredRanges)
{
	HANDLE h = MmSecureVirtualMemory(reinterpret_cast<PVOID>(kUser), 2 * 4096, PAGE_READWRITE);
	ASSERT_NE(h, nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SECURED_LEAKED_AT_UNLOAD, {
		mmshim_core_exit();
	});
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);
	ASSERT_EQ(mmshim_core_init(), 0);
}

} // namespace
