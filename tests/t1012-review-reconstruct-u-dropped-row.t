#!/usr/bin/env python3
# Review (cb97ea3): a grouped spool run reconstructs "whole" users with reconstruct -u,
# which indexes EVERY mailbox Cyrus has for the user, not only the manifest's.  An
# earlier run, killed after it wrote a folder's message files but before any
# reconstruct, leaves those files in the folder's directory; the admin then drops the
# folder's row from the manifest (a file they decided not to migrate) and reruns.
# By name (before cb97ea3) the dropped folder was never reconstructed: its files stayed
# unseen.  With reconstruct -u they become messages of a mailbox this run's manifest,
# journal and report know nothing of (verify and backout with the manifest neither).
import os, signal, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rvu')
a = site.user('a', inbox=r.msg(b'a-in-1') + r.msg(b'a-in-2'),
              folders={'Dropped': r.msg(b'dropped-1') + r.msg(b'dropped-2')})
b = site.user('b', inbox=r.msg(b'b-in-1'))


def convert(cy, manifest, *extra, fault=None):
    return t.convert(cy, manifest, '--state', manifest + '.state', '-v', *extra, fault=fault)


with t.Cyrus() as cy:
    m1 = site.mapnames(cy, [a, b])
    p = convert(cy, m1, '--batch-users', '2', '--jobs', '1', fault='reconstruct-running:1')
    t.is_(p.returncode, -signal.SIGKILL, 'killed as the group reconstruct starts', r.tail(p))
    # the admin drops the folder's row: the file is not to be migrated
    m2 = os.path.join(site.tmp, 'm2.tsv')
    with open(m1) as f, open(m2, 'w') as g:
        for line in f:
            if '\tDropped' not in line and not line.rstrip('\n').endswith('/Mail/Dropped\tfolder'):
                if len(line.split('\t')) > 1 and line.split('\t')[1].endswith('.Dropped'):
                    continue
                g.write(line)
    os.rename(m1 + '.state', m2 + '.state')
    p = convert(cy, m2, '--batch-users', '2', '--jobs', '1')
    t.is_(p.returncode, 0, 'the rerun with the folder dropped: exit 0', r.tail(p))
    imap = cy.as_user(a)
    t.is_(r.subjects(imap, 'INBOX'), [b'a-in-1', b'a-in-2'], "a's INBOX converted")
    got = r.subjects(imap, 'INBOX.Dropped')
    t.diag('Dropped: %r; m2: %r' % (got, open(m2).read()[-600:]))
    t.ok(not got, 'the dropped folder shows none of the files the killed run left '
         '(the rerun was not asked to convert it)', 'Dropped holds %r' % (got,))
    imap.logout()
t.done()
