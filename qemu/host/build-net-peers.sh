#!/bin/bash
# Build the kernel's own zero-copy send tools, the outside peers of
# zcbench's send methods: tools/testing/selftests/net/msg_zerocopy.c
# (MSG_ZEROCOPY sender, and the receiver every peer run uses: -r) and
# io_uring_zerocopy_tx.c (IORING_OP_SEND_ZC, fixed buffers by default; raw
# system calls, no liburing) from linux-source-6.1, unchanged. Static, like
# every tool the VM runs from its bare initramfs; they are userspace only,
# so the same binaries serve the 6.1, 6.12 and 6.12-rt guests.
#
#   qemu/host/build-net-peers.sh
#
# Prints the binaries' paths on stdout, one a line (nothing else goes
# there); the build happens in $ZCDEV_CACHE/net-peers/ and is skipped when
# up to date. x86 only: the ARM board has no network to run them on.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"

dir=$ZCDEV_KSRC/tools/testing/selftests/net
out=$ZCDEV_CACHE/net-peers
# The flags of the selftests' own Makefile (tools/testing/selftests/net),
# against the system's uapi headers (Debian 12's linux-libc-dev is 6.1's).
cflags=(-O2 -g -Wall -static)

mkdir -p "$out"
for tool in msg_zerocopy io_uring_zerocopy_tx; do
	src=$dir/$tool.c
	[[ -r $src ]] || { echo "build-net-peers: no $src (run qemu/host/deps.sh)" >&2; exit 1; }
	bin=$out/$tool
	if [[ ! -x $bin || $src -nt $bin || $0 -nt $bin ]]; then
		${CC:-gcc} "${cflags[@]}" -o "$bin.tmp" "$src" >"$out/$tool.log" 2>&1 || {
			echo "build-net-peers: $tool failed, see $out/$tool.log" >&2
			tail -20 "$out/$tool.log" >&2
			exit 1
		}
		mv "$bin.tmp" "$bin"
	fi
	echo "$bin"
done
