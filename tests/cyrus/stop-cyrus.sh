#!/bin/sh
# stop-cyrus.sh DIR [--purge] -- stop the Cyrus started by start-cyrus.sh DIR PORT.
# SIGTERM makes master stop its children and exit; after 10 s they are killed.
# --purge also removes DIR.  Exit 0 when nothing of it runs any more.
set -u
DIR=${1:?usage: stop-cyrus.sh DIR [--purge]}
PIDFILE=$DIR/run/master.pid
if [ -s "$PIDFILE" ] && PID=$(cat "$PIDFILE") && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    i=0
    while kill -0 "$PID" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "stop-cyrus: master $PID ignored SIGTERM for 10 s; killing it and its children" >&2
            for c in $(ps -o pid= --ppid "$PID"); do kill -KILL "$c" 2>/dev/null; done
            kill -KILL "$PID" 2>/dev/null
            break
        fi
        sleep 0.1
    done
fi
# children that outlived master (they hold DIR's files open) are ours to end too
for p in $(ps -eo pid=,args= | awk -v d="$DIR/imapd.conf" 'index($0, d) {print $1}'); do
    kill -KILL "$p" 2>/dev/null
done
rm -f "$PIDFILE"
[ "${2:-}" = "--purge" ] && rm -rf "$DIR"
exit 0
