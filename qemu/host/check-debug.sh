#!/bin/bash
# make check-debug: the whole selftest suite, the fuzzer at full strength,
# the races repeated, fault injection and dmatest on zcdma, on a 6.1 kernel
# built to catch what the stock one hides (KASAN, KFENCE, lockdep,
# DMA_API_DEBUG, kmemleak, UBSAN, fault injection; qemu/debug-kernel.config).
# The harness fails the run on any splat and, after the suite and the
# modules' unload, on any kmemleak report.
#
#   qemu/host/check-debug.sh [run.sh options]
#
# Builds the kernel once (cached in $ZCDEV_CACHE, ~15-25 min on 2 cores),
# builds the project's modules against it, stages build/guest-debug from
# build/guest (make guest first) and ends with check.sh's count line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"

: "${ZCDEV_FUZZ_CALLS:=60000}"	# per fuzz test; two tests
: "${ZCDEV_RACE_ROUNDS:=5}"

t0=$SECONDS
kernel_out=$("$here/debug-kernel.sh")
eval "$(grep -E '^(KERNEL|KDIR|MODULES)=' <<<"$kernel_out")"
[[ -n ${KERNEL:-} && -n ${KDIR:-} && -n ${MODULES:-} ]] ||
	{ echo "check-debug: debug-kernel.sh gave no KERNEL/KDIR/MODULES" >&2; exit 1; }
echo "check-debug: kernel ready after $((SECONDS - t0)) s" >&2
# run.sh wants the release directory, as for the stock kernel.
moddir=$(find "$MODULES/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -1)
[[ -d $moddir ]] || { echo "check-debug: no lib/modules/<release> in $MODULES" >&2; exit 1; }

# A scratch copy: objects for the debug kernel must not mix with the
# stock build's in the source tree.
src=$root/build/debug/src
rm -rf "$src" && mkdir -p "$src"
cp -r "$root/Kbuild" "$root/module" "$root/uapi" "$src/"
make -s -C "$KDIR" M="$src" modules >"$root/build/debug/modules.log" 2>&1 ||
	{ cat "$root/build/debug/modules.log" >&2; exit 1; }

guest=$root/build/guest-debug
[[ -d $root/build/guest ]] || { echo "check-debug: run make guest first" >&2; exit 1; }
rm -rf "$guest" && cp -a "$root/build/guest" "$guest"
cp "$src"/*.ko "$guest/modules/"
# dmatest ships with the debug kernel (DMATEST=m); the dmatest selftest
# finds it here and runs it against zcdma.
find "$MODULES" -name dmatest.ko -exec cp {} "$guest/modules/" \;
# KASAN and lockdep make every binary slower: a longer limit per binary.
sed -i 's/^timeout=.*/timeout=1800/' "$guest"/selftests/*/settings
cat >"$guest/test-env" <<ENV
ZCDEV_FUZZ_CALLS=$ZCDEV_FUZZ_CALLS
ZCDEV_RACE_ROUNDS=$ZCDEV_RACE_ROUNDS
ZCDEV_DEBUG_KERNEL=1
ENV

# KASAN and lockdep slow everything down: more memory and a longer limit.
rm -f "$root/build/lint-results"
t1=$SECONDS
status=0
# no5lvl: with -cpu max, TCG offers 5-level paging, and this 6.1 KASAN
# kernel then sometimes reports a wild access in an interrupt that arrives
# during early boot (identify_cpu), long before any module loads; the
# report disables lockdep for the rest of the run. 4-level paging avoids
# it, and boots twice as fast under TCG. DEBUG_PAGEALLOC and PAGE_OWNER are
# built in but off unless asked for at boot.
ZCDEV_GUEST_DIR=$guest "$here/check.sh" --kernel "$KERNEL" \
	--modules-dir "$moddir" --mem 2048 --timeout 3600 \
	--append "no5lvl debug_pagealloc=on page_owner=on" "$@" || status=$?
echo "check-debug: suite took $((SECONDS - t1)) s on the debug kernel" >&2
exit "$status"
