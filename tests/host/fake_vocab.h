// SPDX-License-Identifier: GPL-2.0
// fake_vocab.h - the fake platform's current task for the base vocabulary
// (mmshim_plat_user_context, mmshim_plat_current_tgid/tid).
#pragma once

namespace fake {

// Defaults (restored by vocab_reset): a user task, tgid 4242, tid 4243.
void vocab_reset();
void set_user_context(bool user);
void set_current_ids(unsigned long tgid, unsigned long tid);

} // namespace fake
