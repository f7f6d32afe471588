#!/bin/bash
# Build the Debian packages into build/deb/ and lint them (make deb):
#   zcdev-dkms   module source and dkms.conf; DKMS builds zcdev.ko and
#                zcdma.ko on the machine, for each kernel with headers
#   zcdev-tools  zcctl, zcbench (static) and /usr/include/linux/zcdev.h
#
#   qemu/host/deb.sh
#
# The version is MODULE_VERSION in module/main.c and nowhere else: the
# changelog written here gives it to both packages, and dh_dkms writes the
# packages' version into dkms.conf. The sources are staged in
# build/deb/zcdev-<version>/ (tracked and new files, nothing built), so the
# work tree gets no debian/ build droppings. Exits non-zero if lintian finds
# an error; its warnings are printed.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"
# shellcheck source=qemu/host/apt.sh
. "$here/apt.sh"
out=$ROOT/build/deb

die() { echo "deb: $*" >&2; exit 1; }

# What dpkg-buildpackage and lintian need beyond qemu/host/deps.sh.
need_pkgs=(debhelper dh-dkms lintian)
zcdev_apt_install deb "${need_pkgs[@]}" || exit 1

version=$(sed -n 's/^MODULE_VERSION("\([^"]*\)");$/\1/p' "$ROOT/module/main.c")
[[ $version =~ ^[0-9]+(\.[0-9]+)+$ ]] ||
	die "no MODULE_VERSION(\"X.Y.Z\") in module/main.c (found '$version')"

stage=$out/zcdev-$version
rm -rf "$out" && mkdir -p "$stage"
(
	cd "$ROOT"
	git ls-files -z --cached --others --exclude-standard -- \
		Kbuild dkms.conf debian module uapi userspace |
		while IFS= read -r -d '' f; do
			# Deleted in the work tree but still in the index: not shipped.
			[[ -e $f ]] && printf '%s\0' "$f"
		done | xargs -0 cp --parents -t "$stage"
)

# The one changelog entry: this version, built from this commit. Its date
# (the commit's) makes the packages reproducible.
maintainer=$(sed -n 's/^Maintainer: //p' "$stage/debian/control")
commit=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
date=$(git -C "$ROOT" log -1 --format=%cD 2>/dev/null || date -R)
cat >"$stage/debian/changelog" <<EOF
zcdev ($version) UNRELEASED; urgency=medium

  * Built by make deb from git $commit.

 -- $maintainer  $date
EOF

echo "deb: building zcdev $version in $stage"
# The top-level Makefile's exports (its CFLAGS_USER names the work tree)
# stay out of the package build.
if ! (cd "$stage" && env -u CFLAGS_USER -u LDFLAGS_USER -u MAKEFLAGS \
	-u MAKELEVEL -u MFLAGS dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -30 "$out/build.log" >&2
	die "dpkg-buildpackage failed, see $out/build.log"
fi

debs=("$out/zcdev-dkms_${version}_all.deb" "$out/zcdev-tools_${version}_amd64.deb")
for deb in "${debs[@]}"; do
	[[ -s $deb ]] || die "dpkg-buildpackage made no $deb"
done

echo "deb: lintian ${debs[*]##*/}"
lint_rc=0
lintian --display-info --fail-on error "${debs[@]}" >"$out/lintian.log" 2>&1 || lint_rc=$?
# It says that it runs as root, CI's normal case.
grep -v 'running with root privileges' "$out/lintian.log" || true
((lint_rc == 0)) || die "lintian found errors (exit $lint_rc)"
printf 'deb: %s\n' "${debs[@]}"
