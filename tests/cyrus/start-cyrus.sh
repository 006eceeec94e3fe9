#!/bin/sh
# start-cyrus.sh DIR PORT [IMAPS_PORT [SIEVE_PORT]] -- a throwaway Cyrus IMAP 3.6 (Debian 12 packages)
# for tests and the demo, listening on 127.0.0.1:PORT, with everything under DIR.
#
# Nothing in /etc, /var or /run is read or written; the processes run as user cyrus.
# Prints CYRUS_*=value lines (admin "cyrus" and its password) on stdout once the IMAP
# greeting is served and the LMTP socket exists.  Exit 0 started, 1 failed, 2 the port
# is taken (the caller may pick another), 3 not root / Cyrus missing.
#
# Knobs, read when DIR/imapd.conf is first written (stop-cyrus.sh DIR --purge resets):
#   CYRUS_UNIXHIERSEP=no|yes   separator '.' (Debian's default) or '/' (upstream's)
#   CYRUS_ALTNAMESPACE=no|yes
#   CYRUS_LEGACY_DIRS=no|yes   spool/uuid/X/Y/<id> (3.6 default) or spool/user/alice
#   CYRUS_VIRTDOMAINS=off|userid
#   CYRUS_EXTRA_CONF='opt: val\nopt: val'   appended to imapd.conf
#   CYRUS_ADMIN_PASSWORD=...   default random, kept in DIR/admin-password
#   CYRUS_TLS=no|yes           yes: a test CA (DIR/tls/ca.pem, self-signed) and a server
#                              certificate it signed for DNS "localhost" + IP 127.0.0.1
#                              (DIR/tls/server.pem), STARTTLS on PORT and an imaps service
#                              on 127.0.0.1:IMAPS_PORT (default PORT+1); prints
#                              CYRUS_IMAPS_PORT= and CYRUS_CA_FILE= as well.  The same CA
#                              also signs DIR/tls/wrong-name.pem (DNS "wrong.example"
#                              only), for tests that need a certificate for another name.
#   CYRUS_SIEVE=no|yes         yes: a ManageSieve service (timsieved) on 127.0.0.1:SIEVE_PORT
#                              (the 4th argument, default PORT+2), sieveusehomedir: no, and
#                              sendmail: DIR/capture-sendmail, which takes what lmtpd's
#                              sieve sends (a redirect) over SMTP and keeps it in
#                              DIR/sent/<n>.eml (the format is described below).
#                              Prints CYRUS_SIEVE_PORT= and CYRUS_SENT_DIR= as well.
#
# Measured facts this depends on (../../DESIGN facts, kept in README "Cyrus 3.6"):
#  - master -C does not pass -C on: every cmd= below carries its own -C, or imapd and
#    lmtpd silently use /etc/imapd.conf and /var/lib/cyrus;
#  - the admin may log in as any user with SASL PLAIN (authzid) without proxyservers;
#  - Cyrus logs only to syslog;
#  - with tls_server_cert/tls_server_key set, imapd offers STARTTLS on the plain port
#    (measured: "STARTTLS" joins the greeting's CAPABILITY) and `imapd -s` speaks TLS
#    at once; nothing else is needed (no tls_client_ca_file: no client certificates).
set -eu

DIR=${1:?usage: start-cyrus.sh DIR PORT [IMAPS_PORT [SIEVE_PORT]]}
PORT=${2:?usage: start-cyrus.sh DIR PORT [IMAPS_PORT [SIEVE_PORT]]}
TLS=${CYRUS_TLS:-no}
SIEVE=${CYRUS_SIEVE:-no}
IMAPS_PORT=${3:-$((PORT + 1))}
SIEVE_PORT=${4:-$((PORT + 2))}
BIN=/usr/lib/cyrus/bin

[ "$(id -u)" = 0 ] || { echo "start-cyrus: must run as root (master drops to user cyrus)" >&2; exit 3; }
[ -x "$BIN/master" ] && id cyrus >/dev/null 2>&1 || {
    echo "start-cyrus: Cyrus is not installed: apt-get install cyrus-imapd" >&2; exit 3; }

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CONF=$DIR/imapd.conf
PIDFILE=$DIR/run/master.pid
SOCK=$DIR/socket/lmtp
[ ${#SOCK} -lt 100 ] || { echo "start-cyrus: $DIR is too long for a unix socket path" >&2; exit 1; }

creds() {
    cat <<EOT
CYRUS_DIR=$DIR
CYRUS_CONF=$CONF
CYRUS_IMAP_HOST=127.0.0.1
CYRUS_IMAP_PORT=$PORT
CYRUS_LMTP_SOCKET=$SOCK
CYRUS_ADMIN_USER=cyrus
CYRUS_ADMIN_PASSWORD_FILE=$DIR/admin-password
CYRUS_MASTER_PID=$(cat "$PIDFILE")
EOT
    if [ "$TLS" = yes ]; then
        echo "CYRUS_IMAPS_PORT=$IMAPS_PORT"
        echo "CYRUS_CA_FILE=$DIR/tls/ca.pem"
    fi
    if [ "$SIEVE" = yes ]; then
        echo "CYRUS_SIEVE_PORT=$SIEVE_PORT"
        echo "CYRUS_SENT_DIR=$DIR/sent"
    fi
}

# 0 once 127.0.0.1:$1 answers with a ManageSieve greeting (its last line: OK)
sieve_greeting() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
got = b""
while not (got.startswith(b"OK") or b"\r\nOK" in got):
    more = s.recv(4096)
    if not more:
        sys.exit(1)
    got += more
PY
}

# 0 once 127.0.0.1:$1 answers with an IMAP greeting (in TLS when $2 is "tls")
greeting() {
    python3 - "$1" "${2:-}" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
if sys.argv[2] == "tls":
    import ssl
    s = ssl._create_unverified_context().wrap_socket(s)
sys.exit(0 if s.recv(200).startswith(b"* OK") else 1)
PY
}

port_free() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try: s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError: sys.exit(1)
PY
}

