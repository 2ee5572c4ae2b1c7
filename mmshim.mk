# SPDX-License-Identifier: GPL-2.0
# mmshim.mk - include from your driver's Kbuild to build against mmshim:
#
#     MMSHIM_DIR := /path/to/mmshim          # where mmshim.ko was built
#     include $(MMSHIM_DIR)/mmshim.mk
#
# and put MMSHIM_IMPORT_NS(); (from <mmshim/linux.h>) in one C file of the
# driver.
# It adds mmshim's include directory, accepts Windows pool tags ('gaT1' is a
# multi-character constant), and hands mmshim's Module.symvers to modpost so
# the Windows routines resolve with their CRCs.
ifeq ($(MMSHIM_DIR),)
$(error set MMSHIM_DIR to the mmshim source/build directory before including mmshim.mk)
endif
ccflags-y += -I$(MMSHIM_DIR)/include -Wno-multichar
# Linux compiles C as gnu89 before 5.18; mmshim's headers need C99 (the
# __try statement macro declares its frame in a for statement): gnu11 there,
# the dialect of every later series.
ccflags-y += $(if $(filter -std=gnu89,$(KBUILD_CFLAGS)),-std=gnu11)
KBUILD_EXTRA_SYMBOLS += $(MMSHIM_DIR)/Module.symvers
# arm64: the Interlocked* routines of <wdm.h> are __atomic built-ins; gcc's
# default -moutline-atomics would make them calls to libgcc helpers
# (__aarch64_cas8_acq_rel ...) that the kernel does not provide.
ifdef CONFIG_ARM64
ccflags-y += $(call cc-option,-mno-outline-atomics)
endif
