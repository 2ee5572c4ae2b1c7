// SPDX-License-Identifier: GPL-2.0
// support.h - small building blocks shared by the core areas: a lock guard
// over the platform's spinlocks, overflow-checked arithmetic, and an
// intrusive address registry. No allocation, no libstdc++.
#pragma once

#include <wdm.h>
#include "platform.h"

namespace mmshim {

using uptr = ULONG_PTR;

inline constexpr uptr kPageSize = PAGE_SIZE;
inline constexpr uptr kPageMask = PAGE_SIZE - 1;

// RAII holder of one of the glue's IRQ-safe spinlocks.
class LockGuard {
public:
	explicit LockGuard(mmshim_lock_id id) : id_(id), flags_(mmshim_plat_lock(id)) {}
	~LockGuard() { mmshim_plat_unlock(id_, flags_); }
	LockGuard(const LockGuard &) = delete;
	LockGuard &operator=(const LockGuard &) = delete;

private:
	mmshim_lock_id id_;
	unsigned long flags_;
};

// a + b, or false if it overflows.
template <typename T> inline bool checked_add(T a, T b, T *out)
{
	return !__builtin_add_overflow(a, b, out);
}

// Pages spanned by [va, va + length), computed in 64 bits so it cannot wrap
// for any 32-bit Windows length (ADDRESS_AND_SIZE_TO_SPAN_PAGES semantics).
inline constexpr uptr span_pages(uptr va, uptr length)
{
	return ((va & kPageMask) + length + kPageMask) >> PAGE_SHIFT;
}

inline constexpr uptr align_up(uptr v, uptr align) { return (v + align - 1) & ~(align - 1); }

// Membership set of objects that carry a RegistryLink, keyed by the link's
// address. Lookups compare addresses only and never dereference a candidate,
// so any pointer a driver passes in can be checked safely. The caller holds
// the lock that protects the registry.
struct RegistryLink {
	RegistryLink *next;
};

template <unsigned kBuckets> class AddressRegistry {
	static_assert((kBuckets & (kBuckets - 1)) == 0, "power of two");

public:
	constexpr AddressRegistry() = default;

	void insert(RegistryLink *link)
	{
		RegistryLink **head = &buckets_[bucket(link)];
		link->next = *head;
		*head = link;
		count_++;
	}

	bool contains(const RegistryLink *link) const
	{
		for (const RegistryLink *l = buckets_[bucket(link)]; l; l = l->next)
			if (l == link)
				return true;
		return false;
	}

	// Removes link if present; returns whether it was.
	bool remove(RegistryLink *link)
	{
		for (RegistryLink **pp = &buckets_[bucket(link)]; *pp; pp = &(*pp)->next) {
			if (*pp == link) {
				*pp = link->next;
				link->next = nullptr;
				count_--;
				return true;
			}
		}
		return false;
	}

	// Unlinks and returns any one member, or nullptr when empty.
	RegistryLink *pop()
	{
		for (auto &head : buckets_) {
			if (head) {
				RegistryLink *l = head;
				head = l->next;
				l->next = nullptr;
				count_--;
				return l;
			}
		}
		return nullptr;
	}

	template <typename Fn> void for_each(Fn &&fn) const
	{
		for (const RegistryLink *head : buckets_)
			for (const RegistryLink *l = head; l; l = l->next)
				fn(l);
	}

	uptr count() const { return count_; }

private:
	static unsigned bucket(const RegistryLink *link)
	{
		uptr key = reinterpret_cast<uptr>(link) >> 4;
		return static_cast<unsigned>((key * 0x9E3779B97F4A7C15ULL) >> 40) & (kBuckets - 1);
	}

	RegistryLink *buckets_[kBuckets] = {};
	uptr count_ = 0;
};

// Map from a key (e.g. an MDL's address) to mmshim-owned records that embed
// a KeyedLink. Only the records are dereferenced, never the key, so drivers'
// pointers are looked up safely. The caller holds the protecting lock.
struct KeyedLink {
	KeyedLink *next;
	uptr key;
};

template <unsigned kBuckets> class KeyedTable {
	static_assert((kBuckets & (kBuckets - 1)) == 0, "power of two");

public:
	constexpr KeyedTable() = default;

	void insert(KeyedLink *link, uptr key)
	{
		link->key = key;
		KeyedLink **head = &buckets_[bucket(key)];
		link->next = *head;
		*head = link;
		count_++;
	}

	KeyedLink *find(uptr key) const
	{
		for (KeyedLink *l = buckets_[bucket(key)]; l; l = l->next)
			if (l->key == key)
				return l;
		return nullptr;
	}

	// Unlinks and returns the record for key, or nullptr.
	KeyedLink *take(uptr key)
	{
		for (KeyedLink **pp = &buckets_[bucket(key)]; *pp; pp = &(*pp)->next) {
			if ((*pp)->key == key) {
				KeyedLink *l = *pp;
				*pp = l->next;
				l->next = nullptr;
				count_--;
				return l;
			}
		}
		return nullptr;
	}

	// Unlinks and returns the first record for key that pred accepts
	// (several records may share a key), or nullptr.
	template <typename Pred> KeyedLink *take_if(uptr key, Pred &&pred)
	{
		for (KeyedLink **pp = &buckets_[bucket(key)]; *pp; pp = &(*pp)->next) {
			if ((*pp)->key == key && pred(*pp)) {
				KeyedLink *l = *pp;
				*pp = l->next;
				l->next = nullptr;
				count_--;
				return l;
			}
		}
		return nullptr;
	}

	// Calls fn(link) for every record until fn returns true; returns that
	// record or nullptr.
	template <typename Fn> KeyedLink *find_if(Fn &&fn) const
	{
		for (KeyedLink *head : buckets_)
			for (KeyedLink *l = head; l; l = l->next)
				if (fn(l))
					return l;
		return nullptr;
	}

	// Unlinks and returns any one record, or nullptr when empty.
	KeyedLink *pop()
	{
		for (auto &head : buckets_) {
			if (head) {
				KeyedLink *l = head;
				head = l->next;
				l->next = nullptr;
				count_--;
				return l;
			}
		}
		return nullptr;
	}

	uptr count() const { return count_; }
	// Without the lock: a hint (0 means there was nothing a moment ago).
	uptr count_relaxed() const { return __atomic_load_n(&count_, __ATOMIC_RELAXED); }

private:
	static unsigned bucket(uptr key)
	{
		return static_cast<unsigned>(((key >> 4) * 0x9E3779B97F4A7C15ULL) >> 40) & (kBuckets - 1);
	}

	KeyedLink *buckets_[kBuckets] = {};
	uptr count_ = 0;
};

// Take every record out of `table` (an AddressRegistry or KeyedTable), one
// at a time under `lock`, and hand each to `release` with the lock dropped.
// Returns how many there were. For module unload.
template <typename Table, typename Fn> uptr drain(Table &table, mmshim_lock_id lock, Fn &&release)
{
	uptr n = 0;
	for (;;) {
		decltype(table.pop()) link;
		{
			LockGuard guard(lock);
			link = table.pop();
		}
		if (!link)
			return n;
		n++;
		release(link);
	}
}

// Recover the enclosing object from its embedded RegistryLink (first member).
template <typename T> inline T *from_link(const RegistryLink *l)
{
	return reinterpret_cast<T *>(const_cast<RegistryLink *>(l));
}

template <typename T> inline T *from_link(const KeyedLink *l)
{
	return reinterpret_cast<T *>(const_cast<KeyedLink *>(l));
}

} // namespace mmshim
