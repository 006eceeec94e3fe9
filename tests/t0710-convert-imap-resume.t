#!/usr/bin/env python3
# Resume of convert --method imap: killed with SIGKILL (lib/fault.h's M2C_FAULT) in
# the middle of a literal of a MULTIAPPEND, between a command's tagged OK and its
# journal record (the answer "lost": the messages are in Cyrus, the journal does not
# know), right after a mailbox is created, during the flag and subscription step, and
# twice in a row; a rerun must end with exactly the content of an uninterrupted run,
# checked through imaplib: nothing lost, nothing twice.
import os, re, shutil, signal, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

TMP = tempfile.mkdtemp(prefix='m2c-iresume.', dir='/tmp')
os.chmod(TMP, 0o755)
site = gen.Site(TMP, 8, 'm2j%d' % (os.getpid() % 10000), seed=3502)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def convert(cy, manifest, fault=None, verbose=False):
    return t.convert(cy, manifest, '--jobs', '2', '--batch-messages', '4',
                     *(['-v'] if verbose else []), method='imap', fault=fault)


for faults in (['literal:1'], ['literal:37'], ['appended:1'], ['appended:9'], ['create:3'],
               ['flagged:4'], ['literal:20', 'appended:3'], ['appended:2', 'appended:2']):
    label = ' then '.join(faults)
    with t.Cyrus() as cy:
        manifest = os.path.join(TMP, 'm-%s.tsv' % label.replace(':', '').replace(' ', '_'))
        t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o',
               manifest] + site.users)
        for f in faults:
            p = convert(cy, manifest, f)
            t.is_(p.returncode, -signal.SIGKILL, 'killed at %s' % f)
        p = convert(cy, manifest, verbose=True)
        t.ok(p.returncode == 0, '%s: the rerun finishes' % label,
             'exit %d' % p.returncode, p.stderr.decode(errors='replace')[-2500:])
        t.ok(b'resuming an interrupted run' in p.stderr,
             '%s: the rerun says it resumes' % label, p.stderr.decode(errors='replace')[-600:])
        problems = site.check(cy, method='imap')
        t.is_(problems[:8], [], '%s: every message exactly once, in order, with flags, dates, '
              'subscriptions (%d messages)' % (label, site.messages()))
        if faults[0].startswith('appended'):
            found = re.findall(rb'found (\d+) message', p.stderr)
            t.ok(found, '%s: the rerun found the messages of the unrecorded APPEND in Cyrus, '
                 'by digest, and did not append them again' % label, p.stderr.decode(errors='replace')[-800:])
t.done()
