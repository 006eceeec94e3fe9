#!/usr/bin/env python3
# Review of convert --batch-users (convert-group.c): on a rerun (mailboxes exist), each
# user's CREATE is refused and create_mailbox() opens the user's owner session for its
# STATUS; job_begin() keeps it in the Job until job_end(), i.e. through the whole
# group's mbpath, delivery and reconstruct.  A group of N users therefore holds N+1
# idle IMAP connections at once per worker (default group: up to 64; --jobs N workers),
# past a Debian cyrus.conf's imap maxchild=100 (then the next connect waits for a
# greeting that never comes: 300 s and the user fails), and a server that drops idle
# connections meanwhile fails every user of the group at STATUS.  Before the groups a
# worker held at most the admin's and one owner's session.
import os, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

TMP = tempfile.mkdtemp(prefix='m2c-grpsess.', dir='/tmp')
os.chmod(TMP, 0o755)
site = gen.Site(TMP, 12, 'm2s%d' % (os.getpid() % 10000), seed=1011, folders=['Sent'])
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def convert(cy, manifest, *extra, fault=None):
    return t.convert(cy, manifest, *extra, fault=fault, popen=True)


with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'm.tsv')
    t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o', manifest]
          + site.users)
    # killed once every user of the one group has its mailboxes: the rerun's CREATEs are refused
    p = convert(cy, manifest, '--batch-users', '12', '--jobs', '1', fault='mbpath-running:1')
    p.communicate()
    t.is_(p.returncode, -9, 'killed at the group\'s mbpath')
    p = convert(cy, manifest, '--batch-users', '12', '--jobs', '1')
    peak = 0
    while p.poll() is None:
        out = subprocess.run(['ss', '-Htn', 'state', 'established', '( dport = :%d )' % cy.port],
                             stdout=subprocess.PIPE).stdout.decode()
        peak = max(peak, len([l for l in out.splitlines() if l.strip()]))
        time.sleep(0.005)
    _, err = p.communicate()
    t.is_(p.returncode, 0, 'rerun: exit 0', err.decode(errors='replace')[-800:])
    t.is_(site.check(cy)[:8], [], 'rerun: every message once')
    t.ok(peak <= 3, 'one worker holds at most 3 IMAP connections at once, whatever the '
         'group size (held: %d for a group of 12)' % peak)
t.done()
