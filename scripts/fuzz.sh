#!/bin/sh
# fuzz.sh [TARGET...] — build every libFuzzer target fuzz/fuzz_*.c (or the ones
# named) with clang and run each for FUZZ_SECONDS (default 30).
#
#   FUZZ_SECONDS=60 scripts/fuzz.sh            (what `make fuzz` runs)
#   scripts/fuzz.sh fuzz_config
#
# The library sources (the Makefile's LIB_SRCS but workers/audit/: rt/ shm/ workers/core/ workers/engine/ feeders/) are
# compiled with clang into build-fuzz/, with coverage instrumentation and
# AddressSanitizer + UBSan, and archived with config/default_config.S so each target
# links only the objects it uses.
# Seeds come from fuzz/corpus/<target>/ (read only); what the fuzzer learns goes
# to build-fuzz/corpus/<target>/ and is reused by the next run; fuzz/<target>.dict
# is passed as a dictionary when present. A crash, leak, timeout or failed check
# leaves its input in build-fuzz/artifacts/ and makes this script exit 1; the
# input can be replayed with `build-fuzz/bin/<target> <file>`.
set -u
cd "$(dirname "$0")/.." || exit 2

CLANG=${CLANG:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
OUT=build-fuzz
PKGS="yaml-0.1 liburing ck"

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found: apt-get install clang libclang-rt-14-dev (or: make deps)" >&2
	exit 2
fi
if ! scripts/check-deps.sh $PKGS; then
	exit 2
fi

# The project's warnings, but not -Werror: the gcc build enforces them, and a
# clang-only warning should not stop a fuzzing run.
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -I. $SAN $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm -lrt"

mkdir -p "$OUT/obj" "$OUT/bin" "$OUT/artifacts" || exit 2

echo "fuzz: building library sources with $CLANG"
objs=""
for src in rt/*.c shm/*.c workers/core/*.c workers/engine/*.c feeders/*.c; do
	[ -e "$src" ] || continue
	obj="$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	if ! "$CLANG" $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src"; then
		echo "fuzz: cannot compile $src" >&2
		exit 2
	fi
	objs="$objs $obj"
done
"$CLANG" -c -o "$OUT/obj/default_config.o" config/default_config.S || exit 2
rm -f "$OUT/liballuse-fuzz.a"
ar rcs "$OUT/liballuse-fuzz.a" $objs "$OUT/obj/default_config.o" || exit 2

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(for f in fuzz/fuzz_*.c; do [ -e "$f" ] && basename "$f" .c; done)
fi
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz/fuzz_*.c targets" >&2
	exit 2
fi

failed=""
for t in $targets; do
	bin="$OUT/bin/$t"
	echo "fuzz: $t: build"
	if ! "$CLANG" $CFLAGS -fsanitize=fuzzer -o "$bin" "fuzz/$t.c" "$OUT/liballuse-fuzz.a" $LIBS; then
		failed="$failed $t(build)"
		continue
	fi
	mkdir -p "$OUT/corpus/$t"
	set -- "$OUT/corpus/$t"
	[ -d "fuzz/corpus/$t" ] && set -- "$@" "fuzz/corpus/$t"
	dict=""
	[ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
	echo "fuzz: $t: running ${FUZZ_SECONDS}s"
	log="$OUT/$t.log"
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" $dict "$@" >"$log" 2>&1
	rc=$?
	grep -a -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' "$log" | sed "s/^/fuzz: $t: /"
	if [ $rc -ne 0 ]; then
		echo "fuzz: $t: FAILED (exit $rc); log $log, inputs in $OUT/artifacts/:" >&2
		grep -a -E 'ERROR|SUMMARY|check failed|runtime error|Test unit written' "$log" | head -n 20 >&2
		failed="$failed $t"
	else
		echo "fuzz: $t: ok ($(ls "$OUT/corpus/$t" | wc -l) inputs in the corpus)"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed" >&2
	exit 1
fi
echo "fuzz: all targets ran ${FUZZ_SECONDS}s without a failure"
