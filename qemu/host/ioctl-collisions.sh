#!/bin/bash
# zcdev's ioctl commands against every ioctl command of the 6.1 kernel's
# uapi headers, all of them scanned (none hand-listed).
#
#   ioctl-collisions.sh [--header FILE]   default uapi/linux/zcdev.h
#
# Fails when a kernel command equals a zcdev command, or has the type byte
# (magic) of one at all: the module dispatches on type and number alone,
# and Documentation/userspace-api/ioctl/ioctl-number.rst hands out type
# bytes, so sharing one is a collision waiting for its number. Fails too
# when that file lists the type byte, and when a header that does not
# compile on its own uses the byte as an ioctl type (it cannot be compared,
# so it must not be able to collide).
#
# The headers are `make headers` of $ZCDEV_KSRC, built once into
# $ZCDEV_CACHE/uapi-6.1 in a separate O= directory: the source tree stays
# clean, as debug-kernel.sh's own O= build requires.
#
# A macro is an ioctl command when its expansion goes through _IOC(): the
# headers are preprocessed with _IOC() redefined to leave a mark, then the
# marked macros are compiled into one program that prints their values.
# Function-like ones (EVIOCGNAME(len)) are evaluated with every argument 1
# and compared by type byte; commands whose argument struct the header
# does not declare (BLKTRACESETUP in linux/fs.h) by type byte and number.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"
cc=${CC:-gcc}
header=$root/uapi/linux/zcdev.h

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d; s/^# \{0,1\}//; p}' "$0"
}

log() { echo "ioctl-collisions: $*"; }
die() { echo "ioctl-collisions: FAIL: $*" >&2; exit 1; }

while (($#)); do
	case $1 in
	--header) header=$(realpath "$2"); shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "usage: ioctl-collisions.sh [--header FILE]" >&2; exit 2 ;;
	esac
done
[[ -r $header ]] || die "no header at $header"

uapi=$ZCDEV_CACHE/uapi-6.1
inc=$uapi/include

# The installed uapi headers of $ZCDEV_KSRC, keyed by its version.
install_headers() {
	local kver obj
	[[ -e $ZCDEV_KSRC/.done ]] || die "no kernel source at $ZCDEV_KSRC (run qemu/host/deps.sh)"
	kver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = \([0-9]*\)$/\2/p' "$ZCDEV_KSRC/Makefile" |
		paste -sd.)
	[[ $(cat "$uapi/.done" 2>/dev/null) == "$kver" ]] && return 0
	exec 8>"$ZCDEV_CACHE/uapi-6.1.lock"
	flock 8
	[[ $(cat "$uapi/.done" 2>/dev/null) == "$kver" ]] && return 0
	log "installing the uapi headers of $kver into $uapi (once)" >&2
	rm -rf "$uapi" && mkdir -p "$uapi"
	obj=$uapi/build
	# Not the calling make's flags and jobserver (`make check`).
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u KBUILD_OUTPUT \
		make -C "$ZCDEV_KSRC" O="$obj" ARCH=x86_64 headers \
		>"$uapi/build.log" 2>&1 </dev/null; then
		tail -n 20 "$uapi/build.log" >&2
		die "make headers failed (log: $uapi/build.log)"
	fi
	mv "$obj/usr/include" "$inc"
	rm -rf "$obj"
	echo "$kver" >"$uapi/.done"
	exec 8>&-
}

# $work/headers holds "ID FILE INCLUDE-SPEC", ID being the line number.
spec_of() { sed -n "$1{s/^[^ ]* [^ ]* //; p}" "$work/headers"; }
name_of() { spec_of "$1" | sed 's/^[<"]//; s/[>"]$//'; }

