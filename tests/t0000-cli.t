#!/bin/sh
# The command line: dispatch, --version, --help, usage errors and exit codes.
. "$(dirname "$0")/lib/tap.sh"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

"$BIN" --version >"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 0 "--version exits 0"
grep -q '^mbox2cyrus [0-9][0-9.]*$' "$TMP/out"; ok $? "--version prints the version"

"$BIN" nosuch >"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 64 "an unknown subcommand exits 64 (EX_USAGE)"
is "$(head -n 1 "$TMP/err")" "mbox2cyrus: 'nosuch' is not a mbox2cyrus command" "... with one clear line first"
grep -q '^usage: mbox2cyrus' "$TMP/err"; ok $? "... then the usage"
is "$(wc -c < "$TMP/out" | tr -d ' ')" 0 "... and nothing on stdout"

"$BIN" >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 64 "no subcommand exits 64"
"$BIN" --frobnicate >/dev/null 2>"$TMP/err"; rc=$?
is "$rc" 64 "an unknown option exits 64"
is "$(head -n 1 "$TMP/err")" "mbox2cyrus: unknown option '--frobnicate'" "... naming the option"

"$BIN" --help >"$TMP/out"; rc=$?
is "$rc" 0 "--help exits 0"
for c in mapnames scan forwards convert upload backout verify; do
    grep -q "^  $c " "$TMP/out"; ok $? "--help lists $c"
    "$BIN" "$c" --help >"$TMP/sub" 2>&1; rc=$?
    is "$rc" 0 "$c --help exits 0"
    grep -q "mbox2cyrus $c" "$TMP/sub"; ok $? "$c --help names 'mbox2cyrus $c'"
    "$BIN" "$c" --no-such-option >/dev/null 2>"$TMP/err"; rc=$?
    is "$rc" 64 "$c with an unknown option exits 64"
    grep -q "^usage: mbox2cyrus $c --help" "$TMP/err"; ok $? "... and says how to get help"
done
"$BIN" help scan >"$TMP/out" 2>&1; rc=$?
is "$rc" 0 "'help scan' is 'scan --help'"
done_testing
