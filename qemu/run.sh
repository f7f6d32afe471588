#!/bin/bash
# Boot the zcdev test VM, run one command in it, and exit with its status.
# `qemu/run.sh --help` explains; qemu/host/*.sh do the parts.

set -euo pipefail
qemu_dir=$(cd "$(dirname "$0")" && pwd)
host=$qemu_dir/host
ROOT=$(cd "$qemu_dir/.." && pwd)

usage() {
	cat <<'EOF'
usage: qemu/run.sh [options] -- CMD...
       qemu/run.sh [options] --interactive [-- CMD...]

Boot a stock Debian kernel under QEMU with an initramfs holding busybox,
the stock modules tests need, and the staged payload (build/guest, as
/opt/zcdev); load the modules from /opt/zcdev/modules/load-order; run CMD
with sh -c (cwd /tmp, or /mnt/share with --share); fail on any kernel splat.
The console streams to the terminal and to build/vm/last.log.

One CMD word is a shell script as it stands (-- 'make_x; run_y'); several are
quoted word by word (-- sh -c 'exit 3').

options:
  --share DIR          mount host DIR in the guest at /mnt/share (virtio-9p)
  --timeout SECS       kill the VM after SECS (default $ZCDEV_TIMEOUT or 600;
                       none in --interactive mode unless given); 0 = no limit
  --mem MB             guest memory (default 1024)
  --smp N              guest CPUs (default 2; 1 with --deterministic)
  --deterministic      count instructions instead of host time (QEMU
                       -icount shift=3,sleep=off, TCG on one thread): the
                       guest's clocks advance by 8 ns per instruction, so
                       timings repeat whatever the host's load; one vCPU
                       (QEMU 7.2 starves the second: qemu/README.md); the
                       kernel command line carries ZCDEV_CLOCK=icount and
                       ZCBENCH_WHERE=vm-icount, so CMD and zcbench say so
  --interactive        a shell on the console after loading the modules (and
                       running CMD, if any); exit it to power off
  --debian NAME        boot Debian's kernel NAME: 6.1, 6.12 or 6.12-rt
                       (default: $ZCDEV_KERNEL if set, else the kernel the
                       payload's modules were built for, else 6.1); the
                       payload must match it (make guest KERNEL=NAME)
  --kernel IMAGE       boot IMAGE (bzImage or vmlinux) instead of Debian's;
  --modules-dir DIR      needs the matching lib/modules/<release> DIR
  --dtb FILE           --arch arm: the device tree to boot with (default:
                       the armmp package's exynos4210-smdkv310.dtb)
  --append ARGS        more kernel command line (e.g. kmemleak=on)
  --qemu-arg ARG       one more QEMU argument (repeatable; e.g. -s for gdb)
  --net MODE           guest network topology (default none; qemu/host/net.sh):
                       none  no NIC
                       nic   eth0 (root netns) and eth1 (guest netns "peer")
                             joined outside the guest by vnet_hdr taps on a
                             bridge in a host netns of the run's own: true
                             zero-copy send; needs root and /dev/net/tun,
                             else falls back to hub with a warning
                       hub   the same NICs on a QEMU hub: no offloads, so
                             zero-copy sends report copied
                       CMD gets ZCDEV_NET, ZCDEV_PEER_NS, ZCDEV_PEER_NETNS,
                       ZCDEV_ADDR4/6 and ZCDEV_PEER4/6 (qemu/README.md);
                       --arch arm: nic and hub both give hub's topology out
                       of the board's LAN9118 looped back by QEMU (no
                       offloads; qemu/host/net.sh)
  --log FILE           console log (default build/vm/last.log)
  --arch ARCH          x86_64 (default, or $ZCDEV_ARCH) or arm: Debian's 6.1
                       armmp kernel on QEMU's smdkc210 (Exynos4210, PL330
                       DMA, console ttySAC0; qemu/host/env-arm.sh); no PCI
                       there, so no virtio: no --share or --debian, and
                       --net is the LAN9118's (above)
  -h, --help           this text

environment:
  ZCDEV_GUEST_DIR      payload tree instead of build/guest (make guest)
  ZCDEV_KERNEL         default for --debian (make sets it from KERNEL=)
  ZCDEV_ARCH           default for --arch (make sets it from ARCH=arm)
  ZCDEV_TIMEOUT        default for --timeout
  ZCDEV_EXTRA_KMODS    more stock modules to load, e.g. "dummy bridge"
  ZCDEV_ACCEL          kvm, tcg or auto (default: KVM when the CPU has it)
  ZCDEV_TCG_THREAD     single or multi: TCG vCPUs on one host thread or one
                       each (default: single for PREEMPT_RT kernels, else multi)
  ZCDEV_CACHE          cache dir (default ~/.cache/zcdev)
  ZCDEV_NET_FORCE_HUB  1: --net nic acts as if taps could not be made (hub)
  ZCDEV_NIC_OPTS       --net nic: more options for both -device virtio-net-pci
                       (e.g. rx_queue_size=1024); ZCDEV_TAP_OPTS for -netdev tap

exit status:
  n     CMD's exit status        124  timeout
  200   kernel splat             201  kmemleak leaks
  202   project module rmmod failed
  203   project module insmod failed (CMD not run)
  204   --share mount failed (CMD not run)
  205   --net guest setup failed (CMD not run)
  210   the VM died without reporting (panic, QEMU error)
  2     usage error
EOF
}