# For each header IDS-FILE lists, its #include and a probe line for every
# macro it #defines: "__zc_probe__ ID obj|fn "NAME" EXPANSION", function-
# like ones called with every argument 1 (unless NOFN). The generic _IO*()
# definitions themselves are not commands.
probes() { # IDS-FILE [NOFN]
	awk -v nofn="${2:-}" '
	NR == FNR { order[++n] = $1; next }
	{ file[$1] = $2; spec[$1] = $3 }
	END {
		for (k = 1; k <= n; k++) {
			id = order[k]
			printf "#include %s /* @%s */\n", spec[id], id
			while ((getline line < file[id]) > 0)
				probe(id, line)
			close(file[id])
		}
	}
	function probe(id, line,    name, rest, params, n, i, args, call, unused) {
		if (!match(line, /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*/))
			return
		name = substr(line, 1, RLENGTH)
		rest = substr(line, RLENGTH + 1)
		sub(/^[ \t]*#[ \t]*define[ \t]+/, "", name)
		if (name ~ /^_IO/)
			return
		if (substr(rest, 1, 1) != "(") {
			print "__zc_probe__ " id " obj __zc_name(" name ") " name
			return
		}
		if (nofn)
			return
		params = substr(rest, 2, index(rest, ")") - 2)
		n = params ~ /^[ \t]*$/ ? 0 : split(params, unused, ",")
		args = ""
		for (i = 1; i <= n; i++)
			args = args (i > 1 ? "," : "") "1"
		call = name "(" args ")"
		print "__zc_probe__ " id " fn __zc_name(" call ") " call
	}' "$1" "$work/headers"
}

# Pass 1: mark the commands of the headers IDS-FILE lists, all in one
# preprocessor run. A header that breaks the run (a fatal error, #error, a
# bad probe) is taken out and marked alone, then alone without
# function-like probes. Writes $work/ID.cmds ("obj NAME" or
# "fn NAME(1,...)") or, when even that fails, $work/ID.err.
mark_run() { # IDS-FILE [NOFN] -> culprits in $work/marks.bad on failure
	local id
	{
		printf '#include <linux/ioctl.h>\n'
		printf '#undef _IOC\n#define _IOC(dir, type, nr, size) __zc_ioc__\n'
		printf '#define __zc_name(x) #x\n'
		probes "$1" "${2:-}"
	} >"$work/marks.c"
	if "$cc" -E -P -I"$inc" "$work/marks.c" -o "$work/marks.i" 2>"$work/marks.err"; then
		while read -r id; do : >"$work/$id.cmds"; done <"$1"
		sed -n 's/^__zc_probe__ \([0-9]*\) \([a-z]*\) "\([^"]*\)" .*__zc_ioc__.*/\1 \2 \3/p' \
			"$work/marks.i" | sort -u |
			awk -v w="$work" '{ id = $1; $1 = ""; print substr($0, 2) >> (w "/" id ".cmds") }'
		# Other names for _IO*() itself (soundcard.h's _SIOWR) lead
		# to more headers, like commands do.
		sed -n 's/^__zc_probe__ [0-9]* obj "\([^"]*\)" *(* *_IO[CRW]* *)* *$/\1/p' \
			"$work/marks.i" >>"$work/aliases"
		return 0
	fi
	# The sections of marks.c that the errors point into.
	grep -oE 'marks\.c:[0-9]+' "$work/marks.err" | cut -d: -f2 | sort -un |
		awk 'NR == FNR { bad[$1] = 1; next }
		     /^#include .* \/\* @[0-9]+ \*\/$/ { sec = $(NF - 1); sub(/^@/, "", sec) }
		     FNR in bad { print sec }' - "$work/marks.c" | sort -un >"$work/marks.bad"
	[[ -s $work/marks.bad ]] ||
		die "the preprocessor failed outside the headers: $(head -n 3 "$work/marks.err")"
	return 1
}

mark() { # IDS-FILE
	local id
	cp "$1" "$work/marks.todo"
	: >"$work/marks.alone"
	while [[ -s $work/marks.todo ]] && ! mark_run "$work/marks.todo"; do
		cat "$work/marks.bad" >>"$work/marks.alone"
		grep -vxFf "$work/marks.bad" "$work/marks.todo" >"$work/marks.next" || true
		mv "$work/marks.next" "$work/marks.todo"
	done
	while read -r id; do
		echo "$id" >"$work/marks.todo"
		mark_run "$work/marks.todo" || mark_run "$work/marks.todo" nofn ||
			cp "$work/marks.err" "$work/$id.err"
	done < <(sort -un "$work/marks.alone")
}

# Pass 2: the values of a group of headers' commands in one object, each
# header's right after its #include, one function per value so that every
# bad entry shows in the first compile (gcc names an undeclared identifier
# once per function). Each command is also evaluated with _IOC_TYPECHECK()
# giving 0, for when its argument struct is not declared (BLKTRACESETUP in
# linux/fs.h). A group whose headers clash is split; a header that does not
# compile alone is tried after a few libc headers, then given up
# ($work/ID.err). Entries that do not compile are listed in $work/ID.bad.
table() { # OBJ-NAME PRELUDE IDS...
	local name=$1 prelude=$2
	shift 2
	awk -v w="$work" -v prelude="$prelude" -v ids="$*" '
	BEGIN {
		while ((getline line < (w "/headers")) > 0) {
			split(line, f, " ")
			spec[f[1]] = f[3]
		}
		if (prelude)
			printf "#include <stdint.h>\n#include <sys/types.h>\n#include <sys/socket.h>\n#include <sys/time.h>\n"
		printf "#include <linux/ioctl.h>\n#include \"%s/entry.h\"\n", w
		n = split(ids, id, " ")
		for (k = 1; k <= n; k++)
			header(id[k])
	}
	function value(v, id, j, cmd) {
		printf "static unsigned long long __zc_%s_%s_%d(void) { return (unsigned long long)(%s); } /* @%s %s %d */\n",
			v, id, j, cmd, id, v, j
	}
	function header(id,    bad, line, nc, kind, cmd, j, sp) {
		while ((getline line < (w "/" id ".bad")) > 0)
			bad[line] = 1
		close(w "/" id ".bad")
		nc = 0
		while ((getline line < (w "/" id ".cmds")) > 0) {
			sp = index(line, " ")
			kind[++nc] = substr(line, 1, sp - 1)
			cmd[nc] = substr(line, sp + 1)
		}
		close(w "/" id ".cmds")
		while ((getline line < (w "/" id ".prelude")) > 0)
			print line
		close(w "/" id ".prelude")
		printf "#include %s\n", spec[id]
		for (j = 1; j <= nc; j++)
			if (!(("f " j) in bad))
				value("f", id, j, cmd[j])
		printf "#pragma push_macro(\"_IOC_TYPECHECK\")\n#undef _IOC_TYPECHECK\n#define _IOC_TYPECHECK(t) 0\n"
		for (j = 1; j <= nc; j++)
			if (!(("n " j) in bad))
				value("n", id, j, cmd[j])
		printf "#pragma pop_macro(\"_IOC_TYPECHECK\")\n"
		printf "const struct __zc_entry __zc_tab_%s[] = {\n", id
		for (j = 1; j <= nc; j++)
			printf "\t{ \"%s\", %s, %s, %d },\n", cmd[j],
				((("f " j) in bad) ? "0" : "__zc_f_" id "_" j),
				((("n " j) in bad) ? "0" : "__zc_n_" id "_" j), kind[j] == "fn"
		printf "\t{ 0 }\n};\n"
	}' >"$work/$name.c"
}

compile_group() { # OBJ-NAME IDS...
	local name=$1 prelude='' id others
	shift
	for id; do : >>"$work/$id.bad"; done
	# Rounds: everything, without the bad values, with the libc prelude.
	for _ in 1 2 3 4; do
		table "$name" "$prelude" "$@"
		if "$cc" -c -w -ftrack-macro-expansion=0 -fno-diagnostics-show-caret -I"$inc" \
			"$work/$name.c" -o "$work/$name.o" 2>"$work/$name.err"; then
			for id; do echo "$name" >"$work/$id.ok"; done
			return 0
		fi
		# Errors in value functions go to ID.bad, and what the value
		# lacked to ID.missing for resolve(); count the others (in a
		# header).
		others=$(awk -v f="$work/$name.c:" -v w="$work/" -v q="'" '
			NR == FNR {
				if (match($0, /\/\* @[0-9]+ [fn] [0-9]+ \*\/$/))
					entry[FNR] = substr($0, RSTART + 4, RLENGTH - 7)
				next
			}
			!/: (fatal )?error:/ { next }
			index($0, f) == 1 {
				split(substr($0, length(f) + 1), pos, ":")
				if (pos[1] in entry) {
					split(entry[pos[1]], e, " ")
					print e[2], e[3] >> (w e[1] ".bad")
					id = q "[A-Za-z_][A-Za-z0-9_]*" q
					if (match($0, id " undeclared"))
						print "define", substr($0, RSTART + 1, RLENGTH - 13) >> (w e[1] ".missing")
					else if (match($0, "incomplete type " q "struct [A-Za-z_][A-Za-z0-9_]*" q))
						print "struct", substr($0, RSTART + 24, RLENGTH - 25) >> (w e[1] ".missing")
					else if (match($0, "unknown type name " id))
						print "type", substr($0, RSTART + 19, RLENGTH - 20) >> (w e[1] ".missing")
					next
				}
			}
			{ n++ }
			END { print n + 0 }' "$work/$name.c" "$work/$name.err")
		((others)) || continue
		if (($# > 1)); then
			compile_group "$name.a" "${@:1:$# / 2}"
			compile_group "$name.b" "${@:$# / 2 + 1}"
			return 0
		fi
		[[ -z $prelude ]] || break
		prelude=libc
	done
	cp "$work/$name.err" "$work/$1.err"
}

# Commands that needed what their header does not include (md_u.h's
# MD_MAJOR from linux/major.h, BLKTRACESETUP's struct from
# linux/blktrace_api.h): evaluated again, as a new ID of the same header,
# after the uapi headers that define what was missing.
resolve() {
	local miss id new what sym re h file spec
	local -a helpers
	for miss in "$work"/*.missing; do
		[[ -e $miss ]] || continue
		id=${miss##*/} id=${id%.missing}
		helpers=()
		while read -r what sym; do
			case $what in
			define) re="^[[:space:]]*#[[:space:]]*define[[:space:]]+${sym}\\b" ;;
			struct) re="^[[:space:]]*struct[[:space:]]+${sym}[[:space:]]*\\{" ;;
			type) re="^[[:space:]]*typedef[[:space:]].*\\b${sym}[[:space:]]*;" ;;
			esac
			h=$(cd "$inc" && { grep -rlE "$re" --include='*.h' . || true; } |
				sed 's|^\./||' | sort | sed -n 1p)
			# Not in the uapi headers: a libc name such as size_t.
			[[ -n $h ]] || h=stddef.h
			helpers+=("$h")
		done < <(sort -u "$miss")
		new=$(($(wc -l <"$work/headers") + 1))
		read -r _ file spec < <(sed -n "${id}p" "$work/headers")
		echo "$new $file $spec" >>"$work/headers"
		printf '#include <%s>\n' "${helpers[@]}" | sort -u >"$work/$new.prelude"
		awk 'NR == FNR { bad[$0]; next } ("f " FNR) in bad' "$work/$id.bad" "$work/$id.cmds" >"$work/$new.cmds"
		compile_group "r$new" "$new"
	done
}

