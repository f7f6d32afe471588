#!/bin/bash
# The kernel-style gates of `make check`, run on the host:
#   lint.sh checkpatch   checkpatch.pl --strict on module/ and uapi/
#   lint.sh sparse       the module built with C=1 (sparse), no warnings
#   lint.sh w1           the module built with W=1, no warnings
# Each appends "pass NAME" or "fail NAME" to build/lint-results, which
# check.sh adds to the test counts, and exits non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=qemu/host/env.sh
. "$root/qemu/host/env.sh"
kdir=${KDIR:-$ZCDEV_KDIR}
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
	record sparse "$status" "$log"
	;;
w1)
	status=0
	module_build "$log" W=1 || status=1
	record w1 "$status" "$log"
	;;
*)
	echo "usage: lint.sh checkpatch|sparse|w1" >&2
	exit 2
	;;
esac
