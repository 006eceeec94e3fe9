#!/usr/bin/env python3
# Review of issue 10: a MULTIAPPEND command that Cyrus refuses is sent again one
# message at a time (imap-deliver.c flush/append_alone), and the part is journaled
# only after the last of them.  When the run dies in the middle of that (kill -9, or
# the server's answer to one of those APPENDs lost), the rerun looks for the unjournaled
# messages by digest, in order, and stops looking at the first message that is not
# there -- the refused one, which went to the quarantine -- so every message after it
# that was already stored is APPENDed a second time.
#   folder: m1 m2 m3(NUL, refused with --no-fix nul) m4 m5
#   (a) killed at the 10th "literal" pass (5 in the batch, then m1 m2 m3 m4 alone, m5
#       half sent): m1 m2 m4 stored, nothing journaled after "begin";
#   (b) the server's answer to the third single APPEND (m4) lost (a proxy drops the
#       connection), the same state without a kill.
# Expected after a rerun: m1 m2 m4 m5 once each, in order; m3 in the quarantine once.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mboxparse
import reviewlib as r

site = r.Site('rv0')
FOLDER = (r.msg(b'm1') + r.msg(b'm2') + r.msg(b'm3 nul', b'a NUL \x00 here\n') + r.msg(b'm4') +
          r.msg(b'm5'))
WANT = [b'm1', b'm2', b'm4', b'm5']
ua = site.user('a', inbox=FOLDER)
ub = site.user('b', inbox=FOLDER)

with t.Cyrus() as cy:
    # (a) kill -9 while the refused command's messages are sent one by one
    m = site.mapnames(cy, [ua], 'a.tsv')
    p = r.convert(cy, m, '--no-fix', 'nul', fault='literal:10')
    t.is_(p.returncode, -9, '(a) killed while the refused command is sent again one by one')
    p = r.convert(cy, m, '--no-fix', 'nul')
    t.is_(p.returncode, 1, '(a) the rerun finishes (1: the NUL message is quarantined)', r.tail(p))
    im = cy.as_user(ua)
    t.is_(r.subjects(im, 'INBOX'), WANT, '(a) every stored message once, in order: none appended twice')
    im.logout()
    q = os.path.join(m + '.state', 'quarantine', ua + '.mbox')
    t.is_(len(mboxparse.parse(open(q, 'rb').read(), None)[1]) if os.path.exists(q) else 0, 1,
          '(a) the refused message is in the quarantine once')

    # (b) the server's answer to the single APPEND of m4 lost with the connection
    m = site.mapnames(cy, [ub], 'b.tsv')
    proxy = r.LosingProxy(cy.port, b'[APPENDUID', nth=3)
    p = r.convert(cy, m, '--no-fix', 'nul', '--port', str(proxy.port))
    proxy.close()
    t.ok(proxy.lost and p.returncode == 75, '(b) the answer to m4\'s APPEND is lost: a temporary failure',
         'lost=%s exit %d' % (proxy.lost, p.returncode), r.tail(p))
    p = r.convert(cy, m, '--no-fix', 'nul')
    t.is_(p.returncode, 1, '(b) the rerun finishes (1: the NUL message is quarantined)', r.tail(p))
    im = cy.as_user(ub)
    t.is_(r.subjects(im, 'INBOX'), WANT, '(b) every stored message once, in order: none appended twice')
    im.logout()
t.done()
