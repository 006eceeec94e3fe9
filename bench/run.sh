#!/bin/sh
# run.sh -- what `make bench` runs: every bench/*.bench script in turn.  Each prints
# its figures as ratios against a baseline measured in the same run and appends its
# entries to bench/results.json.
set -u
cd "$(dirname "$0")/.."
found=0
for b in bench/*.bench; do
    [ -e "$b" ] || continue
    found=1
    echo "== $b"
    sh "$b" || exit 1
done
[ $found = 1 ] || echo "bench: no benchmarks yet"
