#!/bin/sh
# json_fuzz.sh: the /hotplug/memory JSON parser (lib/hotplug_config.c) under
# libFuzzer for a bounded time, every input held against the reference
# model in this directory (json_fuzz.c says what is compared).  TAP:
#   1  the fuzzer is built (clang and libFuzzer are installed)
#   2  every body in corpus/ agrees with the model (the reproducers)
#   3  a run of at most 60 s (or 2,000,000 inputs) finds no crash or mismatch
#   4  that run executed at least 1,000,000 inputs
# A failing input is saved as build/selftests/fuzz/crash-*; replay it with
# 'build/selftests/fuzz/json_fuzz FILE', and add it to corpus/ once fixed.
cd "$(dirname "$0")/../.." || exit 1
B=build/selftests/fuzz
F=$B/json_fuzz
SECS=60
MAX_RUNS=2000000
MIN_RUNS=1000000
LOG=$B/json_fuzz.log
# No quarantine and no fill of new blocks keep the heap in a few hot pages
# (a third more runs a second); the parser and the model allocate nothing,
# so no use-after-free goes unseen.
ASAN_OPTIONS=quarantine_size_mb=0:max_malloc_fill_size=0:${ASAN_OPTIONS:-}
export ASAN_OPTIONS

fail=0
echo "TAP version 13"
echo "1..4"

# rest N REASON: the tests from N on fail, for one reason
rest() {
	i=$1
	while [ "$i" -le 4 ]; do
		echo "not ok $i - $2"
		i=$((i + 1))
	done
	exit 1
}

# diag FILE: a log's telling lines, as TAP comments
diag() {
	grep -E 'MISMATCH|json_fuzz: input|ERROR|SUMMARY|runtime error|Seed:|Done [0-9]+ runs|Test unit written' "$1" |
		head -20 | sed 's/^/# /'
}

mkdir -p "$B"
if [ ! -x "$F" ]; then
	command -v clang >/dev/null ||
		echo "# clang is missing: run scripts/deps as root (clang, libclang-rt-14-dev)"
	make -s "$F" >/dev/null 2>"$B.make.log" || {
		sed 's/^/# /' "$B.make.log" | tail -5
		rest 1 "the fuzzer builds (clang and libFuzzer: scripts/deps)"
	}
fi
echo "ok 1 - the fuzzer is built ($F)"

if "$F" selftests/fuzz/corpus/* >"$B/replay.log" 2>&1; then
	echo "ok 2 - the $(find selftests/fuzz/corpus -type f | wc -l) bodies of corpus/ agree with the model"
else
	diag "$B/replay.log"
	echo "not ok 2 - the bodies of corpus/ agree with the model"
	fail=1
fi

# The seeds as -seed_inputs, no corpus directory: the corpus the run grows
# stays in memory (writing each new input out costs runs), the seeds stay
# as they are.
rm -rf "$B/work" "$B"/crash-* "$B"/leak-* "$B"/timeout-* "$B"/oom-*
seeds=$(printf '%s\n' selftests/fuzz/corpus/* | paste -sd, -)
timeout -k 5 $((SECS + 30)) "$F" -max_total_time=$SECS -runs=$MAX_RUNS \
	-max_len=256 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	-dict=selftests/fuzz/json.dict -artifact_prefix="$B/" \
	-seed_inputs="$seeds" >"$LOG" 2>&1
rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$LOG" | tail -1)
secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$LOG" | tail -1)
# a run cut short prints no "Done": its last status line has the count
[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\)\t.*/\1/p' "$LOG" | tail -1)
diag "$LOG"
found=$(ls "$B"/crash-* "$B"/leak-* "$B"/timeout-* "$B"/oom-* 2>/dev/null)
if [ $rc -eq 0 ] && [ -z "$found" ] && ! grep -q MISMATCH "$LOG"; then
	echo "ok 3 - ${runs:-?} inputs in ${secs:-?} s: no crash, no mismatch with the model"
else
	for f in $found; do
		echo "# $f:"
		od -c "$f" | head -8 | sed 's/^/#   /'
	done
	echo "not ok 3 - the fuzzer failed (exit $rc, log $LOG)"
	fail=1
fi
if [ -n "$runs" ] && [ "$runs" -ge $MIN_RUNS ]; then
	echo "ok 4 - $runs executions (at least $MIN_RUNS)"
else
	echo "not ok 4 - ${runs:-no} executions, fewer than $MIN_RUNS"
	fail=1
fi
exit $fail
