#!/bin/bash
# make run-repro: how still do the VM's numbers hold? Boot the VM N times
# (default 3) in deterministic mode (qemu/run.sh --deterministic: QEMU
# counts instructions, one vCPU), run the same zcbench group in each boot,
# and print per configuration each key figure's spread across the boots,
# with the wall time of every boot.
#
#   qemu/host/repro.sh [--help] [--boots N] [--load N] [--emulated]
#                      [--results DIR] [-- zcbench run OPTIONS]
#
#   --boots N      boots (default 3)
#   --load N       N busy host processes (nice 10, like the kernel builds
#                  on a shared host) for the whole time: the spread must
#                  not care (default 0)
#   --emulated     the default VM (host-timed TCG, 2 vCPUs) instead, for
#                  comparison
#   --results DIR  per-boot JSON lines and zcbench output (default
#                  results/repro)
# zcbench run OPTIONS replace the group, which is by default
#   -w file2sock -p loop -s 16M -r 3 --no-claims
#   -m readwrite,sendfile,splice,msgzc,zcdev_send,zcdev_sendfile
#
# Expects `make guest` to have staged the payload (or ZCDEV_GUEST_DIR);
# ZCDEV_REPRO_TIMEOUT is each boot's time limit (default 600 s; a
# deterministic boot with the default group takes ~30 s of wall time).
# Exit status: 0; 1 if a boot failed or produced no results.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
boots=3 load=0 mode=deterministic results=$root/results/repro
# shellcheck disable=SC2054 # the commas are zcbench's list syntax
group=(-w file2sock -p loop -s 16M -r 3 --no-claims
	-m readwrite,sendfile,splice,msgzc,zcdev_send,zcdev_sendfile)

usage() { sed -n '2,27s/^# \{0,1\}//p' "$0"; }
die() { echo "repro.sh: $*" >&2; exit 2; }
while (($#)); do
	case $1 in
	--boots) boots=${2:?}; shift 2 ;;
	--load) load=${2:?}; shift 2 ;;
	--emulated) mode=emulated; shift ;;
	--results) results=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; (($#)) && group=("$@"); break ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
for n in "$boots" "$load"; do
	[[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a number"
done
((boots >= 2)) || die "--boots $boots: a spread needs two boots at least"

say() { echo "repro: $*" >&2; }
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results"/boot-*.jsonl "$results"/boot-*.txt

loaders=()
# shellcheck disable=SC2317 # called by the trap
stop_load() {
	local pid
	for pid in "${loaders[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
}
trap stop_load EXIT
for ((i = 0; i < load; i++)); do
	nice -n 10 yes >/dev/null &
	loaders+=($!)
done

run_opts=(--share "$results" --timeout "${ZCDEV_REPRO_TIMEOUT:-600}")
[[ $mode == deterministic ]] && run_opts+=(--deterministic)
quoted=$(printf '%q ' "${group[@]}")
rc=0 walls=()
for ((b = 1; b <= boots; b++)); do
	say "boot $b/$boots ($mode), host load $(cut -d' ' -f1 /proc/loadavg), $load loader(s)"
	start=$SECONDS
	brc=0
	# ZCBENCH_WHERE comes from the kernel command line in deterministic
	# mode; the emulated VM is plain "vm", as in make run.
	"$root/qemu/run.sh" "${run_opts[@]}" --log "$root/build/vm/repro-$b.log" \
		-- "zcbench run $quoted --json boot-$b.jsonl >boot-$b.txt 2>&1" || brc=$?
	walls+=($((SECONDS - start)))
	if ((brc)) || [[ ! -s $results/boot-$b.jsonl ]]; then
		say "boot $b failed (status $brc; log build/vm/repro-$b.log, output $results/boot-$b.txt)"
		rc=1
	fi
done
stop_load

say "wall time per boot: ${walls[*]} s"
files=("$results"/boot-*.jsonl)
[[ -e ${files[0]} ]] || { say "no results"; exit 1; }

# One row per configuration and figure: the value in each boot, then
# min, median, max and (max - min) / median. JSON lines are flat, so a
# field is the text between "KEY": and the next comma or brace.
awk -v boots="$boots" -v mode="$mode" '
function field(line, key,    m) {
	if (!match(line, "\"" key "\":[^,}]*"))
		return ""
	m = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
	gsub(/"/, "", m)
	return m
}
BEGIN {
	nf = split("mbps secs snd_sys_gib rcv_sys_gib sys_cpu_gib syscalls_gib cp_total", figs, " ")
}
FNR == 1 { boot++ }
{
	if (field($0, "status") != "ok")
		next
	cfg = field($0, "method") " " field($0, "path") " " field($0, "size") "/" field($0, "bufsize")
	if (!(cfg in seen)) { seen[cfg] = 1; order[++ncfg] = cfg }
	for (f = 1; f <= nf; f++)
		val[cfg, figs[f], boot] = field($0, figs[f])
}
END {
	printf "repro: %d boots, %s mode; spread = (max - min) / median\n", boots, mode
	printf "%-36s %-12s %s %10s %8s\n", "configuration", "figure", "per boot", "median", "spread"
	for (c = 1; c <= ncfg; c++) {
		cfg = order[c]
		for (f = 1; f <= nf; f++) {
			n = 0; line = ""
			for (b = 1; b <= boot; b++) {
				v = val[cfg, figs[f], b]
				line = line sprintf(" %9s", v == "" ? "-" : v)
				if (v != "" && v != "null")
					x[++n] = v + 0
			}
			if (n < 2) {
				printf "%-36s %-12s%s %10s %8s\n", cfg, figs[f], line, "-", "-"
				continue
			}
			# insertion sort: n is the number of boots
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
			med = n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
			spread = med ? sprintf("%.2f%%", 100 * (x[n] - x[1]) / med) : (x[n] == x[1] ? "0%" : "-")
			printf "%-36s %-12s%s %10.4g %8s\n", cfg, figs[f], line, med, spread
		}
	}
}' "${files[@]}" | tee "$results/spread.txt"
say "per boot: $results/boot-N.{jsonl,txt}; spread: $results/spread.txt"
exit "$rc"
