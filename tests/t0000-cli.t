#!/bin/sh
# The command line: dispatch, --version, --help, usage errors and exit codes, and
# write errors on standard output.
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

# Standard output that cannot be written (/dev/full: every write fails, ENOSPC) is
# an error for every command, checked once after it in main.c: exit 74 (EX_IOERR)
# and one line on stderr; a command that failed anyway keeps its own status.
SITE=$ROOT/samples/site
MAP="mapnames --home-template $SITE/home/%u --spool-dir $SITE/spool --no-owner-check alice"
"$BIN" scan "$SITE/spool/alice" >"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 0 "scan FILE >file exits 0"
"$BIN" scan "$SITE/spool/alice" >/dev/full 2>"$TMP/err"; rc=$?
is "$rc" 74 "scan FILE >/dev/full exits 74 (EX_IOERR)"
grep -q '^mbox2cyrus scan: cannot write to standard output: ' "$TMP/err"; ok $? "... and says so on stderr"
"$BIN" scan --format json "$SITE/spool/alice" >/dev/full 2>"$TMP/err"; rc=$?
is "$rc" 74 "scan --format json FILE >/dev/full exits 74"
# shellcheck disable=SC2086
"$BIN" $MAP >"$TMP/out" 2>"$TMP/err"; rc=$?
is "$rc" 0 "mapnames, the manifest on stdout: exits 0"
grep -q '^user	mailbox	source' "$TMP/out"; ok $? "... and writes it"
# shellcheck disable=SC2086
"$BIN" $MAP >/dev/full 2>"$TMP/err"; rc=$?
is "$rc" 74 "mapnames, the manifest on stdout >/dev/full: exits 74"
is "$(grep -c '^mbox2cyrus mapnames: cannot write to standard output: No space left on device$' "$TMP/err")" 1 \
   "... and says so once, with the reason"
# shellcheck disable=SC2086
"$BIN" $MAP -o "$TMP/manifest.tsv" >/dev/full 2>"$TMP/err"; rc=$?
is "$rc" 0 "mapnames -o FILE >/dev/full: nothing for stdout, exits 0"
"$BIN" scan "$TMP/missing" "$SITE/spool/alice" >/dev/full 2>"$TMP/err"; rc=$?
is "$rc" 1 "scan of a missing file >/dev/full keeps its own status 1"
grep -q '^mbox2cyrus scan: cannot write to standard output: ' "$TMP/err"; ok $? "... and still says so"
"$BIN" --version >/dev/full 2>"$TMP/err"; rc=$?
is "$rc" 74 "--version >/dev/full exits 74"
"$BIN" scan --help >/dev/full 2>"$TMP/err"; rc=$?
is "$rc" 74 "scan --help >/dev/full exits 74 (GOption exits from inside the command)"
done_testing
