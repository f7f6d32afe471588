# shellcheck shell=bash
# Installing Debian packages the same way everywhere: only the missing ones,
# quietly (apt's output goes to $ZCDEV_CACHE/apt.log), with one
# `apt-get update` retry for a fresh machine's stale lists.
# Sourced after env.sh (for ZCDEV_CACHE).

zcdev_apt_install() { # WHO PKG...: prints "WHO: installing ..." if any
	local who=$1 p missing=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	echo "$who: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>"$ZCDEV_CACHE/apt.log" 2>&1; then
		apt-get update -qq >>"$ZCDEV_CACHE/apt.log" 2>&1
		apt-get install -y -qq --no-install-recommends "${missing[@]}" \
			>>"$ZCDEV_CACHE/apt.log" 2>&1 ||
			{ tail -20 "$ZCDEV_CACHE/apt.log" >&2; return 1; }
	fi
}
