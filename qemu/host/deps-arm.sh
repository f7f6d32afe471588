#!/bin/bash
# Install and fetch what the 32-bit ARM machine needs on a Debian 12 amd64
# host (`make ... ARCH=arm`); idempotent and quiet when satisfied. deps.sh
# still provides the rest (linux-source-6.1 for kselftest_harness.h and
# dmatest.c, cpio, kmod, ...).
#
#   qemu/host/deps-arm.sh
#
# Installed: qemu-system-arm and the armhf cross compiler. Extracted from
# the .debs into $ZCDEV_CACHE (env-arm.sh names the places), never
# installed: the armmp image (vmlinuz, dtbs, modules), its headers with the
# -common headers and the amd64 linux-kbuild-6.1 side by side, and an armhf
# sysroot holding busybox-static and liburing (for the static tools).

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"
# shellcheck source=qemu/host/apt.sh
. "$here/apt.sh"
# env-arm.sh adds the armhf architecture to dpkg if needed.
# shellcheck source=qemu/host/env-arm.sh
. "$here/env-arm.sh"

log() { echo "deps-arm: $*" >&2; }

# libc6-dev-armhf-cross is only a Recommends of the compiler, and apt.sh
# installs without those: static armhf binaries need its libc.a.
zcdev_apt_install deps-arm qemu-system-arm gcc-arm-linux-gnueabihf libc6-dev-armhf-cross \
	device-tree-compiler || exit 1

# apt-get download PKG... into a fresh dir and extract each into ROOT.
fetch_extract() { # ROOT PKG...
	local root=$1 dl
	shift
	dl=$(mktemp -d "$ZCDEV_CACHE/arm-dl.XXXXXX")
	(cd "$dl" && apt-get download -qq "$@" 2>"$dl/err") || {
		apt-get update -qq >/dev/null 2>&1 || true
		(cd "$dl" && apt-get download -qq "$@" 2>"$dl/err") ||
			{ cat "$dl/err" >&2; rm -rf "$dl"; return 1; }
	}
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	rm -rf "$dl"
}

# The version of PKG (armhf unless it says otherwise) the archive offers.
pkg_version() {
	apt-cache show "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1
}

if [[ ! -e $ZCDEV_ARM_DIR/.done ]]; then
	kver=$(pkg_version "linux-image-$ZCDEV_ARM_KABI:armhf")
	[[ -n $kver ]] || { log "no linux-image-$ZCDEV_ARM_KABI:armhf in apt"; exit 1; }
	common=${ZCDEV_ARM_KABI%-armmp}-common
	log "fetching linux-image/headers-$ZCDEV_ARM_KABI ($kver), linux-headers-$common, linux-kbuild-6.1 (amd64)"
	rm -rf "$ZCDEV_ARM_DIR" && mkdir -p "$ZCDEV_ARM_ROOT"
	fetch_extract "$ZCDEV_ARM_ROOT" "linux-image-$ZCDEV_ARM_KABI:armhf=$kver" \
		"linux-headers-$ZCDEV_ARM_KABI:armhf=$kver" "linux-headers-$common=$kver" \
		"linux-kbuild-6.1:amd64=$kver"
	# The armmp Makefile includes the -common one by its installed,
	# absolute path; here it sits beside it in the extracted tree.
	sed -i "s|^include /usr/src/linux-headers-$common/|include $ZCDEV_ARM_ROOT/usr/src/linux-headers-$common/|" \
		"$ZCDEV_ARM_KDIR/Makefile"
	grep -q "^include $ZCDEV_ARM_ROOT/" "$ZCDEV_ARM_KDIR/Makefile" ||
		{ log "could not point $ZCDEV_ARM_KDIR/Makefile at the extracted -common headers"; exit 1; }
	for f in "$ZCDEV_ARM_VMLINUZ" "$ZCDEV_ARM_DTB" "$ZCDEV_ARM_KDIR/scripts/basic/fixdep"; do
		[[ -e $f ]] || { log "missing after extraction: $f"; exit 1; }
	done
	touch "$ZCDEV_ARM_DIR/.done"
fi

if [[ ! -e $ZCDEV_ARM_SYSROOT/.done ]]; then
	log "fetching busybox-static and liburing (armhf) into $ZCDEV_ARM_SYSROOT"
	rm -rf "$ZCDEV_ARM_SYSROOT" && mkdir -p "$ZCDEV_ARM_SYSROOT"
	# The host's busybox-static lists the applets of the armhf one
	# (initramfs-base.sh): the same version, so the same applets.
	bbver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || true)
	fetch_extract "$ZCDEV_ARM_SYSROOT" "busybox-static:armhf${bbver:+=$bbver}" liburing-dev:armhf
	[[ -x $ZCDEV_ARM_BUSYBOX ]] || { log "no busybox in busybox-static:armhf"; exit 1; }
	[[ -e $ZCDEV_ARM_SYSROOT/usr/lib/arm-linux-gnueabihf/liburing.a ]] ||
		{ log "no liburing.a in liburing-dev:armhf"; exit 1; }
	touch "$ZCDEV_ARM_SYSROOT/.done"
fi
