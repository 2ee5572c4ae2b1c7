# SPDX-License-Identifier: GPL-2.0
# mmshim - Windows MDL and memory-manager semantics for ported drivers.
#
#   make                 build mmshim.ko against KDIR
#   make demo            boot a Debian kernel in qemu, load mmshim + the example driver
#   make check           every test layer (host, KUnit, real kernels, DKMS)
#   make bench           mmshim vs raw Linux primitives, ratios (in qemu)
#   make stress          the stress layer alone, long: SECONDS=600 by default
#
# KDIR defaults to the running kernel's build tree, else the newest Debian
# linux-headers-*-amd64 tree installed.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))

# pahole cannot encode C++ DWARF into BTF: skip C++ units like Rust ones.
MMSHIM_KBUILD_FLAGS := MODULE_PAHOLE_FLAGS=--lang_exclude=rust,c++,c++03,c++11,c++14

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(MMSHIM_KBUILD_FLAGS) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	rm -rf build

check:
	tests/check.sh

demo:
	tests/vm/demo.sh

host-test:
	tests/host/run.sh

bench:
	tests/vm/bench.sh

# SECONDS is bash's own clock: hand it over under another name.
SECONDS ?= 600
stress:
	MMSHIM_STRESS_SECONDS=$(SECONDS) tests/vm/stress.sh

.PHONY: all modules clean check demo host-test bench stress
