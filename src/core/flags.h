// SPDX-License-Identifier: GPL-2.0
// flags.h - atomic updates of an MDL's MdlFlags.
//
// Map, unmap, lock and unlock paths of one MDL may run on several CPUs at
// once (Windows drivers do that, sometimes by mistake). A plain `|=` or
// `&=` is a read-modify-write: a map setting MDL_MAPPED_TO_SYSTEM_VA could
// write back MDL_PAGES_LOCKED that an unlock cleared in between. Every
// change mmshim makes to the flags of an MDL others can see is one atomic
// OR or AND on the 16-bit field, which touches only the bits it names.
#pragma once

#include "support.h"

namespace mmshim {

inline USHORT mdl_flags(const MDL *m)
{
	return static_cast<USHORT>(__atomic_load_n(&m->MdlFlags, __ATOMIC_RELAXED));
}

inline void mdl_flags_set(MDL *m, unsigned bits)
{
	__atomic_fetch_or(&m->MdlFlags, static_cast<CSHORT>(bits), __ATOMIC_RELAXED);
}

inline void mdl_flags_clear(MDL *m, unsigned bits)
{
	__atomic_fetch_and(&m->MdlFlags, static_cast<CSHORT>(~bits), __ATOMIC_RELAXED);
}

} // namespace mmshim
