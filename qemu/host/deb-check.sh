#!/bin/bash
# The Debian packages on this host, end to end (make deb-check):
#   1. build them (qemu/host/deb.sh: lintian errors fail it);
#   2. dpkg -i both (apt-get install -f brings dkms);
#   3. DKMS builds zcdev.ko and zcdma.ko for every kernel whose headers are
#      in /usr/src (dkms autoinstall -k, as the kernel's postinst hook does),
#      and modinfo shows the package's version and the ABI;
#   4. the VM (KERNEL=, default 6.1) boots with the modules DKMS built for
#      its kernel and runs the buffers and dma_data selftests;
#   5. apt-get remove takes the packages, the DKMS tree and the modules away.
#
#   qemu/host/deb-check.sh [run.sh options]     e.g. --timeout 900
#
# Root. Refuses to start when zcdev is already installed or known to DKMS,
# and removes what it installed on every way out. depmod's index files in
# /lib/modules/<kernel>/ of kernels that have headers but no image (as 6.1
# has here) are removed again too. dkms itself stays.
# Last line: "N passed, N failed". Exit 0 only if none failed.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"
start=$SECONDS

pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { # NAME CMD... : one result from CMD's exit status
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
finish() {
	echo "deb-check: $((SECONDS - start)) s"
	echo "$pass passed, $fail failed"
	exit $((fail != 0))
}

version=$(sed -n 's/^MODULE_VERSION("\([^"]*\)");$/\1/p' "$ROOT/module/main.c")
abi=$(sed -n 's/^#define ZCDEV_ABI_VERSION[[:space:]]*\([0-9]*\)$/\1/p' \
	"$ROOT/uapi/linux/zcdev.h")
out=$ROOT/build/deb
debs=("$out/zcdev-dkms_${version}_all.deb" "$out/zcdev-tools_${version}_amd64.deb")

# Module builds (DKMS's too) take turns with everyone else's.
lock=/tmp/zcdev-build.lock
locked() { flock "$lock" "$@"; }

# shellcheck disable=SC2317 # called through check
installed() { # PACKAGE: configured
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}
present() { # PACKAGE: on the system, configured or not
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[[ $st != not-installed && $st != config-files ]]
}
# shellcheck disable=SC2317 # called through check
absent() { ! present "$1"; }
for p in zcdev-dkms zcdev-tools; do
	! present "$p" || { echo "deb-check: $p is installed already; remove it first" >&2; exit 2; }
done
[[ ! -e /var/lib/dkms/zcdev ]] ||
	{ echo "deb-check: DKMS knows zcdev already (dkms status zcdev); remove it first" >&2; exit 2; }

# Kernels with real headers: a build tree that names its release (in
# utsrelease.h: Debian's kernel.release holds the upstream version), and
# the /lib/modules/<release>/build link that DKMS builds against.
kernels=()
for hdr in /usr/src/linux-headers-*; do
	uts=$hdr/include/generated/utsrelease.h
	[[ -r $uts ]] || continue
	kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$uts")
	[[ $(readlink -f "/lib/modules/$kver/build") == "$(readlink -f "$hdr")" ]] || continue
	kernels+=("$kver")
done
echo "deb-check: zcdev $version, ABI $abi; kernels with headers: ${kernels[*]:-none}"

# Headers-only kernels have no modules of their own: whatever depmod leaves
# in their /lib/modules/<release>/ is this check's.
headers_only=()
for kver in "${kernels[@]}"; do
	[[ -d /lib/modules/$kver/kernel ]] || headers_only+=("$kver")
done
declare -A had
while IFS= read -r -d '' f; do
	had[$f]=1
done < <(for kver in "${headers_only[@]}"; do find "/lib/modules/$kver" -print0; done)

we_installed=0
# shellcheck disable=SC2317 # called by the trap
restore() {
	if ((we_installed)); then
		for p in zcdev-dkms zcdev-tools; do
			if present "$p"; then
				apt-get remove -y -qq "$p" >/dev/null 2>&1 || true
			fi
		done
	fi
	local kver f
	for kver in "${headers_only[@]}"; do
		while IFS= read -r -d '' f; do
			[[ ${had[$f]:-} ]] || rm -rf "$f"
		done < <(find "/lib/modules/$kver" -mindepth 1 -depth -print0)
	done
}
trap restore EXIT

# 1. Build and lint.
if "$here/deb.sh"; then
	ok "make deb: both packages built, lintian finds no error"
else
	not_ok "make deb"
	finish
fi

# 2. Install.
we_installed=1
export DEBIAN_FRONTEND=noninteractive
log=$out/install.log
echo "deb-check: dpkg -i ${debs[*]##*/}"
if ! locked dpkg -i "${debs[@]}" >"$log" 2>&1; then
	echo "deb-check: dpkg -i left dependencies open; apt-get install -f"
	locked apt-get install -f -y -qq >>"$log" 2>&1 || true
fi
grep -E 'Building|Installing to|[Ee]rror|dkms \(' "$log" | sed 's/^/  /' || true
for p in zcdev-dkms zcdev-tools; do
	check "$p installed" installed "$p"
done
check "zcdev-dkms depends on dkms" \
	grep -q '^Depends:.*\bdkms\b' < <(dpkg-query -s zcdev-dkms 2>/dev/null)
check "dkms.conf says PACKAGE_VERSION=\"$version\"" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "/usr/src/zcdev-$version/dkms.conf"
check "zcctl --help" /usr/bin/zcctl --help >/dev/null
check "zcbench --help" /usr/bin/zcbench --help >/dev/null
check "zcctl and zcbench are static (no ELF interpreter)" \
	bash -c '! readelf -l /usr/bin/zcctl /usr/bin/zcbench | grep -q "program interpreter"'
check "/usr/include/linux/zcdev.h is the packaged uapi/linux/zcdev.h" \
	cmp -s /usr/include/linux/zcdev.h "$out/zcdev-$version/uapi/linux/zcdev.h"

# 3. DKMS, per kernel.
module_file() { # KVER NAME -> the installed module (.ko, or compressed)
	find "/lib/modules/$1/updates/dkms" -maxdepth 1 -name "$2.ko*" 2>/dev/null | head -n 1
}
built=()
for kver in "${kernels[@]}"; do
	echo "deb-check: dkms autoinstall -k $kver"
	# dkms 3.0.10 asks readelf for a .comment section modules do not have.
	locked dkms autoinstall -k "$kver" 2>&1 |
		grep -v "readelf: Warning: Section '.comment'" | sed 's/^/  /' || true
	status=$(dkms status "zcdev/$version" -k "$kver" 2>/dev/null)
	echo "  dkms status: ${status:-nothing}"
	if [[ $status == *": installed"* ]]; then
		ok "$kver: DKMS built and installed zcdev $version"
	else
		not_ok "$kver: DKMS built and installed zcdev $version"
		mk=/var/lib/dkms/zcdev/$version/build/make.log
		[[ -r $mk ]] && tail -n 15 "$mk" | sed 's/^/  make.log: /'
		continue
	fi
	all=1
	for m in zcdev zcdma; do
		ko=$(module_file "$kver" "$m")
		if [[ -z $ko ]]; then
			not_ok "$kver: $m.ko in /lib/modules/$kver/updates/dkms"
			all=0
			continue
		fi
		got="version $(modinfo -F version "$ko"), vermagic $(modinfo -F vermagic "$ko" | cut -d' ' -f1)"
		want="version $version, vermagic $kver"
		# The ABI is /dev/zcdev's: zcdev.ko carries it, zcdma.ko has none.
		if [[ $m == zcdev ]]; then
			got+=", abi $(modinfo -F abi "$ko")"
			want+=", abi $abi"
		fi
		echo "  modinfo ${ko#/lib/modules/}: $got"
		if [[ $got == "$want" ]]; then
			ok "$kver: modinfo $m.ko: $want"
		else
			not_ok "$kver: modinfo $m.ko: want $want"
			all=0
		fi
	done
	if ((all)); then built+=("$kver"); fi
done

# 4. A VM run with the modules DKMS built for the VM's kernel; KERNEL=
#    picks it, as for every target (make deb-check KERNEL=6.12).
vm_kver=$ZCDEV_KABI
if [[ " ${built[*]} " != *" $vm_kver "* ]]; then
	not_ok "VM ($vm_kver): no DKMS-built modules for the VM's kernel"
else
	echo "deb-check: staging the VM payload (make guest KERNEL=$ZCDEV_KERNEL) with the DKMS-built modules"
	guest=$ROOT/build/deb-check/guest
	rm -rf "$guest" && mkdir -p "$(dirname "$guest")"
	if ! flock "$lock" sh -c "make -s -C '$ROOT' guest KERNEL='$ZCDEV_KERNEL' &&
		cp -a '$ROOT/build/guest' '$guest'"; then
		not_ok "VM ($vm_kver): make guest"
	else
		# busybox insmod takes plain ELF only.
		for m in zcdev zcdma; do
			ko=$(module_file "$vm_kver" "$m")
			case $ko in
			*.xz) xz -dc "$ko" ;;
			*.zst) zstd -qdc "$ko" ;;
			*) cat "$ko" ;;
			esac >"$guest/modules/$m.ko"
		done
		# The guest loads /opt/zcdev/modules/*.ko (load-order): their
		# checksums there and the running modules' versions name DKMS's files.
		want_sums=$(cd "$guest/modules" && sha256sum zcdev.ko zcdma.ko |
			sed 's|  |  /opt/zcdev/modules/|')
		vmlog=$ROOT/build/deb-check/vm.log
		# shellcheck disable=SC2016 # expanded in the guest
		cmd='echo "deb-check: running $(uname -r), zcdev $(cat /sys/module/zcdev/version), zcdma $(cat /sys/module/zcdma/version)"
