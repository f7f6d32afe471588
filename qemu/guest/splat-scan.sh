#!/bin/sh
# Find kernel splats in a kernel log on stdin: dmesg in the guest, the serial
# console log on the host. The one list of what counts as a splat, shared by
# both sides, so they can never disagree. POSIX sh: runs under busybox ash in
# the guest and under bash/dash on the host.
#
#   splat-scan.sh <LOG    prints the splat lines; exit 1 if any, 0 if clean
#
# Only kernel messages are judged: the text after a printk timestamp
# ("[   12.345678] ", the kernel runs with printk.time=1). A test that prints
# "WARNING:" about itself is not a kernel splat, and on the console a kernel
# line can start in the middle of a user line, hence the last timestamp wins.
set -eu

# What fails a run, whatever the tests said (README.md, "Tests"). kmemleak
# is matched by its report lines, not by the word: a kmemleak kernel prints
# "kmemleak: ... initialized" at every boot. Hung tasks and RCU stalls end up
# as panics or timeouts anyway; matching them names the reason.
splats='BUG:
WARNING:
Oops
KASAN
UBSAN
kernel BUG
general protection fault
possible circular locking
possible recursive locking
inconsistent lock state
suspicious RCU usage
INFO: trying to register non-static key
DMA-API:
kmemleak: [0-9]+ new suspected memory leak
unreferenced object 0x
Call Trace:
Kernel panic
blocked for more than [0-9]+ seconds
detected stall'

# Loading an unsigned out-of-tree module into Debian's kernel prints these;
# they are expected and never a splat, whatever the list above grows into.
# A DMA_API_DEBUG kernel announces itself at boot with "DMA-API:" lines.
expected='loading out-of-tree module taints kernel
module verification failed: signature and/or required key missing
DMA-API: preallocated [0-9]+ debug entries
DMA-API: debugging enabled by kernel config'

found=$(tr -d '\r' |
	sed -n 's/^.*\(\[ *[0-9][0-9]*\.[0-9][0-9]*\] \)/\1/p' |
	grep -E -e "$splats" | grep -v -E -e "$expected") || true
[ -z "$found" ] && exit 0
printf '%s\n' "$found"
exit 1
