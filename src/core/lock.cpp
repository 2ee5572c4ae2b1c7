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
#include "range.h"
#include "flags.h"
#include "seh.h"
#include "dmause.h"
#include "verifier.h"

namespace mmshim::lock {
namespace {

enum class Kind : ULONG { kUser = 1, kKernel = 2 };

// Top bit of a recorded kernel frame: mmshim holds a page reference on it.
constexpr PFN_NUMBER kReferenced = PFN_NUMBER(1) << 63;

struct Record {
	KeyedLink link; // key: the MDL's address
	Kind kind;
	bool write;    // pinned writable: dirty on unpin
	bool owner_ro; // the owner could not write the frames (kUser: pinned read-only;
	               // kKernel: read-only for the kernel itself)
	bool ready;    // the MDL's PFNs and flags are written: MmUnlockPages may take it
	unsigned char cls; // size class (g_spare), or kNoClass: freed when done
	uptr pages;
	uptr holds;    // DMA mappings holding the lock (owner_of/hold, drop_hold): unlock refused
	void *process; // kUser: the locking process, held until the record goes
	// After the record: kUser, the platform's pin storage; kKernel, the
	// `pages` frames mmshim referenced.
	void *pin() { return this + 1; }
	PFN_NUMBER *frames() { return reinterpret_cast<PFN_NUMBER *>(this + 1); }
	static Record *of_pin(void *pin) { return static_cast<Record *>(pin) - 1; }
};
static_assert(sizeof(Record) % 8 == 0, "the pin storage after a record is 8-byte aligned");
// Issue 14: side state per locked MDL at most 64 bytes plus the pin array.
static_assert(sizeof(Record) <= 64, "a lock record stays within 64 bytes");

constinit KeyedTable<1024> g_locked;
// Records in g_locked with owner_ro, under MMSHIM_LOCK_PAGES.
constinit uptr g_read_only = 0;

// Spare records, so that a lock and unlock allocate nothing once warm: a
// few per size class, up to kClassPages[kClasses - 1] pages (larger locks
// allocate and free theirs). A record of class c has room for the pin of
// kClassPages[c] user pages or their frames, and serves any lock that fits.
// Each slot holds one record or nullptr and is taken and filled with single
// atomic exchanges: no lock, usable in any context, and a record is owned
// by exactly one thread at a time (whoever took it out of its slot). A
// record is only put back once nothing refers to it any more (released, or
// never entered).
constexpr unsigned kClasses = 7;
constexpr uptr kClassPages[kClasses] = {16, 32, 64, 128, 256, 512, 1024};
constexpr unsigned kClassSlots[kClasses] = {8, 4, 4, 4, 4, 2, 2};
constexpr unsigned kMaxSlots = 8;
constexpr unsigned char kNoClass = 0xff;
constinit Record *g_spare[kClasses][kMaxSlots] = {};

// Bytes after a record of class c: room for the pin of kClassPages[c] user
// pages or the frames of as many kernel pages, whichever is larger. Asked
// of the platform once (every thread computes the same value).
constinit uptr g_class_tail[kClasses] = {};
uptr class_tail(unsigned c)
{
	uptr tail = __atomic_load_n(&g_class_tail[c], __ATOMIC_RELAXED);
	if (!tail) {
		const uptr pin = mmshim_plat_pin_size(kClassPages[c]);
		const uptr frames = kClassPages[c] * sizeof(PFN_NUMBER);
		tail = pin > frames ? pin : frames;
		__atomic_store_n(&g_class_tail[c], tail, __ATOMIC_RELAXED);
	}
	return tail;
}

// A record's fields as a new one has them (a spare one keeps nothing of its
// last use); `cls` says where it goes back.
Record *fresh(Record *r, unsigned char cls)
{
	if (r) {
		r->link = KeyedLink{};
		r->kind = Kind{};
		r->write = r->owner_ro = r->ready = false;
		r->cls = cls;
		r->pages = 0;
		r->holds = 0;
		r->process = nullptr;
	}
	return r;
}

// A record with room for `tail` bytes after it: a spare one of the smallest
// class it fits, else newly allocated (of that class, or of its own size
// beyond the largest or in atomic context). flags: as mmshim_plat_alloc.
Record *alloc_record(uptr tail, unsigned flags)
{
	if (!tail)
		return nullptr;
	for (unsigned c = 0; c < kClasses; c++) {
		const uptr room = class_tail(c);
		if (tail > room)
			continue;
		for (unsigned i = 0; i < kClassSlots[c]; i++) {
			Record **slot = &g_spare[c][i];
			if (!__atomic_load_n(slot, __ATOMIC_RELAXED))
				continue;
			if (Record *r = __atomic_exchange_n(slot, nullptr, __ATOMIC_ACQUIRE))
				return fresh(r, static_cast<unsigned char>(c));
		}
		// In atomic context a larger class is not worth a bigger
		// GFP_ATOMIC block than asked for: exact size, freed when done.
		if (c && (flags & MMSHIM_ALLOC_ATOMIC))
			break;
		return fresh(static_cast<Record *>(mmshim_plat_alloc(sizeof(Record) + room, flags)),
			     static_cast<unsigned char>(c));
	}
	return fresh(static_cast<Record *>(mmshim_plat_alloc(sizeof(Record) + tail, flags)), kNoClass);
}

// Give back a record nothing refers to any more.
void free_record(Record *r)
{
	if (r->cls < kClasses) {
		for (unsigned i = 0; i < kClassSlots[r->cls]; i++) {
			Record *empty = nullptr;
			if (__atomic_compare_exchange_n(&g_spare[r->cls][i], &empty, r, false, __ATOMIC_RELEASE,
							__ATOMIC_RELAXED))
				return;
		}
	}
	mmshim_plat_free(r);
}

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
		// The process hold may be the mm_struct's last reference (the
		// process exited), and dropping that frees page tables: only where
		// the caller can sleep. Otherwise the worker that unpins drops it.
		if (!mmshim_plat_unpin_user(r->pin(), r->write))
			return; // a worker unpins, then mmshim_core_unpin_done frees
		mmshim_plat_process_release(r->process);
		r->process = nullptr;
	} else {
		for (uptr i = 0; i < r->pages; i++)
			if (r->frames()[i] & kReferenced)
				mmshim_plat_put_page(r->frames()[i] & ~kReferenced);
	}
	free_record(r);
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
	Record *r = pin_bytes ? alloc_record(pin_bytes, 0) : nullptr;
	if (!r)
		return raise_status(STATUS_INSUFFICIENT_RESOURCES);
	// A read lock of memory the process could write itself is pinned for
	// writing: copy-on-write is broken and untouched memory gets its own
	// page, as a Windows demand-zero fault gives it, so a write through
	// any mapping reaches only the process's own pages. Memory it cannot
	// write (a read-only or PROT_READ mapping, a file opened O_RDONLY) is
	// pinned read-only and every mapping of it is read-only (perm.cpp).
	const uptr start = reinterpret_cast<uptr>(m->StartVa);
	int error = mmshim_plat_pin_user(r->pin(), start, pages, 1);
	r->write = true;
	if (error && error != -MMSHIM_ENOMEM && !write) {
		error = mmshim_plat_pin_user(r->pin(), start, pages, 0);
		r->write = false;
	}
	if (error) {
		free_record(r);
		return raise_status(error == -MMSHIM_ENOMEM ? STATUS_INSUFFICIENT_RESOURCES
							    : STATUS_ACCESS_VIOLATION);
	}
	r->kind = Kind::kUser;
	r->owner_ro = !r->write;
	r->process = mmshim_plat_process_hold();
	*out = r;
	return kLocked;
}

