// SPDX-License-Identifier: GPL-2.0
// usermap.cpp - user-mode mappings: MmMapLockedPagesSpecifyCache(UserMode)
// and MmUnmapLockedPages of a user address.
//
// A user mapping puts the MDL's frames into the *current* process, never
// executable, read-only with MdlMappingNoWrite. Unlike a system mapping it
// changes nothing in the MDL (no flag, no MappedSystemVa), and one MDL may
// be mapped into several processes at once, so each mapping has its own
// record: the MDL, the owning process, the user base, and the glue's handle.
//
// Rules mmshim adds to Windows':
//   * only the owning process can unmap (Windows would delete "the address
//     range of a random process"): from elsewhere, a report and no change;
//   * Linux tears a dying process's address space down BEFORE it closes its
//     files, so a driver's cleanup (IRP_MJ_CLEANUP/CLOSE) runs after the
//     mapping is gone; the glue knows it is gone, and unmapping it then is
//     accepted quietly from any context;
//   * unlocking or freeing an MDL that a process still maps is reported and
//     the process loses access to the pages first (SIGBUS);
//   * kernel pages that the MDL covers only partly are not mapped (the rest
//     of each page is other kernel data): see docs/usermap.md.
#include "usermap.h"
#include "map.h"
#include "lock.h"
#include "mdl.h"
#include "perm.h"
#include "partial.h"
#include "seh.h"
#include "verifier.h"

namespace mmshim::usermap {
namespace {

struct Record {
	Record *next;
	Record *prev;
	uptr mdl;      // key: the MDL's address (never dereferenced through here)
	void *process; // the owning address space
	uptr base;     // page-aligned user address
	uptr offset;   // the MDL's ByteOffset when mapped
	void *handle;  // the glue's mapping
	ULONG state;   // kDone, or kMapping/kAbandoned while being mapped
};

// A record is listed (kMapping) before its mapping is made, so an unlock or
// free of the MDL meanwhile finds it: drop_all unlists it and marks it
// kAbandoned, and the mapping thread then removes its mapping and returns
// NULL. Only kDone records have a handle and a base.
constexpr ULONG kDone = 0, kMapping = 1, kAbandoned = 2;
constexpr unsigned kMappable = MDL_PAGES_LOCKED | MDL_PARTIAL | MDL_SOURCE_IS_NONPAGED_POOL;

// All user mappings, protected by MMSHIM_LOCK_MAP. Few and short-lived:
// a list is enough.
constinit Record *g_head = nullptr;
constinit uptr g_count = 0;

void link(Record *r)
{
	r->prev = nullptr;
	r->next = g_head;
	if (g_head)
		g_head->prev = r;
	g_head = r;
	g_count++;
}

void unlink(Record *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		g_head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = nullptr;
	g_count--;
}

void report(uptr p1, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, p1, p2, p3, p4, routine, what, caller);
}

NTSTATUS status_of(int error)
{
	switch (error) {
	case MMSHIM_UMAP_NOMEM:
		return STATUS_INSUFFICIENT_RESOURCES;
	case MMSHIM_UMAP_CONFLICT:
		return STATUS_CONFLICTING_ADDRESSES;
	case MMSHIM_UMAP_BAD_ADDRESS:
		return STATUS_INVALID_ADDRESS;
	case MMSHIM_UMAP_NO_PROCESS:
		return STATUS_PROCESS_IS_TERMINATING;
	default:
		return STATUS_UNSUCCESSFUL;
	}
}

// The MDL describes whole pages: nothing else shares them.
bool whole_pages(const MDL *m)
{
	return m->ByteOffset == 0 && (m->ByteCount & kPageMask) == 0;
}

// Whether the MDL's partly covered pages (its first and last) belong to
// `process`: by the MDL's own lock record, or, for an MDL without one (a
// partial MDL), by live user locks of the process that pinned them.
bool own_pages(const MDL *m, const void *process, const PFN_NUMBER *pfns, uptr pages)
{
	if (!process)
		return false;
	const lock::Owner owner = lock::owner_of(m);
	if (owner.locked)
		return owner.process == process;
	const PFN_NUMBER ends[2] = {pfns[0], pfns[pages - 1]};
	return lock::frames_locked_by(process, ends, 2);
}

} // namespace

