#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Conformance: the kernel's own dmaengine test client, dmatest, against the
# software engine zcdma, on every zcdma channel zcdev does not hold. Passes
# only with "0 failures" in every thread's summary. SKIPs without
# dmatest.ko (built by qemu/host/build-dmatest.sh, or DMATEST=m in the debug
# kernel) or without a free zcdma channel. TAP, kselftest style.
set -u

ko=${ZCDEV_DMATEST_KO:-/opt/zcdev/modules/dmatest.ko}
params=/sys/module/dmatest/parameters
iterations=${ZCDEV_DMATEST_ITERATIONS:-500}

echo "TAP version 13"
echo "1..1"
skip() {
	echo "ok 1 dmatest_zcdma # SKIP $1"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 4
}
result() { # STATUS WHY
	if [ "$1" = pass ]; then
		echo "ok 1 dmatest_zcdma"
		echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
		exit 0
	fi
	echo "not ok 1 dmatest_zcdma # $2"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
}

[ -r "$ko" ] || skip "no dmatest.ko at $ko"
free=''
for chan in /sys/class/dma/dma*chan*; do
	[ -e "$chan/device" ] || continue
	drv=$(basename "$(readlink -f "$chan/device")")
	[ "$drv" = zcdma ] || continue
	[ "$(cat "$chan/in_use")" = 0 ] && free="$free $(basename "$chan")"
done
[ -n "$free" ] || skip "no free zcdma channel"

# shellcheck source=selftests/zcdev/dmatest_run.sh
. "$(dirname "$0")/dmatest_run.sh"
dmatest_run "${free# }" 2
result pass
