# shellcheck shell=bash
# Where the 32-bit ARM machine's parts live (ZCDEV_ARCH=arm, `make ... ARCH=arm`):
# Debian 12's armmp kernel booted on QEMU's smdkc210 (Samsung Exynos4210,
# three PL330 DMA controllers). Sourced after env.sh, whose ZCDEV_CACHE it
# uses; deps-arm.sh fills the directories named here.
#
# Everything armhf is extracted from its .deb into the cache, never
# installed: the image and its dtbs, the armmp headers with the -common
# headers and the amd64 linux-kbuild-6.1 beside them (its scripts/tools are
# host binaries, and the headers' scripts/tools symlinks point into it), and
# a small sysroot with busybox-static and liburing for the static tools.

# The armmp ABI (e.g. 6.1.0-57-armmp) that linux-image-armmp points at,
# resolved once and cached like the amd64 one; ZCDEV_ARM_KABI=<abi> overrides.
zcdev_find_arm_kabi() {
	apt-cache depends linux-image-armmp:armhf 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9.-]*-armmp\)\(:armhf\)\{0,1\}$/\1/p' | head -1
}

if [[ -z ${ZCDEV_ARM_KABI:-} ]]; then
	if [[ -s $ZCDEV_CACHE/kabi-arm ]]; then
		ZCDEV_ARM_KABI=$(cat "$ZCDEV_CACHE/kabi-arm")
	else
		# armhf packages are only visible once dpkg knows the architecture.
		if ! dpkg --print-foreign-architectures | grep -qx armhf; then
			dpkg --add-architecture armhf
			apt-get update -qq >/dev/null 2>&1 || true
		fi
		ZCDEV_ARM_KABI=$(zcdev_find_arm_kabi)
		if [[ -z $ZCDEV_ARM_KABI ]]; then
			apt-get update -qq >/dev/null 2>&1 || true
			ZCDEV_ARM_KABI=$(zcdev_find_arm_kabi)
		fi
		[[ -n $ZCDEV_ARM_KABI ]] ||
			{ echo "env-arm: cannot resolve the Debian 6.1 armmp kernel ABI" >&2; exit 1; }
		echo "$ZCDEV_ARM_KABI" >"$ZCDEV_CACHE/kabi-arm"
	fi
fi

ZCDEV_ARM_DIR=$ZCDEV_CACHE/arm-$ZCDEV_ARM_KABI
ZCDEV_ARM_ROOT=$ZCDEV_ARM_DIR/root
ZCDEV_ARM_VMLINUZ=$ZCDEV_ARM_ROOT/boot/vmlinuz-$ZCDEV_ARM_KABI
ZCDEV_ARM_KMODS=$ZCDEV_ARM_ROOT/lib/modules/$ZCDEV_ARM_KABI
# The board QEMU's smdkc210 models closest; the universal_c210 dtb hangs in
# the timer (issue 13).
ZCDEV_ARM_DTB=$ZCDEV_ARM_ROOT/usr/lib/linux-image-$ZCDEV_ARM_KABI/exynos4210-smdkv310.dtb
ZCDEV_ARM_KDIR=$ZCDEV_ARM_ROOT/usr/src/linux-headers-$ZCDEV_ARM_KABI
ZCDEV_ARM_SYSROOT=$ZCDEV_CACHE/armhf-sysroot
ZCDEV_ARM_BUSYBOX=$ZCDEV_ARM_SYSROOT/bin/busybox
ZCDEV_ARM_CROSS=arm-linux-gnueabihf-
export ZCDEV_ARM_KABI ZCDEV_ARM_DIR ZCDEV_ARM_ROOT ZCDEV_ARM_VMLINUZ ZCDEV_ARM_KMODS \
	ZCDEV_ARM_DTB ZCDEV_ARM_KDIR ZCDEV_ARM_SYSROOT ZCDEV_ARM_BUSYBOX ZCDEV_ARM_CROSS
