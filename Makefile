# zcdev: the only entry point. `make help` lists the targets.
#
# Module builds use KDIR (default: Debian's headers of the kernel the VM boots);
# userspace tools and selftests are static so they run in a bare initramfs.

SHELL := /bin/bash
ROOT := $(CURDIR)
BUILD := $(ROOT)/build
HOST := $(ROOT)/qemu/host
ENV = . $(HOST)/env.sh

# The Debian kernel the module builds for and the VM boots: 6.1 (the
# default), 6.12 or 6.12-rt, each the newest ABI of its line in the archive
# (qemu/host/env.sh). Every target and script below follows it.
KERNEL ?= 6.1
export ZCDEV_KERNEL := $(KERNEL)

ZCDEV_CACHE ?= $(HOME)/.cache/zcdev
export ZCDEV_CACHE
KSRC := $(ZCDEV_CACHE)/linux-source-6.1
KSFT := $(KSRC)/tools/testing/selftests

CC := gcc
# 64-bit off_t on 32-bit targets too: zcdev's mmap/pread offsets are
# handle << 36 (a no-op on x86_64).
CFLAGS_USER := -O2 -g -Wall -Wextra -Werror=implicit-function-declaration \
	-I$(ROOT)/uapi -I$(ROOT)/userspace/lib -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread
LDFLAGS_USER := -static -pthread

ifeq ($(ARCH),arm)
# 32-bit ARM: Debian's 6.1 armmp kernel on QEMU's smdkc210 (Exynos4210, PL330
# DMA; qemu/host/env-arm.sh). Everything is cross-built into build/arm, the
# module in a copy of its sources there, so the x86 build stays as it is.
export ZCDEV_ARCH := arm
# The kernel's make (module, dmatest, the W=1 lint) cross-builds with these.
export ARCH
BUILD := $(ROOT)/build/arm
KABI := $(shell $(ENV) >/dev/null 2>&1 && . $(HOST)/env-arm.sh >/dev/null 2>&1 && echo $$ZCDEV_ARM_KABI)
KDIR ?= $(ZCDEV_CACHE)/arm-$(KABI)/root/usr/src/linux-headers-$(KABI)
export CROSS_COMPILE ?= arm-linux-gnueabihf-
MODSRC := $(BUILD)/kmod
# run.sh's payload (its default is build/guest, the x86 one).
export ZCDEV_GUEST_DIR ?= $(BUILD)/guest
ARM_SYSROOT := $(ZCDEV_CACHE)/armhf-sysroot
CC := $(CROSS_COMPILE)gcc
# liburing for armhf comes from deps-arm.sh's sysroot. The 6.1 harness's
# ASSERT_EQ/NE cast pointers straight to uintmax_t, which warns on 32-bit.
CFLAGS_USER += -idirafter $(ARM_SYSROOT)/usr/include -Wno-pointer-to-int-cast
LDFLAGS_USER += -L$(ARM_SYSROOT)/usr/lib/arm-linux-gnueabihf
# The board has no PCI, so no virtio NICs: its LAN9118, looped back by QEMU
# (qemu/host/net.sh), gives hub's topology, sends copied by a NIC without
# offloads. TCG ARM runs the suite in ~10 min.
VMFLAGS ?= --arch arm --timeout 1800 --net hub
# The board's debug kernel has no smsc911x and macvlan: no network there.
DEBUG_VMFLAGS ?= $(filter-out --net hub,$(VMFLAGS))
else
KABI := $(shell ZCDEV_KERNEL='$(KERNEL)'; $(ENV) >/dev/null 2>&1 && echo $$ZCDEV_KABI)
KDIR ?= /usr/src/linux-headers-$(KABI)
MODSRC := $(ROOT)
endif
export CC CFLAGS_USER LDFLAGS_USER

# Every VM gets the NIC topology (two virtio-net NICs joined through tap
# devices outside the guest), so zero-copy sends can be measured and tested.
VMFLAGS ?= --net nic
DEBUG_VMFLAGS ?= $(VMFLAGS)

.PHONY: all deps module userspace selftests guest check run demo vm bench lint \
	sparse checkpatch w1 clean help check-debug deb deb-check abi abi-check run-repro \
	ioctl-collisions

all: module userspace selftests

help:
	@echo "make            build module ($(KDIR)), tools and selftests"
	@echo "make check      build, lint, boot the VM, run the selftests"
	@echo "make run        experiments natively and in the VM: tables, claims, results/"
	@echo "make run-repro  three deterministic VM boots, each figure's spread (REPRO_ARGS=--load 2)"
	@echo "make demo       a walkthrough of buffers, DMA and sends in the VM"
	@echo "make check-debug  the suite on a KASAN/lockdep/kmemleak debug kernel"
	@echo "make vm         a shell in the VM with the modules loaded"
	@echo "make deb        Debian packages zcdev-dkms and zcdev-tools in build/deb/"
	@echo "make deb-check  install them here, DKMS builds, a VM loads its modules, remove"
	@echo "make ... KERNEL=6.12  the same on Debian's 6.12 (or 6.12-rt) instead of 6.1"
	@echo "make check ARCH=arm   the suite on 32-bit ARM: armmp 6.1 on QEMU's smdkc210,"
	@echo "                zcdev's DMA on PL330 channels (cross-built into build/arm)"
	@echo "make check-debug ARCH=arm  that suite on a debug kernel for the board: DMA-API"
	@echo "                debug (missed dma_sync), KASAN, lockdep, kmemleak (built once)"
	@echo "make KDIR=...   build the module for another kernel"
	@echo "make abi        regenerate uapi/zcdev.abi (after raising ZCDEV_ABI_VERSION)"
	@echo "make clean      remove build output"

