#!/usr/bin/env python3
"""backout_bench.py -- mbox2cyrus backout --from imap --into DIR on the spool bench's
site (converted first into a throwaway Cyrus), as a ratio to the plainest way back an
administrator would write in the same run: python3 imaplib, one connection per user
(through the admin), one UID FETCH 1:* (BODY.PEEK[]) per mailbox, the bodies written
to one file per mailbox.  Both fetch every byte from Cyrus; backout also rebuilds the
mbox (From_ lines, flags, quoting), checks every body against Cyrus's digest, fsyncs
and journals.  Entries backout_vs_imaplib (MB/s) and backout_messages_per_s.  Needs root."""
import os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
sys.path.insert(0, os.path.join(bench.ROOT, 'tests', 'lib'))

if os.geteuid() != 0:
    print('backout bench: needs root (it starts a throwaway Cyrus); skipped')
    sys.exit(0)
import m2ctest as t

site, users = bench.site()

BASELINE = r'''
import imaplib, os, sys
port, pw, out = int(sys.argv[1]), open(sys.argv[2]).read().strip(), sys.argv[3]
for user in sys.argv[4:]:
    imap = imaplib.IMAP4('127.0.0.1', port)
    imap.authenticate('PLAIN', lambda _: ('%s\0cyrus\0%s' % (user, pw)).encode())
    for box in ('INBOX', 'INBOX.archive', 'INBOX.sent-mail'):
        typ, data = imap.select(box, readonly=True)
        if typ != 'OK' or int(data[0]) == 0:
            continue
        typ, data = imap.uid('FETCH', '1:*', '(BODY.PEEK[])')
        with open(os.path.join(out, '%s.%s' % (user, box)), 'wb') as f:
            for item in data:
                if isinstance(item, tuple):
                    f.write(item[1])
    imap.logout()
'''

with t.Cyrus() as cy:
    work = tempfile.mkdtemp(prefix='m2c-bench-backout.', dir='/tmp')
    try:
        manifest = os.path.join(work, 'bench.tsv')
        bench.convert_site(cy, site, users, manifest)
        messages = bytes_ = 0
        out = os.path.join(work, 'baseline')
        os.mkdir(out)
        os.sync()          # the convert's writeback out of both timings
        base_s, base_rss = bench.run([sys.executable, '-c', BASELINE, str(cy.port), cy.password_file,
                                      out] + users, repeat=1)
        for f in os.listdir(out):
            bytes_ += os.path.getsize(os.path.join(out, f))
        shutil.rmtree(out)
        into = os.path.join(work, 'back')
        best = None
        for k in range(2):
            shutil.rmtree(into, ignore_errors=True)
            state = os.path.join(work, 'state%d' % k)
            p = subprocess.run(['/usr/bin/time', '-f', '%e %M', t.BIN, 'backout', '--manifest', manifest,
                                '--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file',
                                cy.password_file, '--into', into, '--state', state, '--source-tz', 'UTC'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode != 0:
                raise RuntimeError('backout failed: %s' % p.stderr.decode(errors='replace')[-800:])
            secs, rss = p.stderr.decode().strip().splitlines()[-1].split()
            lines = p.stdout.decode().splitlines()[1:]
            messages = sum(int(l.split('\t')[3]) for l in lines)
            if best is None or float(secs) < best[0]:
                best = (float(secs), int(rss))
        base_msgs_s = messages / base_s
    finally:
        shutil.rmtree(work, ignore_errors=True)

secs, rss = best
mb = bytes_ / 1e6
print('site: %d users, %d messages, %.0f MB as stored in Cyrus' % (len(users), messages, mb))
print('imaplib fetch loop: %.2f s  %7.0f msgs/s  %6.1f MB/s  peak RSS %d KiB'
      % (base_s, base_msgs_s, mb / base_s, base_rss))
print('backout --into    : %.2f s  %7.0f msgs/s  %6.1f MB/s  peak RSS %d KiB   ratio %.2f'
      % (secs, messages / secs, mb / secs, rss, base_s / secs))
base_name = 'python3 imaplib UID FETCH 1:* BODY.PEEK[] per mailbox into files'
figures = dict(messages_per_s=messages / secs, mb_per_s=mb / secs, peak_rss_kib=rss,
               baseline_messages_per_s=base_msgs_s, baseline_mb_per_s=mb / base_s,
               baseline_peak_rss_kib=base_rss, messages=messages, mb=mb, seconds=secs)
bench.record('backout_vs_imaplib', mb / secs, 'MB/s', base_name, mb / base_s, base_s / secs, **figures)
bench.record('backout_messages_per_s', messages / secs, 'messages/s', base_name,
             base_msgs_s, base_s / secs, **figures)
