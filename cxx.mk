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
# * C++ objects are linked into one object before objtool runs (where the
#   kernel has objtool: not on arm64, whose Kbuild still sets
#   objtool-enabled) so COMDAT
#   duplicates are merged (6.1 runs objtool per object; duplicates give
#   "missing return thunk" warnings at insmod).
# * The per-object instrumentation Kbuild adds to C objects on top of
#   KBUILD_CFLAGS (KASAN, UBSAN, KCOV, KCSAN, KMSAN, GCOV; scripts/Makefile.lib)
#   is taken from Kbuild's own $(_c_flags), so the C++ core is instrumented
#   exactly as the glue is, per-object opt-outs (KASAN_SANITIZE_x.o := n)
#   included. The pre-linked core must then call each enabled runtime
#   (__asan_ ...), checked with nm.
# * The build fails if a C++ object has .ctors, unwind/exception tables, or
#   an .init_array other than the sanitizers' own module constructors (C++
#   global constructors never run on Debian kernels: no CONFIG_CONSTRUCTORS).

# make -rR: no $(CXX). Use the g++ that matches the kernel's gcc.
MMSHIM_CXX ?= $(subst gcc,g++,$(strip $(CC)))

# Every flag Kbuild may give a C object (scripts/Makefile.lib's _c_flags:
# the base flags, ccflags-y, and the instrumentation of Makefile.kasan,
# .ubsan, .kcov, .kcsan, .kmsan and GCOV), asked about once.
mmshim-instr-flags := $(CFLAGS_KASAN) $(CFLAGS_KASAN_NOSANITIZE) $(CFLAGS_UBSAN) \
	$(CFLAGS_UBSAN_SIGNED_WRAP) $(CFLAGS_KCOV) $(CFLAGS_KCSAN) $(CFLAGS_KMSAN) $(CFLAGS_GCOV)
mmshim-c-only := $(shell LC_ALL=C $(MMSHIM_CXX) $(KBUILD_CPPFLAGS) $(KBUILD_CFLAGS) \
	$(ccflags-y) $(mmshim-instr-flags) -x c++ -fsyntax-only /dev/null 2>&1 | \
	sed -n "s/.*'\(-[^']*\)' is [a-zA-Z/ ]*for C++.*/\1/p" | sort -u)

# $(_c_flags) is Kbuild's per-object C flag set (expanded per target, so
# CFLAGS_<obj>.o, KASAN_SANITIZE_<obj>.o := n etc. apply to .cxx.o files as
# to .o files). 6.12's Makefile.lib instruments only objects it knows are
# part of a module; the .cxx.o files are (linked into mmshim_core.o), so the
# pattern says so (6.1 instruments every object anyway).
$(obj)/%.cxx.o: part-of-module := y
# -std=% too: the kernel's C dialect (-std=gnu89 on 5.10, which g++ calls
# -std=gnu90 in its warning, so the probe above misses it).
mmshim-kernel-flags = $(filter-out $(mmshim-c-only) $(CC_FLAGS_FTRACE) -std=%, $(_c_flags)) \
	$(KBUILD_CFLAGS_MODULE) $(CFLAGS_MODULE)

# -faligned-new=8: kmalloc guarantees 8-byte alignment only.
# -g1: line tables and function names (enough for backtraces) but no type
# DIEs; pahole 1.24 cannot encode C++ template DIEs and prints "tag not
# supported" even for excluded languages when generating module BTF.
mmshim-cxxflags := -g1 -std=gnu++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
	-faligned-new=8 -nostdinc++ -Wall -Wextra -Wno-missing-field-initializers \
	-I$(src)/src -I$(src)/include $(MMSHIM_CXX_EXTRA)
# arm64: the core's __atomic built-ins must be inline instructions. gcc's
# default -moutline-atomics calls libgcc's __aarch64_cas8_relax & co, which
# the kernel does not provide (its own C uses no __atomic built-ins): inline
# LL/SC sequences (ARMv8.0, every arm64 CPU) instead.
ifdef CONFIG_ARM64
mmshim-cxxflags += $(call cc-option,-mno-outline-atomics)
endif

