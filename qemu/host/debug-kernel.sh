#!/bin/bash
# Build (once) the zcdev debug kernel: Debian's linux-source-6.1 configured
# as x86_64_defconfig + kvm_guest.config + qemu/debug-kernel.config (KASAN,
# KFENCE, lockdep, kmemleak, dma-debug, UBSAN, fault injection, ...), or with
# --arch arm as exynos_defconfig + qemu/debug-kernel-arm.config for QEMU's
# smdkc210 (cross-built with arm-linux-gnueabihf-, plus its device tree).
#
#   qemu/host/debug-kernel.sh [--arch arm]            build if needed, print the paths
#   qemu/host/debug-kernel.sh [--arch arm] --cached   exit 0 if a finished build is cached
#
# Last lines on stdout (nothing else goes to stdout):
#   KERNEL=<bzImage, or zImage for arm>
#   KDIR=<build tree (O= dir) to build out-of-tree modules against>
#   MODULES=<INSTALL_MOD_PATH holding lib/modules/<release>/>
#   DTB=<exynos4210-smdkv310.dtb>                      (arm only)
# Progress goes to stderr; the full log is build.log in the cache dir.
#
# Cache: $ZCDEV_CACHE/debug-kernel-<12 hex of sha256(recipe, source version,
# fragment)>/, for arm arm-debug-kernel-<... and the arch>/. A finished build
# is marked by .done; an interrupted one resumes where make stopped. Editing
# the fragment (or RECIPE below) means a new build. The source tree is never
# written to (out-of-tree build with O=).

set -euo pipefail
# The whole script is one { } block: bash parses it completely before running
# it, so editing or checking out this file during a 20-minute build cannot
# derail the running instance.
{
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"

# Bump when anything below that shapes the result changes (base configs,
# make targets, install layout).
RECIPE=1

arch=x86_64 cached=0
while (($#)); do
	case $1 in
	--arch) arch=${2:?--arch needs x86_64 or arm}; shift 2 ;;
	--cached) cached=1; shift ;;
	*) echo "debug-kernel: unknown option $1" >&2; exit 2 ;;
	esac
done
case $arch in
x86_64)
	BASE_CONFIGS=(arch/x86/configs/x86_64_defconfig kernel/configs/kvm_guest.config)
	frag=$(cd "$here/.." && pwd)/debug-kernel.config
	image=arch/x86/boot/bzImage
	prefix=debug-kernel
	cross=''
	extra_targets=()
	;;
arm)
	BASE_CONFIGS=(arch/arm/configs/exynos_defconfig)
	frag=$(cd "$here/.." && pwd)/debug-kernel-arm.config
	image=arch/arm/boot/zImage
	prefix=arm-debug-kernel
	cross=arm-linux-gnueabihf-
	# The board's device tree, from the same tree (run.sh --dtb).
	dtb_name=exynos4210-smdkv310.dtb
	extra_targets=("$dtb_name")
	;;
*) echo "debug-kernel: unknown --arch $arch (x86_64 or arm)" >&2; exit 2 ;;
esac
ksrc=$ZCDEV_KSRC
t0=$SECONDS

log() { echo "debug-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }
elapsed() { local s=$((SECONDS - t0)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# Variables from the caller's environment that kbuild or kconfig would obey.
unset ARCH SUBARCH CROSS_COMPILE KBUILD_OUTPUT KCONFIG_CONFIG KCONFIG_ALLCONFIG \
	LOCALVERSION KBUILD_EXTMOD INSTALL_MOD_PATH INSTALL_MOD_STRIP \
	KBUILD_DEFCONFIG
export ARCH=$arch
[[ -z $cross ]] || export CROSS_COMPILE=$cross

[[ -r $frag ]] || die "no config fragment at $frag"
[[ -e $ksrc/.done && -f $ksrc/Makefile ]] ||
	die "no kernel source at $ksrc (run qemu/host/deps.sh)"
for tool in ${cross:+"${cross}gcc"} gcc make flex bison bc perl depmod; do
	command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
	command -v "$tool" >/dev/null 2>&1 || die "$tool missing (run qemu/host/deps.sh${cross:+ and deps-arm.sh})"
done
[[ -e /usr/include/gelf.h ]] || die "libelf-dev missing (run qemu/host/deps.sh)"
[[ -e /usr/include/openssl/ssl.h ]] || die "libssl-dev missing (run qemu/host/deps.sh)"

kver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = \([0-9]*\)$/\2/p' "$ksrc/Makefile" |
	paste -sd.)
[[ $kver == 6.1.* ]] || die "expected a 6.1 source tree in $ksrc, found '$kver'"
key=$({
	printf 'recipe %s\nsource %s\n' "$RECIPE" "$kver"
	[[ $arch == x86_64 ]] || printf 'arch %s\n' "$arch"
	cat "$frag"
} | sha256sum | cut -c1-12)

dir=$ZCDEV_CACHE/$prefix-$key
obj=$dir/build
mods=$dir/modules
blog=$dir/build.log
if ((cached)); then
	[[ -e $dir/.done && -f $obj/$image && -d $mods/lib/modules ]]
	exit
fi
mkdir -p "$obj"

# One builder per cache dir; a second caller waits and then finds .done.
exec 9>"$dir/.lock"
if ! flock -n 9; then
	log "another build holds $dir/.lock; waiting"
	flock 9
fi

result() {
	echo "KERNEL=$obj/$image"
	echo "KDIR=$obj"
	echo "MODULES=$mods"
	[[ $arch != arm ]] || echo "DTB=$obj/arch/arm/boot/dts/$dtb_name"
}

if [[ -e $dir/.done && -f $obj/$image && -d $mods/lib/modules ]]; then
	log "up to date: $(cat "$dir/.done") ($dir)"
	result
	exit 0
fi
rm -f "$dir/.done"

kmake() { make -C "$ksrc" O="$obj" "$@" </dev/null; }

fail_tail() {
	log "failed during $1 after $(elapsed); last lines of $blog:"
	tail -n 40 "$blog" | sed 's/^/  | /' >&2
	exit 1
}

# Every line of the fragment must hold in the final .config: CONFIG_X=v
# literally, "# CONFIG_X is not set" as absent or not set. Kconfig silently
# drops an option whose dependencies are missing; here that is an error.
verify_config() {
	local cfg=$1 bad=0 line sym want have
	declare -A seen=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} want=$line
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]} want=
		else
			continue
		fi
		if [[ -n ${seen[$sym]:-} ]]; then
			log "fragment sets $sym twice"
			bad=1
		fi
		seen[$sym]=1
		have=$(grep -m1 "^$sym=" "$cfg" || true)
		if [[ $have != "$want" ]]; then
			log "config: want '${want:-# $sym is not set}', got '${have:-# $sym is not set}'"
			bad=1
		fi
	done <"$frag"
	return $bad
}

