#!/bin/bash
# The ABI description uapi/zcdev.abi and the gate that keeps it true.
#
#   abi.sh generate   print the description of the header
#   abi.sh write      regenerate the description file (`make abi`)
#   abi.sh check      regenerate and compare with the file; then, in the git
#                     history of uapi/zcdev.abi plus the file, every change of
#                     the description must come with a higher version
#
# Options (before the command): --header FILE (default uapi/linux/zcdev.h),
# --abi FILE (default uapi/zcdev.abi); they let the gate be tried on copies.
#
# The description comes from the compiler, never from reading the C: the
# structs, their members and member types from the DWARF of a probe object
# (pahole), every offset and size again from offsetof()/sizeof() of a
# generated program (which must agree with the DWARF), the ZCDEV_* macros
# from the preprocessor (gcc -dM) and their values and C types from the
# same program. A macro is an ioctl command when its expansion goes through
# _IOC(); its argument struct is the one _IOC_TYPECHECK() is given.
set -euo pipefail
export LC_ALL=C	# one sort order on every machine
root=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CC:-gcc}
header=$root/uapi/linux/zcdev.h
abi=$root/uapi/zcdev.abi
abi_in_git=uapi/zcdev.abi

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"
}

die() {
	echo "abi: FAIL: $*" >&2
	exit 1
}

while (($#)); do
	case $1 in
	--header) header=$(realpath "$2"); shift 2 ;;
	--abi) abi=$(realpath -m "$2"); shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "abi: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
cmd=${1:-}
[[ $cmd == generate || $cmd == write || $cmd == check ]] ||
	{ echo "usage: abi.sh [--header FILE] [--abi FILE] generate|write|check" >&2; exit 2; }
