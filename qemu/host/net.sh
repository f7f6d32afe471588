# shellcheck shell=bash
# The guest's network topology: which NICs the VM gets and what must exist on
# the host side for them. Sourced by run.sh, which calls, in order:
#
#   net_setup MODE     prepare the host side; fills NET_QEMU_ARGS (QEMU
#                      options) and NET_WRAP (a command prefix for QEMU,
#                      e.g. `ip netns exec NS` when the taps live in a netns)
#   net_teardown       undo net_setup; safe after a failed or partial setup
#
# The guest sees the mode as ZCDEV_NET in /etc/zcdev/config, and its init runs
# /usr/lib/zcdev/net-MODE.sh (qemu/guest/net-MODE.sh) when there is one, to
# configure its side.
#
# Modes:
#   none   no NIC at all (the default).
# A later "nic" mode belongs here: two vnet_hdr taps on a bridge in a host
# netns the harness creates, the only setup that gives true zero-copy send
# under QEMU (ENGINEERING.md 4.7); addresses from 198.18.0.0/15.

NET_MODES='none'
# shellcheck disable=SC2034 # both are read by run.sh, which sources this
NET_QEMU_ARGS=() NET_WRAP=()

net_setup() {
	# shellcheck disable=SC2034 # NET_* are read by run.sh
	case $1 in
	none) NET_QEMU_ARGS=(-nic none) ;;
	*)
		echo "run.sh: unknown --net mode '$1' (known: $NET_MODES)" >&2
		return 2
		;;
	esac
}

net_teardown() {
	:
}
