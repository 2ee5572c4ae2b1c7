// SPDX-License-Identifier: GPL-2.0
// mmcopy.cpp - MmCopyMemory, MmGetVirtualForPhysical,
// MmIsNonPagedSystemAddressValid, MmGetPhysicalMemoryRanges.
//
// MmCopyMemory reads a page at a time, so the count it returns when the
// source stops being readable is exact to the page (faults are per page).
// Before each page is read, mmshim decides what it is: a kernel virtual
// address must be mapped (mmshim_plat_kva_to_pfn) and backed by RAM, a user
// address must belong to the current process, a physical address must be
// System RAM with a struct page. Device memory is never read: a read of a
// register can have side effects (Windows also refuses I/O space). The copy
// itself is fault-safe (copy_from_kernel_nofault, copy_from_user), so a
// mapping that goes away between the check and the read costs a failed
// status, never an oops.
#include <ntddk.h>
#include "pool.h"
#include "verifier.h"

namespace mmshim::mmcopy {
namespace {

constexpr ULONG kRangesTag = 0x52506d4d; // "MmPR"

void report_failure(uptr reason, uptr p2, uptr p3, uptr p4, const char *routine, const char *what,
		    void *caller)
{
	verifier::report(MMSHIM_CALL_FAILED, reason, p2, p3, p4, routine, what, caller);
}

// One page's worth of a virtual source: STATUS_SUCCESS, or why it stops;
// *copied says how many of its bytes were copied either way.
NTSTATUS copy_virtual_chunk(UCHAR *dst, uptr src, uptr n, uptr *copied)
{
	*copied = 0;
	if (src < mmshim_plat_kernel_space_start()) {
		// The current process's user memory (faulted in as needed).
		if (!mmshim_plat_current_process())
			return STATUS_ACCESS_VIOLATION; // a kernel thread has no user space
		const mmshim_size left = mmshim_plat_copy_from_user(dst, src, n);
		*copied = left < n ? n - left : 0; // copy_from_user stops at the exact byte
		return left == 0 ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION;
	}
	unsigned long long pfn = 0;
	if (mmshim_plat_kva_to_pfn(reinterpret_cast<const void *>(src), &pfn) == MMSHIM_KVA_INVALID)
		return STATUS_ACCESS_VIOLATION;
	// An ioremap of device memory, or a frame the resource tree does not
	// call System RAM (firmware tables): not read.
	if (!mmshim_plat_pfn_is_ram(pfn) ||
	    mmshim_plat_phys_kind(static_cast<ULONGLONG>(pfn) << PAGE_SHIFT, kPageSize) != MMSHIM_PHYS_RAM)
		return STATUS_INVALID_ADDRESS;
	if (mmshim_plat_copy_kernel_nofault(dst, reinterpret_cast<const void *>(src), n) != 0)
		return STATUS_ACCESS_VIOLATION; // how much of the page was read is unknown: none counts
	*copied = n;
	return STATUS_SUCCESS;
}

NTSTATUS copy_physical_chunk(UCHAR *dst, ULONGLONG pa, uptr n)
{
	if (pa >= mmshim_plat_phys_limit())
		return STATUS_INVALID_ADDRESS;
	const unsigned long long pfn = pa >> PAGE_SHIFT;
	if (!mmshim_plat_pfn_is_ram(pfn) ||
	    mmshim_plat_phys_kind(pa & ~ULONGLONG(kPageMask), kPageSize) != MMSHIM_PHYS_RAM)
		return STATUS_INVALID_ADDRESS; // device memory, firmware tables: not read
	return mmshim_plat_copy_from_frame(dst, pfn, pa & kPageMask, n) == 0 ? STATUS_SUCCESS
									      : STATUS_ACCESS_VIOLATION;
}

} // namespace
} // namespace mmshim::mmcopy

using namespace mmshim;

