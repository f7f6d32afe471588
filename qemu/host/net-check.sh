#!/bin/bash
# Prove and measure the --net topology: boot the VM with it, send TCP from
# the root netns to netns "peer" and back over loopback, and check what the
# zero-copy completions say.
#
#   qemu/host/net-check.sh [--net nic|hub] [--mib N] [run.sh options]
#
# In the guest (qemu/host/net-check.c, built static here as zcnet):
#   - MSG_ZEROCOPY send of 1 MiB over IPv4 and IPv6 to the peer: through the
#     NICs the completion must be zero-copy (SO_EE_CODE_ZEROCOPY_COPIED
#     clear) with --net nic. With --net hub it is only reported: the stack
#     does copy there (no SG), but skb_segment copies GSO skbs without
#     setting the flag, so small sends may still say copied=0;
#   - the same over loopback: must report copied (local delivery copies);
#   - N MiB (default 64) with write(), sendfile() and MSG_ZEROCOPY to the
#     peer: MB/s, reported, not judged (TCG on a busy host varies a lot).
# Prints "net-check: ok|not ok - ..." per check; exit 0 only if all are ok
# (or run.sh's status if the VM run itself failed). With --net nic and no
# taps (run.sh falls back to hub) the topology check fails: that is the
# point.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

net=nic mib=64 run_opts=()
while (($#)); do
	case $1 in
	--net) net=${2:?}; shift 2 ;;
	--mib) mib=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) run_opts+=("$1"); shift ;;
	esac
done
[[ $net == nic || $net == hub ]] || { echo "net-check: --net nic or hub" >&2; exit 2; }
[[ $mib =~ ^[0-9]+$ ]] || { echo "net-check: --mib N" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zcdev-net-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc=${CC:-gcc}
if ! "$cc" -static -O2 -Wall -o "$work/zcnet" "$here/net-check.c"; then
	echo "net-check: cannot build a static zcnet (needs $cc and libc6-dev)" >&2
	exit 1
fi

# Runs in the guest, in /mnt/share (= $work).
cat >"$work/check.sh" <<EOF
#!/bin/sh
mib=$mib want=$net
EOF
cat >>"$work/check.sh" <<'EOF'
peer="nsenter --net=$ZCDEV_PEER_NETNS"
fails=0
ok() { echo "net-check: ok - $*"; }
nok() { echo "net-check: not ok - $*"; fails=$((fails + 1)); }
# send MODE ADDR MIB [local]: one transfer, receiver in peer (or root netns)
send() {
	if [ "${4:-}" = local ]; then ./zcnet recv 5001 >/dev/null &
	else $peer ./zcnet recv 5001 >/dev/null & fi
	r=$!
	out=$(./zcnet send "$1" "$2" 5001 "$3") || { wait $r; return 1; }
	wait $r
	echo "$out"
}
# zc ADDR WANT-COPIED(0, 1 or - for any) WHAT [local]
zc() {
	out=$(send zerocopy "$1" 1 "${4:-}") || { nok "$3: zerocopy send failed"; return; }
	case $2:$out in
	*completed=0*) nok "$3: no completion ($out)" ;;
	-:*copied=*) ok "$3: copied=${out##*copied=} (not judged)" ;;
	*copied=$2*) ok "$3: copied=$2" ;;
	*) nok "$3: expected copied=$2 ($out)" ;;
	esac
}

if [ "$ZCDEV_NET" = "$want" ]; then
	ok "topology is $ZCDEV_NET (peer netns $ZCDEV_PEER_NS at $ZCDEV_PEER_NETNS)"
else
	nok "topology is $ZCDEV_NET, not $want (see run.sh's warning)"
fi
c=0
[ "$ZCDEV_NET" = hub ] && c=-
zc "$ZCDEV_PEER4" $c "MSG_ZEROCOPY root -> peer over $ZCDEV_NET, IPv4"
zc "$ZCDEV_PEER6" $c "MSG_ZEROCOPY root -> peer over $ZCDEV_NET, IPv6"
zc 127.0.0.1 1 "MSG_ZEROCOPY over loopback" local
for m in write sendfile zerocopy; do
	if out=$(send $m "$ZCDEV_PEER4" "$mib"); then
		ok "$ZCDEV_NET TCP ${mib} MiB: $out"
	else
		nok "$ZCDEV_NET TCP ${mib} MiB with $m failed"
	fi
done
exit $((fails != 0))
EOF
chmod +x "$work/check.sh"

rc=0
"$here/../run.sh" --net "$net" --share "$work" "${run_opts[@]}" -- ./check.sh || rc=$?
exit "$rc"
