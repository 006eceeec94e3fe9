#!/usr/bin/env python3
# Review 2 of convert --method lmtp: a run killed mid-way, then its state directory
# deleted (or another --state): the new run makes a new STATE/lmtp.secret, so the keys
# of the delivery headers the first run left are not ones it can make; before the fix
# it delivered the INBOX's first messages a second time and ended "done ... 0 errors".
# Expected: the mailbox holding another state's deliveries is refused before anything
# of it is delivered, with the reason; nothing twice.  A rerun with the same state
# (secret kept) still finds and finishes everything.
import os, shutil, signal, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rls')
u = site.user('a', inbox=b''.join(r.msg(b'in %d' % i) for i in range(5)),
              folders={'F': b''.join(r.msg(b'f %d' % i) for i in range(3))})


def conv(cy, m, *extra, fault=None):
    e = dict(os.environ)
    e.pop('M2C_FAULT', None)
    if fault:
        e['M2C_FAULT'] = fault
    return subprocess.run([t.BIN, 'convert', '--method', 'lmtp', '--manifest', m, '--cyrus-conf',
                           cy.conf, '--port', str(cy.port), '--password-file', cy.password_file,
                           '--batch-messages', '2'] + list(extra), env=e,
                          start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=300)


with t.Cyrus() as cy:
    m = site.mapnames(cy, [u])
    p = conv(cy, m, fault='lmtp-acked:3')
    t.is_(p.returncode, -signal.SIGKILL, 'the first run is killed after its third 250', r.tail(p))
    shutil.copytree(m + '.state', os.path.join(site.tmp, 'kept.state'))
    shutil.rmtree(m + '.state')
    p = conv(cy, m)
    err = p.stderr.decode(errors='replace')
    t.ok(p.returncode != 0, 'the run with a new state directory does not say done', err[-800:])
    t.ok('another state directory' in err, 'and says why', err[-800:])
    im = cy.as_user(u)
    t.is_(r.subjects(im, 'INBOX'), [b'in 0', b'in 1', b'in 2'],
          'the INBOX holds what the first run delivered, nothing twice')
    im.logout()
    # the first run's state back: the rerun finds what it delivered and finishes
    shutil.rmtree(m + '.state')
    shutil.copytree(os.path.join(site.tmp, 'kept.state'), m + '.state')
    # (F was delivered whole by the run with the new state: now that run's keys are
    # the strangers, and F is refused in turn rather than filled a second time)
    p = conv(cy, m)
    err = p.stderr.decode(errors='replace')
    t.ok(p.returncode != 0 and 'INBOX.F' not in err and 'user.%s.F' % u in err and
         'another state directory' in err, 'with the first state back the INBOX is finished '
         'and F, which the other state delivered, is refused', err[-1500:])
    im = cy.as_user(u)
    t.is_(r.subjects(im, 'INBOX'), [b'in %d' % i for i in range(5)], 'INBOX: every message once')
    t.is_(r.subjects(im, 'INBOX.F'), [b'f %d' % i for i in range(3)], 'F: every message once')
    im.logout()
t.done()
