#!/usr/bin/env python3
"""lmtp_bench.py -- mbox2cyrus convert --method lmtp (--jobs 1 and --jobs N) beside
--method spool (the baseline) and --method imap (--jobs 1), on one generated site, into
the same throwaway Cyrus in the same run.

The site is imap_bench.py's (made once under bench/data, shared with it): the first
M2C_BENCH_IMAP_USERS users (8) of the one generated site (bench.site(): BENCH_SCALE,
M2C_BENCH_USERS, M2C_BENCH_SITE_MB; sizes like real mail), each with an INBOX,
Mail/archive and Mail/sent-mail.  Every folder name is one LMTP can address, and a
fresh Cyrus has no Sieve script, so --method lmtp takes every user.

Each contender converts a copy of the site (spool/USER, home/USER/Mail/archive, made
outside the timing) under users of its own (fresh, empty mailboxes), the manifest made
by mapnames (--home-template, --no-owner-check: no system users), `os.sync()` first.
Timed: the convert command's wall clock; its peak RSS from GNU time's %M (for the spool
method that includes the reconstructs it waits for).  Afterwards every mailbox is checked
through imaplib (messages, and how many are \\Seen) against the source: a run that did
not store everything is an error, not a figure.  Every contender runs
M2C_BENCH_LMTP_ROUNDS times (2), interleaved, and its best run counts (the machine is
shared: see imap_bench.py's notes).

  spool   as spool_bench.py runs it (--jobs: the default, the number of cores)
  imap    --jobs 1
  lmtp    --jobs 1, and --jobs N (M2C_BENCH_LMTP_JOBS, default the imap bench's N, 4)

No target: LMTP is expected to be slower than the spool method (every message through
lmtpd, one fsync each).  Needs root (a throwaway Cyrus; the spool method).
"""
import json, os, shutil, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
sys.path.insert(0, os.path.join(bench.ROOT, 'tests', 'lib'))

if os.geteuid() != 0:
    print('lmtp bench: needs root (it starts a throwaway Cyrus); skipped')
    sys.exit(0)
import m2ctest as t
import imap_bench as ib

ROUNDS = int(os.environ.get('M2C_BENCH_LMTP_ROUNDS', '2'))
JOBS = int(os.environ.get('M2C_BENCH_LMTP_JOBS', str(min(ib.USERS_N, ib.JOBS))))
CORES = os.cpu_count() or 1

# (key, method, --jobs or None for the default, user-name tag)
CONTENDERS = (('spool', 'spool', None, 'sp'),
              ('imap', 'imap', 1, 'im'),
              ('lmtp1', 'lmtp', 1, 'la'),
              ('lmtpN', 'lmtp', JOBS, 'ln'))


class Run(ib.Run):
    def __init__(self, label, wall, messages, bytes_, server, client, rss_kib):
        super().__init__(label, wall, messages, bytes_, server, client)
        self.rss_kib = rss_kib