PVOID map(MDL *m, MEMORY_CACHING_TYPE cache, PVOID requested, ULONG priority, const char *routine,
	  void *caller)
{
	const auto mdl = reinterpret_cast<uptr>(m);
	if (!mmshim_plat_may_sleep()) {
		report(MMSHIM_VRF_IRQL_TOO_HIGH, mdl, 0, 0, routine,
		       "user-mode mappings can only be made at IRQL <= APC_LEVEL", caller);
		return nullptr;
	}
	if (!(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_PARTIAL | MDL_SOURCE_IS_NONPAGED_POOL))) {
		report(MMSHIM_VRF_MDL_NOT_LOCKED, mdl, static_cast<USHORT>(m->MdlFlags), 0, routine,
		       "only locked MDLs, their partial MDLs and nonpaged-pool MDLs can be mapped", caller);
		return nullptr;
	}
	unsigned long long partial_token;
	if (!partial::check(m, &partial_token, routine, caller)) {
		seh::raise(STATUS_ACCESS_VIOLATION, routine, caller);
		return nullptr;
	}
	map::Frames f;
	if (!map::check_frames(m, cache, &f, routine, caller))
		return nullptr;
	const uptr pages = f.pages;
	const auto *frames = reinterpret_cast<const unsigned long long *>(MmGetMdlPfnArray(m));
	void *process = mmshim_plat_current_process();
	// Partial pages: Windows maps the whole pages, exposing what else lives
	// in them. Fine for the process's own pages; for anything else (kernel
	// pool, another process's memory) mmshim refuses. "Own" is what a lock
	// record says, never the MDL's Process field (drivers write it, and a
	// new process can get a dead one's mm address): the MDL's record, or
	// for a partial MDL the live locks of this process that pinned its
	// first and last frames. Lock records hold the process's mm_struct, so
	// its address is not reused while they exist.
	if (!whole_pages(m) && !own_pages(m, process, MmGetMdlPfnArray(m), pages)) {
		report(MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE, mdl, m->ByteOffset, m->ByteCount, routine,
		       "the MDL covers its first or last page only partly: mapping it would expose the rest "
		       "of the page to user space (allocate whole pages to share them)",
		       caller);
		return nullptr;
	}
	const uptr bytes = pages * kPageSize; // pages <= 2^20 + 1: no overflow
	const auto want = reinterpret_cast<uptr>(requested);
	if (want) {
		uptr end;
		if ((want & kPageMask) || !checked_add(want, bytes, &end) || end > mmshim_plat_user_space_end()) {
			seh::raise(STATUS_INVALID_ADDRESS, routine, caller);
			return nullptr;
		}
	}
	if (!process) {
		// A kernel thread, or a process past the point where its address
		// space went away.
		seh::raise(STATUS_PROCESS_IS_TERMINATING, routine, caller);
		return nullptr;
	}
	// Frames the process could not write itself (pinned read-only, the
	// zero page, kernel read-only data) are mapped read-only: Windows would
	// map them writable; mmshim reports that it did not.
	bool read_only = (priority & MdlMappingNoWrite) != 0;
	if (!read_only && !f.device && perm::read_only(m, MmGetMdlPfnArray(m), pages)) {
		read_only = true;
		report(MMSHIM_VRF_USER_MAPPING_READ_ONLY, mdl, m->ByteCount, priority, routine,
		       "the MDL's frames are not writable by their owner (a read-only file or mapping, "
		       "the shared zero page, kernel read-only data): the user mapping is read-only "
		       "(pass MdlMappingNoWrite)",
		       caller);
	}
	auto *r = static_cast<Record *>(mmshim_plat_alloc(sizeof(Record), 0));
	if (!r) {
		seh::raise(STATUS_INSUFFICIENT_RESOURCES, routine, caller);
		return nullptr;
	}
	r->mdl = mdl;
	r->process = process;
	r->base = 0;
	r->offset = 0;
	r->handle = nullptr;
	r->state = kMapping;
	bool gone;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		// Unlocked since the checks above: the frames may be gone. Else
		// an unlock from now on finds r.
		link(r);
		gone = !map::still_locked(m, kMappable);
		if (gone)
			unlink(r);
	}
	if (gone) {
		mmshim_plat_free(r);
		map::report_unlocked_meanwhile(m, routine, caller);
		return nullptr;
	}
	int error = 0;
	uptr base = 0;
	// RAM is mapped with its own memory type whatever CacheType says, as
	// system mappings are (another alias breaks x86 PAT rules); device
	// memory with the type asked.
	const uptr offset = m->ByteOffset; // m may be gone after the next call
	const uptr byte_count = m->ByteCount;
	void *handle = mmshim_plat_usermap_map(frames, pages, f.type, read_only, want, &base, &error);
	bool abandoned;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		abandoned = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == kAbandoned;
		if (!abandoned && !handle)
			unlink(r);
		if (!abandoned && handle) {
			r->handle = handle;
			r->base = base;
			r->offset = offset;
			__atomic_store_n(&r->state, kDone, __ATOMIC_RELEASE);
		}
	}
	if (abandoned) {
		// The MDL was unlocked or freed meanwhile (reported there, r
		// unlisted): take the mapping out of the process again (this is
		// its owner, able to sleep) and leave the MDL alone.
		if (handle) {
			if (mmshim_plat_usermap_live(handle))
				mmshim_plat_usermap_unmap(handle);
			mmshim_plat_usermap_release(handle, 1);
		}
		mmshim_plat_free(r);
		return nullptr;
	}
	if (!handle) {
		mmshim_plat_free(r);
		if (error == MMSHIM_UMAP_UNSHAREABLE) {
			report(MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE, mdl, offset, byte_count, routine,
			       "a frame cannot be shared with user space (a page nobody may take a "
			       "reference on: part of a kernel stack, or kmalloc memory on kernels that "
			       "keep it frozen; use nonpaged pool)",
			       caller);
			return nullptr;
		}
		seh::raise(status_of(error), routine, caller);
		return nullptr;
	}
	// The mapping holds references on its frames, taken after the check
	// above: if a partial's source let them go meanwhile, those may be
	// someone else's pages. Once the record is done, a release of the
	// source revokes it (mdl::release_uses), so checking now is enough.
	if (!partial::still(m, partial_token)) {
		bool mine = false;
		{
			LockGuard guard(MMSHIM_LOCK_MAP);
			for (Record *c = g_head; c && !mine; c = c->next)
				mine = c == r;
			if (mine)
				unlink(r);
		}
		if (mine) { // else the release revoked and freed it
			mmshim_plat_usermap_unmap(r->handle);
			mmshim_plat_usermap_release(r->handle, 0);
			mmshim_plat_free(r);
		}
		report(MMSHIM_VRF_PARTIAL_SOURCE_RELEASED, mdl, 0, 0, routine,
		       "the partial MDL's source was unlocked or freed while it was being mapped", caller);
		seh::raise(STATUS_ACCESS_VIOLATION, routine, caller);
		return nullptr;
	}
	return reinterpret_cast<PVOID>(base + offset);
}

