#!/bin/sh
# Run every selftest staged under /opt/zcdev/selftests/<dir>/ (in the guest)
# and sum the results; what `make check` boots the VM for.
#
#   run-selftests.sh [DIR...]       default: every dir in /opt/zcdev/selftests
#
# Every executable in a dir is a test, except the kselftest data files
# `settings` and `config`. A dir's `settings` file may set `timeout=N`
# (seconds per binary, 0 = none, default 45 as in kselftest). Output streams
# live; after each binary comes one line
#   ZCDEV-RESULT: <dir>/<binary> pass=N fail=N skip=N <why>
# plus a ZCDEV-FAIL: line per failing TAP test, and at the end
#   ZCDEV-TOTALS: pass=N fail=N skip=N
# Exit status 0 only if nothing failed and something ran.
#
# A kselftest_harness binary's "# Totals:" line gives its counts (xfail counts
# as a pass, xpass and error as failures). A binary without one counts as one
# test: exit 0 passes, 4 (KSFT_SKIP) skips, anything else, a crash or a
# timeout fails, as does a non-zero exit whose Totals show no failure.
# Variables the payload sets for every test (make check-debug scales the
# fuzzer and the races up this way): /opt/zcdev/test-env, KEY=VALUE lines.
# shellcheck shell=dash
set -eu

if [ -r /opt/zcdev/test-env ]; then
	set -a
	# shellcheck disable=SC1091
	. /opt/zcdev/test-env
	set +a
fi

# dma-debug prints only its first error of a boot and counts the rest
# silently; a debug run wants every missed or wrong sync it meets
# (make check-debug ARCH=arm sets ZCDEV_DMA_API_ERRORS).
dma_api=/sys/kernel/debug/dma-api
if [ -n "${ZCDEV_DMA_API_ERRORS:-}" ] && [ -w "$dma_api/num_errors" ]; then
	echo "$ZCDEV_DMA_API_ERRORS" >"$dma_api/num_errors"
fi

base=/opt/zcdev/selftests
work=$(mktemp -d /tmp/selftests.XXXXXX)
tp=0 tf=0 ts=0

# Runs $1 in its own session so that a timeout kills whatever it forked too:
# a surviving child would hold the output pipe open and hang the run.
run_one() { # PATH TIMEOUT OUTFILE -> sets rc, timedout
	rm -f "$work/fifo" "$work/timedout"
	mkfifo "$work/fifo"
	tee "$3" <"$work/fifo" &
	teepid=$!
	setsid "$1" >"$work/fifo" 2>&1 &
	pid=$!
	wdog=''
	if [ "$2" -gt 0 ]; then
		(sleep "$2" && touch "$work/timedout" && kill -KILL "-$pid") 2>/dev/null &
		wdog=$!
	fi
	rc=0
	wait "$pid" || rc=$?
	[ -z "$wdog" ] || kill "$wdog" 2>/dev/null || true
	kill -KILL "-$pid" 2>/dev/null || true
	wait "$teepid" || true
	timedout=0
	[ ! -e "$work/timedout" ] || timedout=1
}

# The last "# Totals:" line's field $1 (pass, fail, ...), 0 if absent.
total() {
	sed -n "s/^# Totals:.* $1:\([0-9]*\).*/\1/p" "$out" | tail -n 1 | grep . || echo 0
}

if [ $# -eq 0 ]; then
	set -- "$base"/*/
fi
for dir in "$@"; do
	dir=${dir%/}
	[ -d "$dir" ] || continue
	secs=45
	if [ -r "$dir/settings" ]; then
		s=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$dir/settings" | tail -n 1)
		[ -z "$s" ] || secs=$s
	fi
	for t in "$dir"/*; do
		case ${t##*/} in settings | config) continue ;; esac
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then
			continue
		fi
		name=${dir##*/}/${t##*/}
		out=$work/out
		echo "# zcdev: running $name (timeout ${secs}s)"
		start=$(date +%s)
		run_one "$t" "$secs" "$out"
		took=$(($(date +%s) - start))
		if grep -q '^# Totals:' "$out"; then
			p=$(($(total pass) + $(total xfail)))
			f=$(($(total fail) + $(total xpass) + $(total error)))
			s=$(total skip)
			why="exit $rc"
			# 4 is kselftest's SKIP: a script that skipped as a whole.
			if [ "$rc" = 4 ] && [ "$f" = 0 ] && [ "$p" = 0 ] && [ "$s" -gt 0 ]; then
				why="skipped (exit 4)"
			elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
				f=1
				why="exit $rc with no failed test"
			fi
		else
			p=0 f=0 s=0
			case $rc in
			0) p=1 why="exit 0" ;;
			4) s=1 why="skipped (exit 4)" ;;
			*) f=1 why="exit $rc" ;;
			esac
		fi
		if [ "$timedout" = 1 ]; then
			f=$((f > 0 ? f : 1))
			why="TIMEOUT after ${secs}s"
		fi
		grep '^not ok' "$out" | grep -v '# SKIP' | sed "s|^|ZCDEV-FAIL: $name: |" || true
		echo "ZCDEV-RESULT: $name pass=$p fail=$f skip=$s $why (${took}s)"
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	done
done
rm -rf "$work"

if [ -n "${ZCDEV_DMA_API_ERRORS:-}" ] && [ -r "$dma_api/error_count" ]; then
	echo "# zcdev: DMA-API errors counted: $(cat "$dma_api/error_count")"
fi
echo "ZCDEV-TOTALS: pass=$tp fail=$tf skip=$ts"
[ "$tf" = 0 ] && [ $((tp + ts)) -gt 0 ]
