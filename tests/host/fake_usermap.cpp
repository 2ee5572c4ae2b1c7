// SPDX-License-Identifier: GPL-2.0
// fake_usermap.cpp - the fake platform's user-mode mappings (the
// mmshim_plat_usermap_* functions of src/platform.h) and the current
// process, for usermap_test.cpp. A mapping is a record with an address in a
// fake user range; "the process" can drop it (munmap/exit) and tests can
// switch which process is current.
#include <map>
#include <memory>

#include "fake_platform.h"
#include "platform.h"

namespace fake {
namespace {

struct UserMapping {
	void *process;
	uptr base;
	std::vector<unsigned long long> pfns;
	bool read_only;
	unsigned cache;
	bool live = true;
	bool revoked = false;
	bool released = false;
};

struct UserState {
	void *process = reinterpret_cast<void *>(kFakeProcess);
	uptr next_base = kUserMapBase;
	int fail_error = 0;
	std::vector<std::unique_ptr<UserMapping>> all;
	unsigned long unmaps = 0;
};

UserState &ustate()
{
	static UserState s;
	return s;
}

UserMapping *find(uptr base)
{
	for (auto &m : ustate().all)
		if (m->base == base && !m->released)
			return m.get();
	return nullptr;
}

} // namespace

void *current_process() { return ustate().process; }
void set_current_process(void *process) { ustate().process = process; }
void usermap_reset() { ustate() = UserState{}; }
void fail_next_usermap(int error) { ustate().fail_error = error; }
bool user_mapping_live(uptr base) { auto *m = find(base); return m && m->live; }
bool user_mapping_revoked(uptr base) { auto *m = find(base); return m && m->revoked; }
bool user_mapping_read_only(uptr base) { auto *m = find(base); return m && m->read_only; }
int user_mapping_cache(uptr base) { auto *m = find(base); return m ? static_cast<int>(m->cache) : -1; }
std::vector<unsigned long long> user_mapping_pfns(uptr base)
{
	auto *m = find(base);
	return m ? m->pfns : std::vector<unsigned long long>{};
}
void process_drops_user_mapping(uptr base)
{
	if (auto *m = find(base))
		m->live = false;
}
std::size_t live_user_handles()
{
	std::size_t n = 0;
	for (auto &m : ustate().all)
		n += !m->released;
	return n;
}
unsigned long user_unmaps() { return ustate().unmaps; }

} // namespace fake

using fake::ustate;

mmshim_uptr mmshim_plat_user_space_end(void)
{
	return fake::kUserSpaceEnd;
}

void *mmshim_plat_usermap_map(const unsigned long long *pfns, mmshim_size count, unsigned int cache,
			      int read_only, mmshim_uptr requested, mmshim_uptr *base, int *error)
{
	auto &s = ustate();
	if (cache > MMSHIM_CACHE_WC || !count) {
		*error = MMSHIM_UMAP_FAILED;
		return nullptr;
	}
	if (s.fail_error) {
		*error = s.fail_error;
		s.fail_error = 0;
		return nullptr;
	}
	if (!s.process) {
		*error = MMSHIM_UMAP_NO_PROCESS;
		return nullptr;
	}
	auto m = std::make_unique<fake::UserMapping>();
	m->process = s.process;
	m->read_only = read_only != 0;
	m->cache = cache;
	m->pfns.assign(pfns, pfns + count);
	if (requested) {
		for (auto &o : s.all)
			if (!o->released && o->live && o->process == s.process && requested < o->base + o->pfns.size() * 4096 &&
			    o->base < requested + count * 4096) {
				*error = MMSHIM_UMAP_CONFLICT;
				return nullptr;
			}
		m->base = requested;
	} else {
		m->base = s.next_base;
		s.next_base += (count + 1) * 4096;
	}
	*base = m->base;
	s.all.push_back(std::move(m));
	void *handle = s.all.back().get();
	fake::fire_during_map();
	return handle;
}

int mmshim_plat_usermap_live(void *handle)
{
	return static_cast<fake::UserMapping *>(handle)->live;
}

void mmshim_plat_usermap_unmap(void *handle)
{
	auto *m = static_cast<fake::UserMapping *>(handle);
	if (m->process == ustate().process && m->live) {
		m->live = false;
		ustate().unmaps++;
	}
}

void mmshim_plat_usermap_release(void *handle, int revoke)
{
	auto *m = static_cast<fake::UserMapping *>(handle);
	if (revoke && m->live)
		m->revoked = true;
	m->released = true;
}
