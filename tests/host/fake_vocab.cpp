// SPDX-License-Identifier: GPL-2.0
// fake_vocab.cpp - the fake platform's current task (see fake_vocab.h).
#include "fake_vocab.h"
#include "platform.h"

namespace fake {
namespace {
struct VocabState {
	bool user = true;
	unsigned long tgid = 4242;
	unsigned long tid = 4243;
};
VocabState g_vocab;
} // namespace

void vocab_reset() { g_vocab = VocabState{}; }
void set_user_context(bool user) { g_vocab.user = user; }
void set_current_ids(unsigned long tgid, unsigned long tid)
{
	g_vocab.tgid = tgid;
	g_vocab.tid = tid;
}

} // namespace fake

extern "C" int mmshim_plat_user_context(void) { return fake::g_vocab.user; }
extern "C" unsigned long mmshim_plat_current_tgid(void) { return fake::g_vocab.tgid; }
extern "C" unsigned long mmshim_plat_current_tid(void) { return fake::g_vocab.tid; }
