// SPDX-License-Identifier: GPL-2.0
// rt.cpp - the C++ runtime the kernel build needs: nothrow allocation over the
// platform allocator and the pure-virtual hook. Not built for host tests.
#include "new.h"
#include "platform.h"

namespace {
// Alignment above 8 goes through the align_val_t forms (-faligned-new=8);
// the platform allocator guarantees 8 and nothing larger, so refuse more.
void *alloc_aligned(std::size_t n, std::size_t align) noexcept
{
	if (align > 8)
		return nullptr;
	return mmshim_plat_alloc(n, mmshim_plat_may_sleep() ? 0 : MMSHIM_ALLOC_ATOMIC);
}
} // namespace

void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return alloc_aligned(n, 8); }
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return alloc_aligned(n, 8); }
void *operator new(std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept
{
	return alloc_aligned(n, static_cast<std::size_t>(a));
}
void *operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept
{
	return alloc_aligned(n, static_cast<std::size_t>(a));
}
void operator delete(void *p) noexcept { mmshim_plat_free(p); }
void operator delete[](void *p) noexcept { mmshim_plat_free(p); }
void operator delete(void *p, std::size_t) noexcept { mmshim_plat_free(p); }
void operator delete[](void *p, std::size_t) noexcept { mmshim_plat_free(p); }
void operator delete(void *p, std::align_val_t) noexcept { mmshim_plat_free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { mmshim_plat_free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { mmshim_plat_free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { mmshim_plat_free(p); }

extern "C" void __cxa_pure_virtual(void);
extern "C" void __cxa_pure_virtual(void)
{
	mmshim_plat_pure_virtual_called();
}
