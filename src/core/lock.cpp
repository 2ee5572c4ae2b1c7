// SPDX-License-Identifier: GPL-2.0
// lock.cpp - MmProbeAndLockPages, MmUnlockPages, MmshimProbeAndLockPages.
//
// Every lock creates a record, keyed by the MDL's address, holding what
// mmshim took: the pin handle for user pages, or the frames it referenced
// for kernel pages. MmUnlockPages releases exactly that, whatever the
// driver has written into the MDL since, and refuses an MDL without a
// record (double unlock, never locked, locked by hand).
#include "lock.h"
#include "mdl.h"
#include "seh.h"
#include "verifier.h"

namespace mmshim::lock {
namespace {

enum class Kind : ULONG { kUser = 1, kKernel = 2 };

// Top bit of a recorded kernel frame: mmshim holds a page reference on it.
constexpr PFN_NUMBER kReferenced = PFN_NUMBER(1) << 63;

struct Record {
	KeyedLink link; // key: the MDL's address
	Kind kind;
	bool write;
	uptr pages;
	// After the record: kUser, the platform's pin storage; kKernel, the
	// `pages` frames mmshim referenced.
	void *pin() { return this + 1; }
	PFN_NUMBER *frames() { return reinterpret_cast<PFN_NUMBER *>(this + 1); }
	static Record *of_pin(void *pin) { return static_cast<Record *>(pin) - 1; }
};
static_assert(sizeof(Record) % 8 == 0, "the pin storage after a record is 8-byte aligned");

constinit KeyedTable<1024> g_locked;

uptr key_of(const MDL *mdl) { return reinterpret_cast<uptr>(mdl); }

// Outcome of a lock attempt: a status to raise, or a refusal that has
// already been reported (nothing to raise, the MDL is untouched).
struct Outcome {
	NTSTATUS status;
	bool reported;
};
constexpr Outcome kLocked{STATUS_SUCCESS, false};
constexpr Outcome kRefused{STATUS_INVALID_PARAMETER, true};
constexpr Outcome raise_status(NTSTATUS s) { return {s, false}; }

Outcome refuse(uptr p1, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, p1, p2, p3, p4, routine, what, caller);
	return kRefused;
}

void release(Record *r)
{
	if (r->kind == Kind::kUser) {
		if (!mmshim_plat_unpin_user(r->pin(), r->write))
			return; // a worker unpins, then mmshim_core_unpin_done frees
	} else {
		for (uptr i = 0; i < r->pages; i++)
			if (r->frames()[i] & kReferenced)
				mmshim_plat_put_page(r->frames()[i] & ~kReferenced);
	}
	mmshim_plat_free(r);
}

// One allocation holds the record and the pin; the frames go into the MDL
// only once the record is in the table (see probe_and_lock).
Outcome lock_user(MDL *m, uptr pages, bool write, Record **out, const char *routine, void *caller)
{
	if (!mmshim_plat_may_sleep()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				 reinterpret_cast<uptr>(m), reinterpret_cast<uptr>(m->StartVa), pages,
				 routine, "user pages can only be locked at IRQL <= APC_LEVEL", caller);
		return raise_status(STATUS_ACCESS_VIOLATION);
	}
	const uptr pin_bytes = mmshim_plat_pin_size(pages);
	auto *r = pin_bytes ? static_cast<Record *>(mmshim_plat_alloc(sizeof(Record) + pin_bytes, 0)) : nullptr;
	if (!r)
		return raise_status(STATUS_INSUFFICIENT_RESOURCES);
	const int error = mmshim_plat_pin_user(r->pin(), reinterpret_cast<uptr>(m->StartVa), pages, write);
	if (error) {
		mmshim_plat_free(r);
		return raise_status(error == -MMSHIM_ENOMEM ? STATUS_INSUFFICIENT_RESOURCES
							    : STATUS_ACCESS_VIOLATION);
	}
	r->kind = Kind::kUser;
	*out = r;
	return kLocked;
}

