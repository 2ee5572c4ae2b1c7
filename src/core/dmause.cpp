// SPDX-License-Identifier: GPL-2.0
// dmause.cpp - the MDLs live DMA mappings cover (dmause.h).
#include "dmause.h"
#include "verifier.h"

namespace mmshim::dmause {
namespace {

constinit KeyedTable<64> g_uses;

} // namespace

void add_locked(Use *use, const MDL *mdl)
{
	g_uses.insert(&use->link, reinterpret_cast<uptr>(mdl));
}

void remove_locked(Use *use)
{
	(void)g_uses.take_if(use->link.key, [use](KeyedLink *l) { return l == &use->link; });
}

bool mapped(const MDL *mdl)
{
	if (!g_uses.count_relaxed())
		return false;
	LockGuard guard(MMSHIM_LOCK_DMA);
	return g_uses.find(reinterpret_cast<uptr>(mdl)) != nullptr;
}

bool refuse_if_mapped(const MDL *mdl, const char *routine, void *caller)
{
	if (!mapped(mdl))
		return false;
	report_still_mapped(mdl, routine, caller);
	return true;
}

void report_still_mapped(const MDL *mdl, const char *routine, void *caller)
{
	verifier::report(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, reinterpret_cast<uptr>(mdl), 0, 0,
			 routine,
			 "a scatter/gather list or a MapTransfer mapping still maps the MDL (the device may still "
			 "use its pages): PutScatterGatherList / FlushAdapterBuffers first; refused, nothing released",
			 caller);
}

InBlock in_block(uptr lo, uptr hi, uptr *mdl)
{
	InBlock found = InBlock::kNone;
	if (!g_uses.count_relaxed())
		return found;
	LockGuard guard(MMSHIM_LOCK_DMA);
	g_uses.find_if([&](KeyedLink *k) {
		const Use *u = from_link<Use>(k);
		const auto at = reinterpret_cast<uptr>(u);
		InBlock here = InBlock::kNone;
		if (hi - lo >= sizeof(MDL) && k->key >= lo && k->key <= hi - sizeof(MDL))
			here = InBlock::kMdl;
		else if (at >= lo && at < hi)
			here = InBlock::kRecord;
		else if (u->va_lo < u->va_hi && u->va_lo < hi && lo < u->va_hi)
			here = InBlock::kMemory;
		if (here != InBlock::kNone && (found == InBlock::kNone || here < found)) {
			found = here;
			*mdl = k->key;
		}
		return found == InBlock::kMdl; // nothing takes precedence over it
	});
	return found;
}

uptr count()
{
	LockGuard guard(MMSHIM_LOCK_DMA);
	return g_uses.count();
}

} // namespace mmshim::dmause
