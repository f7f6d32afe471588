#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Conformance of the engine zcdev really drives: the kernel's dmaengine test
# client, dmatest, on channels of the DMA device zcdev's own channels
# belong to (/sys/class/dma/CHAN/device; the ARM board: the mdma1 PL330),
# on channels zcdev does not hold (dmatest needs them free). Passes only
# with "0 failures" in every thread's summary, and prints each thread's
# throughput. SKIPs when zcdev is on zcdma (dmatest_zcdma covers that),
# without DMA channels, without dmatest.ko, or without a free channel of
# that device. TAP, kselftest style.
set -u

ko=${ZCDEV_DMATEST_KO:-/opt/zcdev/modules/dmatest.ko}
params=/sys/module/dmatest/parameters
iterations=${ZCDEV_DMATEST_ITERATIONS:-500}
# Channels to test at once (of those free): enough to run them side by side.
max_chans=${ZCDEV_DMATEST_CHANNELS:-2}

echo "TAP version 13"
echo "1..1"
skip() {
	echo "ok 1 dmatest_engine # SKIP $1"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 4
}
result() { # STATUS WHY
	if [ "$1" = pass ]; then
		echo "ok 1 dmatest_engine"
		echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
		exit 0
	fi
	echo "not ok 1 dmatest_engine # $2"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
}

[ -e /dev/zcdev ] || skip "no /dev/zcdev (module not loaded)"
# zcdev names its channels in ZCDEV_IOC_DMA_STATS.
mine=$(zcctl dma --stats 2>/dev/null |
	sed -n 's/^dma: stats: channel \([^:]*\):.*/\1/p' | tr '\n' ' ')
mine=${mine% }
[ -n "$mine" ] || skip "zcdev holds no DMA channel"
first=${mine%% *}
device=$(readlink -f "/sys/class/dma/$first/device")
driver=$(basename "$(readlink -f "$device/driver")")
[ "$driver" != zcdma ] || skip "zcdev is on zcdma's channels (dmatest_zcdma tests zcdma)"
[ -r "$ko" ] || skip "no dmatest.ko at $ko"

free=''
n=0
for chan in /sys/class/dma/dma*chan*; do
	[ "$(readlink -f "$chan/device")" = "$device" ] || continue
	[ "$(cat "$chan/in_use")" = 0 ] || continue
	[ "$n" -lt "$max_chans" ] || break
	free="$free $(basename "$chan")"
	n=$((n + 1))
done
[ -n "$free" ] || skip "no free channel of $(basename "$device") ($driver): zcdev holds $mine"
echo "# engine $driver ($(basename "$device")); zcdev holds $mine; dmatest on$free"

# shellcheck source=selftests/zcdev/dmatest_run.sh
. "$(dirname "$0")/dmatest_run.sh"
# One thread per channel: with two, one thread's issue_pending can find
# its descriptor already issued and completed by the other's, and 6.1's
# pl330 WARNs on an issue_pending with nothing pending (pl330.c:2492).
dmatest_run "${free# }" 1
result pass
