// SPDX-License-Identifier: GPL-2.0
// iospace.cpp - MmMapIoSpace, MmMapIoSpaceEx, MmUnmapIoSpace,
// MmGetPhysicalAddress, MmIsAddressValid.
//
// Device memory is mapped with ioremap in the cache type asked; Linux's PAT
// tracking then refuses or changes a type that would conflict with another
// mapping of the same range, and mmshim turns either into NULL with a
// report. System RAM cannot be ioremapped; it is already mapped by the
// linear map, whose cache type is the page's memory type (write-back, or
// what MmAllocatePagesForMdlEx set), so RAM is served from the linear map
// when the type asked matches and refused when it does not: an uncached
// alias of cached RAM is exactly what x86 PAT forbids.
//
// Every mapping is recorded, so MmUnmapIoSpace of anything else, or with
// another size, is reported and changes nothing.
#include <ntddk.h>
#include "map.h"
#include "pagealloc.h"
#include "verifier.h"

namespace mmshim::iospace {
namespace {

enum class Kind : ULONG { kDevice = 1, kLinear = 2, kFrames = 3 };

struct Mapping {
	KeyedLink link; // key: page-aligned system address
	ULONGLONG phys; // page-aligned physical address
	uptr pages;
	uptr offset;    // byte offset of the driver's address in the first page
	void *handle;   // kDevice: the ioremap handle
	map::FramesMapping frames; // kFrames
	Kind kind;
	unsigned cache;
};

constinit KeyedTable<256> g_maps;

void fail(uptr reason, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(MMSHIM_CALL_FAILED, reason, p2, p3, p4, routine, what, caller);
}

void release(Mapping *mp)
{
	if (mp->kind == Kind::kDevice)
		mmshim_plat_iounmap(mp->handle);
	if (mp->kind == Kind::kFrames)
		map::unmap_frames(&mp->frames); // frees mp when done (maybe later, from a worker)
	else
		mmshim_plat_free(mp);
}

// RAM: served by the linear map when the pages' memory type is the one
// asked. Returns the page-aligned address or 0 (reported).
uptr map_ram(Mapping *mp, bool read_only, const char *routine, void *caller)
{
	const PFN_NUMBER first = mp->phys >> PAGE_SHIFT;
	for (uptr i = 0; i < mp->pages; i++) {
		void *va = mmshim_plat_pfn_to_linear(first + i);
		const int type = va ? mmshim_plat_kva_cache(va) : -1;
		if (type < 0) {
			fail(MMSHIM_FAIL_BAD_ADDRESS, mp->phys + i * kPageSize, 0, 0, routine,
			     "RAM that the kernel does not map (a free or reserved page): map only memory you own",
			     caller);
			return 0;
		}
		if (static_cast<unsigned>(type) != mp->cache) {
			fail(MMSHIM_FAIL_CACHE_CONFLICT, mp->phys + i * kPageSize, mp->cache,
			     static_cast<uptr>(type), routine,
			     "this RAM has another memory type: a second mapping with a different cache type "
			     "would break x86 PAT (allocate it with MmAllocatePagesForMdlEx and that type)",
			     caller);
			return 0;
		}
	}
	if (!read_only) {
		mp->kind = Kind::kLinear;
		return reinterpret_cast<uptr>(mmshim_plat_pfn_to_linear(first));
	}
	if (!mmshim_plat_may_sleep()) {
		fail(MMSHIM_FAIL_IRQL, mp->phys, mp->pages, 0, routine,
		     "a read-only mapping needs vmap, which can sleep: call at IRQL <= APC_LEVEL", caller);
		return 0;
	}
	auto *pfns = static_cast<unsigned long long *>(mmshim_plat_alloc(mp->pages * sizeof(unsigned long long), 0));
	if (!pfns)
		return 0;
	for (uptr i = 0; i < mp->pages; i++)
		pfns[i] = first + i;
	void *va = mmshim_plat_map_frames(pfns, mp->pages, mp->cache, 1, &mp->frames.state, nullptr);
	mp->frames.done = [](map::FramesMapping *fm) {
		mmshim_plat_free(reinterpret_cast<Mapping *>(reinterpret_cast<uptr>(fm) -
							     __builtin_offsetof(Mapping, frames)));
	};
	mmshim_plat_free(pfns);
	mp->kind = Kind::kFrames;
	return reinterpret_cast<uptr>(va);
}

uptr map_device(Mapping *mp, bool read_only, const char *routine, void *caller)
{
	if (!mmshim_plat_may_sleep()) {
		fail(MMSHIM_FAIL_IRQL, mp->phys, mp->pages, 0, routine,
		     "device memory is mapped with ioremap, which can sleep: call at IRQL <= APC_LEVEL "
		     "(map at start-device time, as Windows drivers usually do)",
		     caller);
		return 0;
	}
	int conflict = 0;
	void *va = mmshim_plat_ioremap(mp->phys, mp->pages * kPageSize, mp->cache, read_only, &conflict,
				       &mp->handle);
	if (conflict)
		fail(MMSHIM_FAIL_CACHE_CONFLICT, mp->phys, mp->cache, 0, routine,
		     "the range is already mapped with another cache type; a conflicting alias is refused",
		     caller);
	mp->kind = Kind::kDevice;
	return reinterpret_cast<uptr>(va);
}

PVOID map(PHYSICAL_ADDRESS physical, SIZE_T bytes, unsigned cache, bool read_only, const char *routine,
	  void *caller)
{
	const auto phys = static_cast<ULONGLONG>(physical.QuadPart);
	if (bytes == 0) {
		fail(MMSHIM_FAIL_ZERO_LENGTH, phys, 0, 0, routine, "NumberOfBytes is 0", caller);
		return nullptr;
	}
	ULONGLONG last;
	if (physical.QuadPart < 0 || !checked_add<ULONGLONG>(phys, bytes - 1, &last)) {
		fail(MMSHIM_FAIL_RANGE_WRAPS, phys, bytes, 0, routine,
		     "the physical range wraps around (negative address or huge size)", caller);
		return nullptr;
	}
	if (last >= mmshim_plat_phys_limit()) {
		fail(MMSHIM_FAIL_BAD_ADDRESS, phys, bytes, mmshim_plat_phys_limit(), routine,
		     "the physical range lies beyond what this CPU can address", caller);
		return nullptr;
	}
	const ULONGLONG base = phys & ~static_cast<ULONGLONG>(kPageMask);
	const uptr pages = span_pages(static_cast<uptr>(phys), bytes);
	const auto kind = mmshim_plat_phys_kind(base, pages * kPageSize);
	if (kind == MMSHIM_PHYS_MIXED) {
		fail(MMSHIM_FAIL_BAD_ADDRESS, phys, bytes, 0, routine,
		     "the range covers both System RAM and device memory", caller);
		return nullptr;
	}
	auto *mp = static_cast<Mapping *>(
		mmshim_plat_alloc(sizeof(Mapping), mmshim_plat_may_sleep() ? 0 : MMSHIM_ALLOC_ATOMIC));
	if (!mp)
		return nullptr;
	mp->phys = base;
	mp->pages = pages;
	mp->offset = phys & kPageMask;
	mp->handle = nullptr;
	mp->cache = cache;
	const uptr va = kind == MMSHIM_PHYS_RAM ? map_ram(mp, read_only, routine, caller)
						: map_device(mp, read_only, routine, caller);
	if (!va) {
		mmshim_plat_free(mp);
		return nullptr;
	}
	{
		LockGuard guard(MMSHIM_LOCK_IOSPACE);
		g_maps.insert(&mp->link, va);
	}
	return reinterpret_cast<PVOID>(va + mp->offset);
}

} // namespace

bool physical_of(uptr va, ULONGLONG *phys)
{
	LockGuard guard(MMSHIM_LOCK_IOSPACE);
	KeyedLink *l = g_maps.find_if([va](const KeyedLink *k) {
		const auto *mp = from_link<Mapping>(k);
		return va >= k->key && va - k->key < mp->pages * kPageSize;
	});
	if (!l)
		return false;
	*phys = from_link<Mapping>(l)->phys + (va - l->key);
	return true;
}

void release_all_at_unload()
{
	const uptr leaked = drain(g_maps, MMSHIM_LOCK_IOSPACE,
				  [](KeyedLink *l) { release(from_link<Mapping>(l)); });
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_LEAKED_AT_UNLOAD, 0, leaked,
				 0, "mmshim unload",
				 "MmMapIoSpace mappings were never unmapped; mmshim unmaps them now", nullptr);
}

} // namespace mmshim::iospace