Outcome lock_kernel(MDL *m, uptr pages, bool write, Record **out)
{
	const uptr bytes = sizeof(Record) + pages * sizeof(PFN_NUMBER); // pages <= 2^20 + 1
	auto *r = static_cast<Record *>(
		mmshim_plat_alloc(bytes, mmshim_plat_may_sleep() ? 0 : MMSHIM_ALLOC_ATOMIC));
	if (!r)
		return raise_status(STATUS_INSUFFICIENT_RESOURCES);
	const uptr start = reinterpret_cast<uptr>(m->StartVa);
	for (uptr i = 0; i < pages; i++) {
		const void *page = reinterpret_cast<const void *>(start + i * kPageSize);
		unsigned long long pfn = 0;
		// Stack buffers are fine here: locking them is a normal pattern.
		if (mmshim_plat_kva_to_pfn(page, &pfn) == MMSHIM_KVA_INVALID ||
		    (write && !mmshim_plat_kva_writable(page))) {
			mmshim_plat_free(r);
			return raise_status(STATUS_ACCESS_VIOLATION);
		}
		r->frames()[i] = static_cast<PFN_NUMBER>(pfn);
	}
	// Frames whose page could be referenced carry kReferenced.
	for (uptr i = 0; i < pages; i++)
		if (mmshim_plat_get_page(r->frames()[i]))
			r->frames()[i] |= kReferenced;
	r->kind = Kind::kKernel;
	*out = r;
	return kLocked;
}

Outcome probe_and_lock(MDL *m, KPROCESSOR_MODE mode, LOCK_OPERATION op, const char *routine, void *caller)
{
	if (!m)
		return refuse(MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0, routine, "NULL MDL", caller);
	if ((mode != KernelMode && mode != UserMode) ||
	    (op != IoReadAccess && op != IoWriteAccess && op != IoModifyAccess))
		return refuse(MMSHIM_VRF_BAD_ARGUMENT, reinterpret_cast<uptr>(m), static_cast<uptr>(mode),
			      static_cast<uptr>(op), routine,
			      "AccessMode must be KernelMode or UserMode, Operation a LOCK_OPERATION", caller);
	if (m->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL))
		return refuse(MMSHIM_VRF_MDL_WRONG_KIND, reinterpret_cast<uptr>(m),
			      static_cast<USHORT>(m->MdlFlags), 0, routine,
			      "nonpaged-pool and partial MDLs are not locked with MmProbeAndLockPages", caller);
	// A record without the flag (the driver cleared it) is found when the
	// new record is entered below, before the MDL is written.
	if (m->MdlFlags & MDL_PAGES_LOCKED)
		return refuse(MMSHIM_VRF_MDL_ALREADY_LOCKED, reinterpret_cast<uptr>(m), 0, 0, routine,
			      "the MDL is already locked", caller);
	uptr pages;
	if (!mdl::described_span(m, &pages))
		return refuse(MMSHIM_VRF_MDL_CORRUPT, reinterpret_cast<uptr>(m),
			      reinterpret_cast<uptr>(m->StartVa), m->ByteOffset, routine,
			      "MDL StartVa/ByteOffset/ByteCount do not describe a valid range", caller);
	const uptr capacity = mdl::capacity_pages(m);
	if (pages > capacity)
		return refuse(MMSHIM_VRF_MDL_TOO_SMALL, reinterpret_cast<uptr>(m), pages, capacity, routine,
			      "the MDL's PFN array is too small for the range it describes", caller);
	if (m->ByteCount == 0)
		return raise_status(STATUS_ACCESS_VIOLATION);

	const uptr first = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m));
	const uptr last = first + m->ByteCount - 1; // no wrap: described_span checked
	const uptr user_end = mmshim_plat_kernel_space_start();
	const bool write = op != IoReadAccess;
	Record *r = nullptr;
	Outcome o;
	if (last < user_end)
		o = lock_user(m, pages, write, &r, routine, caller);
	else if (first >= user_end && mode == KernelMode)
		o = lock_kernel(m, pages, write, &r);
	else // a kernel address probed in UserMode, or a range across the boundary
		return raise_status(STATUS_ACCESS_VIOLATION);
	if (!r)
		return o;

	r->write = write;
	r->pages = pages;
	bool taken;
	{
		LockGuard guard(MMSHIM_LOCK_PAGES);
		taken = g_locked.find(key_of(m)) != nullptr;
		if (!taken)
			g_locked.insert(&r->link, key_of(m));
	}
	if (taken) {
		release(r);
		return refuse(MMSHIM_VRF_MDL_ALREADY_LOCKED, reinterpret_cast<uptr>(m), 0, 0, routine,
			      "the MDL is already locked", caller);
	}
	// The frames go into the MDL now. Pinned user pages always have a
	// struct page.
	bool io_space = false;
	if (r->kind == Kind::kUser) {
		mmshim_plat_pin_frames(r->pin(), reinterpret_cast<unsigned long long *>(MmGetMdlPfnArray(m)));
	} else {
		for (uptr i = 0; i < pages; i++) {
			const PFN_NUMBER pfn = r->frames()[i] & ~kReferenced;
			MmGetMdlPfnArray(m)[i] = pfn;
			if (!mmshim_plat_pfn_is_ram(pfn))
				io_space = true;
		}
	}
	CSHORT flags = m->MdlFlags | MDL_PAGES_LOCKED;
	flags = write ? (flags | MDL_WRITE_OPERATION) : (flags & ~MDL_WRITE_OPERATION);
	if (io_space)
		flags |= MDL_IO_SPACE;
	m->MdlFlags = flags;
	m->Process = r->kind == Kind::kUser ? static_cast<PEPROCESS>(mmshim_plat_current_process()) : nullptr;
	return kLocked;
}

} // namespace