install_headers
t0=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$inc" && find . -name '*.h' | sed 's|^\./||' | sort) >"$work/all"
total=$(wc -l <"$work/all")
awk '{ printf "%d %s/%s <%s>\n", NR, inc, $0, $0 }' inc="$inc" "$work/all" >"$work/headers"
zc_id=$((total + 1))
printf '%d %s "%s"\n' "$zc_id" "$header" "$header" >>"$work/headers"

# Candidates: the headers that mention an _IO macro, then, round after
# round, those that mention a command, command macro or _IO alias found
# so far (commands built by wrappers such as DRM_IOWR() in other headers).
echo "$zc_id" >"$work/zc"
: >"$work/aliases"
mark "$work/zc"
[[ -s $work/$zc_id.cmds ]] || die "no ioctl command in $header"
(cd "$inc" && grep -rlwE '_IO(C|R|W|WR)?' --include='*.h' . | sed 's|^\./||') |
	grep -nxFf - "$work/all" | cut -d: -f1 >"$work/round"
: >"$work/scanned"
while [[ -s $work/round ]]; do
	mark "$work/round"
	cat "$work/round" >>"$work/scanned"
	{ cat "$work"/*.cmds | sed 's/^[a-z]* //; s/(.*//'; cat "$work/aliases"; } |
		sort -u >"$work/names"
	(cd "$inc" && grep -rlwFf "$work/names" --include='*.h' . | sed 's|^\./||') |
		grep -nxFf - "$work/all" | cut -d: -f1 | grep -vxFf "$work/scanned" >"$work/round" || true
done

cat >"$work/entry.h" <<'EOF'
struct __zc_entry {
	const char *name;
	unsigned long long (*value)(void);
	unsigned long long (*value_nosize)(void);
	int parametric;
};
EOF
compile_group zc "$zc_id"
if [[ ! -e $work/$zc_id.ok || -s $work/$zc_id.bad ]]; then
	cat "$work/zc.err" >&2
	die "$header does not compile"
fi
while read -r id; do
	if [[ -s $work/$id.cmds ]]; then echo "$id"; fi
done <"$work/scanned" >"$work/with-cmds"
# Groups of 16 headers, two compilers at a time.
split -l 16 -d -a 3 "$work/with-cmds" "$work/group."
export -f compile_group table die log
export cc inc work
# shellcheck disable=SC2016 # expanded by the inner shell
printf '%s\n' "$work"/group.??? |
	xargs -r -P "$(nproc)" -n 1 bash -c 'set -euo pipefail; compile_group "g${1##*.}" $(cat "$1")' _
resolve

# One program prints "ID KIND VALUE NAME" for every table. Kinds: 0 a
# command, 1 a function-like command macro called with 1s, 2 a command
# evaluated with size 0, 3 not evaluable.
ids=()
objs=()
for ok in "$work"/*.ok; do
	id=${ok##*/}
	ids+=("${id%.ok}")
	objs+=("$work/$(cat "$ok").o")
