// SPDX-License-Identifier: GPL-2.0
// lookaside.cpp - lookaside lists: ExInitialize/Delete(N)PagedLookasideList,
// ExAllocateFrom/FreeTo(N)PagedLookasideList, ExInitializeLookasideListEx,
// ExDeleteLookasideListEx, ExFlushLookasideListEx, ExAllocateFrom/
// FreeToLookasideListEx (the inline ones reach MmshimLookasideAllocate/Free).
//
// Each initialised list has a record here, keyed by the list's address: the
// cache of free entries (linked through their first 8 bytes, as Windows'
// SLIST does), the count of entries handed out, and copies of the routines,
// size, tag and pool type. The driver's structure gets the WDK-visible fields
// and counters. Everything happens under one IRQ-safe lock; allocate and free
// routines (the driver's or the pool's) run with no lock held. A list that is
// not in the table was never initialised or has been deleted: using it is
// reported, and its memory is never read.
#include "lookaside.h"
#include "pool.h"
#include "seh.h"
#include "verifier.h"

namespace mmshim::lookaside {
namespace {

constexpr USHORT kMinimumDepth = 4;   // Windows' minimum (and starting) depth
constexpr USHORT kMaximumDepth = 256; // Windows' maximum depth
constexpr ULONG kWindow = 64;         // allocations between depth adjustments
// Second word of a cached entry: kCachedMagic ^ the list's address.
constexpr uptr kCachedMagic = 0x4c6b6f6f4c6d6853ULL;

enum class Kind : unsigned char { kNPaged, kPaged, kEx };

struct List {
	KeyedLink link; // key: the driver's list
	void *head;     // cached entries
	ULONG cached;
	ULONG outstanding; // entries handed out and not freed to this list
	ULONG size;
	ULONG tag;
	ULONG type; // POOL_TYPE given to the allocate routine, with its modifiers
	Kind kind;
	bool paged;
	PALLOCATE_FUNCTION allocate; // nullptr: the pool
	PFREE_FUNCTION free;
	PALLOCATE_FUNCTION_EX allocate_ex;
	PFREE_FUNCTION_EX free_ex;
};

constinit KeyedTable<256> g_lists;

// Both layouts start with the same 0x60 bytes.
GENERAL_LOOKASIDE_POOL *view(void *list)
{
	return static_cast<GENERAL_LOOKASIDE_POOL *>(list);
}

List *find(const void *list)
{
	return from_link<List>(g_lists.find(reinterpret_cast<uptr>(list)));
}

uptr word(const void *entry, unsigned i)
{
	uptr v;
	__builtin_memcpy(&v, static_cast<const char *>(entry) + i * sizeof(uptr), sizeof(v));
	return v;
}

void set_word(void *entry, unsigned i, uptr v)
{
	__builtin_memcpy(static_cast<char *>(entry) + i * sizeof(uptr), &v, sizeof(v));
}

bool in_cache(const List *l, const void *entry)
{
	const void *e = l->head;
	for (ULONG i = 0; e && i < l->cached; i++, e = reinterpret_cast<const void *>(word(e, 0)))
		if (e == entry)
			return true;
	return false;
}

bool has_cookie(const List *l) { return l->size >= 2 * sizeof(uptr); }

const char *name(Kind k, const char *npaged, const char *paged, const char *ex)
{
	return k == Kind::kNPaged ? npaged : k == Kind::kPaged ? paged : ex;
}

// Release one entry to where it came from. No lock held.
void release(const List &l, void *list, void *entry, const char *routine, void *caller)
{
	if (l.kind == Kind::kEx) {
		if (l.free_ex)
			l.free_ex(entry, static_cast<PLOOKASIDE_LIST_EX>(list));
		else
			pool::free(entry, 0, false, routine, caller);
	} else if (l.free) {
		l.free(entry);
	} else {
		pool::free(entry, 0, false, routine, caller);
	}
}

// Release a detached chain of cached entries. No lock held.
void release_chain(const List &l, void *list, void *head, const char *routine, void *caller)
{
	while (head) {
		void *next = reinterpret_cast<void *>(word(head, 0));
		release(l, list, head, routine, caller);
		head = next;
	}
}

// Windows resizes a list's cache once a second from the miss rate; mmshim
// does it every kWindow allocations: grow by the misses of the window when
// more than 1 in 16 missed, shrink by one when none did. Lock held.
void adjust_depth(GENERAL_LOOKASIDE_POOL *w)
{
	const ULONG allocs = w->TotalAllocates - w->LastTotalAllocates;
	if (allocs < kWindow)
		return;
	const ULONG misses = w->AllocateMisses - w->LastAllocateMisses;
	ULONG depth = w->Depth;
	if (misses > kWindow / 16)
		depth = depth + misses > w->MaximumDepth ? w->MaximumDepth : depth + misses;
	else if (misses == 0 && depth > kMinimumDepth)
		depth--;
	w->Depth = static_cast<USHORT>(depth);
	w->LastTotalAllocates = w->TotalAllocates;
	w->LastAllocateMisses = w->AllocateMisses;
}

void report(uptr code, uptr p2, uptr p3, uptr p4, const char *routine, const char *what, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, code, p2, p3, p4, routine, what, caller);
}

struct Params {
	Kind kind;
	PALLOCATE_FUNCTION allocate;
	PFREE_FUNCTION free;
	PALLOCATE_FUNCTION_EX allocate_ex;
	PFREE_FUNCTION_EX free_ex;
	ULONG type;
	SIZE_T size;
	ULONG tag;
	USHORT depth;
};

NTSTATUS initialize(void *list, const Params &p, const char *routine, void *caller)
{
	const uptr addr = reinterpret_cast<uptr>(list);
	if (!list) {
		report(MMSHIM_VRF_NULL_ARGUMENT, 1, 0, 0, routine, "Lookaside is NULL", caller);
		return STATUS_INVALID_PARAMETER;
	}
	if (p.size < LOOKASIDE_MINIMUM_BLOCK_SIZE || p.size > MAXULONG) {
		report(MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER, addr, p.size, 0, routine,
		       "entry Size must be at least 8 bytes and fit a ULONG", caller);
		return STATUS_INVALID_PARAMETER;
	}
	const bool paged = (p.type & PagedPool) != 0;
	const bool may_sleep = mmshim_plat_may_sleep();
	if (paged && !may_sleep) {
		report(MMSHIM_VRF_IRQL_TOO_HIGH, addr, 0, 0, routine,
		       "a paged lookaside list is initialised in atomic context (IRQL > APC_LEVEL)", caller);
		return STATUS_INVALID_PARAMETER;
	}
	auto *l = static_cast<List *>(mmshim_plat_alloc(sizeof(List), may_sleep ? 0 : MMSHIM_ALLOC_ATOMIC));
	if (!l)
		return STATUS_INSUFFICIENT_RESOURCES;
	*l = List{};
	l->size = static_cast<ULONG>(p.size);
	l->tag = p.tag;
	l->type = p.type;
	l->kind = p.kind;
	l->paged = paged;
	l->allocate = p.allocate;
	l->free = p.free;
	l->allocate_ex = p.allocate_ex;
	l->free_ex = p.free_ex;

	USHORT depth = p.depth < kMinimumDepth ? kMinimumDepth : p.depth > kMaximumDepth ? kMaximumDepth : p.depth;
	GENERAL_LOOKASIDE_POOL *w = view(list);
	__builtin_memset(static_cast<void *>(w), 0, sizeof(*w));
	w->Depth = depth;
	w->MaximumDepth = kMaximumDepth;
	w->Type = static_cast<POOL_TYPE>(p.type);
	w->Tag = p.tag;
	w->Size = static_cast<ULONG>(p.size);
	if (p.kind == Kind::kEx) {
		w->AllocateEx = p.allocate_ex;
		w->FreeEx = p.free_ex;
	} else {
		w->Allocate = p.allocate;
		w->Free = p.free;
	}
	w->ListEntry.Flink = w->ListEntry.Blink = &w->ListEntry;

	List *old;
	{
		LockGuard guard(MMSHIM_LOCK_LOOKASIDE);
		old = from_link<List>(g_lists.take(addr));
		g_lists.insert(&l->link, addr);
	}
	if (old) {
		// Initialised twice without a delete: the old cache is released
		// as a delete would, then reported.
		release_chain(*old, list, old->head, routine, caller);
		report(MMSHIM_VRF_LOOKASIDE_REINITIALIZED, addr, old->outstanding, old->tag, routine,
		       "lookaside list initialised again without being deleted; its cache was released",
		       caller);
		mmshim_plat_free(old);
	}
	return STATUS_SUCCESS;
}

enum class Refusal { kNone, kUnknown, kIrql };

void report_refusal(Refusal r, void *list, const char *routine, void *caller)
{
	if (r == Refusal::kUnknown)
		report(MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED, reinterpret_cast<uptr>(list), 0, 0, routine,
		       "lookaside list is not initialised, or was deleted", caller);
	else if (r == Refusal::kIrql)
		report(MMSHIM_VRF_IRQL_TOO_HIGH, reinterpret_cast<uptr>(list), 0, 0, routine,
		       "paged lookaside list used in atomic context (IRQL > APC_LEVEL); refused", caller);
}

void *allocate(void *list, void *caller)
{
	const bool may_sleep = mmshim_plat_may_sleep();
	const char *routine = "ExAllocateFromLookasideList";
	Refusal refusal = Refusal::kNone;
	void *entry = nullptr;
	List copy{};
	{
		LockGuard guard(MMSHIM_LOCK_LOOKASIDE);
		List *l = list ? find(list) : nullptr;
		if (!l) {
			refusal = Refusal::kUnknown;
		} else if (l->paged && !may_sleep) {
			refusal = Refusal::kIrql;
			routine = name(l->kind, routine, "ExAllocateFromPagedLookasideList",
				       "ExAllocateFromLookasideListEx");
		} else {
			GENERAL_LOOKASIDE_POOL *w = view(list);
			w->TotalAllocates++;
			if (l->head) {
				entry = l->head;
				l->head = reinterpret_cast<void *>(word(entry, 0));
				l->cached--;
				l->outstanding++;
				set_word(entry, 0, 0);
				if (has_cookie(l))
					set_word(entry, 1, 0);
			} else {
				w->AllocateMisses++;
				copy = *l;
			}
			adjust_depth(w);
		}
	}
	if (refusal != Refusal::kNone) {
		report_refusal(refusal, list, routine, caller);
		return nullptr;
	}
	if (entry)
		return entry;

	// A miss: a new entry from the list's allocate routine, no lock held.
	routine = name(copy.kind, "ExAllocateFromNPagedLookasideList", "ExAllocateFromPagedLookasideList",
		       "ExAllocateFromLookasideListEx");
	bool raise = false;
	if (copy.kind == Kind::kEx && copy.allocate_ex)
		entry = copy.allocate_ex(static_cast<POOL_TYPE>(copy.type), copy.size, copy.tag,
					 static_cast<PLOOKASIDE_LIST_EX>(list));
	else if (copy.kind != Kind::kEx && copy.allocate)
		entry = copy.allocate(static_cast<POOL_TYPE>(copy.type), copy.size, copy.tag);
	else
		entry = pool::allocate_by_type(copy.type & ~static_cast<ULONG>(POOL_QUOTA_FAIL_INSTEAD_OF_RAISE),
					       copy.size, copy.tag, pool::Priority::kNormal, false, &raise,
					       routine, caller);
	if (entry) {
		LockGuard guard(MMSHIM_LOCK_LOOKASIDE);
		if (List *l = find(list))
			l->outstanding++;
		return entry;
	}
	if (raise)
		seh::raise(STATUS_INSUFFICIENT_RESOURCES, routine, caller);
	return nullptr;
}

void free(void *list, void *entry, void *caller)
{
	enum class Verdict { kCached, kRelease, kRefused, kNull, kNotPool, kWrongPool, kTwice, kOtherCache, kExtra }
		verdict = Verdict::kRefused;
	const bool may_sleep = mmshim_plat_may_sleep();
	const uptr addr = reinterpret_cast<uptr>(list);
	const uptr e = reinterpret_cast<uptr>(entry);
	const char *routine = "ExFreeToLookasideList";
	Refusal refusal = Refusal::kNone;
	uptr detail = 0;
	List copy{};
	{
		LockGuard guard(MMSHIM_LOCK_LOOKASIDE);
		List *l = list ? find(list) : nullptr;
		if (l)
			routine = name(l->kind, "ExFreeToNPagedLookasideList", "ExFreeToPagedLookasideList",
				       "ExFreeToLookasideListEx");
		uptr bytes = 0;
		ULONG tag = 0;
		if (!l) {
			refusal = Refusal::kUnknown;
		} else if (l->paged && !may_sleep) {
			refusal = Refusal::kIrql;
		} else if (!entry) {
			verdict = Verdict::kNull;
		} else if (!l->allocate && !l->allocate_ex && !pool::block_info(entry, &bytes, &tag)) {
			// The pool's entries can be checked without touching them.
			verdict = Verdict::kNotPool;
		} else if (!l->allocate && !l->allocate_ex && (tag != l->tag || bytes != l->size)) {
			verdict = Verdict::kWrongPool;
			detail = tag;
		} else if ((l->allocate || l->allocate_ex) &&
			   (!mmshim_plat_kva_readable(entry) ||
			    !mmshim_plat_kva_readable(reinterpret_cast<void *>(e + l->size - 1)))) {
			verdict = Verdict::kNotPool;
		} else {
			List *other = nullptr;
			if (has_cookie(l)) {
				const uptr owner = word(entry, 1) ^ kCachedMagic;
				if (owner == addr)
					other = l;
				else if (owner > mmshim_plat_kernel_space_start())
					other = find(reinterpret_cast<void *>(owner));
			} else {
				other = l;
			}
			if (other && in_cache(other, entry)) {
				verdict = other == l ? Verdict::kTwice : Verdict::kOtherCache;
				detail = other->link.key;
			} else if (l->outstanding == 0) {
				verdict = Verdict::kExtra;
			} else {
				GENERAL_LOOKASIDE_POOL *w = view(list);
				l->outstanding--;
				w->TotalFrees++;
				if (l->cached < w->Depth) {
					set_word(entry, 0, reinterpret_cast<uptr>(l->head));
					if (has_cookie(l))
						set_word(entry, 1, kCachedMagic ^ addr);
					l->head = entry;
					l->cached++;
					verdict = Verdict::kCached;
				} else {
					w->FreeMisses++;
					copy = *l;
					verdict = Verdict::kRelease;
				}
			}
		}
	}
	if (refusal != Refusal::kNone) {
		report_refusal(refusal, list, routine, caller);
		return;
	}
	switch (verdict) {
	case Verdict::kCached:
	case Verdict::kRefused:
		return;
	case Verdict::kRelease:
		release(copy, list, entry, routine, caller);
		return;
	case Verdict::kNull:
		report(MMSHIM_VRF_LOOKASIDE_BAD_ENTRY, addr, 0, 0, routine, "freeing a NULL entry", caller);
		return;
	case Verdict::kNotPool:
		report(MMSHIM_VRF_LOOKASIDE_BAD_ENTRY, addr, e, 1, routine,
		       "entry is not a live allocation of this list (already released, or foreign); "
		       "left alone", caller);
		return;
	case Verdict::kWrongPool:
		report(MMSHIM_VRF_LOOKASIDE_WRONG_LIST, addr, e, detail, routine,
		       "entry has another tag or size than this list's entries: freed to the wrong list; "
		       "left alone", caller);
		return;
	case Verdict::kTwice:
		report(MMSHIM_VRF_LOOKASIDE_DOUBLE_FREE, addr, e, 0, routine,
		       "entry is already free in this lookaside list (double free); ignored", caller);
		return;
	case Verdict::kOtherCache:
		report(MMSHIM_VRF_LOOKASIDE_WRONG_LIST, addr, e, detail, routine,
		       "entry is free in another lookaside list (double free to the wrong list); ignored",
		       caller);
		return;
	case Verdict::kExtra:
		report(MMSHIM_VRF_LOOKASIDE_WRONG_LIST, addr, e, 0, routine,
		       "more entries freed to this list than were allocated from it: "
		       "an entry of another list, or a double free; left alone", caller);
		return;
	}
}

// Take the cache (flush) or the whole record (delete) out under the lock.
void *detach_cache(void *list, List *copy, Refusal *refusal, bool may_sleep)
{
	LockGuard guard(MMSHIM_LOCK_LOOKASIDE);
	List *l = list ? find(list) : nullptr;
	if (!l) {
		*refusal = Refusal::kUnknown;
		return nullptr;
	}
	if (l->paged && !may_sleep) {
		*refusal = Refusal::kIrql;
		return nullptr;
	}
	void *head = l->head;
	l->head = nullptr;
	l->cached = 0;
	*copy = *l;
	return head;
}

void remove(void *list, const char *routine, void *caller)
{
	const bool may_sleep = mmshim_plat_may_sleep();
	List *l = nullptr;
	Refusal refusal = Refusal::kNone;
	{
		LockGuard guard(MMSHIM_LOCK_LOOKASIDE);
		List *found = list ? find(list) : nullptr;
		if (!found)
			refusal = Refusal::kUnknown;
		else if (found->paged && !may_sleep)
			refusal = Refusal::kIrql;
		else
			l = from_link<List>(g_lists.take(reinterpret_cast<uptr>(list)));
	}
	if (!l) {
		report_refusal(refusal, list, routine, caller);
		return;
	}
	release_chain(*l, list, l->head, routine, caller);
	if (l->outstanding)
		report(MMSHIM_VRF_LOOKASIDE_OUTSTANDING, reinterpret_cast<uptr>(list), l->outstanding, l->tag,
		       routine,
		       "lookaside list deleted with entries still allocated from it; they stay allocated "
		       "(pool entries are reported again at mmshim unload if never freed)", caller);
	mmshim_plat_free(l);
}

} // namespace

