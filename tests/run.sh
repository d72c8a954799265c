#!/bin/sh
# run.sh TEST_BIN... — run every cmocka test program and shell integration test,
# sum their cases, and end with one line "N passed, M failed, K skipped".
# A program that exits 77 is skipped (it prints why). Exit 1 if anything failed.
passed=0 failed=0 skipped=0 failed_progs=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	name=${t#*/tests/}
	printf '== %s\n' "$name"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	if [ $rc -eq 77 ]; then
		skipped=$((skipped + 1))
		continue
	fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ $rc -ne 0 ]; then
		[ -n "$f" ] || failed=$((failed + 1))
		failed_progs="$failed_progs $name"
	fi
done
echo
[ -n "$failed_progs" ] && echo "failed programs:$failed_progs"
echo "$passed passed, $failed failed, $skipped skipped"
[ -z "$failed_progs" ]
