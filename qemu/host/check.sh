#!/bin/bash
# The VM half of `make check`: boot once, run every staged selftest
# (qemu/guest/run-selftests.sh), add the host-side lint results, and close
# with the one summary line CI reads.
#
#   qemu/host/check.sh [run.sh options]      e.g. --timeout 1200
#
# Needs the staged payload (make guest, or ZCDEV_GUEST_DIR). Counts:
#   - the guest's ZCDEV-TOTALS line, or the sum of its per-binary
#     ZCDEV-RESULT lines when the VM died before printing totals;
#   - $ROOT/build/lint-results, if present: lines "pass NAME", "fail NAME"
#     or "skip NAME", written by the lint step of `make check`;
#   - one more failure when the VM run itself failed (splat, timeout, no
#     marker, module load), and one when no selftest ran at all.
# Last line: "N passed, N failed, N skipped". Exit 0 only if none failed.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
# Per run: two checks at once must not read each other's console.
mkdir -p "$ROOT/build/vm"
log=$(mktemp "$ROOT/build/vm/check.XXXXXX.log")
lint=$ROOT/build/lint-results

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run.sh's stderr (its one-line reason) goes to the terminal and is kept for
# the summary; the console (stdout) goes straight through.
# By name: /opt/zcdev/bin comes first in the guest's PATH, so the staged copy
# wins, and the harness's own copy in /usr/lib/zcdev covers an old staging.
if { "$ROOT/qemu/run.sh" "$@" --log "$log" -- run-selftests.sh \
	2>&1 1>&3 | tee "$work/stderr" >&2; } 3>&1; then
	rc=0
else
	rc=${PIPESTATUS[0]}
fi

console=$(tr -d '\r' <"$log")
field() { # KEY LINE -> the number after KEY= in LINE
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2"
}
pass=0 fail=0 skip=0
totals=$(grep '^ZCDEV-TOTALS:' <<<"$console" | tail -n 1 || true)
if [[ -n $totals ]]; then
	pass=$(field pass "$totals") fail=$(field fail "$totals") skip=$(field skip "$totals")
else
	while IFS= read -r line; do
		pass=$((pass + $(field pass "$line")))
		fail=$((fail + $(field fail "$line")))
		skip=$((skip + $(field skip "$line")))
	done < <(grep '^ZCDEV-RESULT:' <<<"$console" || true)
fi

failures=()
while IFS= read -r line; do
	failures+=("${line#ZCDEV-FAIL: }")
done < <(grep '^ZCDEV-FAIL:' <<<"$console" || true)
while IFS= read -r line; do
	[[ $(field fail "$line") == 0 ]] || failures+=("${line#ZCDEV-RESULT: }")
done < <(grep '^ZCDEV-RESULT:' <<<"$console" || true)

if ((pass + fail + skip == 0)); then
	fail=$((fail + 1))
	failures+=("selftests: none ran (is build/guest/selftests staged?)")
fi
# run-selftests.sh exits 0 or 1; anything else is the VM run failing.
if ((rc != 0 && rc != 1)); then
	fail=$((fail + 1))
	reason=$(grep '^run.sh: FAIL:' "$work/stderr" | tail -n 1 || true)
	failures+=("vm: ${reason:-run.sh exited $rc}")
fi

if [[ -r $lint ]]; then
	while read -r verdict name; do
		case $verdict in
		pass) pass=$((pass + 1)) ;;
		skip) skip=$((skip + 1)) ;;
		fail) fail=$((fail + 1)); failures+=("lint: $name") ;;
		esac
	done <"$lint"
fi

for f in "${failures[@]}"; do
	echo "check: FAIL $f"
done
# A VM that died or hung left no marker: its last words are the evidence,
# repeated here so that a log read from its tail (CI) still has them.
if ((rc == 124 || rc == 210)); then
	tail -n 30 <<<"$console" | sed 's/^/check: console: /'
fi
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
