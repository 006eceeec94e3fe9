#!/usr/bin/env python3
# convert --method lmtp when lmtpd files a folder's messages into the INBOX although the
# folder passed the check before delivery (its owner's 'p' right taken away just after
# it, while convert waits at the "lmtp-begun" pause: lib/fault.h): Cyrus answers 250
# and puts them in the INBOX.  convert must see that when it reads the folder for the
# batch's delivery headers, find them in the INBOX by this delivery's key, and move
# them into the folder: in the end every message once, in the folder, in order,
# nothing of the folder left in the INBOX, and the report says what happened.
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rvr')
u = site.user('a', folders={'Projects': b''.join(r.msg(b'proj %d' % i) for i in range(4))})

with t.Cyrus() as cy:
    adm = cy.admin()
    adm.create('user.' + u)
    adm.create('user.%s.Projects' % u)
    m = site.mapnames(cy, [u])
    env = dict(os.environ, M2C_PAUSE='lmtp-begun')
    env.pop('M2C_FAULT', None)
    p = subprocess.Popen([t.BIN, 'convert', '--method', 'lmtp', '--manifest', m, '--cyrus-conf',
                          cy.conf, '--port', str(cy.port), '--password-file', cy.password_file],
                         env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    said = b''
    while b'paused at lmtp-begun' not in said:
        line = p.stderr.readline()
        if not line:
            break
        said += line
    t.ok(b'paused at lmtp-begun' in said, 'convert paused after the folder was checked')
    typ, _ = adm.setacl('user.%s.Projects' % u, u, 'lrswi')
    t.is_(typ, 'OK', "the owner's 'p' right on the folder taken away meanwhile")
    out, err = p.communicate(b'x', timeout=300)
    err = (said + err).decode(errors='replace')
    t.is_(p.returncode, 0, 'convert finishes', err[-1500:])
    im = cy.as_user(u)
    t.is_(r.subjects(im, 'INBOX'), [], 'nothing of the folder is left in the INBOX')
    t.is_(r.subjects(im, 'INBOX.Projects'), [b'proj %d' % i for i in range(4)],
          'the folder holds every message once, in order')
    im.logout()
    t.ok('filed it into the INBOX' in err and 'moved into the folder' in err,
         'the report says lmtpd misfiled them and they were moved', err[-800:])
    adm.logout()
t.done()