void release_all_at_unload()
{
	SIZE_T outstanding = 0;
	const SIZE_T lists = drain(g_lists, MMSHIM_LOCK_LOOKASIDE, [&](KeyedLink *link) {
		List *l = from_link<List>(link);
		outstanding += l->outstanding;
		// The driver's own routines may be gone with its module: only
		// pool entries are released here (the pool frees the rest).
		if (!l->allocate && !l->allocate_ex && !l->free && !l->free_ex)
			release_chain(*l, reinterpret_cast<void *>(l->link.key), l->head, "mmshim unload",
				      nullptr);
		mmshim_plat_free(l);
	});
	if (lists)
		report(MMSHIM_VRF_LOOKASIDE_LEAKED_AT_UNLOAD, lists, outstanding, 0, "mmshim unload",
		       "lookaside lists were never deleted", nullptr);
}

SIZE_T live_lists()
{
	LockGuard guard(MMSHIM_LOCK_LOOKASIDE);
	return g_lists.count();
}

} // namespace mmshim::lookaside

using namespace mmshim;

namespace {

// Flags ExInitialize(N)PagedLookasideList accepts, OR-ed into the pool type.
constexpr ULONG kListFlags = POOL_NX_ALLOCATION | POOL_RAISE_IF_ALLOCATION_FAILURE;

bool classic_flags_ok(void *list, ULONG flags, const char *routine, void *caller)
{
	if (!(flags & ~kListFlags))
		return true;
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
			 reinterpret_cast<uptr>(list), flags, 1, routine,
			 "unknown Flags (only POOL_NX_ALLOCATION and POOL_RAISE_IF_ALLOCATION_FAILURE); "
			 "the list is not initialised", caller);
	return false;
}

} // namespace

