#!/bin/bash
# The kernel-style gates of `make check`, run on the host:
#   lint.sh checkpatch   checkpatch.pl --strict on module/ and uapi/
#   lint.sh sparse       the module built with C=2 (sparse on every file,
#                        not only the ones make rebuilds), no warnings
#   lint.sh w1           the module built with W=1, no warnings
#   lint.sh abi          uapi/zcdev.abi describes uapi/linux/zcdev.h, and
#                        every change of it raised ZCDEV_ABI_VERSION (abi.sh)
#   lint.sh ioctl-collisions  no zcdev ioctl command or type byte is one of
#                        the 6.1 kernel's uapi headers (ioctl-collisions.sh)
# sparse and w1 build against the chosen kernel's headers (KDIR, else
# env.sh's kernel: `make KERNEL=...`) and name it in their result;
# checkpatch does not depend on the kernel.
# Each appends "pass NAME" or "fail NAME" to build/lint-results, which
# check.sh adds to the test counts, and exits non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=qemu/host/env.sh
. "$root/qemu/host/env.sh"
kdir=${KDIR:-$ZCDEV_KDIR}
kname=$(basename "$kdir")
kname=${kname#linux-headers-}
results=$root/build/lint-results
mkdir -p "$root/build"

record() { # NAME STATUS LOGFILE
	if [[ $2 == 0 ]]; then
		echo "pass $1" >>"$results"
		echo "lint: ok - $1"
	else
		echo "fail $1" >>"$results"
		echo "lint: not ok - $1" >&2
		sed 's/^/    /' "$3" >&2
	fi
	return "$2"
}

# Build the module into a scratch copy so lint flags never leave objects
# that the real build would reuse.
module_build() { # LOGFILE EXTRA-MAKE-ARGS...
	local log=$1 scratch
	shift
	scratch=$(mktemp -d)
	cp -r "$root/Kbuild" "$root/module" "$root/uapi" "$scratch/"
	make -s -C "$kdir" M="$scratch" "$@" modules >"$log" 2>&1 || true
	rm -rf "$scratch"
	# Warnings and errors only; the BTF notice is about the headers package.
	grep -v -e 'Skipping BTF generation' "$log" | grep -E 'warning|error|Error' >"$log.issues" || true
	mv "$log.issues" "$log"
	[[ ! -s $log ]]
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
case ${1:-} in
checkpatch)
	status=0
	"$ZCDEV_KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		-f "$root"/module/*.[ch] "$root/uapi/linux/zcdev.h" >"$log" 2>&1 || status=1
	record checkpatch "$status" "$log"
	;;
sparse)
	status=0
	module_build "$log" C=2 || status=1
	record "sparse $kname" "$status" "$log"
	;;
w1)
	status=0
	module_build "$log" W=1 || status=1
	record "w1 $kname" "$status" "$log"
	;;
abi)
	status=0
	"$root/qemu/host/abi.sh" check >"$log" 2>&1 || status=1
	record abi "$status" "$log"
	sed -n '$s/^/    /p' "$log"
	;;
ioctl-collisions)
	status=0
	"$root/qemu/host/ioctl-collisions.sh" >"$log" 2>&1 || status=1
	record ioctl-collisions "$status" "$log"
	sed -n '$s/^/    /p' "$log"
	;;
*)
	echo "usage: lint.sh checkpatch|sparse|w1|abi|ioctl-collisions" >&2
	exit 2
	;;
esac