using namespace mmshim;

namespace mmshim::iospace {
namespace {

// MmMapIoSpace's path, shared with MmMapVideoDisplay.
PVOID map_cached(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType,
		 const char *routine, void *caller)
{
	unsigned cache;
	if (!cache_of(CacheType, &cache)) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
				 static_cast<uptr>(PhysicalAddress.QuadPart), static_cast<uptr>(CacheType), 0,
				 routine, "invalid MEMORY_CACHING_TYPE", caller);
		return nullptr;
	}
	return iospace::map(PhysicalAddress, NumberOfBytes, cache, false, routine, caller);
}

} // namespace
} // namespace mmshim::iospace

extern "C" PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
			      MEMORY_CACHING_TYPE CacheType)
{
	return iospace::map_cached(PhysicalAddress, NumberOfBytes, CacheType, "MmMapIoSpace", MMSHIM_CALLER());
}

extern "C" PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmMapIoSpaceEx";
	const ULONG access = Protect & 0xFF;
	const ULONG modifiers = Protect & ~0xFFu;
	const auto phys = static_cast<uptr>(PhysicalAddress.QuadPart);
	if (access == PAGE_EXECUTE || access == PAGE_EXECUTE_READ || access == PAGE_EXECUTE_READWRITE) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, phys, Protect, 0, routine,
				 "mmshim never creates executable mappings", caller);
		return nullptr;
	}
	if ((access != PAGE_READONLY && access != PAGE_READWRITE) ||
	    (modifiers != 0 && modifiers != PAGE_NOCACHE && modifiers != PAGE_WRITECOMBINE)) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS, phys, Protect, 0, routine,
				 "Protect must be PAGE_READWRITE or PAGE_READONLY, optionally with PAGE_NOCACHE "
				 "or PAGE_WRITECOMBINE",
				 caller);
		return nullptr;
	}
	const unsigned cache = modifiers == PAGE_NOCACHE	   ? MMSHIM_CACHE_UC
			       : modifiers == PAGE_WRITECOMBINE ? MMSHIM_CACHE_WC
								  : MMSHIM_CACHE_WB;
	return iospace::map(PhysicalAddress, NumberOfBytes, cache, access == PAGE_READONLY, routine, caller);
}

