#!/bin/bash
# Print, in insmod order, the modules the guest needs: the named ones and
# everything they depend on, as paths relative to MODDIR.
#
#   qemu/host/kmod-closure.sh MODDIR NAME...
#
# The extracted Debian image carries no modules.dep (depmod runs in the
# package's postinst, which never ran), so dependencies come from each
# module's own "depends" field. Modules built into the kernel are skipped, so
# the same list works for a debug kernel that builds virtio in. A name found
# neither way is a warning, not an error: a custom kernel may lack it, and the
# guest reports whatever then fails to work.

set -euo pipefail

moddir=${1:?usage: kmod-closure.sh MODDIR NAME...}
shift

# Module names treat '-' and '_' alike. Sets $name rather than printing it:
# a subshell per file would cost seconds over a whole modules tree.
norm() { name=${1##*/}; name=${name%%.ko*}; name=${name//-/_}; }

declare -A path=() builtin=() seen=()
while IFS= read -r -d '' f; do
	norm "$f"
	path[$name]=${f#"$moddir"/}
done < <(find "$moddir" \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' \
	-o -name '*.ko.gz' \) -print0)
if [[ -r $moddir/modules.builtin ]]; then
	while IFS= read -r f; do
		norm "$f"
		builtin[$name]=1
	done <"$moddir/modules.builtin"
fi

order=()
visit() {
	local n dep deps
	norm "$1"
	n=$name
	[[ -z ${seen[$n]:-} ]] || return 0
	seen[$n]=1
	[[ -z ${builtin[$n]:-} ]] || return 0
	if [[ -z ${path[$n]:-} ]]; then
		echo "kmod-closure: $n: not in $moddir, skipped" >&2
		return 0
	fi
	deps=$(modinfo -F depends "$moddir/${path[$n]}")
	for dep in ${deps//,/ }; do
		visit "$dep"
	done
	order+=("${path[$n]}")
}

for arg in "$@"; do
	visit "$arg"
done
if ((${#order[@]})); then
	printf '%s\n' "${order[@]}"
fi