done
mapfile -t objs < <(printf '%s\n' "${objs[@]}" | sort -u)
{
	printf '#include <stdio.h>\n#include "%s/entry.h"\n' "$work"
	for id in "${ids[@]}"; do
		printf 'extern const struct __zc_entry __zc_tab_%s[];\n' "$id"
	done
	printf 'static const struct { int id; const struct __zc_entry *tab; } tabs[] = {\n'
	for id in "${ids[@]}"; do
		printf '\t{ %s, __zc_tab_%s },\n' "$id" "$id"
	done
	cat <<-'EOF'
	};

	int main(void)
	{
		for (unsigned int i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
			for (const struct __zc_entry *e = tabs[i].tab; e->name; e++) {
				int id = tabs[i].id;

				if (e->value)
					printf("%d %d 0x%08llx %s\n", id, e->parametric, e->value(), e->name);
				else if (e->value_nosize)
					printf("%d %d 0x%08llx %s\n", id, e->parametric ? 1 : 2,
					       e->value_nosize(), e->name);
				else
					printf("%d 3 - %s\n", id, e->name);
			}
		}
		return 0;
	}
	EOF
} >"$work/main.c"
"$cc" -o "$work/values" "$work/main.c" "${objs[@]}"
# A name known exactly somewhere needs no partial or missing entry, and
# resolve() repeats some: keep each name's best kind, once.
"$work/values" >"$work/values.raw"
awk 'NR == FNR { if (!($4 in best) || $2 < best[$4]) best[$4] = $2; next }
     $2 <= 1 { print; next }
     $2 == best[$4] && !seen[$2 " " $3 " " $4]++' \
	"$work/values.raw" "$work/values.raw" >"$work/values.txt"

