# tap.sh -- TAP helpers for the shell tests; source it.
#   ok COND-STATUS NAME      (pass $? of a test command)
#   is GOT EXPECTED NAME
#   done_testing
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/mbox2cyrus
_n=0
_failed=0
ok() {
    _n=$((_n + 1))
    if [ "$1" = 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}
is() {
    _n=$((_n + 1))
    if [ "$1" = "$2" ]; then echo "ok $_n - $3"; else
        echo "not ok $_n - $3"; echo "#      got: '$1'"; echo "# expected: '$2'"
        _failed=$((_failed + 1))
    fi
}
done_testing() {
    echo "1..$_n"
    [ $_failed = 0 ]
}
