#!/usr/bin/env python3
# Review of issue 10: a resume recognises what an earlier run stored by the digest of
# the message as it would send it now -- with this run's --header-charset and --no-fix.
# An administrator who reads the first run's notes ("encoded as RFC 2047
# (ISO-8859-1)"), kills it and reruns with the right --header-charset changes the
# bytes of every 8-bit-header message:
#   (a) killed between an APPEND command's OK and its journal record: the rerun does
#       not find the command's messages by digest and appends them a second time;
#   (b) killed after the part: the rerun fails the mailbox for good ("not the message
#       UID n holds").
# Expected: each message once, in order, and the rerun finishes (the journal keeps the
# fix settings a delivery began with and the rerun goes on with them, saying so -- or
# it refuses to start with other settings, before appending anything).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rva')
FOLDER = r.msg(b'm1') + r.msg(b'price 5\xa4') + r.msg(b'm3') + r.msg(b'm4') + r.msg(b'm5')
users = {c: site.user(c, inbox=FOLDER) for c in 'ab'}

with t.Cyrus() as cy:
    for case, fault in (('a', 'appended:1'), ('b', 'literal:4')):
        u = users[case]
        m = site.mapnames(cy, [u], '%s.tsv' % u)
        p = r.convert(cy, m, '--batch-messages', '3', fault=fault)
        t.is_(p.returncode, -9, '(%s) killed at %s' % (case, fault))
        p = r.convert(cy, m, '--batch-messages', '3', '--header-charset', 'ISO-8859-15')
        im = cy.as_user(u)
        got = r.subjects(im, 'INBOX')
        im.logout()
        t.is_(sorted(set(got)), sorted(got), '(%s) the rerun with --header-charset stores no message twice'
              % case, r.tail(p))
        t.ok((p.returncode == 0 and len(got) == 5) or
             (p.returncode in (64, 65, 78) and len(got) == {'a': 3, 'b': 3}[case]),
             '(%s) ... and it finishes, or refuses before it appends anything' % case,
             'exit %d' % p.returncode, got, r.tail(p))
t.done()