void unmap(PVOID address, MDL *m, const char *routine, void *caller)
{
	const auto addr = reinterpret_cast<uptr>(address);
	const auto mdl = reinterpret_cast<uptr>(m);
	void *process = mmshim_plat_current_process();
	if (!mmshim_plat_may_sleep()) {
		report(MMSHIM_VRF_IRQL_TOO_HIGH, mdl, addr, 0, routine,
		       "user-mode mappings can only be removed at IRQL <= APC_LEVEL", caller);
		return;
	}
	Record *r = nullptr;
	Record *gone = nullptr;
	Record *elsewhere = nullptr;
	bool live = false;
	{
		LockGuard guard(MMSHIM_LOCK_MAP);
		// Several processes may map one MDL at the same address. The
		// caller's own mapping wins; then, from a context without a
		// process (exit, a worker), one that is already gone; a live one
		// of another process is refused; else any gone one (its process
		// is gone, its file was closed elsewhere).
		for (Record *c = g_head; c; c = c->next) {
			if (c->mdl != mdl || c->state != kDone || (addr != c->base + c->offset && addr != c->base))
				continue;
			const bool c_live = mmshim_plat_usermap_live(c->handle) != 0;
			if (process && c->process == process) {
				r = c;
				live = c_live;
				break;
			}
			if (!c_live)
				gone = gone ? gone : c;
			else
				elsewhere = c;
		}
		if (!r && gone && (!process || !elsewhere))
			r = gone;
		if (r)
			unlink(r);
	}
	if (!r) {
		if (elsewhere)
			report(MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS, mdl, addr,
			       reinterpret_cast<uptr>(elsewhere->process), routine,
			       "a user mapping can only be removed in the process that owns it; "
			       "nothing was changed",
			       caller);
		else
			report(MMSHIM_VRF_MDL_NOT_MAPPED, mdl, addr, 0, routine,
			       "this address is not a user mapping of this MDL made by mmshim", caller);
		return;
	}
	if (live)
		mmshim_plat_usermap_unmap(r->handle);
	mmshim_plat_usermap_release(r->handle, 0);
	mmshim_plat_free(r);
}

