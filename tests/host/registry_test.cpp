// SPDX-License-Identifier: GPL-2.0
// registry_test.cpp - mmshim::AddressRegistry (src/core/support.h), the
// membership set behind IoFreeMdl's and ExFreePool's "is this ours?", and
// the other small helpers of support.h.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>
#include <vector>

#include "core/support.h"

namespace {

using mmshim::AddressRegistry;
using mmshim::RegistryLink;

// Usable at namespace scope without a constructor running (constinit).
constinit AddressRegistry<16> g_static_registry;

struct Item {
	RegistryLink link;
	int value;
};

TEST(RegistryTest, StaticRegistryStartsEmpty)
{
	EXPECT_EQ(g_static_registry.count(), 0u);
	EXPECT_EQ(g_static_registry.pop(), nullptr);
	RegistryLink l{};
	EXPECT_FALSE(g_static_registry.contains(&l));
	EXPECT_FALSE(g_static_registry.remove(&l));
}

TEST(RegistryTest, ManyEntriesInsertContainsRemovePop)
{
	// Adjacent links (16 bytes apart) share hash keys in pairs and collide
	// heavily in 64 buckets: the chains must still be exact.
	constexpr size_t kCount = 20000;
	auto registry = std::make_unique<AddressRegistry<64>>();
	std::vector<Item> items(kCount);
	for (size_t i = 0; i < kCount; i++) {
		items[i].value = static_cast<int>(i);
		registry->insert(&items[i].link);
	}
	EXPECT_EQ(registry->count(), kCount);
	for (auto &it : items)
		ASSERT_TRUE(registry->contains(&it.link));

	// for_each visits each member exactly once.
	std::set<const RegistryLink *> seen;
	registry->for_each([&](const RegistryLink *l) { EXPECT_TRUE(seen.insert(l).second); });
	EXPECT_EQ(seen.size(), kCount);

	// Remove every third, in random order.
	std::vector<size_t> order;
	for (size_t i = 0; i < kCount; i += 3)
		order.push_back(i);
	std::shuffle(order.begin(), order.end(), std::mt19937(42));
	for (size_t i : order) {
		ASSERT_TRUE(registry->remove(&items[i].link));
		EXPECT_EQ(items[i].link.next, nullptr);
		ASSERT_FALSE(registry->remove(&items[i].link)) << "removed twice";
	}
	EXPECT_EQ(registry->count(), kCount - order.size());
	for (size_t i = 0; i < kCount; i++)
		ASSERT_EQ(registry->contains(&items[i].link), i % 3 != 0) << i;

	// pop drains the rest, each member once, and from_link finds the item.
	std::set<int> popped;
	while (RegistryLink *l = registry->pop()) {
		const Item *it = mmshim::from_link<Item>(l);
		ASSERT_EQ(it->value % 3 != 0, true);
		ASSERT_TRUE(popped.insert(it->value).second) << "popped twice";
		EXPECT_EQ(l->next, nullptr);
		EXPECT_FALSE(registry->contains(l));
	}
	EXPECT_EQ(popped.size(), kCount - order.size());
	EXPECT_EQ(registry->count(), 0u);
	EXPECT_EQ(registry->pop(), nullptr);
	size_t visits = 0;
	registry->for_each([&](const RegistryLink *) { visits++; });
	EXPECT_EQ(visits, 0u);
}

TEST(RegistryTest, ReinsertAfterRemove)
{
	AddressRegistry<8> registry;
	Item a{}, b{};
	registry.insert(&a.link);
	registry.insert(&b.link);
	EXPECT_TRUE(registry.remove(&a.link));
	registry.insert(&a.link);
	EXPECT_EQ(registry.count(), 2u);
	EXPECT_TRUE(registry.contains(&a.link));
	EXPECT_TRUE(registry.contains(&b.link));
	EXPECT_TRUE(registry.remove(&b.link));
	EXPECT_TRUE(registry.remove(&a.link));
	EXPECT_EQ(registry.count(), 0u);
}

TEST(RegistryTest, CandidatesAreNeverDereferenced)
{
	AddressRegistry<4> registry;
	Item member{};
	registry.insert(&member.link);
	// A freed object: reading it would be an ASan use-after-free.
	auto *gone = new Item{};
	RegistryLink *dangling = &gone->link;
	delete gone;
	EXPECT_FALSE(registry.contains(dangling));
	EXPECT_FALSE(registry.remove(dangling));
	// Addresses that are not memory at all.
	for (uintptr_t bad : {uintptr_t{0}, uintptr_t{8}, uintptr_t{0xdead000000000000},
			      ~uintptr_t{0} - 7}) {
		auto *l = reinterpret_cast<RegistryLink *>(bad);
		EXPECT_FALSE(registry.contains(l));
		EXPECT_FALSE(registry.remove(l));
	}
	EXPECT_EQ(registry.count(), 1u);
	EXPECT_TRUE(registry.remove(&member.link));
}

TEST(RegistryTest, SingleBucket)
{
	AddressRegistry<1> registry;
	std::vector<Item> items(100);
	for (auto &it : items)
		registry.insert(&it.link);
	for (size_t i = 0; i < items.size(); i += 2)
		EXPECT_TRUE(registry.remove(&items[i].link));
	for (size_t i = 0; i < items.size(); i++)
		EXPECT_EQ(registry.contains(&items[i].link), i % 2 == 1);
	size_t n = 0;
	while (registry.pop())
		n++;
	EXPECT_EQ(n, 50u);
}

TEST(SupportTest, CheckedAddAndSpan)
{
	using mmshim::uptr;
	uptr out = 0;
	EXPECT_TRUE(mmshim::checked_add<uptr>(1, 2, &out));
	EXPECT_EQ(out, 3u);
	EXPECT_TRUE(mmshim::checked_add<uptr>(~uptr{0} - 1, 1, &out));
	EXPECT_EQ(out, ~uptr{0});
	EXPECT_FALSE(mmshim::checked_add<uptr>(~uptr{0}, 1, &out));
	EXPECT_FALSE(mmshim::checked_add<uptr>(~uptr{0} - 0xfff, 0x1000, &out));

	static_assert(mmshim::span_pages(0, 0) == 0);
	static_assert(mmshim::span_pages(0, 1) == 1);
	static_assert(mmshim::span_pages(0xfff, 2) == 2);
	static_assert(mmshim::span_pages(0x1000, 0x1000) == 1);
	static_assert(mmshim::span_pages(0xfff, 0xFFFFF000UL) == 0x100000);
	static_assert(mmshim::span_pages(0xfff, 0xFFFFFFFFUL) == 0x100001);
	static_assert(mmshim::align_up(1, 16) == 16);
	static_assert(mmshim::align_up(16, 16) == 16);
	static_assert(mmshim::align_up(65, 64) == 128);
	// span_pages agrees with the Windows macro.
	for (uptr va : {uptr{0}, uptr{1}, uptr{0x7ff}, uptr{0xfff}, uptr{0xffff888000000123}})
		for (uptr len : {uptr{0}, uptr{1}, uptr{0x1000}, uptr{0x1001}, uptr{0xFFFFF000}})
			EXPECT_EQ(mmshim::span_pages(va, len), ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len));
}

} // namespace