namespace mmshim::iospace {
namespace {

// MmUnmapIoSpace's path, shared with MmUnmapVideoDisplay.
void unmap(PVOID BaseAddress, SIZE_T NumberOfBytes, const char *routine, void *caller)
{
	const auto va = reinterpret_cast<uptr>(BaseAddress);
	const uptr key = va & ~kPageMask;
	const uptr pages = span_pages(va, NumberOfBytes);
	iospace::Mapping *mp = nullptr;
	bool known = false;
	{
		LockGuard guard(MMSHIM_LOCK_IOSPACE);
		KeyedLink *l = iospace::g_maps.take_if(key, [&](const KeyedLink *k) {
			const auto *m = from_link<iospace::Mapping>(k);
			if (m->offset != (va & kPageMask))
				return false;
			known = true;
			return NumberOfBytes != 0 && m->pages == pages;
		});
		mp = l ? from_link<iospace::Mapping>(l) : nullptr;
	}
	if (!mp) {
		if (known)
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_SIZE_MISMATCH, va,
					 NumberOfBytes, 0, routine,
					 "NumberOfBytes does not match the MmMapIoSpace call that made this mapping; "
					 "nothing was unmapped",
					 caller);
		else
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED, va,
					 NumberOfBytes, 0, routine,
					 "this address was not returned by MmMapIoSpace(Ex), or is already unmapped",
					 caller);
		return;
	}
	iospace::release(mp);
}

} // namespace
} // namespace mmshim::iospace

extern "C" VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
	iospace::unmap(BaseAddress, NumberOfBytes, "MmUnmapIoSpace", MMSHIM_CALLER());
}

extern "C" SIZE_T MmshimIoSpaceMappingCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_IOSPACE);
	return iospace::g_maps.count();
}

extern "C" PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
	PHYSICAL_ADDRESS result;
	result.QuadPart = 0;
	const auto va = reinterpret_cast<uptr>(BaseAddress);
	if (va < mmshim_plat_kernel_space_start())
		return result; // user addresses: not supported (docs/iospace.md)
	ULONGLONG phys;
	if (iospace::physical_of(va, &phys)) {
		result.QuadPart = static_cast<LONGLONG>(phys);
		return result;
	}
	unsigned long long pfn = 0;
	if (mmshim_plat_kva_to_pfn(BaseAddress, &pfn) == MMSHIM_KVA_INVALID)
		return result;
	result.QuadPart = static_cast<LONGLONG>((pfn << PAGE_SHIFT) | (va & kPageMask));
	return result;
}

extern "C" BOOLEAN MmIsAddressValid(PVOID VirtualAddress)
{
	return mmshim_plat_kva_readable(VirtualAddress) ? TRUE : FALSE;
}

// MmMapVideoDisplay / MmUnmapVideoDisplay: MmMapIoSpace / MmUnmapIoSpace
// under the video names, sharing their records (a mapping made by one may
// be unmapped by the other, as on Windows where both are the same code).
extern "C" PVOID MmMapVideoDisplay(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
				   MEMORY_CACHING_TYPE CacheType)
{
	return iospace::map_cached(PhysicalAddress, NumberOfBytes, CacheType, "MmMapVideoDisplay",
				   MMSHIM_CALLER());
}

