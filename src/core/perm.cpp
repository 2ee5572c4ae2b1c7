// SPDX-License-Identifier: GPL-2.0
// perm.cpp - no write reaches a page its owner could not write.
//
// Windows maps whatever an MDL describes writable unless the driver passes
// MdlMappingNoWrite. On Linux the frames may be shared with everyone: the
// zero page behind untouched memory, the page cache of a file the process
// opened read-only, kernel read-only data. A writable mapping of those is a
// write the owner could never make, so mmshim maps them read-only, in every
// kind of mapping, and the user-mode path reports it (usermap.cpp).
#include "perm.h"
#include "lock.h"

namespace mmshim::perm {

bool read_only(const MDL *mdl, const PFN_NUMBER *pfns, uptr pages)
{
	return read_only(lock::owner_of(mdl, pfns, pages), pfns, pages);
}

bool read_only(const lock::Owner &owner, const PFN_NUMBER *pfns, uptr pages)
{
	if (owner.locked ? owner.read_only : lock::frames_locked_read_only(pfns, pages))
		return true;
	// The frames the MDL's own lock took: a user lock pinned them for
	// writing (the process can write them), a kernel lock judged them as
	// it locked them. Frames the driver wrote since are judged below.
	if (owner.same_frames)
		return false;
	return mmshim_plat_frames_read_only(reinterpret_cast<const unsigned long long *>(pfns), pages) != 0;
}

} // namespace mmshim::perm