die() { echo "run.sh: $*" >&2; exit 2; }

share='' timeout='' mem=1024 smp='' interactive=0 kernel='' moddir='' debian=''
append='' net=none log=$ROOT/build/vm/last.log arch=${ZCDEV_ARCH:-x86_64} dtb=''
qemu_args=() deterministic=0
while (($#)); do
	case $1 in
	--share) share=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--deterministic) deterministic=1; shift ;;
	--interactive) interactive=1; shift ;;
	--debian) debian=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--modules-dir) moddir=${2:?}; shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	--qemu-arg) qemu_args+=("${2:?}"); shift 2 ;;
	--net) net=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--arch) arch=${2:?}; shift 2 ;;
	--dtb) dtb=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
(($# || interactive)) || die "no command given (see --help)"
[[ -z $kernel && -z $moddir ]] || [[ -n $kernel && -n $moddir ]] ||
	die "--kernel and --modules-dir go together: modules must match the kernel"
[[ -z $kernel || -z $debian ]] || die "--debian and --kernel exclude each other"
for n in "$mem" "${smp:-0}" "${timeout:-0}"; do
	[[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a number"
done
case $arch in
x86_64) [[ -z $dtb ]] || die "--dtb is for --arch arm" ;;
arm)
	[[ -z $share ]] || die "--arch arm: no --share (the board has no PCI for virtio-9p)"
	[[ -z $debian ]] || die "--arch arm boots Debian's armmp 6.1 kernel only; no --debian"
	;;
*) die "unknown --arch '$arch' (x86_64 or arm)" ;;
esac
if [[ -z $timeout ]]; then
	if ((interactive)); then timeout=0; else timeout=${ZCDEV_TIMEOUT:-600}; fi
fi
# --deterministic: QEMU's instruction counting (icount). Every guest
# instruction advances the guest's clocks (TSC, LAPIC timer, HPET, PIT) by
# 2^3 ns, and an idle guest's clock jumps to its next timer (sleep=off), so
# what the guest measures is a count of instructions, not host time: host
# load and other VMs no longer move it. icount needs TCG with all vCPUs on
# one host thread (QEMU refuses MTTCG and KVM with it).
# One vCPU: QEMU 7.2's round-robin gives the first vCPU the whole budget up
# to the next timer deadline, so a second vCPU runs only when the first
# halts or executes PAUSE; 6.1's AP bring-up busy-waits in schedule() (no
# PAUSE) for the AP, which then never runs (fixed in QEMU 8.0,
# "accel/tcg/tcg-accel-ops-rr: ensure fairness with icount").
icount_shift=3
if ((deterministic)); then
	[[ $arch == x86_64 ]] || die "--deterministic: x86_64 only (not tried on the arm board)"
	if [[ -z $smp ]]; then
		smp=1
	elif ((smp > 1)); then
		qemu_major=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9]*\)\..*/\1/p')
		((${qemu_major:-0} >= 8)) ||
			die "--deterministic --smp $smp: QEMU ${qemu_major:-?} starves the second vCPU under icount (boot hangs at 'Booting SMP configuration'); use --smp 1 or QEMU 8.0+ (qemu/README.md)"
		echo "run.sh: warning: --deterministic --smp $smp is untested here; vCPUs take turns on one clock (qemu/README.md)" >&2
	fi
	[[ ${ZCDEV_ACCEL:-tcg} != kvm ]] || die "--deterministic needs TCG; ZCDEV_ACCEL=kvm asked for KVM"
	export ZCDEV_ACCEL=tcg ZCDEV_TCG_THREAD=single
	# Frames between the NICs cross the host (taps, bridge, QEMU's I/O
	# thread) in host time and arrive at host-timed instructions.
	[[ $net == none ]] ||
		echo "run.sh: warning: --deterministic --net $net: the NIC path runs through the host in host time; only in-guest paths (loopback) repeat" >&2
	qemu_args+=(-icount "shift=$icount_shift,sleep=off")
	echo "run.sh: deterministic mode: -icount shift=$icount_shift,sleep=off (1 instruction = $((1 << icount_shift)) ns of guest time), $smp vCPU, TCG single-threaded" >&2
fi
smp=${smp:-2}

