// SPDX-License-Identifier: GPL-2.0
// range.h - finding records whose key (an MDL's address) lies inside an
// address range, for a pool block being freed with MDLs embedded in it.
#pragma once

#include "support.h"

namespace mmshim {

// A key of `table` (a KeyedTable) in [lo, hi), or false. MDLs are 8-byte
// aligned: a small range probes each possible key (a hash lookup each), a
// large one walks the whole table. The caller holds the table's lock.
template <typename Table> bool key_in_range(const Table &table, uptr lo, uptr hi, uptr *key)
{
	constexpr uptr kAlign = 8, kProbes = 128;
	if (hi <= lo)
		return false;
	if ((hi - lo) / kAlign <= kProbes) {
		for (uptr k = align_up(lo, kAlign); k < hi && k >= lo; k += kAlign) {
			if (table.find(k)) {
				*key = k;
				return true;
			}
		}
		return false;
	}
	const KeyedLink *l = table.find_if([&](const KeyedLink *c) { return c->key >= lo && c->key < hi; });
	if (!l)
		return false;
	*key = l->key;
	return true;
}

} // namespace mmshim
