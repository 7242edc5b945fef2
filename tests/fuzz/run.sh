#!/bin/bash
# run.sh - builds the libFuzzer targets with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, then runs each for a bounded time. Fails
# (exit 1) on any crash, leak, sanitizer report or timeout; the input that
# triggered it is kept in BUILD_DIR/fuzz-artifacts/.
#
#   tests/fuzz/run.sh [-t SECONDS] [-b BUILD_DIR] [TARGET...]
#       SECONDS per target (default 45), BUILD_DIR default build-fuzz,
#       TARGETs among: pipeline filename authres config mimeparams tnef cms
#       markup pdf office (default all).
#       The corpus each target grows is kept in BUILD_DIR/fuzz-corpus/
#       and reused by the next run; seeds come from make_seeds.py.
#   tests/fuzz/run.sh --seeds-only BUILD_DIR
#       no build, no mutation: every target once over its seeds (the
#       ctest entry fuzz/seeds of a build configured with AIRLOCK_FUZZ).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
all_targets="pipeline filename authres config mimeparams tnef cms markup pdf office unpack"
seconds=45
build="$repo/build-fuzz"
seeds_only=0

while [ $# -gt 0 ]; do
	case "$1" in
	-t) seconds=$2; shift 2 ;;
	-b) build=$(realpath -m "$2"); shift 2 ;;
	--seeds-only) seeds_only=1; build=$(realpath -m "$2"); shift 2 ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
targets=${*:-$all_targets}

# Leaks count as failures; UBSan findings stop the run like ASan's.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
# Leaks inside libclamav's memory pool are not ours to find: see lsan.supp.
export LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [ "$seeds_only" -eq 0 ]; then
	CC=clang cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
		-DAIRLOCK_FUZZ=ON -DAIRLOCK_SANITIZE=ON >/dev/null
	cmake --build "$build" -j2 --target $(printf 'fuzz_%s ' $targets)
fi

seeds="$build/fuzz-seeds"
rm -rf "$seeds"
python3 "$here/make_seeds.py" "$seeds" >/dev/null
mkdir -p "$build/fuzz-artifacts"

status=0
for t in $targets; do
	bin="$build/tests/fuzz/fuzz_$t"
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin not built (configure with CC=clang -DAIRLOCK_FUZZ=ON)" >&2
		exit 1
	fi
	common=(-timeout=30 -rss_limit_mb=2560 -max_len=262144
		"-artifact_prefix=$build/fuzz-artifacts/$t-")
	if [ "$seeds_only" -eq 1 ]; then
		if ! "$bin" "${common[@]}" -runs=0 "$seeds/$t" >"$build/fuzz-$t.log" 2>&1; then
			echo "FAIL fuzz_$t on its seeds:"; tail -40 "$build/fuzz-$t.log"; status=1
		else
			echo "ok   fuzz_$t: $(ls "$seeds/$t" | wc -l) seeds"
		fi
		continue
	fi
	corpus="$build/fuzz-corpus/$t"
	mkdir -p "$corpus"
	echo "run.sh: fuzz_$t for ${seconds}s"
	if ! "$bin" "${common[@]}" -max_total_time="$seconds" -print_final_stats=1 \
		"$corpus" "$seeds/$t" >"$build/fuzz-$t.log" 2>&1; then
		echo "FAIL fuzz_$t (log: $build/fuzz-$t.log):"
		grep -a -A40 -m1 -E 'ERROR: |runtime error|==[0-9]+==' "$build/fuzz-$t.log" || tail -40 "$build/fuzz-$t.log"
		ls -1 "$build/fuzz-artifacts" | sed -n "/^$t-/s/^/    artifact: /p"
		status=1
	else
		echo "ok   fuzz_$t: $(grep -aE 'stat::number_of_executed_units' "$build/fuzz-$t.log" | awk '{print $2}') runs, corpus $(ls "$corpus" | wc -l) files"
	fi
done
exit $status
