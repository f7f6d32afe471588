#!/bin/bash
# Print the path of the VM's base initramfs, building it first if needed:
# busybox and the stock kernel modules, the parts that are large and change
# only with the kernel. run.sh appends a small per-run archive to it.
#
#   qemu/host/initramfs-base.sh MODDIR
#
# MODDIR is the booted kernel's lib/modules/<release> directory. The archive
# is cached in $ZCDEV_CACHE/initramfs, keyed by a hash of everything that goes
# into it (including this script), so a stale one is never reused.
# ZCDEV_EXTRA_KMODS="name ..." adds modules to stock-modules.list for one run.
#
# Guest layout:
#   /bin/busybox + applet symlinks     (busybox-static from the host)
#   /dev/console                       (so PID 1 starts with a console)
#   /lib/modules/<release>/...         (modules, modules.dep for modprobe)
#   /lib/modules/zcdev-stock.order     (absolute paths, insmod order)

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"

moddir=${1:?usage: initramfs-base.sh MODDIR}
moddir=$(cd "$moddir" && pwd)
release=${moddir##*/}

# The host's busybox, or ZCDEV_BUSYBOX (another architecture's, for ARM).
host_busybox=
for b in /bin/busybox /usr/bin/busybox; do
	[[ -x $b ]] && { host_busybox=$b; break; }
done
busybox=${ZCDEV_BUSYBOX:-$host_busybox}
[[ -n $busybox && -x $busybox ]] ||
	{ echo "initramfs-base: no busybox${ZCDEV_BUSYBOX:+ at $ZCDEV_BUSYBOX} (apt install busybox-static)" >&2; exit 1; }
# A dynamic busybox (Debian's "busybox" package) cannot run in the guest.
if readelf -l "$busybox" | grep -q INTERP; then
	echo "initramfs-base: $busybox is dynamic; install busybox-static" >&2
	exit 1
fi

# ZCDEV_STOCK_MODULES: another list (the ARM machine has no virtio).
list=${ZCDEV_STOCK_MODULES:-$here/stock-modules.list}
mapfile -t names < <(sed 's/#.*//' "$list" | tr -s ' \t' '\n' | grep .)
# shellcheck disable=SC2206 # word splitting of a user-given list is the point
names+=(${ZCDEV_EXTRA_KMODS:-})
mapfile -t mods < <("$here/kmod-closure.sh" "$moddir" "${names[@]}")

key=$({
	sha256sum "$0" "$here/kmod-closure.sh" "$busybox" | cut -d' ' -f1
	echo "$moddir"
	for m in "${mods[@]}"; do echo "$m $(sha256sum <"$moddir/$m")"; done
} | sha256sum | cut -c1-16)
out=$ZCDEV_CACHE/initramfs/base-$key.cpio
if [[ -s $out ]]; then
	echo "$out"
	exit 0
fi

# One newc entry with no data: lets the archive carry a device node without
# the builder being root or calling mknod.
newc_entry() { # NAME MODE(octal) RDEVMAJOR RDEVMINOR INODE
	local n=$(($(printf %s "$1" | wc -c) + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$5" "$((8#$2))" 0 0 1 0 0 0 0 "$3" "$4" "$n" 0
	printf '%s\0' "$1"
	# Header (110 bytes) plus name is padded to a multiple of 4.
	head -c $(((4 - (110 + n) % 4) % 4)) /dev/zero
}

stage=$(mktemp -d "$ZCDEV_CACHE/initramfs-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/bin" "$root/lib/modules/$release"

install -m 0755 "$busybox" "$root/bin/busybox"
# A foreign busybox cannot run here to list its applets; the host's lists
# them if it is the same build of the same Debian version (deps-arm.sh
# fetches the armhf busybox-static of the host's version).
applets() {
	if [[ $busybox == "$host_busybox" ]] || "$busybox" true 2>/dev/null; then
		"$busybox" --list-full
	elif [[ -n $host_busybox ]] && cmp -s <(strings "$busybox" | grep -m1 '^BusyBox v') \
		<(strings "$host_busybox" | grep -m1 '^BusyBox v'); then
		"$host_busybox" --list-full
	else
		echo "initramfs-base: cannot list the applets of $busybox (not the host's busybox version)" >&2
		return 1
	fi
}
applet_list=$(applets) || exit 1
while IFS= read -r applet; do
	[[ $applet == bin/busybox ]] && continue
	mkdir -p "$root/${applet%/*}"
	ln -sf /bin/busybox "$root/$applet"
done <<<"$applet_list"

order=$root/lib/modules/zcdev-stock.order
: >"$order"
for m in "${mods[@]}"; do
	dst=$root/lib/modules/$release/${m%.ko*}.ko
	mkdir -p "${dst%/*}"
	# busybox insmod loads plain ELF only.
	case $m in
	*.ko.xz) xz -dc "$moddir/$m" >"$dst" ;;
	*.ko.zst) zstd -qdc "$moddir/$m" >"$dst" ;;
	*.ko.gz) gzip -dc "$moddir/$m" >"$dst" ;;
	*) cp "$moddir/$m" "$dst" ;;
	esac
	echo "/lib/modules/$release/${m%.ko*}.ko" >>"$order"
done
# modules.dep only serves `modprobe` typed in `make vm`; init uses the order.
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[[ -e $moddir/$f ]] && cp "$moddir/$f" "$root/lib/modules/$release/"
done
depmod -b "$root" "$release" 2>/dev/null ||
	echo "initramfs-base: depmod failed; modprobe will not work in the guest" >&2

mkdir -p "$ZCDEV_CACHE/initramfs"
{
	newc_entry dev 040755 0 0 1
	newc_entry dev/console 020600 5 1 2
	newc_entry TRAILER!!! 0 0 0 0
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet)
} >"$stage/base.cpio"
mv "$stage/base.cpio" "$out"
echo "$out"
