# shellcheck shell=bash
# Where things live: the one place that names the kernel version and the cache.
# Sourced by every host script and by the Makefile (for ZCDEV_KABI).
: "${ZCDEV_CACHE:=$HOME/.cache/zcdev}"
mkdir -p "$ZCDEV_CACHE"

# Which of Debian 12's kernels the module builds for and the VM boots
# (`make ... KERNEL=NAME` sets it):
#   6.1      the distribution's kernel, the ABI linux-image-amd64 points at
#   6.12     the newest linux-image-6.12.*+deb12-amd64 (bookworm-security)
#   6.12-rt  the same with PREEMPT_RT (-rt-amd64)
: "${ZCDEV_KERNEL:=6.1}"
ZCDEV_KERNELS='6.1 6.12 6.12-rt'

# The ABI (package name part, e.g. 6.1.0-57-amd64) of kernel NAME in the
# apt lists, or nothing. 6.12 has no meta-package: the newest headers
# package of the flavour wins (the image always comes with it).
zcdev_find_kabi() { # NAME
	case $1 in
	6.1)
		apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -1
		;;
	6.12 | 6.12-rt)
		local flavour=amd64
		[[ $1 == *-rt ]] && flavour=rt-amd64
		apt-cache pkgnames linux-headers-6.12. 2>/dev/null |
			sed -n "s/^linux-headers-\(6\.12\.[0-9]*+deb[0-9]*-$flavour\)$/\1/p" |
			sort -V | tail -1
		;;
	esac
}

# The VM boots the kernel whose headers the module builds against, resolved
# once per NAME and cached so that later runs need no apt look-up (6.1's
# cache file keeps its old name); ZCDEV_KABI=<abi> overrides.
if [[ -z ${ZCDEV_KABI:-} ]]; then
	case " $ZCDEV_KERNELS " in
	*" $ZCDEV_KERNEL "*) ;;
	*) echo "env: unknown kernel '$ZCDEV_KERNEL' (known: $ZCDEV_KERNELS)" >&2; exit 1 ;;
	esac
	kabi_file=$ZCDEV_CACHE/kabi
	[[ $ZCDEV_KERNEL == 6.1 ]] || kabi_file=$ZCDEV_CACHE/kabi-$ZCDEV_KERNEL
	if [[ -s $kabi_file ]]; then
		ZCDEV_KABI=$(cat "$kabi_file")
	else
		ZCDEV_KABI=$(zcdev_find_kabi "$ZCDEV_KERNEL")
		if [[ -z $ZCDEV_KABI ]]; then
			apt-get update -qq >/dev/null 2>&1 || true
			ZCDEV_KABI=$(zcdev_find_kabi "$ZCDEV_KERNEL")
		fi
		[[ -n $ZCDEV_KABI ]] || { echo "env: cannot resolve the Debian $ZCDEV_KERNEL kernel ABI" >&2; exit 1; }
		echo "$ZCDEV_KABI" >"$kabi_file"
	fi
	unset kabi_file
fi
# The package version (e.g. 6.1.192-2): image and headers must match it.
# A new 6.12 ABI reaches the archive unsigned first (the signed image
# follows), so the -unsigned package stands in for it.
if [[ -z ${ZCDEV_KVER:-} ]]; then
	if [[ -s $ZCDEV_CACHE/kver-$ZCDEV_KABI ]]; then
		ZCDEV_KVER=$(cat "$ZCDEV_CACHE/kver-$ZCDEV_KABI")
	else
		for pkg in "linux-image-$ZCDEV_KABI" "linux-image-$ZCDEV_KABI-unsigned"; do
			ZCDEV_KVER=$(apt-cache show "$pkg" 2>/dev/null |
				sed -n 's/^Version: //p' | head -1)
			[[ -z $ZCDEV_KVER ]] || break
		done
		unset pkg
		[[ -n $ZCDEV_KVER ]] || { echo "env: no linux-image-$ZCDEV_KABI in apt" >&2; exit 1; }
		echo "$ZCDEV_KVER" >"$ZCDEV_CACHE/kver-$ZCDEV_KABI"
	fi
fi
ZCDEV_KIMAGE_DIR=$ZCDEV_CACHE/kernel-$ZCDEV_KABI
ZCDEV_VMLINUZ=$ZCDEV_KIMAGE_DIR/root/boot/vmlinuz-$ZCDEV_KABI
ZCDEV_KMODS=$ZCDEV_KIMAGE_DIR/root/lib/modules/$ZCDEV_KABI
ZCDEV_KSRC=$ZCDEV_CACHE/linux-source-6.1
ZCDEV_KDIR=/usr/src/linux-headers-$ZCDEV_KABI
export ZCDEV_CACHE ZCDEV_KERNEL ZCDEV_KABI ZCDEV_KVER ZCDEV_KIMAGE_DIR \
	ZCDEV_VMLINUZ ZCDEV_KMODS ZCDEV_KSRC ZCDEV_KDIR
