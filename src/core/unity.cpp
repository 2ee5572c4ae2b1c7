// SPDX-License-Identifier: GPL-2.0
// unity.cpp - the whole C++ core as ONE translation unit for the kernel build.
//
// Why: kernels with CONFIG_CALL_PADDING (Debian 6.12) compile with
// -fpatchable-function-entry, and gcc 12 puts the entries of every function
// of an object, COMDAT ones included, into a single
// __patchable_function_entries section. When two objects both emit an
// out-of-line copy of the same inline function or template, ld -r keeps one
// COMDAT copy and then fails: "referenced in section
// `__patchable_function_entries' ... defined in discarded section". Whether
// a copy is emitted depends on inlining (-O2 vs -Os), so separate objects
// would build on one kernel and break on another. One TU has no duplicates.
//
// Every core .cpp file is listed here (the Kbuild checks none is missing);
// host tests still compile them one by one.
#include "verifier.cpp"
#include "pool.cpp"
#include "mdl.cpp"
#include "seh.cpp"
#include "probe.cpp"
#include "lock.cpp"
#include "map.cpp"
#include "vapool.cpp"
#include "reserve.cpp"
#include "iospace.cpp"
#include "pages_alloc.cpp"
#include "routines.cpp"
#include "core.cpp"
#include "usermap.cpp"
#include "perm.cpp"
#include "partial.cpp"
#include "irql.cpp"
#include "vocab.cpp"
#include "lookaside.cpp"
#include "mmextra.cpp"
#include "mmcopy.cpp"
#include "dmause.cpp"
#include "dma.cpp"
