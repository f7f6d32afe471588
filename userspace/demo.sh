#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What `make demo` shows inside the VM: the module's limits, the step-by-step
# demo, a buffer handed to plain dd in both directions, a DMA transfer, and
# zero-copy sends over loopback checked by a receiver. Exits non-zero if any
# step that must work did not. POSIX sh: the guest has busybox.

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

# DMA through the kernel's dmaengine, verified byte by byte with guards
# around the destination. It needs a DMA_MEMCPY channel (zcdma.ko, the
# software engine, or a hardware driver); INFO.features says if there is one.
if zcctl info | grep -q '^features .* dma '; then
	run "zcctl dma --from pages --to user --size 1M --segs 4 --verify --stats"
	run "zcctl dma --from user:3 --to coherent:5 --size 256K --segs 16 --verify"
else
	echo
	echo "demo.sh: DMA SKIPPED: the module holds no DMA_MEMCPY channel" \
		"(no 'dma' in zcctl info's features): load zcdma.ko (the" \
		"software engine) or a hardware driver, then reload zcdev"
fi

# Zero-copy send: buffer pages go to the socket by reference, and every
# send comes back as one completion. Loopback delivers locally, which
# copies, so here every completion says "copied"; true zero-copy needs a
# NIC with scatter-gather and checksum offload. The receiver checks every
# byte against the pattern; the sender waits for it to listen (--wait).
run "zcctl recv --sock tcp --listen 5000 --size 16M & zcctl send --sock tcp --to 127.0.0.1:5000 --size 16M && wait \$!"
run "zcctl recv --sock udp6 --listen 5001 --size 4M & zcctl send --sock udp6 --to [::1]:5001 --size 4M && wait \$!"
# The same bytes through sendfile(2) from the device (page references
# through a pipe, no completions), for comparison with the first send.
run "zcctl recv --sock tcp --listen 5002 --size 16M & zcctl send --sock tcp --to 127.0.0.1:5002 --size 16M --sendfile && wait \$!"

# Through a real NIC (run.sh --net nic): the receiver runs in the netns
# holding the second NIC, so the data leaves through eth0 and completions
# say zero-copy (under --net hub, whose NICs lack offloads: copied).
if [ -n "${ZCDEV_PEER_NETNS:-}" ] && [ -n "${ZCDEV_PEER4:-}" ]; then
	run "nsenter --net=$ZCDEV_PEER_NETNS zcctl recv --sock tcp --listen 5003 --size 16M & zcctl send --sock tcp --to $ZCDEV_PEER4:5003 --size 16M && wait \$!"
fi

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
