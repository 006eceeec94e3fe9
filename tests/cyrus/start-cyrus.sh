#!/bin/sh
# start-cyrus.sh DIR PORT -- a throwaway Cyrus IMAP 3.6 (Debian 12 packages) for tests
# and the demo, listening on 127.0.0.1:PORT, with everything under DIR.
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
#
# Measured facts this depends on (../../DESIGN facts, kept in README "Cyrus 3.6"):
#  - master -C does not pass -C on: every cmd= below carries its own -C, or imapd and
#    lmtpd silently use /etc/imapd.conf and /var/lib/cyrus;
#  - the admin may log in as any user with SASL PLAIN (authzid) without proxyservers;
#  - Cyrus logs only to syslog.
set -eu

DIR=${1:?usage: start-cyrus.sh DIR PORT}
PORT=${2:?usage: start-cyrus.sh DIR PORT}
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
}

# 0 once 127.0.0.1:PORT answers with an IMAP greeting
greeting() {
    python3 - "$PORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
sys.exit(0 if s.recv(200).startswith(b"* OK") else 1)
PY
}

port_free() {
    python3 - "$PORT" <<'PY'
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
port_free || { echo "start-cyrus: 127.0.0.1:$PORT is in use" >&2; exit 2; }

for d in conf conf/db conf/socket conf/proc conf/log conf/lock conf/user conf/quota \
         conf/msg spool sieve socket run; do
    mkdir -p "$DIR/$d"
done
if [ ! -s "$DIR/admin-password" ]; then
    printf '%s' "${CYRUS_ADMIN_PASSWORD:-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}" \
        > "$DIR/admin-password"
fi
chmod 600 "$DIR/admin-password"

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
    if [ -n "${CYRUS_EXTRA_CONF:-}" ]; then printf '%b\n' "$CYRUS_EXTRA_CONF" >> "$CONF"; fi
fi

cat > "$DIR/cyrus.conf" <<EOT
START {
  recover   cmd="ctl_cyrusdb -C $CONF -r"
}
SERVICES {
  imap      cmd="imapd -C $CONF" listen="127.0.0.1:$PORT" prefork=0
  lmtpunix  cmd="lmtpd -C $CONF" listen="$SOCK" prefork=0
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

# Readiness: poll for the pid file, the LMTP socket and the IMAP greeting (20 s max).
i=0
until [ -s "$PIDFILE" ] && [ -S "$SOCK" ] && greeting; do
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
