#!/usr/bin/env python3
"""site_bench.py -- what `make bench-site` runs: a whole site of small users
(M2C_BENCH_SITE_USERS, default 20,000; each an inbox and a folder of 5 messages of
1-4 KB) through mapnames, convert --method spool and verify, into one throwaway
Cyrus.  No system users are needed: --home-template and --no-owner-check.

Prints each stage's wall time and peak RSS, the total, the time per user, and records
site_N_users_seconds (the three stages), site_per_user_ms and site_peak_rss_mib (the
largest of the stages) in bench/results.json.  Targets (issue 13): 20,000 users in
<= 300 s (15 ms per user on 2 cores), <= 64 MiB peak RSS in every stage.
Needs root (Cyrus, and files it may write as the cyrus user)."""
import os, random, shutil, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
sys.path.insert(0, os.path.join(bench.ROOT, 'tests', 'lib'))

if os.geteuid() != 0:
    print('site bench: needs root (it starts a throwaway Cyrus); skipped')
    sys.exit(0)
import m2ctest as t

N = int(os.environ.get('M2C_BENCH_SITE_USERS', '20000'))
MESSAGES = 5
USERS = ['u%05d' % i for i in range(N)]


def message(rng, n, user):
    body = b''.join(b'line %d of a small message for %s, quite ordinary text\n' % (k, user.encode())
                    for k in range(rng.randint(15, 60)))
    return (b'From sender%d@example.org Mon Mar %2d 10:%02d:00 2003\n'
            b'From: Sender <sender%d@example.org>\nTo: %s@example.org\n'
            b'Subject: site message %d\nDate: Mon, %d Mar 2003 10:%02d:00 +0100\n'
            b'Message-ID: <site-%s-%d@example.org>\nStatus: %s\n\n'
            % (n % 7, 1 + n % 28, n % 60, n % 7, user.encode(), n, 1 + n % 28, n % 60,
               user.encode(), n, rng.choice([b'RO', b'O'])) + body + b'\n')


def make_site(root):
    """The site under root: spool/USER and home/USER/Mail/saved, made once."""
    if os.path.exists(os.path.join(root, 'done')):
        return
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(13)
    os.makedirs(os.path.join(root, 'spool'))
    for user in USERS:
        os.makedirs(os.path.join(root, 'home', user, 'Mail'))
        for path, first in ((os.path.join(root, 'spool', user), 0),
                            (os.path.join(root, 'home', user, 'Mail', 'saved'), MESSAGES)):
            with open(path, 'wb') as f:
                f.write(b''.join(message(rng, first + k, user) for k in range(MESSAGES)))
    with open(os.path.join(root, 'users'), 'w') as f:
        f.write(''.join(u + '\n' for u in USERS))
    open(os.path.join(root, 'done'), 'w').close()


def stage(name, argv):
    t0 = time.monotonic()
    p = subprocess.run(['/usr/bin/time', '-f', '%M'] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    secs = time.monotonic() - t0
    err = p.stderr.decode(errors='replace')
    if p.returncode != 0:
        print('%s failed (exit %d):\n%s' % (name, p.returncode, err[-3000:]))
        sys.exit(1)
    rss = int(err.strip().splitlines()[-1]) / 1024
    print('%-10s %8.1f s  %6.2f ms/user  peak RSS %5.1f MiB' % (name, secs, 1000 * secs / N, rss))
    sys.stdout.flush()
    return secs, rss


root = os.path.join(bench.DATA, 'site-%du' % N)
t0 = time.monotonic()
make_site(root)
print('site: %d users, %d mailboxes, %d messages (made in %.0f s)'
      % (N, 2 * N, 2 * N * MESSAGES, time.monotonic() - t0))
with t.Cyrus() as cy:
    manifest = os.path.join(cy.dir, 'site.tsv')
    common = ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]
    os.sync()
    stages = [stage('mapnames', [t.BIN, 'mapnames', '--users', os.path.join(root, 'users'),
                                 '--home-template', os.path.join(root, 'home', '%u'),
                                 '--spool-dir', os.path.join(root, 'spool'), '--no-owner-check',
                                 '--cyrus-conf', cy.conf, '-o', manifest]),
              stage('convert', [t.BIN, 'convert', '--method', 'spool', '--manifest', manifest,
                                '--report', os.path.join(cy.dir, 'convert.json')] + common),
              stage('verify', [t.BIN, 'verify', '--manifest', manifest] + common)]
total = sum(s for s, _ in stages)
peak = max(r for _, r in stages)
per_user = 1000 * total / N
print('total      %8.1f s  %6.2f ms/user  peak RSS %5.1f MiB (largest stage)' % (total, per_user, peak))
bench.record('site_%d_users_seconds' % N, total, 's', 'target (s)', 300 * N / 20000,
             300 * N / 20000 / total, mapnames_s=stages[0][0], convert_s=stages[1][0],
             verify_s=stages[2][0])
bench.record('site_per_user_ms', per_user, 'ms', 'target (ms)', 15.0, 15.0 / per_user, users=N)
bench.record('site_peak_rss_mib', peak, 'MiB', 'target (MiB)', 64.0, 64.0 / peak,
             mapnames_mib=stages[0][1], convert_mib=stages[1][1], verify_mib=stages[2][1])
met = total <= 300 * N / 20000 and peak <= 64
print('site: %s' % ('targets met' if met else 'TARGET MISSED'))