Outcome lock_kernel(MDL *m, uptr pages, bool write, Record **out)
{
	// pages <= 2^20 + 1: no overflow
	Record *r = alloc_record(pages * sizeof(PFN_NUMBER), mmshim_plat_may_sleep() ? 0 : MMSHIM_ALLOC_ATOMIC);
	if (!r)
		return raise_status(STATUS_INSUFFICIENT_RESOURCES);
	const uptr start = reinterpret_cast<uptr>(m->StartVa);
	for (uptr i = 0; i < pages; i++) {
		const void *page = reinterpret_cast<const void *>(start + i * kPageSize);
		unsigned long long pfn = 0;
		// Stack buffers are fine here: locking them is a normal pattern.
		if (mmshim_plat_kva_to_pfn(page, &pfn) == MMSHIM_KVA_INVALID ||
		    (write && !mmshim_plat_kva_writable(page))) {
			free_record(r);
			return raise_status(STATUS_ACCESS_VIOLATION);
		}
		r->frames()[i] = static_cast<PFN_NUMBER>(pfn);
	}
	// Read-only for the kernel itself (the zero page, kernel or module
	// read-only data, whatever the address locked says): judged once here
	// for every later mapping of these frames; the references taken below
	// keep them from being reused meanwhile.
	static_assert(sizeof(PFN_NUMBER) == sizeof(unsigned long long));
	r->owner_ro = mmshim_plat_frames_read_only(reinterpret_cast<const unsigned long long *>(r->frames()),
						   pages) != 0;
	// Frames whose page could be referenced carry kReferenced.
	for (uptr i = 0; i < pages; i++)
		if (mmshim_plat_get_page(r->frames()[i]))
			r->frames()[i] |= kReferenced;
	r->kind = Kind::kKernel;
	r->write = write;
	r->process = nullptr;
	*out = r;
	return kLocked;
}

