#!/usr/bin/env python3
# Review of issue 10: Cyrus 3.6 keeps an INTERNALDATE in 32 bits: a date after
# 2106-02-07 06:28:15 UTC is stored wrapped (9999-12-31 23:59:59 comes back as
# 29-Jan-2106 08:40:31).  The imap method moves a date at or before the epoch and says
# so (imap-deliver.c prepare), but sends a date past 2^32 - 1 as it is: convert ends
# "done ... 0 message problems" and verify then finds the date differs.
# Expected: such a date is stored as the last one Cyrus keeps (07-Feb-2106 06:28:15
# +0000), the message is named in the report, and verify agrees.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rv6')
u = site.user('a', inbox=r.msg(b'y2040', date=b'Sat Mar  1 10:00:00 2040') +
              r.msg(b'y9999', date=b'Fri Dec 31 23:59:59 9999'))

with t.Cyrus() as cy:
    m = site.mapnames(cy, [u])
    p = r.convert(cy, m)
    t.is_(p.returncode, 0, 'converted', r.tail(p))
    err = p.stderr.decode(errors='replace')
    t.ok('msg 2: offset 66: warning:' in err, 'the report names the message whose date Cyrus cannot keep', err[-800:])
    im = cy.as_user(u)
    got = r.messages(im, 'INBOX')
    im.logout()
    dates = [g[1].split(b'INTERNALDATE "')[1].split(b'"')[0].strip() for g in got]
    t.is_(dates, [b'1-Mar-2040 10:00:00 +0000', b'7-Feb-2106 06:28:15 +0000'],
          'a date past what Cyrus keeps is stored as the last date it keeps, not wrapped')
    v = t.run([t.BIN, 'verify', '--manifest', m, '--cyrus-conf', cy.conf, '--port', str(cy.port),
               '--password-file', cy.password_file])
    t.is_(v.returncode, 0, 'verify agrees', v.stdout.decode()[-600:], r.tail(v, 800))
t.done()