sha256sum /opt/zcdev/modules/zcdev.ko /opt/zcdev/modules/zcdma.ko | sed "s/^/deb-check: sha256 /"
rc=0
for t in buffers dma_data; do
	/opt/zcdev/selftests/zcdev/$t; s=$?
	echo "deb-check: selftest $t exit $s"
	[ $s = 0 ] || rc=1
done
exit $rc'
		vm_rc=0
		ZCDEV_GUEST_DIR=$guest "$ROOT/qemu/run.sh" "$@" --log "$vmlog" -- "$cmd" \
			>/dev/null || vm_rc=$?
		console=$(tr -d '\r' <"$vmlog")
		grep '^deb-check:\|^# \(PASSED\|FAILED\|Totals\)' <<<"$console" | sed 's/^/  vm: /' || true
		check "VM ($vm_kver): runs zcdev $version and zcdma $version" \
			grep -qx "deb-check: running $vm_kver, zcdev $version, zcdma $version" <<<"$console"
		check "VM ($vm_kver): the loaded .ko files are the ones DKMS built" \
			test "$(sed -n 's/^deb-check: sha256 //p' <<<"$console")" == "$want_sums"
		for t in buffers dma_data; do
			check "VM ($vm_kver): selftest $t" \
				grep -qx "deb-check: selftest $t exit 0" <<<"$console"
		done
		check "VM ($vm_kver): run.sh exit 0 (no splat, clean rmmod)" test "$vm_rc" == 0
	fi
fi

# 5. Remove.
echo "deb-check: apt-get remove -y zcdev-dkms zcdev-tools"
apt-get remove -y -qq zcdev-dkms zcdev-tools >"$out/remove.log" 2>&1 || true
for p in zcdev-dkms zcdev-tools; do
	check "$p removed" absent "$p"
done
check "DKMS knows no zcdev" test -z "$(dkms status zcdev 2>/dev/null)"
check "no /var/lib/dkms/zcdev, no /usr/src/zcdev-$version" \
	test ! -e /var/lib/dkms/zcdev -a ! -e "/usr/src/zcdev-$version"
left=$(find /lib/modules/*/updates -name 'zcdev.ko*' -o -name 'zcdma.ko*' 2>/dev/null || true)
check "no zcdev.ko or zcdma.ko left in /lib/modules${left:+: $left}" test -z "$left"
check "no zcctl, zcbench or linux/zcdev.h left" \
	test ! -e /usr/bin/zcctl -a ! -e /usr/bin/zcbench -a ! -e /usr/include/linux/zcdev.h

finish
