#!/bin/sh
# The guest half of `make run` (qemu/host/experiments.sh boots the VM with
# it as the command): give the storage experiments a file system that takes
# O_DIRECT, then run zcbench's default set, writing JSON lines to OUTDIR.
#
#   zcbench-vm.sh [--help] OUTDIR [zcbench run options...]
#
# tmpfs (the guest's /tmp) has no O_DIRECT in 6.1, so storage runs on ext4
# (busybox mke2fs makes ext2, the ext4 driver mounts it) on, in order of
# preference:
#   /dev/vda   a virtio-blk disk the host attached (a sparse file there,
#              cache=none: cold reads really go to the host's storage);
#   a loop device over a file in /tmp: RAM underneath, so "cold" reads
#              there are the loop driver's copies, not a device's.
# The choice is printed and recorded by zcbench in the storage results.
# Then `zcbench dma`: dmatest-style, then 1 file and 2 files in parallel
# (one per channel), its lines in OUTDIR/dma.txt, JSON in OUTDIR/dma.jsonl.
# Exit status: zcbench's (1 if any method moved wrong data or a DMA test
# failed).
# shellcheck shell=dash
set -u

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '2,19s/^# \{0,1\}//p' "$0"
	exit 0
fi
out=${1:?usage: zcbench-vm.sh OUTDIR [zcbench run options]}
shift

say() { echo "zcbench-vm: $*" >&2; }
mnt=/mnt/zcbench
loopdev=''

mkfs() { # DEV
	if command -v mke2fs >/dev/null; then
		mke2fs -q "$1" >/dev/null 2>&1 || mke2fs "$1" >/dev/null
	else
		mkfs.ext2 "$1" >/dev/null
	fi
}

scratch() {
	mkdir -p "$mnt"
	if [ -b /dev/vda ]; then
		mkfs /dev/vda && mount -t ext4 /dev/vda "$mnt" &&
			{ say "storage: ext4 on /dev/vda (virtio-blk)"; ZCBENCH_STORAGE="ext4 on virtio-blk"; return 0; }
	fi
	truncate -s 700M /tmp/zcbench-disk.img || return 1
	loopdev=$(losetup -f) && losetup "$loopdev" /tmp/zcbench-disk.img &&
		mkfs "$loopdev" && mount -t ext4 "$loopdev" "$mnt" &&
		{ say "storage: ext4 on $loopdev over tmpfs (RAM underneath)"; ZCBENCH_STORAGE="ext4 on loop over tmpfs"; return 0; }
	return 1
}

sdir=/tmp
ZCBENCH_STORAGE="tmpfs (no O_DIRECT)"
if scratch; then
	sdir=$mnt
else
	say "no ext4 scratch file system: O_DIRECT methods will be unavailable"
fi

# Deterministic mode (run.sh --deterministic: ZCDEV_CLOCK=icount) leaves
# out the capture workload: vivid paces frames by jiffies, and under
# icount with sleep=off guest time leaps while the vCPU idles, so vivid's
# capture thread wakes frames late and hands schedule_timeout() a negative
# timeout (a kernel stack dump, which fails the run). Its figures are
# vivid's frame rate anyway, not a cost the instruction count models.
workloads=''
if [ "${ZCDEV_CLOCK:-}" = icount ]; then
	workloads='-w file2sock,fanout,file2file,storage,dma'
	say "deterministic mode: no capture workload (vivid's pacing breaks under icount)"
fi

# The console is a tty, but what matters is the log it ends up in.
export ZCBENCH_STORAGE ZCBENCH_PROGRESS=lines
# shellcheck disable=SC2086 # $workloads is two words or none
zcbench run --json "$out/vm.jsonl" --dir /tmp --storage-dir "$sdir" $workloads "$@"
rc=$?

# zcbench dma: the dmatest-style line, every transfer verified, next to a
# memcpy of the same bytes; then 1 file and 2 files in parallel, which the
# module puts on two channels, in three alternating rounds (TCG timings
# move with the host's load), unverified: the checks are CPU work of the
# submitting threads that would compete with zcdma's copies for the two
# vCPUs and hide what the second channel adds.
if [ -e /dev/zcdev ]; then
	dma_rc=0
	zcbench dma --size 1M --depth 8 --iterations 64 \
		--json "$out/dma.jsonl" >"$out/dma.txt" 2>&1 || dma_rc=1
	zcbench dma --size 4M --depth 4 --iterations 32 --files 2 --reps 3 \
		--no-verify --json "$out/dma.jsonl" >>"$out/dma.txt" 2>&1 || dma_rc=1
	[ "$dma_rc" = 0 ] || [ "$rc" != 0 ] || rc=1
	cat "$out/dma.txt"
fi

if [ "$sdir" = "$mnt" ]; then
	umount "$mnt" 2>/dev/null
	[ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
fi
exit "$rc"
