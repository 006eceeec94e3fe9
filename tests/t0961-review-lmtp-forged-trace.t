#!/usr/bin/env python3
# Review of the delivery header (lib/lmtp-trace.h) in verify and backout: a message of
# the source whose own first header line is a well-formed delivery header
#     X-DeliveredInternalDate: Sat, 01 Mar 2003 10:00:00 +0000 (mbox2cyrus 0123456789abcdef.1)
# (a hostile mbox, or mail that passed through another mbox2cyrus site) and that was
# converted with --method imap is taken by verify and backout for one convert --method
# lmtp delivered: verify reports a difference that is not there, and backout writes the
# message WITHOUT that line, exit 0 -- backout changes the user's mail without a word.
#
# Fixed: verify and backout take a delivery header for convert's only when its KEY is
# one convert made for that mailbox (lmtp-trace.h: from convert's STATE/lmtp.secret, the
# mailbox, the source, the UIDVALIDITY); a header with any other key is part of the
# message.  Checked here both after --method imap (no secret made at all) and after
# --method lmtp with its secret in place.
# The --method lmtp case (our header goes first, the forged one second) is right today
# and is checked for real.
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

FORGED = (b'X-DeliveredInternalDate: Sat, 01 Mar 2003 10:00:00 +0000 '
          b'(mbox2cyrus 0123456789abcdef.1)\n')


def forged(subject):
    return (b'From a@example.org Sat Mar  1 10:00:00 2003\n' + FORGED + b'Subject: ' + subject +
            b'\nMessage-ID: <' + subject + b'@example.org>\n\nbody\n\n')


def tool(cy, *argv):
    return subprocess.run([t.BIN] + list(argv) + ['--cyrus-conf', cy.conf, '--port', str(cy.port),
                          '--password-file', cy.password_file],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)


site = r.Site('rvt')
users = {'imap': site.user('i', inbox=forged(b'imap1') + r.msg(b'plain')),
         'lmtp': site.user('l', inbox=forged(b'lmtp1') + r.msg(b'plain'))}

with t.Cyrus() as cy:
    for method, u in users.items():
        check = t.ok
        m = site.mapnames(cy, [u], u + '.tsv')
        p = tool(cy, 'convert', '--method', method, '--manifest', m)
        t.is_(p.returncode, 0, '%s: convert done' % method, r.tail(p))
        im = cy.as_user(u)
        got = r.messages(im, 'INBOX')
        im.logout()
        t.ok(got and FORGED.replace(b'\n', b'\r\n') in got[0][2],
             '%s: the message is stored with its own header line' % method)
        v = tool(cy, 'verify', '--manifest', m)
        check(v.returncode == 0, '%s: verify agrees (the line is the message\'s own)' % method,
              r.tail(v))
        into = os.path.join(site.tmp, 'out-' + method)
        b = tool(cy, 'backout', '--manifest', m, '--source-tz', 'UTC', '--into', into)
        t.is_(b.returncode, 0, '%s: backout done' % method, r.tail(b))
        data = b''
        for root, _, files in os.walk(into):
            for f in files:
                with open(os.path.join(root, f), 'rb') as fh:
                    data += fh.read()
        check(FORGED in data, '%s: backout writes the message with its own header line' % method)
t.done()