def convert(cy, site, counts, method, jobs, work, tag):
    """One `convert --method METHOD` of a copy of the site under users 'TAGuNN'."""
    users = ib.user_names(tag)
    label = 'convert --method %s --jobs %s' % (method, jobs if jobs else '%d (default)' % CORES)
    root = os.path.join(work, 'site-' + tag)
    bytes_ = 0
    for i, user in enumerate(users):
        for src, folder in ib.FOLDERS:
            dest = (os.path.join(root, 'spool', user) if folder is None
                    else os.path.join(root, 'home', user, 'Mail', folder))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(os.path.join(site, 'u%d' % i, src), dest)
            bytes_ += os.path.getsize(dest)
    manifest = os.path.join(work, 'manifest-%s.tsv' % tag)
    subprocess.run([t.BIN, 'mapnames', '--home-template', os.path.join(root, 'home', '%u'),
                    '--spool-dir', os.path.join(root, 'spool'), '--no-owner-check',
                    '--cyrus-conf', cy.conf, '-o', manifest] + users, check=True,
                   stderr=subprocess.DEVNULL)
    report = os.path.join(work, 'report-%s.json' % tag)
    argv = [t.BIN, 'convert', '--method', method, '--manifest', manifest,
            '--cyrus-conf', cy.conf, '--host', '127.0.0.1', '--port', str(cy.port),
            '--password-file', cy.password_file, '--report', report,
            '--state', os.path.join(work, 'state-' + tag)]
    if method != 'spool':
        argv += ['--admin', cy.admin_user]
    if jobs:
        argv += ['--jobs', str(jobs)]
    rss_file = os.path.join(work, 'rss-' + tag)
    os.sync()
    s0, c0, t0 = ib.server_cpu(cy), ib.children_cpu(), time.monotonic()
    p = subprocess.run(['/usr/bin/time', '-f', '%M', '-o', rss_file] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    client, server = ib.children_cpu() - c0, ib.cpu_since(s0, cy)
    shutil.rmtree(root)
    if p.returncode != 0:
        raise RuntimeError('%s: exit %d:\n%s' % (label, p.returncode,
                                                  p.stderr.decode(errors='replace')[-2000:]))
    with open(rss_file) as f:
        rss = int(f.read().strip().splitlines()[-1])
    with open(report) as f:
        rep = json.load(f)
    reported = sum(m['messages'] for u in rep['users'] for m in u['mailboxes'])
    expected = ib.expected_for(users, counts)
    want = sum(e['messages'] for e in expected.values())
    if reported != want:
        raise RuntimeError('%s: its report says %d messages, the source has %d'
                           % (label, reported, want))
    ib.check(cy, label, expected)
    return Run(label, wall, want, bytes_, server, client, rss)


def main():
    site, counts = ib.make_site()
    messages = sum(v['messages'] for k, v in counts.items() if k != 'sample')
    mb = sum(v['bytes'] for k, v in counts.items() if k != 'sample') / 1e6
    print('site: %d users x %d folders, %d messages, %.1f MB of mbox (%.1f KB a message); '
          'lmtp jobs N = %d (M2C_BENCH_LMTP_JOBS); best of %d rounds (M2C_BENCH_LMTP_ROUNDS); '
          '%d cores' % (ib.USERS_N, len(ib.FOLDERS), messages, mb, 1000 * mb / messages, JOBS,
                        ROUNDS, CORES), flush=True)
    runs = {}
    work = tempfile.mkdtemp(prefix='m2c-bench-lmtp.', dir='/tmp')
    try:
        with t.Cyrus() as cy:
            # warm-up, untimed: the first imapd and lmtpd, the databases opened
            ib.create_mailboxes(cy, ['warmup'])
            imap = cy.as_user('warmup')
            imap.append('INBOX', None, None, b'Subject: warm-up\r\n\r\nwarm-up\r\n')
            imap.logout()
            reply = t.lmtp_deliver(cy, 'warmup', 'warm-up lmtp')
            if not reply.startswith(b'250'):
                raise RuntimeError('warm-up LMTP delivery: %r' % reply)
            for rnd in range(ROUNDS):
                for key, method, jobs, tag in CONTENDERS:
                    r = convert(cy, site, counts, method, jobs, work, '%s%d' % (tag, rnd))
                    runs.setdefault(key, []).append(r)
                    print('  round %d: %-45s %.2f s' % (rnd + 1, r.label, r.wall), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(runs, messages, mb)


def report(runs, messages, mb):
    best = {k: min(v, key=lambda r: r.wall) for k, v in runs.items()}
    walls = {k: [r.wall for r in v] for k, v in runs.items()}
    sp = best['spool']
    print('%-45s %7s %8s %7s %9s %9s %9s %9s' % ('best of each', 's', 'msgs/s', 'MB/s',
                                                  'RSS MiB', 'srv ms/m', 'cli ms/m', 'vs spool'))
    for key, _, _, _ in CONTENDERS:
        r = best[key]
        print('%-45s %7.2f %8.0f %7.1f %9.1f %9.2f %9.2f %9.2f   (rounds: %s s)'
              % (r.label, r.wall, r.rate(), r.mb_s(), r.rss_kib / 1024, r.server_ms(),
                 r.client_ms(), r.rate() / sp.rate(), ', '.join('%.2f' % w for w in walls[key])))
    print('  (spool: its reconstructs run outside master, so their CPU counts as the client\'s)')

    def extra(key, jobs):
        r = best[key]
        return {'jobs': jobs, 'messages_per_s': r.rate(), 'mb_per_s': r.mb_s(),
                'peak_rss_kib': r.rss_kib,
                'server_ms_per_message': r.server_ms(), 'client_ms_per_message': r.client_ms(),
                'seconds': r.wall, 'rounds_s': ', '.join('%.2f' % w for w in walls[key]),
                'messages': messages, 'mb': mb, 'rounds': ROUNDS}

    spool_base = 'spool_messages_per_s same site'
    l1, lN, im = best['lmtp1'], best['lmtpN'], best['imap']
    bench.record('lmtp_messages_per_s', l1.rate(), 'messages/s', spool_base, sp.rate(),
                 l1.rate() / sp.rate(), **extra('lmtp1', 1))
    bench.record('lmtp_mb_per_s', l1.mb_s(), 'MB/s', 'spool_mb_per_s same site', sp.mb_s(),
                 l1.mb_s() / sp.mb_s(), **extra('lmtp1', 1))
    bench.record('lmtp_jobs_N_messages_per_s', lN.rate(), 'messages/s', spool_base, sp.rate(),
                 lN.rate() / sp.rate(), **extra('lmtpN', JOBS))
    bench.record('imap_same_site_messages_per_s', im.rate(), 'messages/s', spool_base,
                 sp.rate(), im.rate() / sp.rate(), **extra('imap', 1))
    bench.record('spool_same_site_messages_per_s', sp.rate(), 'messages/s',
                 'itself (the baseline of the lmtp entries)', sp.rate(), 1.0,
                 **extra('spool', CORES))
    print('lmtp: --jobs 1 %.0f msgs/s (%.1f MB/s), %.2fx the spool method; --jobs %d %.0f '
          'msgs/s, %.2fx; imap --jobs 1 %.2fx (no target)'
          % (l1.rate(), l1.mb_s(), l1.rate() / sp.rate(), JOBS, lN.rate(), lN.rate() / sp.rate(),
             im.rate() / sp.rate()))


if __name__ == '__main__':
    main()