if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    grep -q "^# port: $PORT\$" "$CONF" || {
        echo "start-cyrus: $DIR already runs on another port" >&2; exit 1; }
    creds; exit 0
fi
if [ -f "$CONF" ] && ! grep -q "^# port: $PORT\$" "$CONF"; then
    echo "start-cyrus: $DIR was set up for another port" >&2; exit 1
fi
port_free "$PORT" || { echo "start-cyrus: 127.0.0.1:$PORT is in use" >&2; exit 2; }
if [ "$TLS" = yes ]; then
    port_free "$IMAPS_PORT" || { echo "start-cyrus: 127.0.0.1:$IMAPS_PORT is in use" >&2; exit 2; }
fi
if [ "$SIEVE" = yes ]; then
    port_free "$SIEVE_PORT" || { echo "start-cyrus: 127.0.0.1:$SIEVE_PORT is in use" >&2; exit 2; }
fi

for d in conf conf/db conf/socket conf/proc conf/log conf/lock conf/user conf/quota \
         conf/msg spool sieve socket run; do
    mkdir -p "$DIR/$d"
done
if [ ! -s "$DIR/admin-password" ]; then
    printf '%s' "${CYRUS_ADMIN_PASSWORD:-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}" \
        > "$DIR/admin-password"
fi
chmod 600 "$DIR/admin-password"

# A CA and two certificates it signs (P-256 keys: milliseconds each, RSA would cost
# a good part of a second).  Only when asked: the default start stays as it was.
issue() {   # issue NAME SUBJECT_ALT_NAMES
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$1" -keyout "$DIR/tls/$1.key" -out "$DIR/tls/$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' \
        "$2" > "$DIR/tls/$1.ext"
    openssl x509 -req -in "$DIR/tls/$1.csr" -CA "$DIR/tls/ca.pem" -CAkey "$DIR/tls/ca.key" \
        -CAcreateserial -days 30 -extfile "$DIR/tls/$1.ext" -out "$DIR/tls/$1.pem" 2>/dev/null
}
if [ "$TLS" = yes ] && [ ! -s "$DIR/tls/server.pem" ]; then
    command -v openssl >/dev/null || { echo "start-cyrus: CYRUS_TLS=yes needs openssl" >&2; exit 3; }
    mkdir -p "$DIR/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/CN=mbox2cyrus test CA" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$DIR/tls/ca.key" -out "$DIR/tls/ca.pem" 2>/dev/null
    issue server "DNS:localhost,IP:127.0.0.1"
    issue wrong-name "DNS:wrong.example"
    chmod 644 "$DIR/tls/"*.pem
    chmod 600 "$DIR/tls/"*.key
fi

if [ ! -f "$CONF" ]; then
    cat > "$CONF" <<EOT
# port: $PORT
configdirectory: $DIR/conf
defaultpartition: default
partition-default: $DIR/spool
sievedir: $DIR/sieve
lmtpsocket: $SOCK
idlesocket: $DIR/socket/idle
notifysocket: $DIR/socket/notify
admins: cyrus
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $DIR/sasldb2
sasl_mech_list: PLAIN LOGIN
virtdomains: ${CYRUS_VIRTDOMAINS:-off}
unixhierarchysep: ${CYRUS_UNIXHIERSEP:-no}
altnamespace: ${CYRUS_ALTNAMESPACE:-no}
mailbox_legacy_dirs: ${CYRUS_LEGACY_DIRS:-no}
EOT
    if [ "$TLS" = yes ]; then
        printf '# imaps port: %s\ntls_server_cert: %s\ntls_server_key: %s\n' \
            "$IMAPS_PORT" "$DIR/tls/server.pem" "$DIR/tls/server.key" >> "$CONF"
    fi
    if [ "$SIEVE" = yes ]; then
        printf '# sieve port: %s\nsieveusehomedir: no\nsendmail: %s\n' \
            "$SIEVE_PORT" "$DIR/capture-sendmail" >> "$CONF"
    fi
    if [ -n "${CYRUS_EXTRA_CONF:-}" ]; then printf '%b\n' "$CYRUS_EXTRA_CONF" >> "$CONF"; fi