zc_hdr=${header#"$root"/}
status=0

# Every kernel entry of a zcdev type byte, with what else it shares.
awk -v zc="$zc_id" '
	function type(v) { return substr(v, length(v) - 3, 2) }
	function nr(v) { return substr(v, length(v) - 1, 2) }
	$2 == 3 { next }
	$1 == zc { zc_cmd[$3] = $4; zc_type[type($3)] = 1; zc_nr[type($3) nr($3)] = $4; next }
	{ kern[NR] = $0 }
	END {
		for (i in kern) {
			split(kern[i], f, " ")
			if (!(type(f[3]) in zc_type))
				continue
			if (f[2] == 0 && (f[3] in zc_cmd))
				what = "equals " zc_cmd[f[3]]
			else if (f[2] != 1 && ((type(f[3]) nr(f[3])) in zc_nr))
				what = "type and number of " zc_nr[type(f[3]) nr(f[3])]
			else
				what = "type byte 0x" type(f[3])
			print f[1], f[4], f[3], what
		}
	}' "$work/values.txt" | sort -n -k1,1 -k2,2 >"$work/clashes"

zc_types=$(awk -v zc="$zc_id" '$1 == zc { print substr($3, length($3) - 3, 2) }' "$work/values.txt" | sort -u)
zc_types_shown=$(echo "$zc_types" | sed 's/^/0x/' | paste -sd/)
count() { awk -v zc="$zc_id" -v kind="$1" '$1 != zc && $2 == kind' "$work/values.txt" | wc -l; }
zc_count=$(awk -v zc="$zc_id" '$1 == zc' "$work/values.txt" | wc -l)
kern_hdrs=$(awk -v zc="$zc_id" 'NR == FNR { spec[$1] = $3; next } $1 != zc { print spec[$1] }' \
	"$work/headers" "$work/values.txt" | sort -u | wc -l)
kern_values=$(awk -v zc="$zc_id" '$1 != zc && $2 == 0 { print $3 }' "$work/values.txt" | sort -u | wc -l)
scanned=$(wc -l <"$work/scanned")
lost=$(count 3)

if [[ -s $work/clashes ]]; then
	log "kernel commands that clash with $zc_hdr:" >&2
	while read -r id name value what; do
		printf '    %s: %s = %s: %s\n' "$(name_of "$id")" "$name" "$value" "$what"
	done <"$work/clashes" >&2
	status=1
fi
log "headers using type $zc_types_shown: $(cut -d' ' -f1 "$work/clashes" | sort -un |
	while read -r hid; do name_of "$hid"; done | sort -u | paste -sd' ' | sed 's/^$/none/')"

