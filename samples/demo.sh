#!/bin/sh
# demo.sh -- what `make demo` runs: the pipeline on the sample site in samples/site,
# against a throwaway Cyrus on 127.0.0.1 that is started here and always stopped.
#
# Each stage runs as far as mbox2cyrus has it; a stage that is not built yet says so
# and the demo stops there.  Output goes to the terminal; files to $DEMO_OUT
# (default /tmp/mbox2cyrus-demo).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/mbox2cyrus
SITE=$ROOT/samples/site
OUT=${DEMO_OUT:-/tmp/mbox2cyrus-demo}
CY=""

say() { printf '\n== %s\n' "$*"; }
cleanup() { [ -n "$CY" ] && "$ROOT/tests/cyrus/stop-cyrus.sh" "$CY" --purge; }
trap cleanup EXIT INT TERM

rm -rf "$OUT"; mkdir -p "$OUT"
say "the sample site ($SITE)"
printf 'users (%s):' "$SITE/users.txt"; grep -v '^#' "$SITE/users.txt" | tr '\n' ' '; echo
(cd "$SITE" && find spool home -type f | sort | while IFS= read -r f; do
    printf '  %-40s %6s bytes  %s From_ lines\n' "$f" "$(wc -c < "$f")" "$(grep -c '^From ' "$f")"
done)

if [ "$(id -u)" = 0 ]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    CY=$(mktemp -d /tmp/m2c-cy.demo.XXXXXX); chmod 755 "$CY"
    say "starting a throwaway Cyrus IMAP on 127.0.0.1:$PORT in $CY"
    "$ROOT/tests/cyrus/start-cyrus.sh" "$CY" "$PORT" > "$OUT/cyrus.env" || exit 69
    . "$OUT/cyrus.env"
    echo "admin: $CYRUS_ADMIN_USER, password in $CYRUS_ADMIN_PASSWORD_FILE"
else
    say "not root: Cyrus cannot be started here, the stages that need it are skipped"
fi

# stage NAME ARGS... -- run one stage; return 1 when it is not built yet
stage() {
    name=$1; shift
    say "mbox2cyrus $name $*"
    if "$BIN" "$name" --help 2>&1 | grep -q 'This subcommand is part of the pipeline but is not built yet'; then
        echo "(the '$name' stage is not built yet: the demo stops here)"
        return 1
    fi
    "$BIN" "$name" "$@"; rc=$?
    echo "(exit status $rc)"
    return 0
}

stage scan "$SITE"/spool/* &&
# the sample files belong to no system user here: --no-owner-check
stage mapnames --users "$SITE/users.txt" --home-template "$SITE/home/%u" \
      --spool-dir "$SITE/spool" --no-owner-check --special-use --scan \
      ${CYRUS_CONF:+--cyrus-conf "$CYRUS_CONF"} -o "$OUT/mailboxes.tsv" &&
{ say "the manifest ($OUT/mailboxes.tsv), for review before convert"; cat "$OUT/mailboxes.tsv"; } &&
for fmt in aliases qmail sieve; do
    stage forwards --users "$SITE/users.txt" --home-template "$SITE/home/%u" --no-owner-check \
          --format "$fmt" -o "$OUT/forwards-$fmt" --report "$OUT/forwards-$fmt.json"
    say "~/.forward as $fmt ($OUT/forwards-$fmt)"
    if [ -d "$OUT/forwards-$fmt" ]; then
        for f in "$OUT/forwards-$fmt"/.qmail-* "$OUT/forwards-$fmt"/*.sieve; do
            [ -f "$f" ] && { echo "--- $f"; cat "$f"; }
        done
    elif [ -f "$OUT/forwards-$fmt" ]; then cat "$OUT/forwards-$fmt"; fi
done
if [ -n "$CY" ]; then
    stage convert --method spool --manifest "$OUT/mailboxes.tsv" --cyrus-conf "$CYRUS_CONF" \
          --port "$CYRUS_IMAP_PORT" --password-file "$CYRUS_ADMIN_PASSWORD_FILE" \
          --source-tz Europe/Berlin --report "$OUT/report.json" &&
    stage convert --method spool --manifest "$OUT/mailboxes.tsv" --cyrus-conf "$CYRUS_CONF" \
          --port "$CYRUS_IMAP_PORT" --password-file "$CYRUS_ADMIN_PASSWORD_FILE" -v &&
    stage verify --manifest "$OUT/mailboxes.tsv" --cyrus-conf "$CYRUS_CONF" \
          --port "$CYRUS_IMAP_PORT" --password-file "$CYRUS_ADMIN_PASSWORD_FILE" \
          --source-tz Europe/Berlin --report "$OUT/verify.json"
fi

if [ -n "$CY" ]; then
    say "what Cyrus holds now (python3 imaplib, logged in as each user through the admin)"
    python3 - "$CYRUS_IMAP_PORT" "$CYRUS_ADMIN_PASSWORD_FILE" "$OUT/mailboxes.tsv" <<'PY'
import imaplib, re, sys
port, pw = int(sys.argv[1]), open(sys.argv[2]).read().strip()
users = []
for line in open(sys.argv[3], encoding='utf-8'):
    if line.startswith('#') or line.startswith('user\t'):
        continue
    u = line.split('\t')[0]
    if u not in users:
        users.append(u)
for user in users:
    imap = imaplib.IMAP4('127.0.0.1', port)
    imap.authenticate('PLAIN', lambda _: ('%s\0cyrus\0%s' % (user, pw)).encode())
    typ, subs = imap.lsub('""', '*')
    subs = {s.decode().split(' ', 2)[2].strip('"') for s in subs if s}
    typ, boxes = imap.list('""', '*')
    names = [b.decode().split(' ', 2)[2].strip('"') for b in boxes if b] or ['INBOX']
    print('%s:' % user)
    for name in names:
        typ, data = imap.select('"%s"' % name, readonly=True)
        n = int(data[0]) if typ == 'OK' else 0
        print('  %-30s %2d message%s%s' % (name, n, '' if n == 1 else 's',
                                            '  (subscribed)' if name in subs else ''))
        if n:
            typ, data = imap.fetch('1:*', '(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
            for item in data:
                if isinstance(item, tuple):
                    flags = re.search(rb'FLAGS \(([^)]*)\)', item[0]).group(1).decode()
                    date = re.search(rb'INTERNALDATE "([^"]*)"', item[0]).group(1).decode()
                    subj = item[1].decode('utf-8', 'replace').strip().replace('Subject: ', '')
                    print('      %s  %-28s [%s]' % (date, subj[:28], flags))
    imap.logout()
PY
fi
if [ -n "$CY" ]; then
    # the way back: one user's mailboxes rebuilt from Cyrus into a separate tree
    rm -rf "$OUT/backout" "$OUT/mailboxes.tsv.backout-state"
    stage backout --manifest "$OUT/mailboxes.tsv" --cyrus-conf "$CYRUS_CONF" \
          --port "$CYRUS_IMAP_PORT" --password-file "$CYRUS_ADMIN_PASSWORD_FILE" \
          --source-tz Europe/Berlin --user alice --into "$OUT/backout" &&
    {
        say "diff -u: alice's inbox as it was, and as backout rebuilt it from Cyrus"
        echo "(expected: the folder data's UIDVALIDITY and date are Cyrus's; Status, X-Status,"
        echo " X-Keywords and X-UID come after the other headers, as UW-IMAP writes them)"
        diff -u "$SITE/spool/alice" "$OUT/backout$SITE/spool/alice"
        echo "(diff exit status $?)"
    }
fi
say "done; files in $OUT"
