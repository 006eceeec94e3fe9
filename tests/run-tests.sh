#!/bin/sh
# run-tests.sh -- what `make check` runs after building: every TAP test under prove,
# then a check that no Cyrus started by a test is still running.  Exit non-zero when
# a test failed or something was left behind.
set -u
cd "$(dirname "$0")/.."
B=${M2C_BUILD:-build}
PROVE=${PROVE:-prove}

if [ -d ../shared/corpus ]; then
    M2C_CORPUS=$(cd ../shared/corpus && pwd); export M2C_CORPUS
else
    echo "run-tests: ../shared/corpus is absent: corpus tests will SKIP"
fi
[ "$(id -u)" = 0 ] || echo "run-tests: not root: end-to-end tests against Cyrus will SKIP"
# SANITIZE=1 builds: leaks that are not ours (tests/lsan.supp says which and why)
LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# Every Cyrus the tests start lives under a /tmp/m2c-cy.* directory that the fixture
# (tests/lib/m2ctest.py) writes to $M2C_CYRUS_LOG; none may outlive the run.  A Cyrus
# that someone else started meanwhile (a demo, another checkout's tests) is not ours.
M2C_CYRUS_LOG=$(mktemp)
export M2C_CYRUS_LOG

# shellcheck disable=SC2086
$PROVE ${PROVE_FLAGS:-} "$B"/tests/unit/test-* tests/t[0-9]*.t
rc=$?

left=""
while read -r dir; do
    [ -n "$dir" ] || continue
    for p in $(ps -eo pid=,args= | grep -F "$dir/" | grep -v grep | awk '{print $1}'); do
        left="$left$(ps -o pid=,args= -p "$p")
"
    done
done < "$M2C_CYRUS_LOG"
rm -f "$M2C_CYRUS_LOG"
if [ -n "$left" ]; then
    echo "run-tests: processes left running by the tests (killed now):" >&2
    printf '%s' "$left" >&2
    printf '%s' "$left" | awk '{print $1}' | xargs -r kill -KILL 2>/dev/null
    rc=1
fi
exit $rc