bool is_locked(const MDL *mdl)
{
	if (!g_locked.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGES);
	return g_locked.find(key_of(mdl)) != nullptr;
}

bool unlock(MDL *m, const char *routine, void *caller)
{
	Record *r;
	{
		LockGuard guard(MMSHIM_LOCK_PAGES);
		KeyedLink *l = g_locked.take(key_of(m));
		r = l ? from_link<Record>(l) : nullptr;
		// Not locked any more from here on, before any mapping is looked
		// for: a map call on another CPU that registers its mapping after
		// release_uses has looked sees the flag clear and gives up (see
		// map::still_locked), one that registered before is abandoned.
		if (r)
			__atomic_fetch_and(&m->MdlFlags, static_cast<CSHORT>(~(MDL_PAGES_LOCKED | MDL_IO_SPACE)),
					   __ATOMIC_SEQ_CST);
	}
	// Pairs with map::still_locked: the drop routines below may look at
	// their tables without a lock.
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!r)
		return false;
	mdl::release_uses(m, routine, caller); // mappings go before the pages, as on Windows
	release(r);
	return true;
}

void release_all_at_unload()
{
	const uptr leaked = drain(g_locked, MMSHIM_LOCK_PAGES,
				  [](KeyedLink *l) { release(from_link<Record>(l)); });
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOCKS_LEAKED_AT_UNLOAD, 0,
				 leaked, 0, "mmshim unload",
				 "MDLs were still locked; mmshim unlocks them now", nullptr);
}

} // namespace mmshim::lock

using namespace mmshim;

extern "C" VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
				    LOCK_OPERATION Operation)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmProbeAndLockPages";
	lock::Outcome o = lock::probe_and_lock(MemoryDescriptorList, AccessMode, Operation, routine, caller);
	if (!o.reported && !NT_SUCCESS(o.status))
		seh::raise(o.status, routine, caller);
}

extern "C" NTSTATUS MmshimProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
					    LOCK_OPERATION Operation)
{
	return lock::probe_and_lock(MemoryDescriptorList, AccessMode, Operation,
				    "MmshimProbeAndLockPages", MMSHIM_CALLER())
		.status;
}

extern "C" VOID MmUnlockPages(PMDL MemoryDescriptorList)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "MmUnlockPages";
	MDL *m = MemoryDescriptorList;
	if (!m) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0,
				 routine, "NULL MDL", caller);
		return;
	}
	if (!lock::unlock(m, routine, caller))
		// Look at nothing in the MDL: it may not even be one any more.
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
				 reinterpret_cast<uptr>(m), 0, 0, routine,
				 "the MDL is not locked by MmProbeAndLockPages (double unlock?)", caller);
}

extern "C" void mmshim_core_unpin_done(void *pin)
{
	mmshim_plat_free(lock::Record::of_pin(pin));
}

extern "C" SIZE_T MmshimLockedMdlCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_PAGES);
	return lock::g_locked.count();
}