extern "C" VOID MmUnmapVideoDisplay(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
	iospace::unmap(BaseAddress, NumberOfBytes, "MmUnmapVideoDisplay", MMSHIM_CALLER());
}

// MmAllocateMdlForIoSpace: an MDL whose PFN array lists the frames of each
// range in order. The ranges are checked as Windows documents (page-aligned
// base, page-multiple size, not RAM, total below 4 GiB); nothing is mapped
// or pinned (device frames have no struct page to pin), so the MDL is
// flagged MDL_PAGES_LOCKED | MDL_IO_SPACE without a lock record: it maps
// with MmMapLockedPagesSpecifyCache and frees with IoFreeMdl.
extern "C" NTSTATUS MmAllocateMdlForIoSpace(PMM_PHYSICAL_ADDRESS_LIST PhysicalAddressList,
					    SIZE_T NumberOfEntries, PMDL *NewMdl)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmAllocateMdlForIoSpace";
	auto refuse = [&](uptr reason, uptr p2, uptr p3, uptr p4, const char *what) {
		verifier::report(MMSHIM_CALL_FAILED, reason, p2, p3, p4, routine, what, caller);
		return STATUS_INVALID_PARAMETER_1;
	};
	if (!NewMdl) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 3, 0, 0, routine,
				 "NewMdl is NULL", caller);
		return STATUS_INVALID_PARAMETER_3;
	}
	*NewMdl = nullptr;
	if (!PhysicalAddressList) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 1, 0, 0, routine,
				 "PhysicalAddressList is NULL", caller);
		return STATUS_INVALID_PARAMETER_1;
	}
	if (NumberOfEntries == 0) {
		verifier::report(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH, 0, 0, 0, routine,
				 "NumberOfEntries is 0", caller);
		return STATUS_INVALID_PARAMETER_2;
	}
	ULONGLONG total = 0;
	for (SIZE_T i = 0; i < NumberOfEntries; i++) {
		const LONGLONG signed_phys = PhysicalAddressList[i].PhysicalAddress.QuadPart;
		const auto phys = static_cast<ULONGLONG>(signed_phys);
		const SIZE_T bytes = PhysicalAddressList[i].NumberOfBytes;
		if (bytes == 0)
			return refuse(MMSHIM_FAIL_ZERO_LENGTH, i, phys, 0, "a range has NumberOfBytes 0");
		if ((phys & kPageMask) != 0 || (bytes & kPageMask) != 0)
			return refuse(MMSHIM_FAIL_NOT_ALIGNED, i, phys, bytes,
				      "each range must start on a page boundary and be a whole number of pages");
		ULONGLONG last;
		if (signed_phys < 0 || !checked_add<ULONGLONG>(phys, bytes - 1, &last))
			return refuse(MMSHIM_FAIL_RANGE_WRAPS, i, phys, bytes, "a range wraps around");
		if (last >= mmshim_plat_phys_limit())
			return refuse(MMSHIM_FAIL_BAD_ADDRESS, i, phys, bytes,
				      "a range lies beyond what this CPU can address");
		if (bytes > MMSHIM_MAX_MDL_LENGTH - total)
			return refuse(MMSHIM_FAIL_LENGTH_TOO_LARGE, i, total, bytes,
				      "the ranges add up to 4 GiB or more (the limit of an MDL)");
		total += bytes;
		if (mmshim_plat_phys_kind(phys, bytes) != MMSHIM_PHYS_DEVICE)
			return refuse(MMSHIM_FAIL_RAM_AS_IO_SPACE, i, phys, bytes,
				      "a range is (partly) System RAM, which is not I/O space");
	}
	MDL *m = IoAllocateMdl(nullptr, static_cast<ULONG>(total), FALSE, FALSE, nullptr);
	if (!m)
		return STATUS_INSUFFICIENT_RESOURCES;
	PPFN_NUMBER pfns = MmGetMdlPfnArray(m);
	uptr n = 0;
	for (SIZE_T i = 0; i < NumberOfEntries; i++) {
		const auto first = static_cast<PFN_NUMBER>(
			static_cast<ULONGLONG>(PhysicalAddressList[i].PhysicalAddress.QuadPart) >> PAGE_SHIFT);
		const uptr pages = PhysicalAddressList[i].NumberOfBytes >> PAGE_SHIFT;
		for (uptr p = 0; p < pages; p++)
			pfns[n++] = first + p;
	}
	m->MdlFlags |= MDL_PAGES_LOCKED | MDL_IO_SPACE;
	*NewMdl = m;
	return STATUS_SUCCESS;
}
