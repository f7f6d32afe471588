# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2154 # ko, params, iterations: the caller's
# Sourced by the dmatest_*.sh selftests (not a test: not executable): run
# the kernel's dmatest on some channels and judge its summaries. The
# caller defines result() (pass, or fail with a reason, and exits), and
# sets ko (dmatest.ko), params (its parameter directory) and iterations.

# dmatest_run "CHAN..." THREADS: THREADS per channel, up to 16 KiB each;
# prints every thread's summary and its throughput in MB/s; returns only on
# pass.
dmatest_run() {
	insmod "$ko" || result fail "insmod dmatest failed"
	# Parameters are copied when a channel is added: set them first.
	echo "$iterations" >"$params/iterations"
	echo "$2" >"$params/threads_per_chan"
	echo 16384 >"$params/test_buf_size"
	echo 0 >"$params/noverify"
	echo 0 >"$params/norandom"
	before=$(dmesg | grep -c 'dmatest: .* summary')
	threads=0
	for c in $1; do
		echo "$c" >"$params/channel"
		threads=$((threads + $2))
	done
	echo "# dmatest: $iterations iterations x $threads threads on $1, up to 16 KiB each"
	echo 1 >"$params/run"
	# "wait" can return before the threads start: poll for every summary.
	i=0
	while :; do
		cat "$params/wait" >/dev/null
		now=$(dmesg | grep -c 'dmatest: .* summary')
		[ $((now - before)) -ge "$threads" ] && break
		i=$((i + 1))
		[ $i -lt 600 ] || { rmmod dmatest; result fail "only $((now - before)) of $threads summaries"; }
		sleep 1
	done
	summaries=$(dmesg | grep 'dmatest: .* summary' | tail -n "$threads")
	echo "$summaries" | sed 's/^\[[^]]*\] //; s/^/# /'
	# dmatest says KB/s (KiB, its time without filling and checking).
	echo "$summaries" | sed -n 's/.*dmatest: \([^:]*\): summary \([0-9]*\) tests, \([0-9]*\) failures \([0-9.]*\) iops \([0-9]*\) KB\/s.*/\1 \2 \3 \4 \5/p' |
		while read -r thread tests failures iops kbs; do
			echo "# $thread: $tests tests, $failures failures, $iops iops, $(awk -v k="$kbs" 'BEGIN { printf "%.2f", k * 1024 / 1e6 }') MB/s"
		done
	rmmod dmatest || result fail "rmmod dmatest failed"
	[ "$(echo "$summaries" | grep -c ' 0 failures')" -eq "$threads" ] ||
		result fail "a thread reported failures"
}
