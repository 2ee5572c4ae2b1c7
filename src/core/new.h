// SPDX-License-Identifier: GPL-2.0
// new.h - the parts of <new> the freestanding core needs (no libstdc++).
//
// In the kernel there is no libstdc++: this header provides placement new and
// the nothrow allocation forms (implemented in rt.cpp over the platform
// allocator). The throwing `operator new(size_t)` is deliberately missing, so
// a stray `new T` fails at modpost ("_Znwm" undefined) and every allocation
// site must use `new (std::nothrow) T` and check for nullptr. Host tests
// build against the real <new>.
#pragma once

#ifdef MMSHIM_HOSTED
#include <new>
#else
namespace std {
using size_t = decltype(sizeof(0));
enum class align_val_t : size_t {};
struct nothrow_t {
	explicit nothrow_t() = default;
};
inline constexpr nothrow_t nothrow{};
} // namespace std

void *operator new(std::size_t, const std::nothrow_t &) noexcept;
void *operator new[](std::size_t, const std::nothrow_t &) noexcept;
void *operator new(std::size_t, std::align_val_t, const std::nothrow_t &) noexcept;
void *operator new[](std::size_t, std::align_val_t, const std::nothrow_t &) noexcept;
void operator delete(void *) noexcept;
void operator delete[](void *) noexcept;
void operator delete(void *, std::size_t) noexcept;
void operator delete[](void *, std::size_t) noexcept;
void operator delete(void *, std::align_val_t) noexcept;
void operator delete[](void *, std::align_val_t) noexcept;
void operator delete(void *, std::size_t, std::align_val_t) noexcept;
void operator delete[](void *, std::size_t, std::align_val_t) noexcept;

inline void *operator new(std::size_t, void *p) noexcept { return p; }
inline void *operator new[](std::size_t, void *p) noexcept { return p; }
#endif
