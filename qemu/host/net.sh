# shellcheck shell=bash
# The guest's network topology: which NICs the VM gets and what must exist on
# the host side for them. Sourced by run.sh, which calls, in order:
#
#   net_setup MODE [ARCH DIR]
#                      prepare the host side; sets NET_MODE (the topology the
#                      guest really gets: nic may fall back to hub), fills
#                      NET_QEMU_ARGS (QEMU options) and NET_WRAP (a command
#                      prefix for QEMU: `ip netns exec NS` for the taps);
#                      ARCH arm: the board's LAN9118 instead (below), its
#                      socket in DIR (the run's scratch directory)
#   net_teardown       undo net_setup; safe after a failed or partial setup
#                      and safe to call twice
#
# The guest sees NET_MODE as ZCDEV_NET in /etc/zcdev/config, and its init runs
# /usr/lib/zcdev/net-MODE.sh (qemu/guest/net-MODE.sh) when there is one, to
# configure its side and export the topology to CMD.
#
# Modes:
#   none   no NIC at all (the default).
#   nic    two virtio-net NICs joined outside the guest: each on a vnet_hdr
#          tap (zctap0, zctap1) in a bridge (br0), all inside a host netns
#          of this run's own (zcdev-<run.sh pid>), QEMU started in it. The
#          guest keeps eth0 and moves eth1 into its netns "peer", so traffic
#          between them really leaves through a NIC, with checksum offload
#          and TSO: the only setup that gives true zero-copy send under QEMU
#          (loopback and veth copy on local delivery; module/README.md).
#          Falls back to hub, with a warning, where the taps cannot be made
#          (no /dev/net/tun, not root, ...).
#   hub    the same two NICs on a QEMU hub (-netdev hubport): needs nothing
#          on the host, but the NICs get no offloads, so the stack copies
#          (linearizes) zero-copy sends and TCP is slow.
# ZCDEV_NET_FORCE_HUB=1 makes nic behave as if the taps could not be made;
# ZCDEV_NIC_OPTS and ZCDEV_TAP_OPTS append options to nic's -device and
# -netdev (experiments with the path: README, "The NIC path").
#
# The ARM board (run.sh --arch arm) has no PCI, so no virtio NICs: nic and
# hub both give it the LAN9118 that QEMU's smdkc210 maps when it has a NIC,
# on a datagram netdev that sends every frame back to the NIC itself (a
# Unix socket that sends to its own address). guest/net-lan9118.sh puts a
# macvlan on it into netns "peer", so root <-> peer traffic goes out
# through the LAN9118 and back in. The chip has no scatter-gather or
# checksum offload: the topology is hub's (copied sends) either way. The
# kernel needs smsc911x and macvlan (ZCDEV_EXTRA_KMODS) and a device tree
# that declares the chip (run.sh: host/dtb-lan9118.sh).
#
# Addresses come from the benchmarking range 198.18.0.0/15 and 2001:2::/48
# (never private ranges): guest/net-nic.sh assigns them.

NET_MODES='none nic hub'
# The guest finds its NICs by these; eth0 stays, eth1 goes to netns "peer".
NET_MACS=(52:54:00:7a:63:01 52:54:00:7a:63:02)
# shellcheck disable=SC2034 # NET_* are read by run.sh, which sources this
NET_MODE='' NET_QEMU_ARGS=() NET_WRAP=()
NET_NS=''