guest_dir=${ZCDEV_GUEST_DIR:-$ROOT/build/guest}
if [[ ! -d $guest_dir ]]; then
	echo "run.sh: no payload at $guest_dir (make guest stages it); booting without" >&2
	guest_dir=''
fi

# The release the payload's modules were built for (their vermagic): it
# picks the Debian kernel when nothing else does, and must match the one
# booted, or every insmod fails with "invalid module format".
payload_release=''
if [[ -z $kernel && -n $guest_dir && -r $guest_dir/modules/zcdev.ko ]]; then
	payload_release=$(modinfo -F vermagic "$guest_dir/modules/zcdev.ko" | cut -d' ' -f1)
fi
if [[ -n $debian ]]; then
	# A name given here beats an ABI a calling script resolved for another.
	ZCDEV_KERNEL=$debian
	unset ZCDEV_KABI ZCDEV_KVER
fi
if [[ -z ${ZCDEV_KERNEL:-} && -z ${ZCDEV_KABI:-} && -n $payload_release ]]; then
	ZCDEV_KABI=$payload_release
fi
# shellcheck source=qemu/host/env.sh
. "$host/env.sh"
boot_arch_opts=()
if [[ $arch == arm ]]; then
	# shellcheck source=qemu/host/env-arm.sh
	. "$host/env-arm.sh"
	if [[ -z $kernel ]]; then
		[[ -z $payload_release || $payload_release == "$ZCDEV_ARM_KABI" ]] ||
			die "the payload in $guest_dir has modules for $payload_release, not $ZCDEV_ARM_KABI: make guest ARCH=arm"
		kernel=$ZCDEV_ARM_VMLINUZ moddir=$ZCDEV_ARM_KMODS
		[[ -r $kernel && -r $ZCDEV_ARM_BUSYBOX ]] || "$host/deps-arm.sh"
	fi
	# A --kernel of one's own boots with the stock armmp dtb unless --dtb
	# names its own (make check-debug ARCH=arm).
	boot_arch_opts=(--arch arm --dtb "${dtb:-$ZCDEV_ARM_DTB}")
	export ZCDEV_BUSYBOX=$ZCDEV_ARM_BUSYBOX
	export ZCDEV_STOCK_MODULES=$host/stock-modules-arm.list
elif [[ -z $kernel ]]; then
	[[ -z $payload_release || $payload_release == "$ZCDEV_KABI" ]] ||
		die "the payload in $guest_dir has modules for $payload_release, not $ZCDEV_KABI (Debian $ZCDEV_KERNEL): make guest KERNEL=$ZCDEV_KERNEL"
	kernel=$ZCDEV_VMLINUZ moddir=$ZCDEV_KMODS
	[[ -r $kernel ]] || "$host/deps.sh"
fi
[[ -r $kernel ]] || die "no kernel image at $kernel"
# PREEMPT_RT under multi-threaded TCG (QEMU 7.2) dies in 2 boots of 3 with
# an int3 Oops in the scheduler when a tracepoint is switched on: the
# kernel patches its text with int3 breakpoints while the other vCPU's
# thread runs it, and TCG misses the cross-modified code. The same without
# zcdev loaded; never seen with the vCPUs on one host thread (5 runs).
# Plain 6.12 did it too, once, in CI on a loaded host (zcbench_smoke
# switching its kprobes and trace events, "Oops: int3" in
# sched_ttwu_pending on the other vCPU); 6.1 never has. So 6.12 and later
# get one host thread as well.
# A kernel built here (check-debug) has no config-* beside its image.
kconfig=$(ls "$(dirname "$kernel")"/config-* 2>/dev/null | head -n 1) || true
kver=''
[[ -z $kconfig ]] ||
	kver=$(sed -n 's/^# Linux\/[^ ]* \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' "$kconfig" | head -n 1)
if [[ -z ${ZCDEV_TCG_THREAD:-} && $arch == x86_64 ]]; then
	if grep -qs '^CONFIG_PREEMPT_RT=y' "$kconfig"; then
		export ZCDEV_TCG_THREAD=single
		echo "run.sh: PREEMPT_RT kernel: vCPUs on one host thread (-accel tcg,thread=single)" >&2
	elif read -r major minor <<<"${kver:-0 0}" && ((major > 6 || (major == 6 && minor >= 12))); then
		export ZCDEV_TCG_THREAD=single
		echo "run.sh: kernel $major.$minor: vCPUs on one host thread (-accel tcg,thread=single)" >&2
	fi
fi
[[ -d $moddir ]] || die "no modules dir at $moddir"
run_opts=()
[[ -n $guest_dir ]] && run_opts+=(--guest-dir "$guest_dir")
((interactive)) && run_opts+=(--interactive)
if [[ -n $share ]]; then
	[[ -d $share ]] || die "--share $share: not a directory"
	share=$(cd "$share" && pwd)
	run_opts+=(--share)
	# QEMU option values escape a comma by doubling it.
	qemu_args+=(-fsdev "local,id=zcshare,path=${share//,/,,},security_model=none"
		-device "virtio-9p-pci,fsdev=zcshare,mount_tag=zcshare")