[[ -r $header ]] || die "no header at $header"
command -v pahole >/dev/null || die "pahole missing (dwarves; run qemu/host/deps.sh)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Structs and unions declared in the header, from the probe's DWARF. Writes
# $tmp/classes ("struct|union NAME") and $tmp/members ("CLASS NAME DIMS
# OFFSET SIZE TYPE", DIMS "-" for a scalar), in declaration order.
read_dwarf() {
	local line file='' class='' re_member re_decl
	# Unused types too, so a struct no inline function touches is described.
	printf '#include "%s"\n' "$header" >"$tmp/probe.c"
	"$cc" -g -c -fno-eliminate-unused-debug-types -o "$tmp/probe.o" "$tmp/probe.c" ||
		die "$header does not compile"
	pahole -I "$tmp/probe.o" >"$tmp/pahole" || die "pahole cannot read the probe's DWARF"
	: >"$tmp/classes"
	: >"$tmp/members"
	re_decl='^/\* <[0-9a-f]+> (.*):[0-9]+ \*/$'
	re_member=$'^\t(.*[^ ]) +([A-Za-z_][A-Za-z0-9_]*)((\\[[0-9]+\\])*); +/\\* +([0-9]+) +([0-9]+) \\*/$'
	while IFS= read -r line; do
		if [[ $line =~ $re_decl ]]; then
			file=${BASH_REMATCH[1]}
		elif [[ $line =~ ^(struct|union)\ ([A-Za-z_][A-Za-z0-9_]*)\ \{$ ]]; then
			class=
			[[ $file == "$header" ]] || continue
			class="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
			echo "$class" >>"$tmp/classes"
		elif [[ -z $class ]]; then
			continue
		elif [[ $line == '};' ]]; then
			class=
		elif [[ $line =~ $re_member ]]; then
			printf '%s %s %s %s %s %s\n' "${class#* }" "${BASH_REMATCH[2]}" \
				"${BASH_REMATCH[3]:--}" "${BASH_REMATCH[5]}" \
				"${BASH_REMATCH[6]}" "${BASH_REMATCH[1]}" >>"$tmp/members"
		elif [[ $line =~ ^$'\t'*(/\*.*\*/)?$ ]]; then
			continue	# pahole's notes: cachelines, holes, size
		else
			die "${class}: cannot describe member '${line#$'\t'}' (bitfield, anonymous or nested union/struct): extend qemu/host/abi.sh"
		fi
	done <"$tmp/pahole"
	[[ -s $tmp/classes ]] || die "pahole found no struct declared in $header"
}

# The object-like ZCDEV_* macros; ioctl commands apart, with the type the
# command was declared with. Writes $tmp/macros ("NAME") and $tmp/ioctls
# ("NAME ARG-TYPE", ARG-TYPE "-" for _IO).
read_macros() {
	local name rest
	"$cc" -dM -E -x c "$header" >"$tmp/defines" || die "$header does not preprocess"
	grep -E '^#define ZCDEV_[A-Za-z0-9_]*\(' "$tmp/defines" >&2 &&
		die "function-like ZCDEV_ macros cannot be described: extend qemu/host/abi.sh"
	sed -n 's/^#define \(ZCDEV_[A-Za-z0-9_]*\) .*/\1/p' "$tmp/defines" | sort >"$tmp/names"
	grep -qx ZCDEV_ABI_VERSION "$tmp/names" || die "$header defines no ZCDEV_ABI_VERSION"
	{
		printf '#include "%s"\n' "$header"
		# Expand each macro once more with _IOC() and _IOC_TYPECHECK()
		# leaving marks: the marked ones are commands.
		printf '#undef _IOC\n#define _IOC(dir, type, nr, size) __zc_ioc__ size\n'
		printf '#undef _IOC_TYPECHECK\n#define _IOC_TYPECHECK(t) __zc_arg__ #t\n'
		printf '#define __zc_name(x) #x\n'
		sed 's/.*/__zc_probe__ __zc_name(&) &/' "$tmp/names"
	} >"$tmp/marks.c"
	"$cc" -E -P "$tmp/marks.c" >"$tmp/marks" || die "$header: marking the ioctl commands failed"
	: >"$tmp/macros"
	: >"$tmp/ioctls"
	while read -r name rest; do
		name=${name//\"/}
		if [[ $rest != *__zc_ioc__* ]]; then
			[[ $name == ZCDEV_ABI_VERSION ]] || echo "$name" >>"$tmp/macros"
		elif [[ $rest =~ __zc_arg__\ \"([^\"]*)\" ]]; then
			echo "$name ${BASH_REMATCH[1]}" >>"$tmp/ioctls"
		else
			echo "$name -" >>"$tmp/ioctls"
		fi
	done < <(sed -n 's/^__zc_probe__ //p' "$tmp/marks")
}

# C for one member PATH of struct or union CLASS at the compiler's offset,
# and for the members of a struct member, recursively (array elements of
# struct type one by one).
emit_member() { # KIND CLASS PATH DIMS TYPE
	local kind=$1 class=$2 path=$3 dims=$4 type=$5 n i sub
	printf '\tmember("%s", "%s", offsetof(%s %s, %s), sizeof(((%s %s *)0)->%s), "%s%s");\n' \
		"$class" "$path" "$kind" "$class" "$path" "$kind" "$class" "$path" "$type" \
		"${dims/#-/}"
	[[ $type =~ ^(struct|union)\ (.*)$ ]] || return 0
	sub=${BASH_REMATCH[2]}
	grep -qx "$type" "$tmp/classes" || die "$class.$path: $type is not declared in $header"
	if [[ $dims == - ]]; then
		emit_members "$kind" "$class" "$path." "$sub"
	else
		[[ $dims =~ ^\[([0-9]+)\]$ ]] || die "$class.$path: arrays of arrays of structs are not supported"
		n=${BASH_REMATCH[1]}
		for ((i = 0; i < n; i++)); do
			emit_members "$kind" "$class" "${path}[$i]." "$sub"
		done
	fi
}

emit_members() { # KIND CLASS PREFIX OF-CLASS
	local c name dims off size type
	while read -r c name dims off size type; do
		[[ $c == "$4" ]] || continue
		emit_member "$1" "$2" "$3$name" "$dims" "$type"
	done <"$tmp/members"
}

# The C program that prints the description, unsorted within sections.
write_program() {
	local kind class c name dims off size type arg
	{
		cat <<-'EOF'
		#include <stddef.h>
		#include <stdio.h>
		#include <stdlib.h>
		EOF
		printf '#include "%s"\n' "$header"
		cat <<-'EOF'

		static void member(const char *class, const char *path, size_t offset,
				   size_t size, const char *type)
		{
			printf("  %s.%s offset=%zu size=%zu %s\n", class, path, offset, size, type);
		}

		static const char *const dirs[] = { "none", "write", "read", "read|write" };

		static void command(const char *name, unsigned long cmd, const char *arg)
		{
			printf("ioctl %s 0x%08lx dir=%s type=0x%02lx nr=0x%02lx size=%lu%s%s\n",
			       name, cmd, dirs[_IOC_DIR(cmd)], (unsigned long)_IOC_TYPE(cmd),
			       (unsigned long)_IOC_NR(cmd), (unsigned long)_IOC_SIZE(cmd),
			       *arg ? " arg=" : "", arg);
		}

		#define C_TYPE(x) _Generic((x), int: "int", unsigned int: "unsigned int", \
			long: "long", unsigned long: "unsigned long", long long: "long long", \
			unsigned long long: "unsigned long long", default: NULL)

		static void macro(const char *name, const char *type, int negative,
				  unsigned long long value)
		{
			if (!type) {
				fprintf(stderr, "abi: FAIL: %s is not an integer constant\n", name);
				exit(1);
			}
			if (negative)
				printf("macro %s %lld %s\n", name, (long long)value, type);
			else
				printf("macro %s %llu 0x%llx %s\n", name, value, value, type);
		}

		int main(void)
		{
		EOF
		printf '\tprintf("ZCDEV_ABI_VERSION %%llu\\n", (unsigned long long)ZCDEV_ABI_VERSION);\n'
		while read -r kind class; do
			# pahole's offsets and sizes must be the compiler's.
			while read -r c name dims off size type; do
				[[ $c == "$class" ]] || continue
				printf '\t_Static_assert(offsetof(%s %s, %s) == %s && sizeof(((%s %s *)0)->%s) == %s, "DWARF and compiler disagree on %s.%s");\n' \
					"$kind" "$class" "$name" "$off" "$kind" "$class" "$name" "$size" "$class" "$name"
			done <"$tmp/members"
			# Padding the compiler inserted: holes plus tail.
			printf '\tprintf("%s %s size=%%zu align=%%zu padding=%%zu\\n", sizeof(%s %s), _Alignof(%s %s), sizeof(%s %s)' \
				"$kind" "$class" "$kind" "$class" "$kind" "$class" "$kind" "$class"
			if [[ $kind == struct ]]; then
				while read -r c name dims off size type; do
					[[ $c == "$class" ]] || continue
					printf ' - sizeof(((%s %s *)0)->%s)' "$kind" "$class" "$name"
				done <"$tmp/members"
			else
				printf ' * 0'
			fi
			printf ');\n'
			emit_members "$kind" "$class" "" "$class"
		done < <(sort -k2 "$tmp/classes")
		while read -r name arg; do
			[[ $arg == - ]] && arg=
			printf '\tcommand("%s", %s, "%s");\n' "$name" "$name" "$arg"
		done <"$tmp/ioctls"
		while read -r name; do
			printf '\tmacro("%s", C_TYPE(%s), (%s) < 0, (unsigned long long)(%s));\n' \
				"$name" "$name" "$name" "$name"
		done <"$tmp/macros"
		printf '\treturn 0;\n}\n'
	} >"$tmp/describe.c"
}

# The description: a version line, a legend, then structs (by name, members
# in layout order), ioctls and macros (by name). One fact per line.
generate() {
	read_dwarf
	read_macros
	write_program
	"$cc" -O0 -Wall -Werror -Wno-type-limits -o "$tmp/describe" "$tmp/describe.c" \
		2>"$tmp/describe.err" || {
		sed 's/^/    /' "$tmp/describe.err" >&2
		die "the description program does not compile (see above)"
	}
	"$tmp/describe" >"$tmp/raw"
	head -n 1 "$tmp/raw"
	cat <<-'EOF'
	# The ABI of uapi/linux/zcdev.h as the compiler lays it out on x86_64.
	# Generated by qemu/host/abi.sh: `make abi` rewrites it, `make check`
	# fails when it is stale or when it changes without a higher version.
	#
	# struct NAME size=BYTES align=BYTES padding=BYTES   (padding: implicit)
	#   NAME.MEMBER offset=BYTES size=BYTES TYPE   (nested members expanded)
	# ioctl NAME VALUE dir=... type=... nr=... size=... arg=TYPE
	# macro NAME VALUE [HEX] C-TYPE
	EOF
	sed -n '/^\(struct\|union\|  \)/p' "$tmp/raw"
	sed -n '/^ioctl /p' "$tmp/raw" | sort -k2,2
	sed -n '/^macro /p' "$tmp/raw" | sort -k2,2
}

version_of() { # FILE -> its ZCDEV_ABI_VERSION, or empty
	sed -n '1s/^ZCDEV_ABI_VERSION \([0-9][0-9]*\)$/\1/p' "$1"
}

# Every two consecutive states of the file (commits that touched it along
# the first-parent history, then the file itself): a change beyond the
# version line and the # comments needs a higher version, and a version
# never goes down.
check_history() {
	local git=(git -C "$root") commit prev='' prev_name='' cur cur_name n=0 bad=0 pv cv committed states
	if ! command -v git >/dev/null || ! "${git[@]}" rev-parse --git-dir >/dev/null 2>&1; then
		echo "abi: history: skipped (no git repository; only the regenerated file was compared)"
		return 0
	fi
	mkdir -p "$tmp/hist"
	while read -r commit; do
		"${git[@]}" show "$commit:$abi_in_git" >"$tmp/hist/$n" 2>/dev/null || continue
		echo "$n ${commit:0:12}" >>"$tmp/hist/list"
		n=$((n + 1))
	done < <("${git[@]}" log --first-parent --reverse --format=%H -- "$abi_in_git")
	committed=$n
	if [[ -e $abi ]] && ! { ((n)) && cmp -s "$abi" "$tmp/hist/$((n - 1))"; }; then
		cp "$abi" "$tmp/hist/$n"
		echo "$n ${abi#"$root"/}" >>"$tmp/hist/list"
	fi
	n=0
	if ((committed == 0)); then
		echo "abi: history: $abi_in_git is in no commit yet: nothing to compare"
		return 0
	fi
	while read -r cur cur_name; do
		sed '1d; /^#/d' "$tmp/hist/$cur" >"$tmp/hist/$cur.body"
		if [[ -n $prev ]]; then
			pv=$(version_of "$tmp/hist/$prev") cv=$(version_of "$tmp/hist/$cur")
			cmp -s "$tmp/hist/$prev.body" "$tmp/hist/$cur.body" || n=$((n + 1))
			if [[ -z $pv || -z $cv ]]; then
				echo "abi: history: $prev_name or $cur_name has no version line" >&2
				bad=1
			elif ((cv < pv)); then
				echo "abi: history: ZCDEV_ABI_VERSION went down from $pv ($prev_name) to $cv ($cur_name)" >&2
				bad=1
			elif ((cv == pv)) && ! cmp -s "$tmp/hist/$prev.body" "$tmp/hist/$cur.body"; then
				echo "abi: history: the ABI changed from $prev_name to $cur_name but ZCDEV_ABI_VERSION stayed $cv:" >&2
				diff -u --label "$prev_name" --label "$cur_name" \
					"$tmp/hist/$prev" "$tmp/hist/$cur" | sed 's/^/    /' >&2 || true
				bad=1
			fi
		fi
		prev=$cur prev_name=$cur_name
	done <"$tmp/hist/list"
	if ((bad)); then
		echo "abi: history: raise ZCDEV_ABI_VERSION in uapi/linux/zcdev.h and regenerate with \`make abi\`" >&2
		return 1
	fi
	states="$abi_in_git in $committed commits"
	((committed == $(wc -l <"$tmp/hist/list"))) || states+=" and as it is here"
	echo "abi: history: $states: $n changes, each with a higher ZCDEV_ABI_VERSION"
}

case $cmd in
generate)
	generate
	;;
write)
	generate >"$tmp/new"
	mv "$tmp/new" "$abi"
	echo "abi: wrote ${abi#"$root"/} (ZCDEV_ABI_VERSION $(version_of "$abi"))"
	;;
check)
	failed=()
	generate >"$tmp/new"
	new_version=$(version_of "$tmp/new")
	if [[ ! -e $abi ]]; then
		echo "abi: no ${abi#"$root"/}: generate it with \`make abi\`" >&2
		failed+=("no ${abi#"$root"/}")
	elif ! diff -u --label "${abi#"$root"/} (checked in)" --label "regenerated from ${header#"$root"/}" \
		"$abi" "$tmp/new" >"$tmp/diff"; then
		sed 's/^/    /' "$tmp/diff" >&2
		old_version=$(version_of "$abi")
		if ((${old_version:-0} < new_version)); then
			echo "abi: ${abi#"$root"/} is stale: regenerate it with \`make abi\`" >&2
		else
			echo "abi: ${header#"$root"/} changed the ABI: raise ZCDEV_ABI_VERSION (now $new_version) and regenerate with \`make abi\`" >&2
		fi
		failed+=("${abi#"$root"/} does not describe ${header#"$root"/}")
	fi
	check_history || failed+=("a change of ${abi#"$root"/} without a higher ZCDEV_ABI_VERSION")
	counts="$(grep -c '^struct \|^union ' "$tmp/new") structs, $(grep -c '^ioctl ' "$tmp/new") ioctls, $(grep -c '^macro ' "$tmp/new") macros"
	if ((${#failed[@]})); then
		echo "abi: FAIL: $(printf '%s; ' "${failed[@]}" | sed 's/; $//') (ABI version $new_version: $counts)" >&2
		exit 1
	fi
	echo "abi: ok - ${abi#"$root"/} describes ABI version $new_version ($counts)"
	;;
esac