extern "C" VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
						PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
						USHORT Depth)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExInitializeNPagedLookasideList";
	if (!classic_flags_ok(Lookaside, Flags, routine, caller))
		return;
	lookaside::Params p{lookaside::Kind::kNPaged, Allocate, Free, nullptr, nullptr,
			    NonPagedPool | Flags, Size, Tag, Depth};
	lookaside::initialize(Lookaside, p, routine, caller);
}

extern "C" VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
					       PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
					       USHORT Depth)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExInitializePagedLookasideList";
	if (!classic_flags_ok(Lookaside, Flags, routine, caller))
		return;
	// POOL_NX_ALLOCATION means nothing for paged pool (always NX).
	lookaside::Params p{lookaside::Kind::kPaged, Allocate, Free, nullptr, nullptr,
			    PagedPool | (Flags & POOL_RAISE_IF_ALLOCATION_FAILURE), Size, Tag, Depth};
	lookaside::initialize(Lookaside, p, routine, caller);
}

extern "C" NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
						PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags,
						SIZE_T Size, ULONG Tag, USHORT Depth)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExInitializeLookasideListEx";
	const ULONG type = static_cast<ULONG>(PoolType);
	const ULONG base = type & ~static_cast<ULONG>(NonPagedPoolNx);
	const bool type_ok = !(type & ~(static_cast<ULONG>(NonPagedPoolNx) | 5u)) &&
			     !((type & NonPagedPoolNx) && (base & 1));
	const bool flags_ok = !(Flags & ~3u) && Flags != 3u;
	if (!type_ok || !flags_ok) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
				 reinterpret_cast<uptr>(Lookaside), type_ok ? Flags : type, type_ok ? 1 : 2,
				 routine,
				 type_ok ? "Flags must be 0 or one of EX_LOOKASIDE_LIST_EX_FLAGS_*"
					 : "PoolType must be a nonpaged or paged type (no session, "
					   "no must-succeed)",
				 caller);
		return STATUS_INVALID_PARAMETER;
	}
	ULONG with = type;
	if (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL)
		with |= POOL_RAISE_IF_ALLOCATION_FAILURE;
	if (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE)
		with |= POOL_QUOTA_FAIL_INSTEAD_OF_RAISE;
	lookaside::Params p{lookaside::Kind::kEx, nullptr, nullptr, Allocate, Free, with, Size, Tag, Depth};
	return lookaside::initialize(Lookaside, p, routine, caller);
}

