#!/usr/bin/env python3
# Review of convert --method lmtp: Cyrus 3.6's lmtpd (imap/lmtpd.c deliver_local) files
# a message into the INBOX whenever its delivery to "owner+Folder" fails, for any
# reason, and still answers 250.  Two such reasons are easy to meet on a live server:
#   (a) the folder has a quota root of its own, and it is full (RCPT checks only the
#       INBOX's quota root): the messages went to the INBOX, convert then failed to
#       APPEND them to the folder (over quota), and each rerun put them in the INBOX
#       once more;
#   (b) the owner has no 'p' (post) right on the folder (ACL): the messages went to the
#       INBOX and were APPENDed to the folder as well (reported as "duplicate
#       suppression").
# Either must be refused before anything of the folder is delivered: nothing of it in
# the INBOX, also after a rerun; with --ignore-quota (a) is delivered (lmtpd overrides
# the folder's quota too), every message once, in the folder.
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r


def convert(cy, manifest, *extra):
    e = dict(os.environ)
    e.pop('M2C_FAULT', None)
    return subprocess.run([t.BIN, 'convert', '--method', 'lmtp', '--manifest', manifest,
                           '--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file',
                           cy.password_file] + list(extra), env=e, start_new_session=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)


site = r.Site('rvf')
BIG = (b'q' * 70 + b'\n') * 100
uq = site.user('q', inbox=r.msg(b'inbox 1'),
               folders={'Archive': b''.join(r.msg(b'arch %d' % i, BIG) for i in range(3))})
ua = site.user('a', inbox=r.msg(b'inbox 1'),
               folders={'Locked': b''.join(r.msg(b'lock %d' % i) for i in range(3))})

with t.Cyrus() as cy:
    adm = cy.admin()
    for u in (uq, ua):
        adm.create('user.' + u)
    adm.create('user.%s.Archive' % uq)
    adm.setquota('user.%s.Archive' % uq, '(STORAGE 5)')
    adm.create('user.%s.Locked' % ua)
    adm.setacl('user.%s.Locked' % ua, ua, 'lrswi')
    adm.logout()
    m = site.mapnames(cy, [uq, ua])

    def boxes(u, folder):
        im = cy.as_user(u)
        got = r.subjects(im, 'INBOX'), r.subjects(im, 'INBOX.' + folder)
        im.logout()
        return got

    for run in (1, 2):
        p = convert(cy, m)
        err = r.tail(p, 3000)
        t.ok(p.returncode in (1, 75), 'run %d: the folders fail (exit %d)' % (run, p.returncode), err)
        inbox, archive = boxes(uq, 'Archive')
        t.is_(inbox, [b'inbox 1'], '(a) run %d: nothing of the over-quota folder is in the INBOX'
              % run, err)
        t.is_(archive, [], '(a) run %d: nor in the folder' % run)
        t.ok('quota root of its own' in err, '(a) run %d: the reason is said' % run, err)
        inbox, locked = boxes(ua, 'Locked')
        t.is_(inbox, [b'inbox 1'], '(b) run %d: nothing of the folder without "p" is in the INBOX'
              % run, err)
        t.is_(locked, [], '(b) run %d: nor twice in the folder' % run)
        t.ok('"p" (post) right' in err, '(b) run %d: the reason is said' % run, err)

    p = convert(cy, m, '--ignore-quota')
    inbox, archive = boxes(uq, 'Archive')
    t.is_(inbox, [b'inbox 1'], '(a) --ignore-quota: the INBOX as it was', r.tail(p))
    t.is_(archive, [b'arch 0', b'arch 1', b'arch 2'], '(a) --ignore-quota: the folder whole, once')
t.done()
