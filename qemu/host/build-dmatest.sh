#!/bin/bash
# Build the kernel's own dmaengine conformance test, dmatest.ko, for the
# kernel the VM boots. Debian's kernel does not ship it (CONFIG_DMATEST is
# off), so drivers/dma/dmatest.c from linux-source-6.1 is built out of tree.
# The same file builds unchanged against the 6.12 and 6.12-rt headers, and
# the dmatest selftest runs it on those kernels too.
#
#   qemu/host/build-dmatest.sh [KDIR]
#
# KDIR defaults to $KDIR, then to the headers of the VM's kernel. Prints the
# path of dmatest.ko on stdout (nothing else goes there); the build happens
# in $ZCDEV_CACHE/dmatest/<kernel release>/ and is skipped when up to date.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"

kdir=${1:-${KDIR:-$ZCDEV_KDIR}}
src=$ZCDEV_KSRC/drivers/dma/dmatest.c
[[ -r $src ]] || { echo "build-dmatest: no $src (run qemu/host/deps.sh)" >&2; exit 1; }
[[ -d $kdir ]] || { echo "build-dmatest: no kernel build tree $kdir" >&2; exit 1; }
release=$(make -s -C "$kdir" kernelrelease 2>/dev/null) ||
	{ echo "build-dmatest: cannot read the kernel release of $kdir" >&2; exit 1; }

# Debian's headers say only the upstream version (6.1.192 for amd64 and
# armmp alike): a cross build (ARCH=arm) gets a directory of its own.
out=$ZCDEV_CACHE/dmatest/$release${ARCH:+-$ARCH}
ko=$out/dmatest.ko
if [[ ! -s $ko || $src -nt $ko ]]; then
	mkdir -p "$out"
	cp "$src" "$out/dmatest.c"
	echo 'obj-m := dmatest.o' >"$out/Kbuild"
	make -s -C "$kdir" M="$out" modules >"$out/build.log" 2>&1 || {
		echo "build-dmatest: build failed, see $out/build.log" >&2
		tail -20 "$out/build.log" >&2
		exit 1
	}
fi
echo "$ko"
