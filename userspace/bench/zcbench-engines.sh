#!/bin/sh
# zcbench's DMA report on every engine the machine has, in one boot: zcdev
# binds the channels of one DMA device (its dma_channel= parameter), so the
# engine it has now is measured, zcdev is reloaded on two free channels of
# the other engine (zcdma's, the project's software engine, when zcdev is
# not on it), measured again, and reloaded as it was. Root; nothing may
# hold /dev/zcdev meanwhile.
#
#   zcbench-engines.sh [--help] [OUTDIR]
#
# Per engine: `zcbench dma --table` (coherent, PAGES and user pairs at 4K
# and 1M beside memcpy, and the CPU's bandwidth through COHERENT, PAGES and
# malloc() memory) and `zcbench run -w dma` (claim 7's; 4M off x86), with
# ZCBENCH_WHERE=<machine>-<engine> so each engine is an environment of its
# own. Then one table with an engine column (`zcbench dma --merge`) and the
# claims (`zcbench report`): claim 7 judged on each engine. JSON lines stay
# in OUTDIR (default /tmp/zcbench-engines). With one engine (x86: zcdma
# only) there is one pass.
# Exit status: 0; 1 if a test failed or zcdev could not be reloaded.
# shellcheck shell=dash
set -u

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '2,19s/^# \{0,1\}//p' "$0"
	exit 0
fi
out=${1:-/tmp/zcbench-engines}
mods=${ZCDEV_MODULES:-/opt/zcdev/modules}
say() { echo "zcbench-engines: $*" >&2; }

# The harness's ARM guest runs under TCG on an x86 host, and an emulated
# Cortex-A9 has no hypervisor flag to say so (zcbench's env.c looks for it).
if [ -r /etc/zcdev/config ] && [ "$(uname -m)" != x86_64 ]; then
	export ZCBENCH_ACCEL="${ZCBENCH_ACCEL:-tcg}"
fi

# zcdev's channels, by name, from ZCDEV_IOC_DMA_STATS.
zcdev_chans() {
	zcctl dma --stats | sed -n 's/^dma: stats: channel \([^:]*\):.*/\1/p'
}
chan_device() { basename "$(readlink -f "/sys/class/dma/$1/device")"; }
chan_driver() { basename "$(readlink -f "/sys/class/dma/$1/device/driver")"; }

# zcdev.ko's parameters as the harness loaded it, without dma_channel=.
load_params=$(sed -n 's/^zcdev\.ko[[:space:]]*//p' "$mods/load-order" 2>/dev/null |
	tr ' ' '\n' | grep -v '^dma_channel=' | tr '\n' ' ')
orig_chans=$(cat /sys/module/zcdev/parameters/dma_channel 2>/dev/null)

reload() { # DMA_CHANNEL (empty: zcdev's own choice)
	rmmod zcdev || return 1
	# shellcheck disable=SC2086
	insmod "$mods/zcdev.ko" $load_params ${1:+dma_channel=$1}
}

# One engine: the table and claim 7's experiment.
pass() {
	chan=$(zcdev_chans | head -n 1)
	[ -n "$chan" ] || { say "zcdev has no DMA channel"; return 1; }
	drv=$(chan_driver "$chan")
	where=$(uname -m)-${drv#dma-}
	say "engine $drv ($(chan_device "$chan")): zcdev's channels $(zcdev_chans | tr '\n' ' ')"
	prc=0
	ZCBENCH_WHERE=$where zcbench dma --table --json "$out/table.jsonl" || prc=1
	ZCBENCH_WHERE=$where ZCBENCH_PROGRESS=lines zcbench run -w dma -s "$claim_size" -r 3 \
		--no-claims --json "$out/claim7.jsonl" || prc=1
	return "$prc"
}

# Claim 7's 16M, but 4M off x86: there zcdev syncs a PAGES buffer whole
# for every transfer (module/buf.c), and 16M took minutes per engine.
claim_size=16M
[ "$(uname -m)" = x86_64 ] || claim_size=4M
mkdir -p "$out"
rm -f "$out/table.jsonl" "$out/claim7.jsonl"
rc=0
first=$(zcdev_chans | head -n 1)
[ -n "$first" ] || { say "zcdev has no DMA channel: nothing to measure"; exit 1; }
pass || rc=1

# The other engine: two free channels of zcdma, when zcdev is not on it.
other=''
if [ "$(chan_driver "$first")" != zcdma ]; then
	for c in /sys/class/dma/dma*chan*; do
		[ "$(chan_driver "$(basename "$c")")" = zcdma ] || continue
		[ "$(cat "$c/in_use")" = 0 ] || continue
		other="$other${other:+,}$(basename "$c")"
		[ "$(echo "$other" | tr ',' '\n' | wc -l)" -lt 2 ] || break
	done
	[ -n "$other" ] || say "no free zcdma channel: one engine only"
fi
if [ -n "$other" ]; then
	say "reloading zcdev with dma_channel=$other"
	if reload "$other"; then
		pass || rc=1
	else
		say "could not reload zcdev on $other"
		rc=1
	fi
	say "reloading zcdev as it was (dma_channel=${orig_chans:-its own choice})"
	reload "$orig_chans" || { say "could not reload zcdev as it was"; rc=1; }
fi

echo
echo "==== zcbench dma --table, every engine (merged) ===="
zcbench dma --merge "$out/table.jsonl" || rc=1
echo
echo "==== claim 7 on every engine (zcbench run -w dma, above) ===="
zcbench report "$out/claim7.jsonl" | sed -n '/^\[7\]/,/^$/p'
exit "$rc"