extern "C" VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
	lookaside::remove(Lookaside, "ExDeleteNPagedLookasideList", MMSHIM_CALLER());
}

extern "C" VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
	lookaside::remove(Lookaside, "ExDeletePagedLookasideList", MMSHIM_CALLER());
}

extern "C" VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
	lookaside::remove(Lookaside, "ExDeleteLookasideListEx", MMSHIM_CALLER());
}

extern "C" VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ExFlushLookasideListEx";
	lookaside::List copy{};
	lookaside::Refusal refusal = lookaside::Refusal::kNone;
	void *head = lookaside::detach_cache(Lookaside, &copy, &refusal, mmshim_plat_may_sleep());
	if (refusal != lookaside::Refusal::kNone) {
		lookaside::report_refusal(refusal, Lookaside, routine, caller);
		return;
	}
	lookaside::release_chain(copy, Lookaside, head, routine, caller);
}

extern "C" PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
	return lookaside::allocate(Lookaside, MMSHIM_CALLER());
}

extern "C" VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
	lookaside::free(Lookaside, Entry, MMSHIM_CALLER());
}

extern "C" PVOID MmshimLookasideAllocate(PVOID Lookaside)
{
	return lookaside::allocate(Lookaside, MMSHIM_CALLER());
}

extern "C" VOID MmshimLookasideFree(PVOID Lookaside, PVOID Entry)
{
	lookaside::free(Lookaside, Entry, MMSHIM_CALLER());
}

extern "C" SIZE_T MmshimLookasideListCount(VOID)
{
	return lookaside::live_lists();
}
