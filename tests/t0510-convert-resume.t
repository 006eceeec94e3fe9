#!/usr/bin/env python3
# Resume: convert --method spool is killed with SIGKILL (its whole process group, so a
# running reconstruct dies too) at several points -- while creating mailboxes, while
# writing message files, right after reconstruct, while storing flags, and twice in a
# row -- and a rerun must end with exactly the content of an uninterrupted run:
# nothing lost, nothing twice.  The crash points are lib/fault.h's M2C_FAULT.
import os, shutil, signal, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

TMP = tempfile.mkdtemp(prefix='m2c-resume.', dir='/tmp')
os.chmod(TMP, 0o755)
site = gen.Site(TMP, 8, 'm2r%d' % (os.getpid() % 10000), seed=4155)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def convert(cy, manifest, fault=None, verbose=False):
    return t.convert(cy, manifest, '--jobs', '2', *(['-v'] if verbose else []), fault=fault)


for faults in (['create:3'], ['write:1'], ['write:40'], ['reconstruct-running:1'],
               ['reconstruct-running:3'], ['reconstruct:2'], ['store:3'],
               ['write:25', 'store:2'], ['reconstruct:1', 'reconstruct:1']):
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
        problems = site.check(cy)
        t.is_(problems[:8], [], '%s: every message exactly once, with flags, dates, subscriptions (%d messages)'
              % (label, site.messages()))
        left = subprocess.run(['sh', '-c', 'ps -eo args= | grep -c "[r]econstruct -C %s"' % cy.conf],
                              stdout=subprocess.PIPE).stdout.decode().strip()
        t.is_(left, '0', '%s: no reconstruct left running' % label)
t.done()
