"""bench.py -- shared helpers for the benchmarks: timing, peak RSS, results.json.

Every figure is printed as a ratio against a baseline measured in the same run, and
stored in bench/results.json: a JSON list of objects with name, value, unit, baseline,
baseline_value, ratio (an entry of the same name is replaced).
"""
import json, os, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, 'bench', 'results.json')
DATA = os.path.join(ROOT, 'bench', 'data')


def run(argv, repeat=3):
    """Run argv with stdout to /dev/null; return (seconds, peak RSS in KiB), best of
    `repeat`.  RSS comes from GNU time's %M: a fork from Python would report Python's
    own memory from before the exec."""
    best = None
    for _ in range(repeat):
        with open(os.devnull, 'wb') as null:
            t0 = time.monotonic()
            p = subprocess.run(['/usr/bin/time', '-f', '%M'] + argv, stdout=null,
                               stderr=subprocess.PIPE)
            dt = time.monotonic() - t0
        if p.returncode != 0:
            raise RuntimeError('%s failed: %s' % (argv, p.stderr.decode(errors='replace')[-500:]))
        rss = int(p.stderr.decode().strip().splitlines()[-1])
        if best is None or dt < best[0]:
            best = (dt, rss)
    return best


def _round(x):
    return round(x, 3) if isinstance(x, float) else x


def record(name, value, unit, baseline, baseline_value, ratio, **extra):
    """Store one entry.  value and ratio may be None (the measured side could not run:
    say why in an extra field, e.g. note=...); `extra` fields follow the six.  Every
    entry gives the measured side's messages_per_s, mb_per_s and peak_rss_kib (None
    where they do not apply), and the scale it was taken at."""
    entries = []
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            entries = [e for e in json.load(f) if e.get('name') != name]
    entry = {'name': name, 'value': _round(value), 'unit': unit, 'baseline': baseline,
             'baseline_value': _round(baseline_value), 'ratio': _round(ratio)}
    for k in ('messages_per_s', 'mb_per_s', 'peak_rss_kib'):
        extra.setdefault(k, None)
    extra.setdefault('scale', scale())
    entry.update((k, _round(v)) for k, v in extra.items())
    entries.append(entry)
    with open(RESULTS, 'w') as f:
        json.dump(entries, f, indent=1)
        f.write('\n')


# BENCH_SCALE (make bench BENCH_SCALE=small|full; M2C_BENCH_SCALE in the scripts):
# the sizes of the generated data.  small (the default) runs the whole `make bench` in
# a few minutes on two cores; full is the larger site the figures were first taken on.
# Every M2C_BENCH_* knob that names a size still overrides its scale's value.
SCALES = {
    #        users  site MB  reader MB  imap/lmtp users
    'small': (8,     120,     512,       8),
    'full':  (40,    400,     1100,      8),
}


def scale():
    """The scale's name, from M2C_BENCH_SCALE (small when unset)."""
    name = os.environ.get('M2C_BENCH_SCALE') or 'small'
    if name not in SCALES:
        raise SystemExit('bench: BENCH_SCALE=%s: expected small or full' % name)
    return name


def knob(env, index):
    """The integer knob `env` if set (and not empty), else the scale's value `index`."""
    v = os.environ.get(env)
    return int(v) if v else SCALES[scale()][index]


def site_users():
    return knob('M2C_BENCH_USERS', 0)


def site_mb():
    return knob('M2C_BENCH_SITE_MB', 1)


def reader_mb():
    return knob('M2C_BENCH_MB', 2)


def imap_users():
    """How many of the site's users the imap and lmtp benches take (the first ones)."""
    return min(knob('M2C_BENCH_IMAP_USERS', 3), site_users())


# The site's folders: (the file under the site, share of the user's mail, seed offset).
# INBOX in the spool, two folders under ~/Mail as Pine keeps them.
SITE_FOLDERS = (('spool/%s', 0.5, 0), ('home/%s/Mail/archive', 0.3, 1000),
                ('home/%s/Mail/sent-mail', 0.2, 2000))


def site():
    """The one generated site every bench but the reader's uses, made once under
    bench/data: site_users() users (M2C_BENCH_USERS; BENCH_USERS), site_mb() MB of mbox
    in all (M2C_BENCH_SITE_MB; a folder ends with the message that passes its share, so
    with the MB-sized tail the site comes out about a third larger), each user with an INBOX (half of their mail),
    Mail/archive and Mail/sent-mail; message sizes drawn like real mail (gen-mbox.py
    real: many of 2-20 KB, a tail of MB-sized attachments).  The same knobs give the
    same bytes.  Returns (dir, users)."""
    users_n, mb = site_users(), site_mb()
    path = os.path.join(DATA, 'site-real-%du-%dM' % (users_n, mb))
    users = ['bench%02d' % i for i in range(users_n)]
    if os.path.exists(os.path.join(path, 'done')):
        return path, users
    shutil.rmtree(path, ignore_errors=True)
    per = mb / users_n
    for i, user in enumerate(users):
        os.makedirs(os.path.join(path, 'home', user, 'Mail'))
        os.makedirs(os.path.join(path, 'spool'), exist_ok=True)
        for name, share, seed in SITE_FOLDERS:
            subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'gen-mbox.py'),
                            os.path.join(path, name % user), '%.3f' % max(0.1, per * share),
                            str(seed + i), 'real'], check=True, stdout=subprocess.DEVNULL)
    open(os.path.join(path, 'done'), 'w').close()
    return path, users


spool_site = site          # its old name


def site_files(path):
    """The site's mbox files (not its 'done' mark), in a stable order."""
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs
                  if f != 'done')


def site_messages(path):
    """How many messages the site at `path` holds, as mbox2cyrus scan splits them
    (counted once, kept in PATH.messages, beside the site: the site is copied whole)."""
    cache = path + '.messages'
    if os.path.exists(cache):
        with open(cache) as f:
            return int(f.read())
    out = subprocess.run([os.path.join(ROOT, 'mbox2cyrus'), 'scan'] + site_files(path),
                         stdout=subprocess.PIPE, check=True).stdout
    n = sum(1 for l in out.splitlines() if l[:1].isdigit())
    with open(cache, 'w') as f:
        f.write('%d\n' % n)
    return n


def convert_site(cy, site, users, manifest):
    """mapnames + convert --method spool of spool_site()'s site into the Cyrus `cy`
    (tests/lib/m2ctest.py), the manifest written to `manifest`.  The binary is the
    project's ./mbox2cyrus."""
    binary = os.path.join(ROOT, 'mbox2cyrus')
    subprocess.run([binary, 'mapnames', '--home-template', os.path.join(site, 'home', '%u'),
                    '--spool-dir', os.path.join(site, 'spool'), '--no-owner-check',
                    '--cyrus-conf', cy.conf, '-o', manifest] + users, check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run([binary, 'convert', '--method', 'spool', '--manifest', manifest,
                    '--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file',
                    cy.password_file], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
