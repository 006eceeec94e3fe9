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
    say why in an extra field, e.g. note=...); `extra` fields follow the six."""
    entries = []
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            entries = [e for e in json.load(f) if e.get('name') != name]
    entry = {'name': name, 'value': _round(value), 'unit': unit, 'baseline': baseline,
             'baseline_value': _round(baseline_value), 'ratio': _round(ratio)}
    entry.update((k, _round(v)) for k, v in extra.items())
    entries.append(entry)
    with open(RESULTS, 'w') as f:
        json.dump(entries, f, indent=1)
        f.write('\n')


def spool_site():
    """The site the spool and verify benches share, made once under bench/data:
    M2C_BENCH_USERS users (40), M2C_BENCH_SITE_MB MB (400) of generated mbox, each user
    with an INBOX (half), Mail/archive and Mail/sent-mail.  Returns (dir, users)."""
    users_n = int(os.environ.get('M2C_BENCH_USERS', '40'))
    site_mb = int(os.environ.get('M2C_BENCH_SITE_MB', '400'))
    site = os.path.join(DATA, 'spool-site-%du-%dM' % (users_n, site_mb))
    users = ['bench%02d' % i for i in range(users_n)]
    if os.path.exists(os.path.join(site, 'done')):
        return site, users
    shutil.rmtree(site, ignore_errors=True)
    per = site_mb // users_n
    for i, user in enumerate(users):
        os.makedirs(os.path.join(site, 'home', user, 'Mail'))
        os.makedirs(os.path.join(site, 'spool'), exist_ok=True)
        for name, share, seed in ((os.path.join(site, 'spool', user), 0.5, i),
                                  (os.path.join(site, 'home', user, 'Mail', 'archive'), 0.3, 1000 + i),
                                  (os.path.join(site, 'home', user, 'Mail', 'sent-mail'), 0.2, 2000 + i)):
            subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'gen-mbox.py'), name,
                            str(max(1, int(per * share))), str(seed), '6'], check=True,
                           stdout=subprocess.DEVNULL)
    open(os.path.join(site, 'done'), 'w').close()
    return site, users


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
