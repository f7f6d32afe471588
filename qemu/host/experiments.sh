#!/bin/bash
# make run: zcbench's default experiment set on this host (native: real
# timings) and in the VM (QEMU, stock Debian 6.1, --net nic, a virtio-blk
# scratch disk: instruction-counted timings, exact copy counts), then one
# report of both: tables, VM vs native ratios, the claims with computed
# verdicts, JSON lines and a chart in results/.
#
#   qemu/host/experiments.sh [--help] [--no-native] [--no-vm] [--reps N]
#                            [--results DIR] [-- EXTRA zcbench run OPTIONS]
#
# ZCBENCH_VM_MODE=deterministic (default: qemu/run.sh --deterministic, one
# vCPU, where vm-icount) or wallclock (host-timed, 2 vCPUs, where vm);
# ZCBENCH_VM_TIMEOUT: seconds (default 1560 deterministic, 780 wallclock).
# Then, in deterministic mode, the capture and dma workloads in a
# host-timed boot, and (ZCBENCH_PEERS=0 leaves it out) zcbench peers in
# one more.
# Expects `make guest` to have built and staged everything (make run does).
# Exit status: 0; 1 if any method moved wrong data or the report failed;
# the VM harness's status (qemu/run.sh --help) if the VM run failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/build/bin
results=$root/results
native=1 vm=1 reps=5 native_reps=5
extra=()

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }
while (($#)); do
	case $1 in
	--no-native) native=0; shift ;;
	--no-vm) vm=0; shift ;;
	--reps) reps=${2:?}; native_reps=$2; shift 2 ;;
	--results) results=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; extra=("$@"); break ;;
	*) echo "experiments.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

say() { echo "experiments: $*" >&2; }
[[ -x $bin/zcbench ]] || { say "no $bin/zcbench: run make guest first"; exit 2; }

# Deterministic by default: instruction-counted guest time repeats to
# 0.1% whatever the host does, so the claims' verdicts stop flipping
# between runs (qemu/README.md "Deterministic mode"). Its boot and runs
# take about twice the wall time of the host-timed mode, hence the timeout.
vm_mode=${ZCBENCH_VM_MODE:-deterministic}
case $vm_mode in
deterministic) vm_args=(--deterministic); vm_timeout=${ZCBENCH_VM_TIMEOUT:-1560} ;;
wallclock) vm_args=(); vm_timeout=${ZCBENCH_VM_TIMEOUT:-780} ;;
*) say "ZCBENCH_VM_MODE=$vm_mode: deterministic or wallclock"; exit 2 ;;
esac
mkdir -p "$results"
results=$(cd "$results" && pwd)
start=$SECONDS
rc=0

# The chart is drawn on the host; gnuplot-nox is the only extra package.
if ! command -v gnuplot >/dev/null; then
	say "installing gnuplot-nox for the chart"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null ||
		say "no gnuplot: the chart will be missing"
fi

# ---- native: the same set on this host, real hardware timings ----
if ((native)); then
	rm -f "$results/native.jsonl"
	# tmpfs for sources, as in the VM (/tmp there); a disk dir for storage.
	ndir=$(mktemp -d /dev/shm/zcbench.XXXXXX 2>/dev/null || mktemp -d)
	sdir=$(mktemp -d "$root/build/zcbench-storage.XXXXXX")
	trap 'rm -rf "$ndir" "$sdir"; "$here/native-module.sh" unload' EXIT
	say "native run ($(uname -r), $(nproc) CPUs), $native_reps repetitions"
	# The zcdev methods need the module on this kernel; without it they are
	# reported unavailable, and this says why once.
	say "$("$here/native-module.sh" load)"
	nrc=0
	ZCBENCH_WHERE=native ZCBENCH_STORAGE="host $(df --output=fstype "$sdir" | tail -1)" \
		"$bin/zcbench" run --json "$results/native.jsonl" --dir "$ndir" \
		--storage-dir "$sdir" --reps "$native_reps" --no-claims "${extra[@]}" \
		>"$results/native.txt" || nrc=$?
	((nrc == 0)) || { say "native run exited with $nrc (see $results/native.txt)"; rc=1; }
	say "native run done after $((SECONDS - start)) s"
fi

