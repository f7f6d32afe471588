#!/bin/sh
# The guest half of --net hub: the same NICs, addresses and netns as nic;
# only the host side differs (a QEMU hub: no offloads, sends are copied).
# On the ARM board (no PCI, so no virtio NICs) its one LAN9118, looped back
# by QEMU, stands in for both: net-lan9118.sh.
# shellcheck shell=dash
case $(uname -m) in
arm*) exec sh /usr/lib/zcdev/net-lan9118.sh hub ;;
esac
exec sh /usr/lib/zcdev/net-nic.sh hub
