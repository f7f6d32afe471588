#!/bin/bash
# Boot the VM once: QEMU with the console on this terminal, a copy of it in a
# log, and a time limit. Knows nothing of what runs inside.
#
#   qemu/host/boot.sh --kernel IMAGE --initrd FILE --log FILE [--append ARGS]
#                     [--mem MB] [--smp N] [--timeout SECS] [--interactive]
#                     [--arch x86_64|arm] [--dtb FILE] [-- QEMU_ARG...]
#
# --arch arm boots QEMU's smdkc210 (Exynos4210: two Cortex-A9, three PL330
# DMA controllers, console on UART0) with the device tree --dtb names.
#
# Exit status: QEMU's (0 after the guest powers off, or after a panic, since
# -no-reboot turns the panic's reboot into an exit), 124 if the time limit
# killed it, 1 if QEMU could not start.
#
# The console is written straight to the terminal by QEMU (live, no pipe to
# buffer it) and copied to the log by QEMU's own chardev logfile.

set -euo pipefail

kernel='' initrd='' log='' append='' mem=1024 smp=2 timeout=0 interactive=0
arch=x86_64 dtb=''
while (($#)); do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--arch) arch=$2; shift 2 ;;
	--dtb) dtb=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "boot: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ -n $kernel && -n $initrd && -n $log ]] ||
	{ echo "boot: --kernel, --initrd and --log are required" >&2; exit 2; }

# The guest CPU hides ERMS and FSRM: with them the kernel copies with
# "rep movsb", which TCG emulates a byte at a time, so every kernel copy
# (copy_to_user, pipes, sockets, the software DMA engine) ran ~3-4x slower
# relative to userspace memcpy than on hardware. Measured here: zcdma at
# 1 MiB 147 -> 681 MB/s, the submitting thread's CPU 0.64 -> 0.18 s.
# ZCDEV_CPU overrides the model.
case $arch in
x86_64)
	qemu='qemu-system-x86_64'
	args=(-machine q35 -cpu "${ZCDEV_CPU:-max,erms=off,fsrm=off}")
	;;
arm)
	# The board has 1 GiB whatever -m says; its CPUs are fixed (Cortex-A9).
	[[ -r $dtb ]] || { echo "boot: --arch arm needs --dtb FILE" >&2; exit 2; }
	qemu='qemu-system-arm'
	args=(-machine smdkc210 -dtb "$dtb")
	;;
*) echo "boot: unknown --arch $arch" >&2; exit 2 ;;
esac
args+=(-smp "$smp" -m "$mem"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$append")
# ZCDEV_ACCEL=kvm|tcg|auto (default). A /dev/kvm alone proves nothing: a
# sandbox can offer one on a CPU without virtualisation, and QEMU then aborts.
# ZCDEV_TCG_THREAD=single|multi (default): TCG's vCPUs on one host thread or
# one each; run.sh picks single for PREEMPT_RT kernels (see there).
tcg=tcg
[[ ${ZCDEV_TCG_THREAD:-multi} == single ]] && tcg=tcg,thread=single
case ${ZCDEV_ACCEL:-auto} in
kvm) args+=(-accel kvm) ;;
tcg) args+=(-accel "$tcg") ;;
*)
	if [[ $arch == x86_64 && -r /dev/kvm && -w /dev/kvm ]] &&
		grep -qwE 'vmx|svm' /proc/cpuinfo; then
		args+=(-accel kvm)
	fi
	args+=(-accel "$tcg")
	;;
esac

# QEMU option values escape a comma by doubling it.
rawlog=$log
log=${log//,/,,}
if ((interactive)); then
	# The user's keys go to the guest (Ctrl-C included); Ctrl-A x quits and
	# Ctrl-A c reaches the QEMU monitor.
	args+=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$log"
		-serial chardev:con -mon "chardev=con,mode=readline")
else
	args+=(-chardev "stdio,id=con,logfile=$log" -serial chardev:con)
fi
args+=("$@")

# --foreground: QEMU may own the terminal (interactive) and must not be
# stopped by SIGTTOU for it. stdin is /dev/null in batch mode so QEMU leaves
# the terminal alone and Ctrl-C still stops it.
limit=()
((timeout > 0)) && limit=(timeout --foreground --kill-after=5 "$timeout")
rc=0
if ((interactive)); then
	"${limit[@]}" "$qemu" "${args[@]}" || rc=$?
elif [[ $arch == arm ]]; then
	# QEMU does not model this board's reset: a panic (panic=-1) ends in
	# "Reboot failed -- System halted" with QEMU still running, so the
	# console is watched for it and QEMU told to quit (timeout(1) passes
	# the TERM on). The run then has no marker and fails as a panic should.
	: >"$rawlog"	# a previous run's panic must not end this one
	"${limit[@]}" "$qemu" "${args[@]}" </dev/null &
	qpid=$!
	# A background job ignores Ctrl-C: pass it on, and TERM and HUP too.
	trap 'kill "$qpid" 2>/dev/null; exit 130' INT TERM HUP
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -qs 'Reboot failed -- System halted' "$rawlog"; then
			kill "$qpid" 2>/dev/null || true
			break
		fi
		sleep 1
	done
	wait "$qpid" || rc=$?
else
	"${limit[@]}" "$qemu" "${args[@]}" </dev/null || rc=$?
fi
# timeout(1) says 137 when --kill-after had to send SIGKILL.
if ((rc == 137 && timeout > 0 && SECONDS >= timeout)); then
	rc=124
fi
exit "$rc"
