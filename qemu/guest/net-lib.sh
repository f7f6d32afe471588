# shellcheck shell=dash
# What the guest's net-*.sh share; sourced, not run:
#   . /usr/lib/zcdev/net-lib.sh

say() { echo "zcdev: net: $*"; }
die() { say "$*"; exit 1; }

by_mac() { # MAC -> interface name
	for a in /sys/class/net/*/address; do
		[ "$(cat "$a")" = "$1" ] && { basename "${a%/address}"; return 0; }
	done
	return 1
}
