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
#
# With --arch arm among the options (or ZCDEV_ARCH=arm; `make check-debug
# ARCH=arm`) the same on QEMU's smdkc210: qemu/debug-kernel-arm.config on
# exynos_defconfig, its own device tree, the modules cross-built against it,
# build/arm/guest-debug staged from build/arm/guest (make guest ARCH=arm).
# There the point is DMA_API_DEBUG: QEMU models no caches, so a missing or
# wrong dma_sync_* on the PL330 path corrupts nothing and only dma-debug
# reports it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"

# run.sh's own rule: ZCDEV_ARCH, unless an --arch option says otherwise.
arch=${ZCDEV_ARCH:-x86_64} prev=''
for arg in "$@"; do
	[[ $prev != --arch ]] || arch=$arg
	prev=$arg
done

if [[ $arch == arm ]]; then
	# TCG emulating a KASAN+lockdep ARM kernel is several times slower
	# than the x86 guest: the stock ARM suite's fuzzer strength, 2 rounds.
	: "${ZCDEV_FUZZ_CALLS:=20000}"
	: "${ZCDEV_RACE_ROUNDS:=2}"
else
	: "${ZCDEV_FUZZ_CALLS:=60000}"	# per fuzz test; two tests
	: "${ZCDEV_RACE_ROUNDS:=5}"
fi

t0=$SECONDS
if [[ $arch == arm ]]; then
	# shellcheck source=qemu/host/env-arm.sh
	. "$here/env-arm.sh"
	kernel_out=$("$here/debug-kernel.sh" --arch arm)
	eval "$(grep -E '^(KERNEL|KDIR|MODULES|DTB)=' <<<"$kernel_out")"
	[[ -n ${DTB:-} ]] || { echo "check-debug: debug-kernel.sh --arch arm gave no DTB" >&2; exit 1; }
	build=$root/build/arm
	kmake_cross=(ARCH=arm CROSS_COMPILE="$ZCDEV_ARM_CROSS")
	# make exports it as build/arm/guest; a private staging may differ.
	base_guest=${ZCDEV_GUEST_DIR:-$build/guest}
else
	kernel_out=$("$here/debug-kernel.sh")
	eval "$(grep -E '^(KERNEL|KDIR|MODULES)=' <<<"$kernel_out")"
	build=$root/build
	kmake_cross=()
	base_guest=$build/guest
fi
[[ -n ${KERNEL:-} && -n ${KDIR:-} && -n ${MODULES:-} ]] ||
	{ echo "check-debug: debug-kernel.sh gave no KERNEL/KDIR/MODULES" >&2; exit 1; }
echo "check-debug: kernel ready after $((SECONDS - t0)) s" >&2
# run.sh wants the release directory, as for the stock kernel.
moddir=$(find "$MODULES/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -1)
[[ -d $moddir ]] || { echo "check-debug: no lib/modules/<release> in $MODULES" >&2; exit 1; }

# A scratch copy: objects for the debug kernel must not mix with the
# stock build's in the source tree.
src=$build/debug/src
rm -rf "$src" && mkdir -p "$src"
cp -r "$root/Kbuild" "$root/module" "$root/uapi" "$src/"
make -s -C "$KDIR" M="$src" "${kmake_cross[@]}" modules >"$build/debug/modules.log" 2>&1 ||
	{ cat "$build/debug/modules.log" >&2; exit 1; }

guest=$build/guest-debug
[[ -d $base_guest ]] ||
	{ echo "check-debug: run make guest${kmake_cross[*]:+ ARCH=arm} first" >&2; exit 1; }
rm -rf "$guest" && cp -a "$base_guest" "$guest"
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
# dma-debug's first error would hide the others (run-selftests.sh).
[[ $arch != arm ]] || echo "ZCDEV_DMA_API_ERRORS=${ZCDEV_DMA_API_ERRORS:-50}" >>"$guest/test-env"
# KASAN on an emulated Cortex-A9 is another few times slower than on the
# emulated x86: with the tests' own timeouts, tests that copy many MiB
# through the PL330 (dma_data's random ranges, a dma-heap import, the
# export race) were cut off part way. Every limit grows with it.
if [[ $arch == arm ]]; then
	echo "ZCDEV_TEST_TIMEOUT_SCALE=${ZCDEV_TEST_TIMEOUT_SCALE:-6}" >>"$guest/test-env"
	sed -i 's/^timeout=.*/timeout=3600/' "$guest"/selftests/*/settings
fi

# KASAN and lockdep slow everything down: more memory and a longer limit.
rm -f "$root/build/lint-results"
t1=$SECONDS
status=0
if [[ $arch == arm ]]; then
	# The board has 1 GiB whatever --mem says. The options come first
	# here: make's ARCH=arm VMFLAGS carry the stock suite's --timeout.
	# exynos_defconfig builds in s5p-sss, the Exynos crypto engine, which
	# QEMU does not model: its ctr(aes) outranks the generic one and never
	# completes, so gcm's setkey (kTLS in send_paths) waited forever in D
	# state until the hung-task panic. Debian's armmp leaves it out; so
	# does this run, without a rebuild.
	ZCDEV_GUEST_DIR=$guest "$here/check.sh" "$@" --arch arm --kernel "$KERNEL" \
		--modules-dir "$moddir" --dtb "$DTB" \
		--append initcall_blacklist=s5p_aes_crypto_init \
		--timeout "${ZCDEV_DEBUG_TIMEOUT:-7200}" || status=$?
	echo "check-debug: suite took $((SECONDS - t1)) s on the ARM debug kernel" >&2
	exit "$status"
fi
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