fi
# What lmtpd's sieve sends (a redirect), kept for the tests.  Cyrus 3.6 runs
# "$sendmail -bs" (measured: its only arguments) and speaks SMTP on the pipe
# (imap/smtpclient.c), so this is a small SMTP server on stdin/stdout: each message
# goes to DIR/sent/<n>.eml (n counts up; written under a temporary name, then linked
# into place, so a reader never sees half of one), after three lines
#   X-Capture-Args: -bs
#   X-Capture-From: <envelope sender>
#   X-Capture-To: <recipient>          (one line per RCPT TO)
# and with the dot-stuffing undone and lines ending in LF.
if [ "$SIEVE" = yes ]; then
    mkdir -p "$DIR/sent"
    cat > "$DIR/capture-sendmail" <<'EOT'
#!/bin/sh
dir=$(dirname "$0")/sent
args=$*
cr=$(printf '\r')
from= rcpts=
reply() { printf '%s\r\n' "$1"; }
reply "220 capture-sendmail ESMTP"
while IFS= read -r line; do
    line=${line%"$cr"}
    case $line in
    [EeHh][Hh][Ll][Oo]*) reply "250 capture-sendmail" ;;
    [Mm][Aa][Ii][Ll]' '*) from=${line#*:}; rcpts=; reply "250 2.1.0 ok" ;;
    [Rr][Cc][Pp][Tt]' '*) rcpts="$rcpts${line#*:}
"; reply "250 2.1.5 ok" ;;
    [Dd][Aa][Tt][Aa])
        reply "354 go ahead"
        tmp=$(mktemp "$dir/.new.XXXXXX") || { reply "451 4.3.0 mktemp"; continue; }
        { printf 'X-Capture-Args: %s\nX-Capture-From: %s\n' "$args" "$from"
          printf '%s' "$rcpts" | sed 's/^/X-Capture-To: /'
          while IFS= read -r body; do
              body=${body%"$cr"}
              [ "$body" = . ] && break
              case $body in ..*) body=${body#.} ;; esac
              printf '%s\n' "$body"
          done; } > "$tmp"
        n=$(ls "$dir" | grep -c '\.eml$')
        until ln "$tmp" "$dir/$((n + 1)).eml" 2>/dev/null; do n=$((n + 1)); done
        rm -f "$tmp"
        reply "250 2.0.0 captured" ;;
    [Qq][Uu][Ii][Tt]*) reply "221 2.0.0 bye"; exit 0 ;;
    *) reply "250 ok" ;;
    esac
done
EOT
    chmod 755 "$DIR/capture-sendmail"
fi
SIEVE_SERVICE=
if [ "$SIEVE" = yes ]; then
    SIEVE_SERVICE="sieve     cmd=\"timsieved -C $CONF\" listen=\"127.0.0.1:$SIEVE_PORT\" prefork=0"
fi
IMAPS_SERVICE=
if [ "$TLS" = yes ]; then
    IMAPS_SERVICE="imaps     cmd=\"imapd -s -C $CONF\" listen=\"127.0.0.1:$IMAPS_PORT\" prefork=0"
fi

cat > "$DIR/cyrus.conf" <<EOT
START {
  recover   cmd="ctl_cyrusdb -C $CONF -r"
}
SERVICES {
  imap      cmd="imapd -C $CONF" listen="127.0.0.1:$PORT" prefork=0
  lmtpunix  cmd="lmtpd -C $CONF" listen="$SOCK" prefork=0
  $IMAPS_SERVICE
  $SIEVE_SERVICE
}
EVENTS {
  checkpoint cmd="ctl_cyrusdb -C $CONF -c" period=30
}
DAEMON {
}
EOT

saslpasswd2 -f "$DIR/sasldb2" -p -c cyrus < "$DIR/admin-password"
chown -R cyrus:mail "$DIR"
chmod 640 "$DIR/sasldb2"
rm -f "$PIDFILE" "$SOCK"

CYRUS_SYSLOG_PREFIX=m2c-cyrus-$PORT "$BIN/master" -C "$CONF" -M "$DIR/cyrus.conf" -p "$PIDFILE" -d

# Readiness: poll for the pid file, the LMTP socket and the IMAP greeting, and the
# imaps one with CYRUS_TLS=yes (20 s max).
i=0
until [ -s "$PIDFILE" ] && [ -S "$SOCK" ] && greeting "$PORT" &&
      { [ "$TLS" != yes ] || greeting "$IMAPS_PORT" tls; } &&
      { [ "$SIEVE" != yes ] || sieve_greeting "$SIEVE_PORT"; }; do
    i=$((i + 1))
    if [ $i -gt 200 ]; then
        echo "start-cyrus: no IMAP greeting on 127.0.0.1:$PORT after 20 s; stopping" >&2
        [ -s "$PIDFILE" ] && kill -TERM "$(cat "$PIDFILE")" 2>/dev/null
        exit 1
    fi
    sleep 0.1
done
[ -f "$DIR/conf/mailboxes.db" ] || {
    echo "start-cyrus: $DIR/conf/mailboxes.db missing: children ignore $CONF" >&2; exit 1; }
creds
