#!/bin/sh
# The guest half of --net on the ARM board (run.sh --arch arm): the same
# topology as net-nic.sh gives x86, out of the board's one NIC.
#
#   root netns   eth0  (LAN9118, smsc911x)  198.18.0.1/24  2001:2::1/64
#   netns peer   eth1  (macvlan on eth0)    198.18.0.2/24  2001:2::2/64
#
# QEMU's netdev under the LAN9118 sends every frame back to it
# (qemu/host/net.sh), so a frame from the root netns to eth1 leaves through
# the LAN9118's transmit path and comes back in through its receive path,
# where macvlan hands it to eth1; eth1's replies go out and back the same
# way (macvlan's default VEPA mode sends even frames for the lower device
# out through it). Nothing between the netns is local delivery: every byte
# crosses the NIC twice, which `ip -s link show eth0` counts.
#
# The LAN9118 has no scatter-gather or checksum offload, so this is hub's
# topology (sends are copied); ZCDEV_NET says hub.
# Exit status non-zero (init: ZCDEV-EXIT 205) if any step fails.
# shellcheck shell=dash
set -eu

mac0=52:54:00:7a:63:01 mac1=52:54:00:7a:63:02

# shellcheck source=qemu/guest/net-lib.sh
. /usr/lib/zcdev/net-lib.sh

# smsc911x probes when init loads it; give it a moment anyway.
tries=0
until if0=$(by_mac $mac0); do
	tries=$((tries + 1))
	[ "$tries" -lt 50 ] || die "no NIC with MAC $mac0 (is smsc911x loaded, and the device tree's ethernet@5000000 there?)"
	sleep 0.1
done
[ "$if0" = eth0 ] || ip link set "$if0" name eth0
ip link set eth0 up
# busybox ip: "link" first, and no lower device named like a keyword.
ip link add link eth0 name eth1 type macvlan ||
	die "cannot add a macvlan on eth0 (is macvlan loaded?)"
ip link set eth1 address $mac1
exec sh /usr/lib/zcdev/net-nic.sh "${1:-hub}"
