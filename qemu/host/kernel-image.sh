#!/bin/bash
# Print the file QEMU should boot for a kernel image (bzImage or vmlinux).
#
#   qemu/host/kernel-image.sh IMAGE
#
# Under TCG a bzImage spends about 3.5 s of every boot decompressing itself.
# A kernel built with CONFIG_PVH has an ELF note that lets QEMU jump straight
# into the uncompressed vmlinux, so the vmlinux is extracted once, cached by
# the image's hash, and booted instead. Anything that cannot be extracted, or
# lacks the PVH entry point, boots as given.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"

image=${1:?usage: kernel-image.sh IMAGE}
[[ -r $image ]] || { echo "kernel-image: $image: not readable" >&2; exit 1; }

# XEN_ELFNOTE_PHYS32_ENTRY (18) is the PVH entry point QEMU looks for.
has_pvh() {
	readelf -n "$1" 2>/dev/null | grep -q 'Xen.*(0x00000012)'
}

if [[ $(head -c 4 "$image" | od -An -c | tr -d ' ') == 177ELF ]]; then
	has_pvh "$image" || {
		echo "kernel-image: $image: a vmlinux needs CONFIG_PVH=y to boot; pass the bzImage" >&2
		exit 1
	}
	echo "$image"
	exit 0
fi

extract=$ZCDEV_KSRC/scripts/extract-vmlinux
sum=$(sha256sum "$image" | cut -c1-16)
out=$ZCDEV_CACHE/vmlinux-$sum
if [[ ! -e $out && ! -e $out.none && -r $extract ]]; then
	# Per-process temporary name: two runs may extract at the same time.
	tmp=$out.$$.tmp
	if sh "$extract" "$image" >"$tmp" 2>/dev/null && has_pvh "$tmp"; then
		mv "$tmp" "$out"
	else
		# Remember the failure so every later run does not retry it.
		rm -f "$tmp"
		touch "$out.none"
	fi
fi
if [[ -e $out ]]; then
	echo "$out"
else
	echo "$image"
fi
