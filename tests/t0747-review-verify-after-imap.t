#!/usr/bin/env python3
# Review of issue 10: verify after convert --method imap.
#  (a) a message convert put in the quarantine (empty; over APPENDLIMIT) is reported by
#      verify as a plain difference -- "missing: not in Cyrus", and for the empty one
#      "convert's spool method cannot store it (reconstruct deletes empty files)" --
#      with nothing that ties it to convert's report or quarantine file: the
#      administrator cannot tell the documented quarantine from lost mail.
#      Expected: verify's line for each names the quarantine.
#  (b) convert --header-charset ISO-8859-15 (or --no-fix KIND) stores messages that
#      verify, which runs the fixes with their defaults (detection; every kind), does
#      not recognise: verify has no --header-charset / --no-fix, and reports the
#      message missing.  Expected: verify takes convert's --header-charset and agrees.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

LIMIT = 40000
site = r.Site('rv7')
EMPTY = b'From empty@example.org ' + r.D + b'\n\n'
ua = site.user('a', inbox=r.msg(b'ok1') + EMPTY + r.msg(b'big', (b'x' * 79 + b'\n') * 600) + r.msg(b'ok2'))
ub = site.user('b', inbox=r.msg(b'price 5\xa4'))


def verify(cy, m, *extra):
    return t.run([t.BIN, 'verify', '--manifest', m, '--cyrus-conf', cy.conf, '--port', str(cy.port),
                  '--password-file', cy.password_file] + list(extra))


with t.Cyrus(extra_conf='maxmessagesize: %d' % LIMIT) as cy:
    m = site.mapnames(cy, [ua], 'a.tsv')
    p = r.convert(cy, m)
    t.is_(p.returncode, 1, '(a) convert: 2 messages quarantined (1)', r.tail(p))
    v = verify(cy, m)
    lines = [l for l in v.stderr.decode(errors='replace').splitlines() if ': msg ' in l]
    t.is_(len(lines), 2, '(a) verify names the two messages not in Cyrus', lines)
    t.ok(all('quarantine' in l for l in lines) and not any('spool method' in l for l in lines),
         '(a) ... as quarantined by convert, not as missing or as the spool method\'s', lines)

    m = site.mapnames(cy, [ub], 'b.tsv')
    p = r.convert(cy, m, '--header-charset', 'ISO-8859-15')
    t.is_(p.returncode, 0, '(b) convert --header-charset ISO-8859-15', r.tail(p))
    im = cy.as_user(ub)
    t.is_(r.subjects(im, 'INBOX'), [b'price =?UTF-8?B?NeKCrA==?='], '(b) ... the euro sign encoded')
    im.logout()
    v = verify(cy, m, '--header-charset', 'ISO-8859-15')
    t.is_(v.returncode, 0, '(b) verify --header-charset ISO-8859-15 agrees', r.tail(v, 800))
t.done()
