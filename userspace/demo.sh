#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make run` shows inside the VM: the module's limits, the step-by-step
# demo, and a buffer handed to plain dd in both directions. Exits non-zero
# if any step that must work did not. POSIX sh: the guest has busybox.

here=$(cd "$(dirname "$0")" && pwd)
PATH=$here:$PATH
export PATH
failed=0

# Each step is one shell command line, shown as typed so it can be re-run.
run() {
	echo
	echo "\$ $1"
	eval "$1" || { echo "demo.sh: FAILED (exit $?)"; failed=$((failed + 1)); }
}

run "zcctl info"
run "zcctl demo --kind both --size 1M"

# Ordinary tools on a zcdev buffer: fd 3 is the device file that owns it.
# One dd per sh -c: busybox dd's seek=/skip= move from fd 3's position.
run "zcctl exec --kind pages --size 1M -- sh -c 'dd if=/dev/urandom bs=4096 count=256 seek=\$((ZCDEV_OFFSET/4096)) >&3'"
run "zcctl exec --kind pages --size 1M --verify 7 -- sh -c 'zcctl pattern --seed 7 --size 1M | dd bs=4096 seek=\$((ZCDEV_OFFSET/4096)) >&3'"
run "zcctl exec --kind coherent --size 256K --fill 9 -- sh -c 'dd bs=4096 count=64 skip=\$((ZCDEV_OFFSET/4096)) <&3 | zcctl pattern --check --seed 9 --size 256K'"

# A limit, shown rather than hit by accident: one coherent block larger
# than max_coherent_bytes fails with EFBIG and says what to do instead.
echo
echo "\$ zcctl alloc --kind coherent --size 8M    # expected to fail"
if zcctl alloc --kind coherent --size 8M; then
	echo "demo.sh: note: 8 MiB coherent allocation succeeded (max_coherent_bytes >= 8 MiB)"
fi

echo
if [ "$failed" -ne 0 ]; then
	echo "demo.sh: $failed step(s) FAILED"
	exit 1
fi
echo "demo.sh: all OK"
