#!/bin/sh
# deps.sh -- check what mbox2cyrus needs to build and test; install it when root.
#
# Build: cc, make, pkg-config, libetpan, GLib/GIO, libarchive, libcrypto (OpenSSL),
# GnuTLS (checking the IMAP server's certificate).
# Tests: prove (perl), python3 (imaplib as the independent client), and Cyrus IMAP 3.6 from Debian's packages,
# which the tests start themselves on 127.0.0.1.  As root the missing packages are
# installed with apt-get; otherwise the exact apt-get line is printed and this fails.
set -u

missing=""
need() { missing="$missing $1"; }

command -v cc >/dev/null 2>&1 || need gcc
command -v make >/dev/null 2>&1 || need make
command -v pkg-config >/dev/null 2>&1 || need pkg-config
command -v prove >/dev/null 2>&1 || need perl
command -v python3 >/dev/null 2>&1 || need python3
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists glib-2.0 gio-2.0 || need libglib2.0-dev
else
    need libglib2.0-dev
fi
[ -f /usr/include/libetpan/libetpan.h ] || need libetpan-dev
[ -f /usr/include/archive.h ] || need libarchive-dev
[ -f /usr/include/zlib.h ] || need zlib1g-dev
[ -f /usr/include/openssl/evp.h ] || need libssl-dev          # libcrypto: SHA-1 (verify)
[ -f /usr/include/gnutls/x509.h ] || need libgnutls28-dev     # the server's certificate
command -v openssl >/dev/null 2>&1 || need openssl            # tests: the test CA (CYRUS_TLS)
command -v compress >/dev/null 2>&1 || need ncompress   # tests: .Z folders
command -v xz >/dev/null 2>&1 || need xz-utils
[ -x /usr/bin/time ] || need time                           # bench: peak RSS
command -v mailutil >/dev/null 2>&1 || need uw-mailutils  # bench: the imap bench's baseline
command -v parallel >/dev/null 2>&1 || need parallel        # tests: --shard K/N as GNU parallel jobs
for p in cyrus-imapd cyrus-admin cyrus-clients sasl2-bin libsasl2-modules; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || need "$p"
done

[ -z "$missing" ] && { echo "deps: all present"; exit 0; }

line="apt-get install -y$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing:$missing" >&2
    echo "deps: run as root:  apt-get update && $line" >&2
    exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# -o Dpkg::Options: keep any config file a site already has; never prompt.
apt-get install -y -q -o Dpkg::Options::=--force-confold $missing || {
    echo "deps: apt-get install failed:$missing" >&2; exit 1; }
echo "deps: installed:$missing"
