#!/bin/sh
# The guest half of --net nic (and hub, which runs this too): two NICs, one
# of them moved into the netns "peer", so that traffic between the root
# netns and peer leaves through a NIC and comes back in through the other
# (qemu/host/net.sh joins them outside the guest).
#
#   root netns   eth0  198.18.0.1/24  2001:2::1/64   (MAC 52:54:00:7a:63:01)
#   netns peer   eth1  198.18.0.2/24  2001:2::2/64   (MAC 52:54:00:7a:63:02)
#
# Addresses are from the benchmarking ranges (RFC 2544, RFC 5180), never from
# private ones. IPv6 duplicate address detection is off on both NICs (busybox
# ip has no `nodad`), so the addresses work at once.
#
# busybox ip has no `ip netns`; the netns is made the iproute2 way all the
# same, a bind mount at /run/netns/peer (/var/run/netns/peer), so
#   nsenter --net=/run/netns/peer CMD        (busybox and util-linux alike)
# runs CMD in it. For CMD, init exports what this writes to
# /etc/zcdev/net.env: ZCDEV_NET, ZCDEV_PEER_NS, ZCDEV_PEER_NETNS,
# ZCDEV_ADDR4, ZCDEV_PEER4, ZCDEV_ADDR6, ZCDEV_PEER6, and with two CPUs or
# more ZCDEV_NIC_CPU=0 and ZCDEV_PEER_CPU=1 (empty with one): the CPU each
# NIC's interrupts go to.
# Exit status non-zero (init: ZCDEV-EXIT 205) if any step fails.
# shellcheck shell=dash
set -eu

# One end: lo and IFACE up with its addresses, in the caller's netns.
up() { # IFACE ADDR4 ADDR6
	ip link set lo up
	echo 0 >"/proc/sys/net/ipv6/conf/$1/accept_dad"
	ip addr add "$2/24" dev "$1"
	ip -6 addr add "$3/64" dev "$1"
	ip link set "$1" up
}
# Internal: the peer end, run inside the netns by the code below.
if [ "${1:-}" = --up ]; then
	shift
	up "$@"
	exit 0
fi

mode=${1:-nic}
ns=peer
nsfile=/run/netns/$ns
mac0=52:54:00:7a:63:01 mac1=52:54:00:7a:63:02
addr4=198.18.0.1 peer4=198.18.0.2 addr6=2001:2::1 peer6=2001:2::2

# shellcheck source=qemu/guest/net-lib.sh
. /usr/lib/zcdev/net-lib.sh

# virtio_net probes when init loads it; give the devices a moment anyway.
tries=0
until if0=$(by_mac $mac0) && if1=$(by_mac $mac1); do
	tries=$((tries + 1))
	[ "$tries" -lt 50 ] || die "no NICs with MACs $mac0 and $mac1 (is virtio_net loaded?)"
	sleep 0.1
done
# Named by MAC, not by probe order: eth0 is always the root netns's NIC.
if [ "$if0" != eth0 ] || [ "$if1" != eth1 ]; then
	ip link set "$if0" name zcnic0
	ip link set "$if1" name zcnic1
	ip link set zcnic0 name eth0
	ip link set zcnic1 name eth1
fi

# One CPU per side, as two machines would have: eth0's interrupts (and so
# its softirq work) on CPU 0, eth1's on CPU 1, and zcbench pins the sender
# and the receivers to the same two (ZCDEV_NIC_CPU, ZCDEV_PEER_CPU).
# Left alone, eth1's receive interrupt came in on CPU 0 (measured), so the
# peer's receive work shared the sender's CPU.
# sysfs shows a NIC only in its own netns: before eth1 moves.
# Only PCI NICs (virtio) list their interrupts there: the ARM board's
# LAN9118 and its macvlan keep the kernel's placement, and nothing is pinned.
steer() { # IFACE CPU
	for irq in "/sys/class/net/$1/device/../msi_irqs"/*; do
		echo "$2" >"/proc/irq/${irq##*/}/smp_affinity_list" ||
			die "$1: cannot steer interrupt ${irq##*/} to CPU $2"
	done
}
nic_cpu='' peer_cpu=''
if grep -q '^cpu1 ' /proc/stat && [ -d /sys/class/net/eth0/device/../msi_irqs ] &&
	[ -d /sys/class/net/eth1/device/../msi_irqs ]; then
	steer eth0 0
	steer eth1 1
	nic_cpu=0 peer_cpu=1
fi

[ -e /var/run ] || { mkdir -p /var && ln -s /run /var/run; }
mkdir -p /run/netns
touch "$nsfile"
unshare --net="$nsfile" true || die "cannot make netns $ns"

# busybox ip moves a link only to the netns of a pid: a sleeper in peer.
nsenter -F --net="$nsfile" sleep 60 &
sleeper=$!
want=$(stat -L -c %i "$nsfile")
tries=0
until [ "$(stat -L -c %i /proc/$sleeper/ns/net 2>/dev/null)" = "$want" ]; do
	tries=$((tries + 1))
	[ "$tries" -lt 100 ] || die "the helper never entered netns $ns"
	sleep 0.05
done
ip link set eth1 netns "$sleeper"
kill "$sleeper" 2>/dev/null || true
wait "$sleeper" 2>/dev/null || true

up eth0 $addr4 $addr6
nsenter --net="$nsfile" sh "$0" --up eth1 $peer4 $peer6 ||
	die "cannot set up eth1 in netns $ns"

# Both families, both ways, before CMD relies on them.
for a in $peer4 $peer6; do
	ping -c 1 -W 5 "$a" >/dev/null || die "no answer from $a (netns $ns) through the NICs"
done
for a in $addr4 $addr6; do
	nsenter --net="$nsfile" ping -c 1 -W 5 "$a" >/dev/null ||
		die "no answer from $a (root netns) to netns $ns"
done

cat >/etc/zcdev/net.env <<EOF
ZCDEV_NET=$mode
ZCDEV_PEER_NS=$ns
ZCDEV_PEER_NETNS=$nsfile
ZCDEV_ADDR4=$addr4
ZCDEV_PEER4=$peer4
ZCDEV_ADDR6=$addr6
ZCDEV_PEER6=$peer6
ZCDEV_NIC_CPU=$nic_cpu
ZCDEV_PEER_CPU=$peer_cpu
EOF
say "$mode: eth0 $addr4 $addr6 <-> eth1 $peer4 $peer6 in netns $ns"
