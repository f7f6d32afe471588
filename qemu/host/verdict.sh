#!/bin/bash
# Judge a finished VM run from its console log: print a one-line reason on
# stderr when it failed, and exit with run.sh's status.
#
#   qemu/host/verdict.sh LOG BOOT_STATUS TIMEOUT
#
# BOOT_STATUS is boot.sh's. The guest's own verdict is its last
# "ZCDEV-EXIT: n" line (see qemu/guest/init); the console is scanned again
# here because a panic or a hang leaves no marker, and a splat printed after
# the guest's own dmesg scan (say, while powering off) would go unseen.
#
# Exit status:
#   n      the command's status, from the marker (0 = success)
#   124    the time limit was hit
#   200+   the guest's marker said so (200 splat, 201 kmemleak, 202 rmmod,
#          203 insmod, 204 share mount, 205 guest net setup); also 200 for
#          a splat seen only here
#   210    no marker: the kernel panicked, QEMU died, or the guest never got
#          as far as reporting

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

log=${1:?usage: verdict.sh LOG BOOT_STATUS TIMEOUT}
boot=${2:?}
timeout=${3:?}

fail() { echo "run.sh: FAIL: $*" >&2; }

splats=$(sh "$here/../guest/splat-scan.sh" <"$log") || true
marker=$(tr -d '\r' <"$log" | sed -n 's/^ZCDEV-EXIT: \([0-9][0-9]*\)$/\1/p' | tail -n 1)

if ((boot == 124)); then
	fail "timeout: the VM was still running after ${timeout}s and was killed (log: $log)"
	exit 124
fi

if [[ -z $marker ]]; then
	if [[ -n $splats ]]; then
		head -n 10 <<<"$splats" | sed 's/^/run.sh: /' >&2
		fail "the VM died without reporting: kernel splat on the console: $(head -n 1 <<<"$splats" | cut -c1-120) (log: $log)"
	elif ((boot != 0)); then
		fail "QEMU exited with status $boot before the guest reported (log: $log)"
	else
		fail "no ZCDEV-EXIT marker: the guest died without reporting (log: $log)"
	fi
	exit 210
fi

case $marker in
200) fail "kernel splat in dmesg (ZCDEV-SPLAT lines above; log: $log)" ;;
201) fail "kmemleak reported leaks (ZCDEV-SPLAT lines above; log: $log)" ;;
202) fail "a project module would not unload (rmmod; log: $log)" ;;
203) fail "a project module would not load (insmod; log: $log)" ;;
204) fail "the --share directory could not be mounted in the guest (log: $log)" ;;
205) fail "the guest's network setup failed (log: $log)" ;;
*)
	if [[ -n $splats ]]; then
		head -n 10 <<<"$splats" | sed 's/^/run.sh: /' >&2
		fail "kernel splat on the console (log: $log)"
		exit 200
	fi
	((marker == 0)) || echo "run.sh: command exited with status $marker" >&2
	;;
esac
exit "$marker"