extern "C" NTSTATUS MmCopyMemory(PVOID TargetAddress, MM_COPY_ADDRESS SourceAddress, SIZE_T NumberOfBytes,
				 ULONG Flags, PSIZE_T NumberOfBytesTransferred)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmCopyMemory";
	if (!NumberOfBytesTransferred || (!TargetAddress && NumberOfBytes)) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
				 reinterpret_cast<uptr>(TargetAddress), NumberOfBytes, Flags, routine,
				 "NULL TargetAddress or NumberOfBytesTransferred", caller);
		if (NumberOfBytesTransferred)
			*NumberOfBytesTransferred = 0;
		return STATUS_INVALID_PARAMETER;
	}
	*NumberOfBytesTransferred = 0;
	if (Flags != MM_COPY_MEMORY_PHYSICAL && Flags != MM_COPY_MEMORY_VIRTUAL) {
		mmcopy::report_failure(MMSHIM_FAIL_INVALID_FLAGS, Flags, NumberOfBytes, 0, routine,
				       "Flags must be exactly one of MM_COPY_MEMORY_PHYSICAL and "
				       "MM_COPY_MEMORY_VIRTUAL",
				       caller);
		return STATUS_INVALID_PARAMETER;
	}
	if (!mmshim_plat_may_sleep()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				 static_cast<uptr>(SourceAddress.PhysicalAddress.QuadPart), NumberOfBytes, Flags,
				 routine, "MmCopyMemory must be called at IRQL <= APC_LEVEL; nothing was copied",
				 caller);
		return STATUS_UNSUCCESSFUL;
	}
	auto *dst = static_cast<UCHAR *>(TargetAddress);
	const bool physical = Flags == MM_COPY_MEMORY_PHYSICAL;
	const auto start = physical ? static_cast<ULONGLONG>(SourceAddress.PhysicalAddress.QuadPart)
				    : static_cast<ULONGLONG>(reinterpret_cast<uptr>(SourceAddress.VirtualAddress));
	SIZE_T done = 0;
	NTSTATUS status = STATUS_SUCCESS;
	while (done < NumberOfBytes) {
		ULONGLONG at;
		if (!checked_add(start, ULONGLONG(done), &at)) {
			status = physical ? STATUS_INVALID_ADDRESS : STATUS_ACCESS_VIOLATION; // wraps
			break;
		}
		const uptr room = kPageSize - (at & kPageMask);
		const uptr n = NumberOfBytes - done < room ? NumberOfBytes - done : room;
		uptr copied = 0;
		if (physical) {
			status = mmcopy::copy_physical_chunk(dst + done, at, n);
			copied = NT_SUCCESS(status) ? n : 0;
		} else {
			status = mmcopy::copy_virtual_chunk(dst + done, static_cast<uptr>(at), n, &copied);
		}
		done += copied;
		if (!NT_SUCCESS(status))
			break;
	}
	*NumberOfBytesTransferred = done;
	return status;
}

extern "C" PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress)
{
	const auto pa = static_cast<ULONGLONG>(PhysicalAddress.QuadPart);
	if (pa >= mmshim_plat_phys_limit())
		return nullptr;
	if (mmshim_plat_phys_kind(pa & ~ULONGLONG(kPageMask), kPageSize) != MMSHIM_PHYS_RAM)
		return nullptr;
	auto *page = static_cast<UCHAR *>(mmshim_plat_pfn_to_linear(pa >> PAGE_SHIFT));
	return page ? page + (pa & kPageMask) : nullptr;
}

extern "C" BOOLEAN MmIsNonPagedSystemAddressValid(PVOID VirtualAddress)
{
	// All kernel memory is nonpaged on Linux: a kernel address is valid
	// when it is mapped. User addresses are not system addresses.
	if (reinterpret_cast<uptr>(VirtualAddress) < mmshim_plat_kernel_space_start())
		return FALSE;
	return mmshim_plat_kva_readable(VirtualAddress) ? TRUE : FALSE;
}

extern "C" PPHYSICAL_MEMORY_RANGE MmGetPhysicalMemoryRanges(VOID)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmGetPhysicalMemoryRanges";
	const bool may_sleep = mmshim_plat_may_sleep();
	// Count, then fetch into room for a few more (memory hot-plug can add
	// ranges in between); try again if even that was too small.
	mmshim_size want = mmshim_plat_ram_ranges(nullptr, 0) + 4;
	mmshim_ram_range *ranges = nullptr;
	mmshim_size found = 0;
	for (int attempt = 0; attempt < 4; attempt++) {
		ranges = static_cast<mmshim_ram_range *>(
			mmshim_plat_alloc(want * sizeof(*ranges), may_sleep ? 0 : MMSHIM_ALLOC_ATOMIC));
		if (!ranges)
			return nullptr;
		found = mmshim_plat_ram_ranges(ranges, want);
		if (found <= want)
			break;
		mmshim_plat_free(ranges);
		ranges = nullptr;
		want = found + 4;
	}
	if (!ranges)
		return nullptr;
	// Ranges that touch are one range, as Windows reports them.
	mmshim_size merged = 0;
	for (mmshim_size i = 0; i < found; i++) {
		if (ranges[i].pages == 0)
			continue;
		if (merged && ranges[merged - 1].start_pfn + ranges[merged - 1].pages == ranges[i].start_pfn)
			ranges[merged - 1].pages += ranges[i].pages;
		else
			ranges[merged++] = ranges[i];
	}
	pool::Request req{};
	req.size = (merged + 1) * sizeof(PHYSICAL_MEMORY_RANGE);
	req.tag = mmcopy::kRangesTag;
	req.pool_type = NonPagedPoolNx;
	req.routine = routine;
	req.caller = caller;
	auto *out = static_cast<PHYSICAL_MEMORY_RANGE *>(pool::allocate(req));
	if (out) {
		for (mmshim_size i = 0; i < merged; i++) {
			out[i].BaseAddress.QuadPart = static_cast<LONGLONG>(ranges[i].start_pfn << PAGE_SHIFT);
			out[i].NumberOfBytes.QuadPart = static_cast<LONGLONG>(ranges[i].pages << PAGE_SHIFT);
		}
		out[merged].BaseAddress.QuadPart = 0;
		out[merged].NumberOfBytes.QuadPart = 0;
	}
	mmshim_plat_free(ranges);
	return out;
}
