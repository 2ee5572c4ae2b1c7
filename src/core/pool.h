// SPDX-License-Identifier: GPL-2.0
// pool.h - the core's pool allocator, shared by the pool routines and by
// areas that hand pool blocks to drivers (MDLs from MmAllocatePagesForMdl
// are freed with ExFreePool).
#pragma once

#include "support.h"

namespace mmshim::pool {

// EX_POOL_PRIORITY reduced to its three classes (special-pool bits dropped).
enum class Priority : unsigned char { kNormal, kLow, kHigh };
Priority priority_of(ULONG ex_pool_priority);

struct Request {
	SIZE_T size;
	ULONG tag;
	ULONG pool_type; // for reports
	bool paged;
	bool zero;
	bool cache_aligned;
	Priority priority;
	const char *routine;
	void *caller;
};

// Allocate a tagged block; NULL (with a report for driver errors) on failure.
void *allocate(const Request &req);
// ExAllocatePoolWithTag's rules for a POOL_TYPE (with its modifier bits;
// POOL_QUOTA_FAIL_INSTEAD_OF_RAISE only if quota_routine). Refusals are
// reported. *raise says whether a NULL result must raise (the caller raises,
// with no lock held).
void *allocate_by_type(ULONG type, SIZE_T size, ULONG tag, Priority priority, bool quota_routine,
		       bool *raise, const char *routine, void *caller);
// Free a block; with check_tag, a tag mismatch is refused and reported.
void free(void *p, ULONG tag, bool check_tag, const char *routine, void *caller);
// If p is the start of a live pool block: its size in bytes. Never
// dereferences p. Atomic-safe.
bool block_bytes(const void *p, uptr *bytes);
// Same, with the block's tag. Never dereferences p unless it is live.
bool block_info(const void *p, uptr *bytes, ULONG *tag);
void usage(SIZE_T *blocks, SIZE_T *bytes);
unsigned rows_by_tag(mmshim_pool_row *rows, unsigned max);
// Module unload: free and report whatever drivers left behind.
void release_all_at_unload();

} // namespace mmshim::pool