# No $(LINUXINCLUDE): the core must not see Linux headers; -nostdinc keeps
# libc out as well.
mmshim_cxx_flags = -Wp,-MMD,$(depfile) $(NOSTDINC_FLAGS) $(mmshim-kernel-flags) \
	$(mmshim-cxxflags)

quiet_cmd_cxx_o_cpp = CXX [M] $@
      cmd_cxx_o_cpp = $(MMSHIM_CXX) $(mmshim_cxx_flags) -c -o $@ $<

# .init_array may only hold the constructors the sanitizers emit
# themselves (gcc's _sub_I_<priority>_<n>; KASAN's registers the redzones of
# the globals), and only when the kernel runs module constructors
# (CONFIG_CONSTRUCTORS, which KASAN and GCOV select). A C++ global
# constructor (_GLOBAL__sub_I_<name>) is never allowed.
quiet_cmd_cxx_check = CHECK   $@
      cmd_cxx_check = if $(READELF) -SW $@ | grep -qE '\.(ctors|eh_frame|gcc_except_table)' || \
		{ $(READELF) -SW $@ | grep -q '\.init_array' && \
		  { [ "$(CONFIG_CONSTRUCTORS)" != y ] || $(NM) $@ | grep -q ' _GLOBAL__sub_I_'; }; }; then \
		echo >&2 "$@: global constructors or unwind tables are not supported in kernel C++"; \
		rm -f $@; false; fi

define rule_cxx_o_cpp
	$(call cmd_and_fixdep,cxx_o_cpp)
	$(call cmd,cxx_check)
endef

$(obj)/%.cxx.o: $(src)/%.cpp FORCE
	$(call if_changed_rule,cxx_o_cpp)

# objtool on the pre-linked core: 6.x's objtool-args (plus --link); 5.10's
# per-object objtool_obj/objtool_args (orc generate/check, --module ...),
# which the 6.x trees do not define.
quiet_cmd_ld_cxx = LD [M]  $@
      cmd_ld_cxx = $(LD) $(ld_flags) -r -o $@ $(filter %.cxx.o, $^) \
		$(if $(and $(objtool),$(objtool-enabled)), ; $(objtool) $(filter-out --link,$(objtool-args)) --link $@, \
		$(if $(objtool_obj), ; $(objtool_obj) $(objtool_args) --module $@))

# cmd_and_savecmd is not in 5.10's Kbuild.include: the same by hand.
ifeq ($(value cmd_and_savecmd),)
cmd_and_savecmd = $(cmd); printf '%s\n' 'cmd_$@ := $(make-cmd)' > $(dot-target).cmd
endif

# The runtime entry points each instrumentation the kernel config enables
# for all objects calls; the pre-linked core must reference every one
# (unless the Kbuild file opted out with KASAN_SANITIZE := n etc.), so a
# debug-kernel build whose C++ flags lost the instrumentation fails here
# instead of leaving the core unchecked.
mmshim-instr-required := \
	$(if $(filter y,$(CONFIG_KASAN_GENERIC)),$(if $(filter n,$(KASAN_SANITIZE)),,__asan_)) \
	$(if $(filter y,$(CONFIG_KASAN_SW_TAGS)),$(if $(filter n,$(KASAN_SANITIZE)),,__hwasan_)) \
	$(if $(filter y,$(CONFIG_KCSAN)),$(if $(filter n,$(KCSAN_SANITIZE)),,__tsan_)) \
	$(if $(filter y,$(CONFIG_KCOV_INSTRUMENT_ALL)),$(if $(filter n,$(KCOV_INSTRUMENT)),,__sanitizer_cov_)) \
	$(if $(filter y,$(CONFIG_GCOV_PROFILE_ALL)),$(if $(filter n,$(GCOV_PROFILE)),,__gcov_))

quiet_cmd_instr_check = CHECK   $@ (instrumentation: $(strip $(mmshim-instr-required)))
      cmd_instr_check = for p in $(mmshim-instr-required); do \
		$(NM) $@ | grep -q " U $$p" || { \
		echo >&2 "$@: the kernel instruments C objects but no $$p reference is in the C++ core"; \
		rm -f $@; exit 1; }; done

define rule_ld_cxx
	$(call cmd_and_savecmd,ld_cxx)
	$(call cmd,gen_objtooldep)
	$(if $(strip $(mmshim-instr-required)),$(call cmd,instr_check))
endef
