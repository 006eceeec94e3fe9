#!/usr/bin/env python3
# convert --batch-users: users in groups that share one mbpath and one reconstruct
# (convert-group.c), each with its own journal.  Cyrus's tools are wrapped (--cyrus-bin)
# so that every call is logged: a group of N users costs one call of each, naming every
# mailbox of the group.  Then the run is killed with SIGKILL at each step of a group
# (CREATE, mbpath, writing, reconstruct running and done, storing flags, twice in a
# row), and a rerun must end with exactly the content of an uninterrupted run, checked
# through imaplib against the test's own reading of the mbox files.
import os, shutil, signal, stat, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

TMP = tempfile.mkdtemp(prefix='m2c-groups.', dir='/tmp')
os.chmod(TMP, 0o755)
USERS = 11
site = gen.Site(TMP, USERS, 'm2g%d' % (os.getpid() % 10000), seed=1010)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))

# Cyrus's tools, each call logged (they run as the cyrus user: the log is world-writable)
BIN = os.path.join(TMP, 'cyrus-bin')
os.mkdir(BIN)
LOG = os.path.join(TMP, 'calls.log')
open(LOG, 'w').close()
os.chmod(LOG, 0o666)
for tool in ('mbpath', 'reconstruct', 'mbexamine'):
    path = os.path.join(BIN, tool)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n{ printf %%s %s; printf "\\t%%s" "$@"; echo; } >> %s\n'
                'exec /usr/lib/cyrus/bin/%s "$@"\n' % (tool, LOG, tool))
    os.chmod(path, 0o755)


def calls(tool):
    with open(LOG) as f:
        return [l.rstrip('\n').split('\t')[3:] for l in f if l.startswith(tool + '\t')]  # after -C conf


def convert(cy, manifest, *extra, fault=None):
    return t.convert(cy, manifest, '--cyrus-bin', BIN, '-v', *extra, fault=fault)


# 1. the calls: 11 users in groups of 4 (two workers): 3 groups, one mbpath and one
#    reconstruct each, together naming every mailbox once
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'm.tsv')
    t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o', manifest]
          + site.users)
    mailboxes = sorted(set(l.split('\t')[1] for l in open(manifest)
                           if not l.startswith('#') and l.split('\t')[0] in site.users))
    p = convert(cy, manifest, '--batch-users', '4', '--jobs', '2')
    t.is_(p.returncode, 0, 'grouped run: exit 0', p.stderr.decode(errors='replace')[-1500:])
    t.is_(site.check(cy)[:8], [], 'grouped run: every message once, flags, dates, subscriptions '
          '(%d messages)' % site.messages())
    mb, rc = calls('mbpath'), calls('reconstruct')
    t.is_(len(mb), 3, 'one mbpath per group of 4 users (11 users: 3 groups)', mb)
    t.is_(len(rc), 3, 'one reconstruct per group', rc)
    t.is_(sorted(m for c in mb for m in c), mailboxes, 'the mbpath calls name every mailbox once')
    # whole users by their names: Cyrus finds a named mailbox by matching every mailbox
    # of the server, a user's by prefix (cyrus-tools.h)
    t.ok(all(c[:1] == ['-u'] for c in rc), 'each reconstruct takes its users whole (-u)', rc)
    t.is_(sorted(u for c in rc for u in c[1:]), sorted(site.users),
          'the reconstructs name every user once')
    t.is_(sorted(len(c) - 1 for c in rc), [3, 4, 4], 'a group is 4 users (the last 3)', rc)
    p = convert(cy, manifest, '--batch-users', '4')
    t.is_(p.returncode, 0, 'rerun: exit 0')
    t.ok(b'0 failed' in p.stderr and len(calls('reconstruct')) == 3,
         'rerun: nothing left to do, no tool run again', p.stderr.decode(errors='replace')[-800:])

# 1b. a user with a folder that fails is not taken whole: its other mailboxes are
#     reconstructed by name, the failed one not at all (its files stay unseen)
with t.Cyrus() as cy:
    open(LOG, 'w').close()
    manifest = os.path.join(TMP, 'm1b.tsv')
    t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o', manifest]
          + site.users)
    rows = [l.rstrip('\n').split('\t') for l in open(manifest) if not l.startswith('#')]
    victim, folder, path = next((r[0], r[1], r[2]) for r in rows[1:]
                                if r[3] == 'folder' and r[0] in site.users)
    os.chmod(path, 0o000)   # the owner could not read it: convert refuses the source
    try:
        p = convert(cy, manifest, '--batch-users', '11', '--jobs', '1')
    finally:
        os.chmod(path, 0o600)
    t.is_(p.returncode, 1, 'a folder refused: exit 1', p.stderr.decode(errors='replace')[-800:])
    rc = calls('reconstruct')
    t.is_(len(rc), 2, 'one reconstruct of the whole users, one by name', rc)
    t.is_(sorted(u for c in rc if c[:1] == ['-u'] for u in c[1:]),
          sorted(u for u in site.users if u != victim), 'every user but the victim whole')
    by_name = [m for c in rc if c[:1] != ['-u'] for m in c]
    t.ok(folder not in by_name and by_name and all(m.split('.')[1] == victim for m in by_name),
         "the victim's other mailboxes by name, not the failed one", by_name, folder)
    p = convert(cy, manifest, '--batch-users', '11')
    t.is_(p.returncode, 0, 'the rerun (file readable again) finishes',
          p.stderr.decode(errors='replace')[-800:])
    t.is_(site.check(cy)[:8], [], 'then every message once (%d messages)' % site.messages())

# 2. kill -9 at each step of a group, then a rerun (groups of 3, so kills land mid-group)
for faults in (['create:5'], ['mbpath-running:1'], ['mbpath-running:2'], ['write:9'],
               ['reconstruct-running:1'], ['reconstruct:1'], ['reconstruct:2'], ['store:4'],
               ['write:30', 'reconstruct-running:2'], ['reconstruct:1', 'reconstruct:1']):
    label = ' then '.join(faults)
    with t.Cyrus() as cy:
        manifest = os.path.join(TMP, 'm-%s.tsv' % label.replace(':', '').replace(' ', '_'))
        t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o',
               manifest] + site.users)
        for f in faults:
            p = convert(cy, manifest, '--batch-users', '3', '--jobs', '2', fault=f)
            t.is_(p.returncode, -signal.SIGKILL, 'killed at %s' % f,
                  p.stderr.decode(errors='replace')[-800:])
        p = convert(cy, manifest, '--batch-users', '3', '--jobs', '2')
        t.ok(p.returncode == 0, '%s: the rerun finishes' % label,
             'exit %d' % p.returncode, p.stderr.decode(errors='replace')[-2500:])
        problems = site.check(cy)
        t.is_(problems[:8], [], '%s: every message exactly once, with flags, dates, '
              'subscriptions (%d messages)' % (label, site.messages()))
        p = subprocess.run([t.BIN, 'verify', '--manifest', manifest, '--cyrus-conf', cy.conf,
                            '--port', str(cy.port), '--password-file', cy.password_file],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t.is_(p.returncode, 0, '%s: verify agrees' % label, p.stderr.decode(errors='replace')[-800:])
t.done()
