# shellcheck shell=bash
# Where things live: the one place that names the kernel version and the cache.
# Sourced by every host script; make reads the same values via env.sh --print.
: "${ZCDEV_CACHE:=$HOME/.cache/zcdev}"
mkdir -p "$ZCDEV_CACHE"

# The VM boots the kernel whose headers the module builds against. Pinned to
# the ABI Debian's linux-image-amd64 points at, resolved once and cached so
# that later runs need no apt look-up; ZCDEV_KABI=6.1.0-N-amd64 overrides.
if [[ -z ${ZCDEV_KABI:-} ]]; then
	if [[ -s $ZCDEV_CACHE/kabi ]]; then
		ZCDEV_KABI=$(cat "$ZCDEV_CACHE/kabi")
	else
		ZCDEV_KABI=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -1)
		if [[ -z $ZCDEV_KABI ]]; then
			apt-get update -qq >/dev/null 2>&1 || true
			ZCDEV_KABI=$(apt-cache depends linux-image-amd64 2>/dev/null |
				sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -1)
		fi
		[[ -n $ZCDEV_KABI ]] || { echo "env: cannot resolve the Debian 6.1 kernel ABI" >&2; exit 1; }
		echo "$ZCDEV_KABI" >"$ZCDEV_CACHE/kabi"
	fi
fi
# The package version (e.g. 6.1.192-2): image and headers must match it.
if [[ -z ${ZCDEV_KVER:-} ]]; then
	if [[ -s $ZCDEV_CACHE/kver-$ZCDEV_KABI ]]; then
		ZCDEV_KVER=$(cat "$ZCDEV_CACHE/kver-$ZCDEV_KABI")
	else
		ZCDEV_KVER=$(apt-cache show "linux-image-$ZCDEV_KABI" 2>/dev/null |
			sed -n 's/^Version: //p' | head -1)
		[[ -n $ZCDEV_KVER ]] || { echo "env: no linux-image-$ZCDEV_KABI in apt" >&2; exit 1; }
		echo "$ZCDEV_KVER" >"$ZCDEV_CACHE/kver-$ZCDEV_KABI"
	fi
fi
ZCDEV_KIMAGE_DIR=$ZCDEV_CACHE/kernel-$ZCDEV_KABI
ZCDEV_VMLINUZ=$ZCDEV_KIMAGE_DIR/root/boot/vmlinuz-$ZCDEV_KABI
ZCDEV_KMODS=$ZCDEV_KIMAGE_DIR/root/lib/modules/$ZCDEV_KABI
ZCDEV_KSRC=$ZCDEV_CACHE/linux-source-6.1
ZCDEV_KDIR=/usr/src/linux-headers-$ZCDEV_KABI
export ZCDEV_CACHE ZCDEV_KABI ZCDEV_KVER ZCDEV_KIMAGE_DIR ZCDEV_VMLINUZ \
	ZCDEV_KMODS ZCDEV_KSRC ZCDEV_KDIR
