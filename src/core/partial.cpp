// SPDX-License-Identifier: GPL-2.0
// partial.cpp - which lock or allocation holds a partial MDL's frames (see
// partial.h). IoBuildPartialMdl itself is in map.cpp.
#include "partial.h"
#include "lock.h"
#include "pagealloc.h"
#include "range.h"
#include "verifier.h"

namespace mmshim::partial {
namespace {

struct Record {
	KeyedLink link; // key: the partial MDL's address
	uptr holder;    // the MDL whose lock or allocation holds the frames (never dereferenced)
	uptr pages;     // PFN entries IoBuildPartialMdl wrote
	unsigned long long seq;
};

constinit KeyedTable<256> g_records; // under MMSHIM_LOCK_PARTIAL
constinit unsigned long long g_seq = 0;

uptr key_of(const MDL *m) { return reinterpret_cast<uptr>(m); }

// A frame holder mmshim knows of: locked, or holding allocated pages.
// Takes MMSHIM_LOCK_PAGES / MMSHIM_LOCK_PAGEALLOC inside MMSHIM_LOCK_PARTIAL.
bool holds_frames(const MDL *m) { return lock::is_locked(m) || pagealloc::owns_mdl(m); }

} // namespace

void built(const MDL *target, const MDL *source, uptr pages)
{
	auto *fresh = static_cast<Record *>(
		mmshim_plat_alloc(sizeof(Record), mmshim_plat_may_sleep() ? 0 : MMSHIM_ALLOC_ATOMIC));
	Record *old;
	{
		LockGuard guard(MMSHIM_LOCK_PARTIAL);
		KeyedLink *l = g_records.take(key_of(target));
		old = l ? from_link<Record>(l) : nullptr;
		// A partial of a partial is held by the first source. A source
		// that is partial without a record holds nothing mmshim knows.
		uptr holder = key_of(source);
		if (KeyedLink *s = g_records.find(key_of(source)))
			holder = from_link<Record>(s)->holder;
		// Checked under this lock: a release of the holder either came
		// before (not held: no record) or takes the record out after.
		if (fresh && holds_frames(reinterpret_cast<const MDL *>(holder))) {
			fresh->holder = holder;
			fresh->pages = pages;
			fresh->seq = ++g_seq;
			g_records.insert(&fresh->link, key_of(target));
			fresh = nullptr;
		}
	}
	if (old)
		mmshim_plat_free(old);
	if (fresh)
		mmshim_plat_free(fresh);
}

bool check(const MDL *m, unsigned long long *token, const char *routine, void *caller)
{
	*token = 0;
	const auto flags = static_cast<USHORT>(__atomic_load_n(&m->MdlFlags, __ATOMIC_RELAXED));
	if (!(flags & MDL_PARTIAL) || (flags & MDL_SOURCE_IS_NONPAGED_POOL))
		return true;
	{
		LockGuard guard(MMSHIM_LOCK_PARTIAL);
		if (KeyedLink *l = g_records.find(key_of(m)))
			*token = from_link<Record>(l)->seq;
	}
	if (*token)
		return true;
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED, key_of(m), 0, 0,
			 routine,
			 "the partial MDL's source is no longer locked or allocated (or it was not built by "
			 "IoBuildPartialMdl from one that was): its frames may belong to someone else now",
			 caller);
	return false;
}

bool still(const MDL *m, unsigned long long token)
{
	if (!token)
		return true;
	LockGuard guard(MMSHIM_LOCK_PARTIAL);
	KeyedLink *l = g_records.find(key_of(m));
	return l && from_link<Record>(l)->seq == token;
}

// read(record) of m's record under the lock; false if m has none.
template <typename Read> bool read_record(const MDL *m, Read &&read)
{
	if (!g_records.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PARTIAL);
	KeyedLink *l = g_records.find(key_of(m));
	if (l)
		read(*from_link<Record>(l));
	return l != nullptr;
}

bool pages_of(const MDL *m, uptr *pages)
{
	return read_record(m, [pages](const Record &r) { *pages = r.pages; });
}

bool holder_of(const MDL *m, uptr *holder)
{
	return read_record(m, [holder](const Record &r) { *holder = r.holder; });
}

bool take_tied_to(const MDL *source, uptr *target)
{
	if (!g_records.count_relaxed())
		return false;
	Record *r;
	{
		LockGuard guard(MMSHIM_LOCK_PARTIAL);
		KeyedLink *l = g_records.find_if(
			[&](const KeyedLink *c) { return from_link<Record>(c)->holder == key_of(source); });
		if (!l)
			return false;
		g_records.take_if(l->key, [&](const KeyedLink *c) { return c == l; });
		r = from_link<Record>(l);
	}
	*target = r->link.key;
	mmshim_plat_free(r);
	return true;
}

void forget(const MDL *target)
{
	if (!g_records.count_relaxed())
		return;
	KeyedLink *l;
	{
		LockGuard guard(MMSHIM_LOCK_PARTIAL);
		l = g_records.take(key_of(target));
	}
	if (l)
		mmshim_plat_free(from_link<Record>(l));
}

bool first_in(uptr lo, uptr hi, uptr *key)
{
	if (!g_records.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_PARTIAL);
	return key_in_range(g_records, lo, hi, key);
}

uptr count()
{
	LockGuard guard(MMSHIM_LOCK_PARTIAL);
	return g_records.count();
}

void release_all_at_unload()
{
	drain(g_records, MMSHIM_LOCK_PARTIAL, [](KeyedLink *l) { mmshim_plat_free(from_link<Record>(l)); });
}

} // namespace mmshim::partial