# ---- stage 1: configuration (once per cache dir) ----
if [[ ! -e $dir/.config-ok ]]; then
	log "[config] $kver: ${BASE_CONFIGS[*]##*/} + ${frag##*/} -> $obj/.config"
	: >"$blog"
	base=()
	for f in "${BASE_CONFIGS[@]}"; do base+=("$ksrc/$f"); done
	# merge_config.sh puts its temp files in the current directory: the
	# build dir, never the source tree. -m: merge only, we run kconfig.
	if ! (cd "$obj" && CONFIG_=CONFIG_ KCONFIG_CONFIG=.config \
		"$ksrc/scripts/kconfig/merge_config.sh" -m "${base[@]}" "$frag" &&
		kmake olddefconfig) >>"$blog" 2>&1; then
		fail_tail config
	fi
	if ! verify_config "$obj/.config"; then
		die "the final .config does not match ${frag##*/} (a dependency is missing or the symbol does not exist in $kver); fix the fragment"
	fi
	touch "$dir/.config-ok"
else
	log "[config] reusing $obj/.config"
	verify_config "$obj/.config" || die "$obj/.config no longer matches the fragment; remove $dir"
fi

# ---- stage 2: build (incremental; resumes after an interruption) ----
jobs=$(nproc)
log "[build] make -j$jobs all${extra_targets[*]:+ ${extra_targets[*]}} (log: $blog) — about 15-25 min on 2 cores"
echo "=== build $(date -u +%FT%TZ) -j$jobs" >>"$blog"
(
	# Heartbeat for CI logs; exits with its parent.
	while sleep 60; do
		kill -0 $$ 2>/dev/null || exit 0
		last=$(grep -E '^  (CC|LD|AR|AS|OBJCOPY|MODPOST|BTF|GEN)' "$blog" 2>/dev/null |
			tail -n1 | sed 's/^ *//')
		echo "debug-kernel: [build] $(elapsed) ${last:+($last)}" >&2
	done
) &
beat=$!
trap 'kill "$beat" 2>/dev/null || true' EXIT
b0=$SECONDS
if ! kmake -j"$jobs" all "${extra_targets[@]}" >>"$blog" 2>&1; then
	kill "$beat" 2>/dev/null || true
	fail_tail build
fi
kill "$beat" 2>/dev/null || true
trap - EXIT
build_s=$((SECONDS - b0))
release=$(cat "$obj/include/config/kernel.release")
log "[build] $release built in $((build_s / 60))m$((build_s % 60))s"

# ---- stage 3: modules tree ----
log "[install] modules_install -> $mods"
rm -rf "$mods.tmp"
if ! kmake INSTALL_MOD_PATH="$mods.tmp" DEPMOD="$(command -v depmod)" \
	modules_install >>"$blog" 2>&1; then
	fail_tail modules_install
fi
rm -rf "$mods"
mv "$mods.tmp" "$mods"

[[ -f $obj/$image && -f $obj/Module.symvers &&
	-d $mods/lib/modules/$release ]] || die "build finished but outputs are missing"
echo "$release built $(date -u +%FT%TZ) in ${build_s}s (make -j$jobs)" >"$dir/.done"
log "done in $(elapsed): $release"
result
exit 0
}
