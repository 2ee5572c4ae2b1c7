// SPDX-License-Identifier: GPL-2.0
// core.cpp - start and stop of the core, called by the glue's module init/exit.
#include "lock.h"
#include "map.h"
#include "reserve.h"
#include "vapool.h"
#include "mdl.h"
#include "pagealloc.h"
#include "pool.h"
#include "verifier.h"
#include "usermap.h"
#include "partial.h"
#include "vocab.h"
#include "lookaside.h"
#include "mmextra.h"
#include "dma.h"

extern "C" int mmshim_core_init(void)
{
	mmshim::verifier::reset();
	mmshim::vocab::init();
	int rc = mmshim::mdl::init();
	if (rc)
		return rc;
	rc = mmshim::vapool::init();
	if (rc)
		mmshim::mdl::exit();
	return rc;
}

extern "C" void mmshim_core_exit(void)
{
	// Drivers that used mmshim are unloaded by now (they hold a module
	// reference); whatever they left is reported and released.
	mmshim::dma::release_all_at_unload(); // first: lists map pages of locked MDLs
	mmshim::vocab::release_all_at_unload(); // secured ranges hold MDL locks
	mmshim::mmextra::release_all_at_unload(); // before map and pagealloc: it holds both
	mmshim::reserve::release_all_at_unload();
	mmshim::usermap::release_all_at_unload();
	mmshim::map::release_all_at_unload();
	mmshim::partial::release_all_at_unload();
	mmshim::iospace::release_all_at_unload();
	mmshim::pagealloc::release_all_at_unload();
	mmshim::lock::release_all_at_unload();
	mmshim::mdl::release_all_at_unload();
	mmshim::lookaside::release_all_at_unload();
	mmshim::pool::release_all_at_unload();
	mmshim::vapool::exit();
	mmshim::mdl::exit();
}
