# SPDX-License-Identifier: GPL-2.0
# cxx.mk - C++ support for Kbuild (which has none), shared by mmshim.ko and
# the KUnit module. Included from a Kbuild file; defines the %.cxx.o rule and
# the ld_cxx rule that pre-links C++ objects and runs objtool on the result.
#
# * g++ flags are the kernel's own C flags minus the options g++ itself says
#   are C-only (asked, not hard-coded), so code generation (-mcmodel=kernel,
#   no red zone, no FPU/SIMD, retpoline, rethunk, SLS, IBT, stack protector,
#   call padding) follows the kernel being built against.
# * $(CC_FLAGS_FTRACE) is dropped: gcc's __mcount_loc entries point into
#   COMDAT text, which ld -r then discards (the kernel's notrace files do
#   the same).
# * C++ objects are linked into one object before objtool runs so COMDAT
#   duplicates are merged (6.1 runs objtool per object; duplicates give
#   "missing return thunk" warnings at insmod).
# * The build fails if a C++ object has .init_array/.ctors (global
#   constructors never run on Debian kernels: no CONFIG_CONSTRUCTORS) or
#   unwind/exception tables.

# make -rR: no $(CXX). Use the g++ that matches the kernel's gcc.
MMSHIM_CXX ?= $(subst gcc,g++,$(strip $(CC)))

mmshim-c-only := $(shell LC_ALL=C $(MMSHIM_CXX) $(KBUILD_CPPFLAGS) $(KBUILD_CFLAGS) \
	-x c++ -fsyntax-only /dev/null 2>&1 | \
	sed -n "s/.*'\(-[^']*\)' is [a-zA-Z/ ]*for C++.*/\1/p" | sort -u)

mmshim-kernel-flags := $(filter-out $(mmshim-c-only) $(CC_FLAGS_FTRACE), \
	$(KBUILD_CPPFLAGS) $(KBUILD_CFLAGS)) $(KBUILD_CFLAGS_MODULE)

# -faligned-new=8: kmalloc guarantees 8-byte alignment only.
# -g1: line tables and function names (enough for backtraces) but no type
# DIEs; pahole 1.24 cannot encode C++ template DIEs and prints "tag not
# supported" even for excluded languages when generating module BTF.
mmshim-cxxflags := -g1 -std=gnu++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
	-faligned-new=8 -nostdinc++ -Wall -Wextra -Wno-missing-field-initializers \
	-I$(src)/src -I$(src)/include $(MMSHIM_CXX_EXTRA)

# No $(LINUXINCLUDE): the core must not see Linux headers; -nostdinc keeps
# libc out as well.
mmshim_cxx_flags = -Wp,-MMD,$(depfile) $(NOSTDINC_FLAGS) $(mmshim-kernel-flags) \
	$(mmshim-cxxflags)

quiet_cmd_cxx_o_cpp = CXX [M] $@
      cmd_cxx_o_cpp = $(MMSHIM_CXX) $(mmshim_cxx_flags) -c -o $@ $<

quiet_cmd_cxx_check = CHECK   $@
      cmd_cxx_check = if $(READELF) -SW $@ | grep -qE '\.(init_array|ctors|eh_frame|gcc_except_table)'; then \
		echo >&2 "$@: global constructors or unwind tables are not supported in kernel C++"; \
		rm -f $@; false; fi

define rule_cxx_o_cpp
	$(call cmd_and_fixdep,cxx_o_cpp)
	$(call cmd,cxx_check)
endef

$(obj)/%.cxx.o: $(src)/%.cpp FORCE
	$(call if_changed_rule,cxx_o_cpp)

quiet_cmd_ld_cxx = LD [M]  $@
      cmd_ld_cxx = $(LD) $(ld_flags) -r -o $@ $(filter %.cxx.o, $^) \
		$(if $(objtool-enabled), ; $(objtool) $(filter-out --link,$(objtool-args)) --link $@)

define rule_ld_cxx
	$(call cmd_and_savecmd,ld_cxx)
	$(call cmd,gen_objtooldep)
endef