# An ERE for the type byte HEX as C writes it: 0xBD, 0xbd, '\xbd', and
# 'P' for a printable one.
byte_regex() { # HEX (two lower-case digits)
	local hex='' c i
	for ((i = 0; i < 2; i++)); do
		c=${1:i:1}
		if [[ $c == [a-f] ]]; then hex+="[$c${c^^}]"; else hex+=$c; fi
	done
	c=
	if ((16#$1 > 0x20 && 16#$1 < 0x7f && 16#$1 != 0x27)); then
		c=$(printf '%b' "\\x$1")
		[[ $c == [][\\.*^\$+?\(\){}\|/] ]] && c="\\$c"
		c="|'$c'"
	fi
	printf '%s\n' "(0[xX]0*$hex|'\\\\[xX]0*$hex'$c)"
}

# ioctl-number.rst must not list the type byte.
rst=$ZCDEV_KSRC/Documentation/userspace-api/ioctl/ioctl-number.rst
for t in $zc_types; do
	if grep -E "^$(byte_regex "$t")[[:space:]]" "$rst" >"$work/rst"; then
		log "ioctl-number.rst of 6.1 lists type 0x$t:" >&2
		sed 's/^/    /' "$work/rst" >&2
		status=1
	fi
done

# Headers that could not be compiled, or have commands that could not be
# evaluated: none may use the type byte in an ioctl macro, directly or
# through a macro that is defined as it.
broken=()
for err in "$work"/*.err; do
	id=${err##*/} id=${id%.err}
	if [[ $id =~ ^[0-9]+$ ]] && ((id < zc_id)); then broken+=("$(name_of "$id")"); fi
done
mapfile -t unevaluated < <(awk '$2 == 3 { print $1 }' "$work/values.txt" | sort -un |
	while read -r id; do name_of "$id"; done | sort -u)
for h in "${broken[@]}" "${unevaluated[@]}"; do
	for t in $zc_types; do
		byte=$(byte_regex "$t")
		magics=$(sed -nE "s/^[[:space:]]*#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+\\(?$byte\\)?[[:space:]]*(\\/\\*.*)?\$/\\1/p" "$inc/$h" | paste -sd'|')
		types="$byte${magics:+|$magics}"
		if grep -nE "_IO(R|W|WR)?[[:space:]]*\\([[:space:]]*($types)[[:space:]]*,|_IOC[[:space:]]*\\([^,]*,[[:space:]]*($types)[[:space:]]*," \
			"$inc/$h" >"$work/mention"; then
			log "$h cannot be evaluated and uses type 0x$t:" >&2
			sed 's/^/    /' "$work/mention" >&2
			status=1
		fi
	done
done

kern_cmds=$(count 0)
log "scanned $scanned of the $total 6.1 uapi headers; compared $kern_cmds commands ($kern_values distinct values), $(count 2) commands whose argument struct their header does not declare (type and number) and $(count 1) command macros (type) of $kern_hdrs headers; not compilable on their own: ${#broken[@]}${broken[*]:+ (${broken[*]})}; commands not evaluable: $lost${unevaluated[*]:+ (in ${unevaluated[*]})}"
verdict="the $zc_count commands of $zc_hdr (type $zc_types_shown) against $((kern_cmds + $(count 1) + $(count 2))) kernel ioctl commands, $((SECONDS - t0)) s"
if ((status)); then
	echo "ioctl-collisions: FAIL: clashes found: $verdict" >&2
else
	log "ok - no clash: $verdict"
fi
exit "$status"