# Deletes only what _net_taps makes; fine on a half-made netns.
_net_delete_ns() { # NAME
	# Runs from run.sh's EXIT trap under set -e: no command may fail here.
	local ns=$1 pids tries=0
	[[ -e /run/netns/$ns ]] || return 0
	# Whatever still runs in the netns is this run's QEMU (left running
	# when a signal killed run.sh alone): it goes first.
	pids=$(ip netns pids "$ns" 2>/dev/null) || pids=''
	if [[ -n $pids ]]; then
		# shellcheck disable=SC2086 # one pid per word
		kill -TERM $pids 2>/dev/null || true
		while ((tries++ < 30)) && [[ -n $(ip netns pids "$ns" 2>/dev/null) ]]; do
			sleep 0.1
		done
		pids=$(ip netns pids "$ns" 2>/dev/null) || pids=''
		# shellcheck disable=SC2086
		[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
	fi
	ip -n "$ns" link del zctap0 2>/dev/null || true
	ip -n "$ns" link del zctap1 2>/dev/null || true
	ip -n "$ns" link del br0 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
}

# Runs killed by SIGKILL cannot clean up: drop their netns once their run.sh
# is gone and nothing runs in it any more. Only zcdev-<pid> names, which
# only this harness makes.
_net_sweep_stale() {
	local f pid
	for f in /run/netns/zcdev-*; do
		[[ -e $f ]] || continue
		pid=${f##*/zcdev-}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		[[ -d /proc/$pid ]] && continue
		[[ -z $(ip netns pids "zcdev-$pid" 2>/dev/null) ]] || continue
		_net_delete_ns "zcdev-$pid"
	done
}

# The host half of nic: the netns (NET_NS), its taps and bridge. Returns 1
# with the reason in NET_WHY if they cannot be made; the caller falls back
# to hub.
NET_WHY=''
_net_taps() {
	local ns=zcdev-$$ err tap
	if [[ ${ZCDEV_NET_FORCE_HUB:-0} == 1 ]]; then
		NET_WHY="ZCDEV_NET_FORCE_HUB=1 is set"
		return 1
	fi
	command -v ip >/dev/null || { NET_WHY="no ip command (iproute2)"; return 1; }
	[[ -c /dev/net/tun ]] || { NET_WHY="no /dev/net/tun"; return 1; }
	_net_sweep_stale
	err=$(ip netns add "$ns" 2>&1) || { NET_WHY="ip netns add $ns: $err"; return 1; }
	NET_NS=$ns
	for tap in zctap0 zctap1; do
		err=$(ip -n "$ns" tuntap add dev "$tap" mode tap vnet_hdr 2>&1) ||
			{ NET_WHY="ip tuntap add $tap: $err"; return 1; }
	done
	err=$(ip -n "$ns" link add br0 type bridge 2>&1) ||
		{ NET_WHY="ip link add br0 type bridge: $err"; return 1; }
	# A host with br_netfilter would send the bridged frames through
	# iptables; nothing here wants that (the knobs are per netns).
	# shellcheck disable=SC2016 # expanded by that sh
	ip netns exec "$ns" sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do
		[ -w "$f" ] && echo 0 >"$f"; done' 2>/dev/null
	err=$({ ip -n "$ns" link set zctap0 master br0 &&
		ip -n "$ns" link set zctap1 master br0 &&
		ip -n "$ns" link set zctap0 up &&
		ip -n "$ns" link set zctap1 up &&
		ip -n "$ns" link set br0 up &&
		ip -n "$ns" link set lo up; } 2>&1) ||
		{ NET_WHY="bringing up br0: $err"; return 1; }
	return 0
}

# The ARM board's half of nic and hub (see the top).
_net_lan9118() { # MODE DIR
	local sock=$2/lan9118.sock
	# sun_path holds 107 bytes and a NUL; QEMU would refuse a longer one.
	((${#sock} < 108)) || {
		echo "run.sh: --arch arm --net: the socket path $sock is too long for a Unix socket (move the checkout)" >&2
		return 2
	}
	[[ $1 == hub ]] ||
		echo "run.sh: warning: --arch arm: the board's one NIC, a LAN9118, has no offloads: --net $1 gives the hub topology; zero-copy sends will report copied" >&2
	# shellcheck disable=SC2034 # NET_* are read by run.sh
	NET_MODE=hub NET_WRAP=()
	# QEMU option values escape a comma by doubling it.
	sock=${sock//,/,,}
	# shellcheck disable=SC2034
	NET_QEMU_ARGS=(-netdev "dgram,id=n0,local.type=unix,local.path=$sock,remote.type=unix,remote.path=$sock"
		-net "nic,netdev=n0,model=lan9118,macaddr=${NET_MACS[0]}")
	export ZCDEV_EXTRA_KMODS="${ZCDEV_EXTRA_KMODS:+$ZCDEV_EXTRA_KMODS }smsc911x macvlan"
}

net_setup() {
	local i
	if [[ ${2:-x86_64} == arm && $1 != none ]]; then
		case $1 in
		nic | hub) _net_lan9118 "$1" "${3:?net_setup: arm needs a DIR}"; return ;;
		esac
	fi
	# shellcheck disable=SC2034 # NET_* are read by run.sh
	case $1 in
	none)
		NET_MODE=none NET_QEMU_ARGS=(-nic none)
		return 0
		;;
	nic)
		NET_QEMU_ARGS=()
		if _net_taps; then
			NET_MODE=nic NET_WRAP=(ip netns exec "$NET_NS")
			for i in 0 1; do
				NET_QEMU_ARGS+=(-netdev "tap,id=n$i,ifname=zctap$i,script=no,downscript=no,vhost=off,vnet_hdr=on${ZCDEV_TAP_OPTS:+,$ZCDEV_TAP_OPTS}"
					-device "virtio-net-pci,netdev=n$i,mac=${NET_MACS[i]},romfile=${ZCDEV_NIC_OPTS:+,$ZCDEV_NIC_OPTS}")
			done
			return 0
		fi
		net_teardown
		echo "run.sh: warning: tap devices unavailable: NIC path falls back to a QEMU hub; zero-copy sends will report copied" >&2
		echo "run.sh: warning: (${NET_WHY//$'\n'/; })" >&2
		;;
	hub) ;;
	*)
		echo "run.sh: unknown --net mode '$1' (known: $NET_MODES)" >&2
		return 2
		;;
	esac
	# shellcheck disable=SC2034 # NET_* are read by run.sh
	NET_MODE=hub NET_WRAP=() NET_QEMU_ARGS=()
	for i in 0 1; do
		NET_QEMU_ARGS+=(-netdev "hubport,id=n$i,hubid=0"
			-device "virtio-net-pci,netdev=n$i,mac=${NET_MACS[i]},romfile=")
	done
	return 0
}

net_teardown() {
	[[ -n $NET_NS ]] || return 0
	_net_delete_ns "$NET_NS"
	NET_NS=''
}