fi

# shellcheck source=qemu/host/net.sh
. "$host/net.sh"
mkdir -p "$ROOT/build/vm" "$(dirname "$log")"
work=$(mktemp -d "$ROOT/build/vm/run.XXXXXX")
# bash runs the EXIT trap on INT, TERM and HUP too: the host netns of
# --net nic goes on every way out but SIGKILL (net.sh sweeps those later).
# shellcheck disable=SC2317 # called by the trap
cleanup() { net_teardown; rm -rf "$work"; }
trap cleanup EXIT
# Before the per-run archive: the guest must hear the topology it really
# gets (nic may fall back to hub).
net_setup "$net" "$arch" "$work" || exit 2
run_opts+=(--net "$NET_MODE")
# The board's NIC exists only if its device tree says so.
if [[ $arch == arm && $NET_MODE != none ]]; then
	"$host/dtb-lan9118.sh" "${dtb:-$ZCDEV_ARM_DTB}" "$work/board.dtb"
	boot_arch_opts=(--arch arm --dtb "$work/board.dtb")
fi

base=$("$host/initramfs-base.sh" "$moddir")
"$host/initramfs-run.sh" "$work/run.cpio" "${run_opts[@]}" -- "$@"
# The kernel unpacks concatenated archives in order, later files winning.
cat "$base" "$work/run.cpio" >"$work/initrd"
# The PVH shortcut is x86's; an ARM zImage boots as it is.
image=$kernel
[[ $arch == arm ]] || image=$("$host/kernel-image.sh" "$kernel")

# oops=panic: an oops ends the run at once (with -no-reboot and panic=-1
# QEMU exits) instead of leaving a half-dead kernel to hang until the time
# limit. Warnings are not made fatal (no panic_on_warn): the guest's dmesg
# scan catches them and the run still reports. loglevel=5 puts warnings and
# worse on the console, where the host's backup scan sees them, and keeps
# the info-level boot chatter out. Lockups and hung tasks panic rather than
# waiting for the time limit. trace_clock=global is what the kernel picks
# anyway under TCG's unstable clock, minus four lines of warning about it.
# no_timer_check: a busy TCG host can make the IO-APIC timer self-test
# fail at boot ("IO-APIC + timer doesn't work!"), as on KVM guests.
if [[ $arch == arm ]]; then
	# smdkc210: the console is UART0 (ttySAC0); earlycon shows a boot that
	# hangs before the console driver. The rest is issue 13's prototype:
	# no crypto self-tests and no idle states, TCG time spent for nothing.
	cmdline="earlycon=exynos4210,0x13800000 console=ttySAC0,115200n8 random.trust_cpu=off"
	cmdline+=" cryptomgr.notests cpuidle.off=1"
else
	cmdline="console=ttyS0,115200 no_timer_check"
fi
cmdline+=" loglevel=5 printk.time=1 panic=-1 oops=panic"
# watchdog_thresh=60 (a soft lockup after 120 s, not 20): an emulated
# vCPU is a host thread, and on a loaded host it can sit unscheduled long
# enough for its watchdog to see a lockup that never happened in the guest
# (a KVM guest's steal time excuses such gaps; a TCG guest has none). A
# real lockup still panics the run, just later.
cmdline+=" softlockup_panic=1 watchdog_thresh=60 hung_task_panic=1 trace_clock=global"
# Unknown NAME=VALUE parameters reach /init's environment, so CMD (and
# zcbench's records) can tell a deterministic run from an emulated one.
((deterministic)) && cmdline+=" ZCDEV_CLOCK=icount ZCBENCH_WHERE=vm-icount"
cmdline+="${append:+ $append}"

boot_opts=(--kernel "$image" --initrd "$work/initrd" --log "$log"
	--append "$cmdline" --mem "$mem" --smp "$smp" --timeout "$timeout"
	"${boot_arch_opts[@]}")
((interactive)) && boot_opts+=(--interactive)
start=$SECONDS
brc=0
"${NET_WRAP[@]}" "$host/boot.sh" "${boot_opts[@]}" \
	-- "${NET_QEMU_ARGS[@]}" "${qemu_args[@]}" || brc=$?
rc=0
"$host/verdict.sh" "$log" "$brc" "$timeout" || rc=$?
mode=''
((deterministic)) && mode=", deterministic: icount shift=$icount_shift, $smp vCPU"
((rc != 0)) || echo "run.sh: PASS ($((SECONDS - start)) s in the VM$mode)" >&2
exit "$rc"
