#!/bin/bash
# Install and fetch everything zcdev needs on a Debian 12 host; idempotent and
# quiet when satisfied. Prints nothing on a second run.
#
#   qemu/host/deps.sh    packages, kernel image, linux-source tree
#
# For the kernel env.sh names (ZCDEV_KERNEL, `make KERNEL=...`). The 6.12
# headers packages depend on their image, so apt installs that image on
# the host too; the VM boots its own extracted copy all the same.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"
# shellcheck source=qemu/host/apt.sh
. "$here/apt.sh"

log() { echo "deps: $*" >&2; }

need_pkgs=(build-essential "linux-headers-$ZCDEV_KABI" qemu-system-x86
	   busybox-static cpio linux-source-6.1 sparse kmod xz-utils
	   liburing-dev gnuplot-nox iproute2 bc flex bison libelf-dev
	   libssl-dev dwarves python3 perl zstd)
zcdev_apt_install deps "${need_pkgs[@]}" || exit 1

# The VM's kernel: extracted from the .deb, never installed by this script.
# A new 6.12 ABI may have only the -unsigned image so far (env.sh).
if [[ ! -e $ZCDEV_KIMAGE_DIR/.done ]]; then
	log "fetching linux-image-$ZCDEV_KABI ($ZCDEV_KVER)"
	rm -rf "$ZCDEV_KIMAGE_DIR" && mkdir -p "$ZCDEV_KIMAGE_DIR/dl"
	(cd "$ZCDEV_KIMAGE_DIR/dl" &&
		{ apt-get download -qq "linux-image-$ZCDEV_KABI=$ZCDEV_KVER" 2>/dev/null ||
			apt-get download -qq "linux-image-$ZCDEV_KABI-unsigned=$ZCDEV_KVER" 2>/dev/null; })
	dpkg-deb -x "$ZCDEV_KIMAGE_DIR"/dl/*.deb "$ZCDEV_KIMAGE_DIR/root"
	rm -rf "$ZCDEV_KIMAGE_DIR/dl"
	touch "$ZCDEV_KIMAGE_DIR/.done"
fi

# kselftest_harness.h, checkpatch.pl and the debug kernel come from here.
if [[ ! -e $ZCDEV_KSRC/.done ]]; then
	log "extracting linux-source-6.1 into $ZCDEV_KSRC"
	rm -rf "$ZCDEV_KSRC" && mkdir -p "$ZCDEV_KSRC"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$ZCDEV_KSRC" --strip-components=1
	touch "$ZCDEV_KSRC/.done"
fi
