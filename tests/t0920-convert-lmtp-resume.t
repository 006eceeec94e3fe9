#!/usr/bin/env python3
# Resume of convert --method lmtp: killed with SIGKILL (lib/fault.h's M2C_FAULT) right
# after a message's data went out and before its reply was read (lmtp-sent: lmtpd may
# have stored it, nobody knows), after its 250 and before the part is journaled
# (lmtp-acked: stored, the journal does not know), right after a mailbox is created,
# during the flag step, and twice in a row; over LMTP and through Cyrus's deliver.  A
# rerun must end with exactly the content of an uninterrupted run, checked through
# imaplib: nothing lost, nothing twice, in order, with flags and dates.
import os, re, shutil, signal, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

DELIVER = '/usr/lib/cyrus/bin/deliver'
TMP = tempfile.mkdtemp(prefix='m2c-lresume.', dir='/tmp')
os.chmod(TMP, 0o755)
site = gen.Site(TMP, 6, 'm2k%d' % (os.getpid() % 10000), seed=2033,
                folders=['Sent', 'lists/cyrus', 'Archive'])
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def convert(cy, manifest, fault=None, verbose=False, extra=()):
    return t.convert(cy, manifest, '--jobs', '2', '--batch-messages', '4',
                     *((['-v'] if verbose else []) + list(extra)), method='lmtp', fault=fault)


CASES = [([], ['lmtp-sent:1']), ([], ['lmtp-sent:23']), ([], ['lmtp-acked:1']),
         ([], ['lmtp-acked:9']), ([], ['create:3']), ([], ['flagged:4']),
         ([], ['lmtp-sent:20', 'lmtp-acked:3']), ([], ['lmtp-acked:2', 'lmtp-acked:2']),
         (['--deliver', DELIVER], ['lmtp-acked:5']), (['--deliver', DELIVER], ['lmtp-acked:1', 'flagged:2'])]
for extra, faults in CASES:
    label = ' '.join(extra[:1]) + ' ' + ' then '.join(faults)
    with t.Cyrus() as cy:
        manifest = os.path.join(TMP, 'm-%s.tsv' % re.sub(r'[^a-z0-9]+', '_', label))
        t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o',
               manifest] + site.users)
        said = b''
        for f in faults:
            p = convert(cy, manifest, f, verbose=True, extra=extra)
            said += p.stderr
            t.is_(p.returncode, -signal.SIGKILL, '%s: killed at %s' % (label, f),
                  p.stderr.decode(errors='replace')[-600:])
        p = convert(cy, manifest, verbose=True, extra=extra)
        said += p.stderr
        t.ok(p.returncode == 0, '%s: the rerun finishes' % label,
             'exit %d' % p.returncode, p.stderr.decode(errors='replace')[-2500:])
        problems = site.check(cy, method='lmtp')
        t.is_(problems[:8], [], '%s: every message exactly once, in order, with flags, dates, '
              'subscriptions (%d messages)' % (label, site.messages()))
        if faults[0].startswith('lmtp-acked'):
            # (the run after the kill finds them: the last one, or a second killed one)
            t.ok(re.search(rb'found \d+ message', said), '%s: a rerun found the delivered '
                 'messages the journal did not know, by their delivery header, and did not '
                 'deliver them again' % label, p.stderr.decode(errors='replace')[-800:])
        v = subprocess.run([t.BIN, 'verify', '--manifest', manifest, '--cyrus-conf', cy.conf,
                            '--port', str(cy.port), '--password-file', cy.password_file],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        t.is_(v.returncode, 0, '%s: verify agrees' % label, v.stderr.decode()[-600:])
t.done()
