#!/bin/sh
# run.sh -- what `make bench` runs: every bench/*.bench script in turn, then the table
# of all their entries (bench/table.py).  Each bench prints its figures as ratios
# against a baseline measured in the same run and adds its entries to
# bench/results.json, which starts empty at every run (no stale entries).
#
# Knobs (the Makefile passes BENCH_SCALE and BENCH_USERS as these):
#   M2C_BENCH_SCALE   small (default: the whole run in minutes) or full (larger data)
#   M2C_BENCH_USERS   users in the generated site (small 8, full 40)
# and the finer ones each bench's script describes (M2C_BENCH_SITE_MB, M2C_BENCH_MB,
# M2C_BENCH_IMAP_USERS, M2C_BENCH_IMAP_JOBS, M2C_BENCH_IMAP_ROUNDS, ...).
# A bench that fails is reported and the others still run; the exit status is then 1.
set -u
cd "$(dirname "$0")/.."
M2C_BENCH_SCALE=${M2C_BENCH_SCALE:-small}
export M2C_BENCH_SCALE
case $M2C_BENCH_SCALE in
small|full) ;;
*) echo "bench: BENCH_SCALE=$M2C_BENCH_SCALE: expected small or full" >&2; exit 64 ;;
esac
echo "bench: scale $M2C_BENCH_SCALE${M2C_BENCH_USERS:+, $M2C_BENCH_USERS users}; $(nproc) cores"
rm -f bench/results.json
found=0
failed=""
start=$(date +%s)
for b in bench/*.bench; do
    [ -e "$b" ] || continue
    found=1
    echo "== $b"
    t0=$(date +%s)
    sh "$b" || { echo "bench: $b FAILED (exit $?)"; failed="$failed $b"; }
    echo "== $b: $(( $(date +%s) - t0 )) s"
done
[ $found = 1 ] || { echo "bench: no benchmarks yet"; exit 0; }
status=0
python3 bench/table.py || status=1
echo "bench: $(( $(date +%s) - start )) s in all"
[ -z "$failed" ] || { echo "bench: failed:$failed"; status=1; }
exit $status