// The frames go into the MDL once its record is in the table (so no other
// lock of the same MDL writes them meanwhile). Pinned user pages always
// have a struct page; returns whether a kernel frame is not RAM.
bool write_frames(MDL *m, Record *r)
{
	if (r->kind == Kind::kUser) {
		mmshim_plat_pin_frames(r->pin(), reinterpret_cast<unsigned long long *>(MmGetMdlPfnArray(m)));
		return false;
	}
	bool io_space = false;
	for (uptr i = 0; i < r->pages; i++) {
		const PFN_NUMBER pfn = r->frames()[i] & ~kReferenced;
		MmGetMdlPfnArray(m)[i] = pfn;
		if (!mmshim_plat_pfn_is_ram(pfn))
			io_space = true;
	}
	return io_space;
}

// Under MMSHIM_LOCK_PAGES, the lock MmUnlockPages takes the record with:
// the flags and the record's readiness change together, so an unlock
// racing this lock finds the record not ready (refused, reported) rather
// than freeing it under us, and the flag never stays set without a record.
void make_ready(MDL *m, Record *r, bool write, bool io_space)
{
	r->ready = true;
	if (!write)
		mdl_flags_clear(m, MDL_WRITE_OPERATION);
	mdl_flags_set(m, MDL_PAGES_LOCKED | (write ? MDL_WRITE_OPERATION : 0) | (io_space ? MDL_IO_SPACE : 0));
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

	r->ready = false;
	r->pages = pages;
	// A small lock (the common I/O) is entered, written into the MDL and
	// made ready in one acquisition of the lock; a large one writes its
	// PFNs between two, so the lock is not held (interrupts off) for the
	// whole array.
	const bool at_once = pages <= kClassPages[0];
	bool taken, io_space = false;
	{
		LockGuard guard(MMSHIM_LOCK_PAGES);
		taken = g_locked.find(key_of(m)) != nullptr;
		if (!taken) {
			g_locked.insert(&r->link, key_of(m));
			g_read_only += r->kind == Kind::kUser && r->owner_ro;
			if (at_once) {
				io_space = write_frames(m, r);
				make_ready(m, r, write, io_space);
			}
		}
	}
	if (taken) {
		release(r);
		return refuse(MMSHIM_VRF_MDL_ALREADY_LOCKED, reinterpret_cast<uptr>(m), 0, 0, routine,
			      "the MDL is already locked", caller);
	}
	if (!at_once) {
		io_space = write_frames(m, r);
		LockGuard guard(MMSHIM_LOCK_PAGES);
		make_ready(m, r, write, io_space);
	}
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

Owner owner_of(const MDL *mdl, const PFN_NUMBER *pfns, uptr pages, bool hold)
{
	Owner o{false, false, false, nullptr, nullptr};
	if (!g_locked.count_relaxed())
		return o;
	LockGuard guard(MMSHIM_LOCK_PAGES);
	if (KeyedLink *l = g_locked.find(key_of(mdl))) {
		Record *r = from_link<Record>(l);
		if (hold) {
			if (!r->ready)
				return o;
			// Under the lock unlock() reads it with: an unlock either
			// took the record before (not found) or sees this hold.
			__atomic_fetch_add(&r->holds, 1, __ATOMIC_RELAXED);
			o.hold = r;
		}
		o.locked = true;
		o.read_only = r->owner_ro;
		o.process = r->process;
		if (pfns && pages && r->ready && pages <= r->pages) {
			if (r->kind == Kind::kUser) {
				o.same_frames = mmshim_plat_pin_frames_equal(
					r->pin(), reinterpret_cast<const unsigned long long *>(pfns), pages);
			} else {
				o.same_frames = true;
				for (uptr i = 0; i < pages && o.same_frames; i++)
					o.same_frames = (r->frames()[i] & ~kReferenced) == pfns[i];
			}
		}
	}
	return o;
}

void *hold(const MDL *mdl)
{
	return owner_of(mdl, nullptr, 0, true).hold;
}

void drop_hold(void *hold)
{
	if (hold)
		__atomic_fetch_sub(&static_cast<Record *>(hold)->holds, 1, __ATOMIC_RELEASE);
}

namespace {

// Whether the user-lock record r pinned frame pfn. Caller holds
// MMSHIM_LOCK_PAGES.
bool record_has_frame(Record *r, PFN_NUMBER pfn)
{
	for (uptr i = 0; i < r->pages; i++)
		if (mmshim_plat_pin_frame(r->pin(), i) == pfn)
			return true;
	return false;
}

} // namespace

bool frames_locked_read_only(const PFN_NUMBER *pfns, uptr pages)
{
	if (!__atomic_load_n(&g_read_only, __ATOMIC_RELAXED))
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGES);
	return g_locked.find_if([&](KeyedLink *l) {
		Record *r = from_link<Record>(l);
		if (r->kind != Kind::kUser || !r->owner_ro)
			return false;
		for (uptr i = 0; i < pages; i++)
			if (record_has_frame(r, pfns[i]))
				return true;
		return false;
	}) != nullptr;
}

