#!/bin/bash
# Write the small per-run initramfs archive that run.sh appends to the cached
# base: the guest scripts, the payload tree and what to run.
#
#   qemu/host/initramfs-run.sh OUT [--guest-dir DIR] [--interactive] [--share]
#                              [--net MODE] [-- CMD...]
#
# One CMD word is taken as a shell script as it stands (`-- 'a; b'`); several
# are quoted word by word (`-- sh -c 'exit 3'`). The guest runs it with sh -c.
#
# Guest layout (on top of initramfs-base.sh's):
#   /init                        qemu/guest/init
#   /usr/lib/zcdev/              the other qemu/guest scripts
#   /etc/zcdev/config, cmd       read by /init
#   /opt/zcdev/                  a copy of DIR (the staged build/guest tree)

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
guest_src=$(cd "$here/../guest" && pwd)

out=${1:?usage: initramfs-run.sh OUT [options] [-- CMD...]}
shift
guest_dir='' interactive=0 share=0 net=none
while (($#)); do
	case $1 in
	--guest-dir) guest_dir=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--share) share=1; shift ;;
	--net) net=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "initramfs-run: unknown option $1" >&2; exit 2 ;;
	esac
done

shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/zcdev-run.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/usr/lib/zcdev" "$stage/etc/zcdev" "$stage/opt"

install -m 0755 "$guest_src/init" "$stage/init"
for f in "$guest_src"/*.sh; do
	install -m 0755 "$f" "$stage/usr/lib/zcdev/"
done

if [[ -n $guest_dir ]]; then
	# -L: a symlink into the build tree must arrive as the file it names.
	cp -RL "$guest_dir" "$stage/opt/zcdev"
else
	mkdir -p "$stage/opt/zcdev"
fi

{
	echo "ZCDEV_INTERACTIVE=$interactive"
	echo "ZCDEV_SHARE=$share"
	echo "ZCDEV_NET=$(shquote "$net")"
	if ((interactive)); then
		# The guest cannot ask the host terminal its size or type.
		if size=$(stty size 2>/dev/null) && [[ $size == *' '* ]]; then
			echo "ZCDEV_ROWS=${size% *} ZCDEV_COLS=${size#* }"
		fi
		echo "ZCDEV_TERM=$(shquote "${TERM:-linux}")"
	fi
} >"$stage/etc/zcdev/config"

if (($# == 1)); then
	printf '%s\n' "$1"
elif (($#)); then
	sep=''
	for word in "$@"; do
		printf '%s%s' "$sep" "$(shquote "$word")"
		sep=' '
	done
	echo
fi >"$stage/etc/zcdev/cmd"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$out"