deps:
	@$(HOST)/deps.sh
ifeq ($(ARCH),arm)
	@$(HOST)/deps-arm.sh
endif

# No vmlinux in a headers package, so no BTF for modules: say nothing of it.
module: deps
ifneq ($(MODSRC),$(ROOT))
	@mkdir -p $(MODSRC)/module $(MODSRC)/uapi/linux
	@cp -p Kbuild $(MODSRC)/ && cp -p module/*.[ch] $(MODSRC)/module/ && \
		cp -p uapi/linux/*.h $(MODSRC)/uapi/linux/
endif
	@$(MAKE) -s -C $(KDIR) M=$(MODSRC) CONFIG_DEBUG_INFO_BTF_MODULES= modules

userspace: deps
	@$(MAKE) -s -C userspace OUT=$(BUILD)/bin
	@if [ -f userspace/bench/Makefile ]; then $(MAKE) -s -C userspace/bench OUT=$(BUILD)/bin; fi

selftests: deps
	@$(MAKE) -s -C selftests/zcdev OUTPUT=$(BUILD)/selftests/zcdev \
		KSFT_DIR=$(KSFT)

# The tree packed into the VM's initramfs under /opt/zcdev. zcdma gets four
# channels and zcdev two of them, so zcdev spreads files over two channels
# while dmatest runs on the other two at the same time.
GUEST_ZCDMA := zcdma.ko channels=4
GUEST_ZCDEV := zcdev.ko dma_channel=dma0chan0,dma0chan1
ifeq ($(ARCH),arm)
# Two channels of the Exynos4210's memory-to-memory PL330 (mdma1 at
# 12850000, dma2; zcdma comes later as dma3). Not pdma0 (dma0), which an
# unfiltered DMA_MEMCPY request gets: the console UART's DMA channels share
# its descriptor pool, and 6.1's pl330 hands a reused descriptor to them
# with zcdev's callback_result still set (qemu/README.md).
GUEST_ZCDEV := zcdev.ko dma_channel=dma2chan0,dma2chan1
endif

guest: all
	@rm -rf $(BUILD)/guest && mkdir -p $(BUILD)/guest/modules $(BUILD)/guest/bin
	@cp $(MODSRC)/zcdma.ko $(MODSRC)/zcdev.ko $(BUILD)/guest/modules/
	@cp "$$($(HOST)/build-dmatest.sh $(KDIR))" $(BUILD)/guest/modules/
ifneq ($(ARCH),arm)
# The kernel's msg_zerocopy and io_uring_zerocopy_tx, for zcbench peers
# (the ARM board has no network to run them on).
	@peers=$$($(HOST)/build-net-peers.sh) && cp $$peers $(BUILD)/guest/bin/
endif
	@printf '%s\n' '$(GUEST_ZCDMA)' '$(GUEST_ZCDEV)' >$(BUILD)/guest/modules/load-order
	@cp $(BUILD)/bin/* $(BUILD)/guest/bin/
	@cp -r $(BUILD)/selftests $(BUILD)/guest/selftests
	@cp selftests/zcdev/settings $(BUILD)/guest/selftests/zcdev/
	@cp qemu/guest/run-selftests.sh $(BUILD)/guest/bin/

# Lint findings are counted as failed tests, not a reason to skip the VM.
# ARCH=arm lints only what depends on the target: the module's W=1 build
# against the armmp headers (32-bit types); the rest is the x86 check's.
check: guest
	@rm -f $(ROOT)/build/lint-results
ifeq ($(ARCH),arm)
	@-KDIR=$(KDIR) $(HOST)/lint.sh w1
else
	@-$(HOST)/lint.sh checkpatch
	@-$(HOST)/lint.sh sparse
	@-$(HOST)/lint.sh w1
	@-$(HOST)/lint.sh abi
	@-$(HOST)/lint.sh ioctl-collisions
endif
	@$(HOST)/check.sh $(VMFLAGS)

# The suite on a debug kernel (KASAN, lockdep, kmemleak, DMA-API debug, fault
# injection); builds that kernel once into $(ZCDEV_CACHE).
check-debug: guest
	@$(HOST)/check-debug.sh $(DEBUG_VMFLAGS)

# The experiments: zcbench natively and in the VM, tables, claims, results/.
run: guest
	@$(HOST)/experiments.sh

# How still the VM's numbers hold: three boots in deterministic mode
# (qemu/run.sh --deterministic), each figure's spread across them.
run-repro: guest
	@$(HOST)/repro.sh $(REPRO_ARGS)

# The walkthrough of buffers, DMA and sends (what make run was at first).
demo: guest
	@$(ROOT)/qemu/run.sh $(VMFLAGS) -- demo.sh

vm: guest
	@$(ROOT)/qemu/run.sh $(VMFLAGS) --interactive

# Debian packages: zcdev-dkms (DKMS builds the modules on the machine) and
# zcdev-tools; deb-check installs them on this host and removes them again.
deb: deps
	@$(HOST)/deb.sh

deb-check: deps
	@$(HOST)/deb-check.sh

lint: checkpatch sparse w1 abi-check ioctl-collisions

checkpatch: deps
	@$(HOST)/lint.sh checkpatch

sparse: deps
	@$(HOST)/lint.sh sparse

w1: deps
	@$(HOST)/lint.sh w1

# The ABI description: `make abi` rewrites it, abi-check is its gate.
abi: deps
	@$(HOST)/abi.sh write

abi-check: deps
	@$(HOST)/lint.sh abi

ioctl-collisions: deps
	@$(HOST)/lint.sh ioctl-collisions

clean:
	@$(MAKE) -s -C $(KDIR) M=$(ROOT) clean 2>/dev/null || true
	@rm -rf $(BUILD)