bool frames_locked_by(const void *process, const PFN_NUMBER *pfns, uptr pages)
{
	if (!process || !g_locked.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGES);
	for (uptr i = 0; i < pages; i++) {
		const bool found = g_locked.find_if([&](KeyedLink *l) {
			Record *r = from_link<Record>(l);
			return r->kind == Kind::kUser && r->process == process && record_has_frame(r, pfns[i]);
		}) != nullptr;
		if (!found)
			return false;
	}
	return true;
}

bool locked_pages(const MDL *mdl, uptr *pages)
{
	if (!g_locked.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGES);
	KeyedLink *l = g_locked.find(key_of(mdl));
	if (l)
		*pages = from_link<Record>(l)->pages;
	return l != nullptr;
}

bool first_in(uptr lo, uptr hi, uptr *key)
{
	if (!g_locked.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PAGES);
	return key_in_range(g_locked, lo, hi, key);
}

Unlocked unlock(MDL *m, const char *routine, void *caller)
{
	Record *r = nullptr;
	bool held = false;
	{
		LockGuard guard(MMSHIM_LOCK_PAGES);
		// A record still being set up by a concurrent lock is not taken,
		// nor one a DMA mapping holds (its device may still use the frames).
		KeyedLink *l = g_locked.find(key_of(m));
		held = l && __atomic_load_n(&from_link<Record>(l)->holds, __ATOMIC_ACQUIRE) != 0;
		if (l && !held && from_link<Record>(l)->ready) {
			r = from_link<Record>(g_locked.take(key_of(m)));
			// Cleared with the record taken: a concurrent map sees
			// both or neither, and nothing sets the flag again.
			mdl_flags_clear(m, MDL_PAGES_LOCKED | MDL_IO_SPACE);
		}
		if (r)
			g_read_only -= r->kind == Kind::kUser && r->owner_ro;
	}
	// Pairs with map::still_locked: the drop routines below may look at
	// their tables without a lock.
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!r)
		return held ? Unlocked::kHeld : Unlocked::kNotLocked;
	mdl::release_uses(m, routine, caller); // mappings go before the pages, as on Windows
	release(r);
	return Unlocked::kDone;
}

void release_all_at_unload()
{
	const uptr leaked = drain(g_locked, MMSHIM_LOCK_PAGES,
				  [](KeyedLink *l) { release(from_link<Record>(l)); });
	{
		LockGuard guard(MMSHIM_LOCK_PAGES);
		g_read_only = 0;
	}
	for (auto &slots : g_spare)
		for (auto &slot : slots)
			if (Record *r = __atomic_exchange_n(&slot, nullptr, __ATOMIC_ACQUIRE))
				mmshim_plat_free(r);
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOCKS_LEAKED_AT_UNLOAD, 0,
				 leaked, 0, "mmshim unload",
				 "MDLs were still locked; mmshim unlocks them now", nullptr);
}

NTSTATUS probe_and_lock_status(MDL *mdl, KPROCESSOR_MODE mode, LOCK_OPERATION op, const char *routine,
			       void *caller, bool *reported)
{
	const Outcome o = probe_and_lock(mdl, mode, op, routine, caller);
	*reported = o.reported;
	return o.status;
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
	if (dmause::refuse_if_mapped(m, routine, caller))
		return;
	switch (lock::unlock(m, routine, caller)) {
	case lock::Unlocked::kDone:
		break;
	case lock::Unlocked::kHeld: // a DMA mapping on another CPU, not in dmause's table yet
		dmause::report_still_mapped(m, routine, caller);
		break;
	case lock::Unlocked::kNotLocked:
		// Look at nothing in the MDL: it may not even be one any more.
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
				 reinterpret_cast<uptr>(m), 0, 0, routine,
				 "the MDL is not locked by MmProbeAndLockPages (double unlock?)", caller);
		break;
	}
}

extern "C" void mmshim_core_unpin_done(void *pin)
{
	auto *r = lock::Record::of_pin(pin);
	mmshim_plat_process_release(r->process); // in the worker: may free the mm_struct
	// Not back to a spare slot: the worker may run after the unload
	// emptied them (mmshim_exit flushes the queue once more after
	// mmshim_core_exit).
	mmshim_plat_free(r);
}

extern "C" SIZE_T MmshimLockedMdlCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_PAGES);
	return lock::g_locked.count();
}