# ---- VM: TCG, NIC pair, scratch disk ----
if ((vm)); then
	rm -f "$results/vm.jsonl" "$results/dma.txt" "$results/dma.jsonl" "$results/peers.txt"
	disk=$root/build/vm/zcbench-disk.img
	mkdir -p "$root/build/vm"
	rm -f "$disk"
	truncate -s 1G "$disk"
	load=$(cut -d' ' -f1 /proc/loadavg)
	say "VM run ($vm_mode, QEMU, --net nic, 2 GiB, virtio-blk scratch disk, timeout $vm_timeout s); host load $load"
	# Other VMs on this host slow TCG down invisibly to a host-timed guest.
	[[ $vm_mode == wallclock ]] &&
		awk -v l="$load" -v c="$(nproc)" 'BEGIN { exit !(l > c) }' &&
		say "warning: load $load on $(nproc) CPUs: VM timings will be contended"
	vrc=0
	# virtio_blk for the disk, crc32c for ext4 (it will not mount without).
	ZCDEV_EXTRA_KMODS="virtio_blk crc32c_generic ${ZCDEV_EXTRA_KMODS:-}" \
		"$root/qemu/run.sh" "${vm_args[@]}" --net nic --mem 2048 --timeout "$vm_timeout" \
		--share "$results" --log "$root/build/vm/experiments.log" \
		--qemu-arg -drive --qemu-arg "file=$disk,format=raw,if=virtio,cache=none" \
		-- "ZCBENCH_HOST_LOAD=$load zcbench-vm.sh /mnt/share --reps $reps ${extra[*]}" || vrc=$?
	rm -f "$disk"
	if ((vrc)); then
		say "VM run exited with $vrc (log: build/vm/experiments.log)"
		((vrc == 1)) && rc=1 || rc=$vrc
	fi
	say "VM run done after $((SECONDS - start)) s"
fi

# ---- host-timed, two vCPUs: what one instruction-counted vCPU cannot
# judge. Capture: vivid paces its frames by jiffies, and under icount
# (sleep=off) guest time leaps, so its capture thread once handed
# schedule_timeout() a negative timeout, a kernel stack dump that fails
# the run (zcbench-vm.sh leaves capture out there); claim 9 judges its
# copies per frame, exact in either mode. DMA: with one vCPU the software
# engine copies on the CPU it is to free, so claim 7 needs a second. ----
if ((vm)) && [[ $vm_mode == deterministic ]]; then
	say "VM host-timed run (capture, dma), into $results/vm.jsonl"
	"$root/qemu/run.sh" --mem 2048 --timeout 600 --share "$results" \
		--log "$root/build/vm/hosttimed.log" \
		-- "zcbench run -w capture,dma --dir /tmp --reps $reps --json /mnt/share/vm.jsonl --no-claims >/dev/null" ||
		{ say "host-timed run failed (log: build/vm/hosttimed.log)"; rc=$((rc ? rc : 1)); }
	say "VM host-timed run done after $((SECONDS - start)) s"
fi

# ---- outside peers: zcbench's send peers beside the kernel's own
# msg_zerocopy and io_uring_zerocopy_tx, same boot (zcbench peers; about
# 5 min more in the VM; ZCBENCH_PEERS=0 leaves it out) ----
if ((vm)) && [[ ${ZCBENCH_PEERS:-1} == 1 ]]; then
	say "VM peers run (zcbench peers), table in $results/peers.txt"
	# shellcheck disable=SC2016 # $? and $rc are the guest shell's
	"$root/qemu/run.sh" --net nic --timeout 1200 --share "$results" \
		--log "$root/build/vm/peers.log" \
		-- 'zcbench peers >/mnt/share/peers.txt; rc=$?; cat /mnt/share/peers.txt; exit $rc' ||
		{ say "peers run failed (log: build/vm/peers.log)"; rc=$((rc ? rc : 1)); }
fi

# ---- one report of both, the chart ----
files=()
for f in "$results/vm.jsonl" "$results/native.jsonl"; do
	[[ -s $f ]] && files+=("$f")
done
if ((${#files[@]} == 0)); then
	say "no results"
	exit "$((rc ? rc : 1))"
fi
rm -f "$results"/plot-*.dat
"$bin/zcbench" report --plot-data "$results" "${files[@]}" | tee "$results/report.txt" ||
	rc=$((rc ? rc : 1))
if [[ -s $results/peers.txt ]]; then
	printf '\n==== zcbench peers in the VM (host-timed: the kernel'"'"'s msg_zerocopy and io_uring_zerocopy_tx beside zcdev) ====\n' |
		tee -a "$results/report.txt"
	tee -a "$results/report.txt" <"$results/peers.txt"
fi
if [[ -s $results/dma.txt ]]; then
	printf '\n==== zcbench dma in the VM (dmatest-style: 1 file, 2 files in parallel on the channels, memcpy of the same bytes) ====\n%s\n' \
		"$(grep -E '^(dma|memcpy):' "$results/dma.txt")" | tee -a "$results/report.txt"
fi
if command -v gnuplot >/dev/null; then
	gnuplot -e "dir='$results'; out='$results/zcbench.png'" \
		"$root/userspace/bench/zcbench.gp" &&
		say "chart: $results/zcbench.png"
fi
say "JSON lines: ${files[*]}; report: $results/report.txt"
say "wall time $((SECONDS - start)) s"
exit "$rc"