void drop_all(MDL *m, const char *routine, void *caller)
{
	const auto mdl = reinterpret_cast<uptr>(m);
	for (;;) {
		Record *r = nullptr;
		bool abandoned = false;
		// No user mappings at all (the common case): no lock taken, since
		// every unlock and free comes through here.
		if (!__atomic_load_n(&g_head, __ATOMIC_RELAXED))
			return;
		{
			LockGuard guard(MMSHIM_LOCK_MAP);
			for (Record *c = g_head; c; c = c->next) {
				if (c->mdl == mdl) {
					r = c;
					unlink(r);
					// Being mapped by another thread, which
					// undoes it and frees r.
					abandoned = r->state == kMapping;
					if (abandoned)
						__atomic_store_n(&r->state, kAbandoned, __ATOMIC_RELEASE);
					break;
				}
			}
		}
		if (!r)
			return;
		if (abandoned) {
			report(MMSHIM_VRF_MDL_MAPPING_ABANDONED, mdl, 0, 0, routine,
			       "the MDL's pages are released while another thread is still mapping them into "
			       "a process; that mapping fails (NULL)",
			       caller);
			continue;
		}
		const bool live = mmshim_plat_usermap_live(r->handle) != 0;
		if (live)
			report(MMSHIM_VRF_USER_MAPPING_LIVE, mdl, r->base + r->offset,
			       reinterpret_cast<uptr>(r->process), routine,
			       "the MDL's pages are released while a process still maps them; "
			       "mmshim removes the process's access first",
			       caller);
		mmshim_plat_usermap_release(r->handle, live);
		mmshim_plat_free(r);
	}
}

bool has(const MDL *mdl)
{
	if (!__atomic_load_n(&g_head, __ATOMIC_RELAXED))
		return false;
	LockGuard guard(MMSHIM_LOCK_MAP);
	for (Record *c = g_head; c; c = c->next)
		if (c->mdl == reinterpret_cast<uptr>(mdl))
			return true;
	return false;
}

bool first_in(uptr lo, uptr hi, uptr *key)
{
	if (!__atomic_load_n(&g_head, __ATOMIC_RELAXED))
		return false;
	LockGuard guard(MMSHIM_LOCK_MAP);
	for (Record *c = g_head; c; c = c->next) {
		if (c->mdl >= lo && c->mdl < hi) {
			*key = c->mdl;
			return true;
		}
	}
	return false;
}

void release_all_at_unload()
{
	uptr leaked = 0;
	for (;;) {
		Record *r;
		{
			LockGuard guard(MMSHIM_LOCK_MAP);
			r = g_head;
			if (r)
				unlink(r);
		}
		if (!r)
			break;
		leaked++;
		mmshim_plat_usermap_release(r->handle, 1);
		mmshim_plat_free(r);
	}
	if (leaked)
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPINGS_LEAKED_AT_UNLOAD, 0,
				 leaked, 0, "mmshim unload",
				 "user mappings were never removed with MmUnmapLockedPages; mmshim "
				 "releases them now",
				 nullptr);
}

} // namespace mmshim::usermap

using namespace mmshim;

extern "C" SIZE_T MmshimUserMappingCount(VOID)
{
	LockGuard guard(MMSHIM_LOCK_MAP);
	return usermap::g_count;
}
