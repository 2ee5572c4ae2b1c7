# SPDX-License-Identifier: GPL-2.0
# compat.mk - feature probes for src/glue/compat.h, included by every Kbuild
# whose objects include compat.h (Kbuild, kunit/, kunit/stress/, bench/).
# They answer what the preprocessor cannot see: a function renamed without a
# macro, an export withdrawn. Each asks the tree being built against (a
# header, its Module.symvers), so backports are recognised too.
mmshim-probe = $(if $(shell grep -qsw '$(1)' $(srctree)/$(2) && echo y),-DMMSHIM_HAVE_$(3))
ccflags-y += $(call mmshim-probe,zap_special_vma_range,include/linux/mm.h,ZAP_SPECIAL_VMA_RANGE)
# A vmlinux symbol exported to every module (no namespace, no module list),
# per the kernel's Module.symvers (full trees and header packages have it).
mmshim-probe-export = $(if $(shell awk -F'\t' '$$2 == "$(1)" && $$3 == "vmlinux" && $$5 == "" \
	{ f = 1 } END { exit !f }' $(objtree)/Module.symvers 2>/dev/null && echo y),-DMMSHIM_HAVE_EXPORT_$(1))
ccflags-y += $(call mmshim-probe-export,__flush_tlb_all)
