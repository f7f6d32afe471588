#!/bin/bash
# zcdev on this host, for the native half of make run: use a loaded
# /dev/zcdev, or build zcdev.ko and zcdma.ko against the running kernel's
# headers and load them, or say exactly why the zcdev methods cannot run.
#
#   qemu/host/native-module.sh load     prints one line: what it did or why not
#   qemu/host/native-module.sh unload   removes what load loaded (nothing else)
#
# Exit status of load: 0 when /dev/zcdev is there afterwards, 1 when not
# (the line says why), 2 on a usage error. A state file under build/ marks
# the modules this script loaded, so unload never removes a user's own.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
release=$(uname -r)
kdir=/lib/modules/$release/build
out=$root/build/native/$release
state=$root/build/native/loaded

# The kernel's own word on a refused module (signature, lockdown), if any.
kernel_said() {
	local line
	line=$(dmesg 2>/dev/null | tail -5 | grep -iE 'zcd|lockdown|signature|module' | tail -1)
	line=${line#\[*\] }
	[[ -z $line ]] || echo " (kernel: $line)"
}

load() {
	if [[ -e /dev/zcdev ]]; then
		echo "native zcdev: using the loaded module ($(cat /sys/module/zcdev/version 2>/dev/null || echo 'version unknown'))"
		return 0
	fi
	if ((EUID != 0)); then
		echo "native zcdev: unavailable: loading a module needs root (running as uid $EUID)"
		return 1
	fi
	if [[ ! -e $kdir/Makefile ]]; then
		echo "native zcdev: unavailable: no headers for the running kernel $release ($kdir missing: install the headers of this kernel, on Debian linux-headers-$release)"
		return 1
	fi
	# A copy of the sources: the tree's own .ko files are the VM kernel's.
	rm -rf "$out" && mkdir -p "$out"
	cp -r "$root/Kbuild" "$root/module" "$root/uapi" "$out/"
	local log=$out/build.log
	if ! make -s -C "$kdir" M="$out" modules >"$log" 2>&1; then
		echo "native zcdev: unavailable: building against $kdir failed: $(grep -m1 -E 'error|Error' "$log" || tail -1 "$log") (full log: $log)"
		return 1
	fi
	local err
	# zcdma first: zcdev binds to DMA channels when it loads.
	if ! err=$(insmod "$out/zcdma.ko" channels=2 2>&1); then
		echo "native zcdev: unavailable: insmod zcdma.ko: $err$(kernel_said)"
		return 1
	fi
	if ! err=$(insmod "$out/zcdev.ko" 2>&1); then
		rmmod zcdma 2>/dev/null
		echo "native zcdev: unavailable: insmod zcdev.ko: $err$(kernel_said)"
		return 1
	fi
	echo "zcdev zcdma" >"$state"
	echo "native zcdev: built for $release and loaded from $out"
}

unload() {
	[[ -s $state ]] || return 0
	local m mods rc=0
	read -ra mods <"$state"
	for m in "${mods[@]}"; do
		rmmod "$m" || rc=1
	done
	rm -f "$state"
	return "$rc"
}

case ${1:-} in
load) load ;;
unload) unload ;;
*) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
