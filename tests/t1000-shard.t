#!/usr/bin/env python3
# --shard K/N: one migration spread over N hosts or job array tasks.  convert runs with
# --shard K/3 for K = 1, 2, 3 at once, as GNU parallel jobs (Debian's `parallel`),
# against one Cyrus: the three slices are disjoint, their union is every user, each
# user is in the slice the documented hash names (FNV-1a 64 of the user name, mod N,
# plus 1; computed here), and the result equals an unsharded run into another Cyrus,
# mailbox by mailbox (bytes, flags, INTERNALDATE through imaplib); verify agrees slice
# by slice; a bad --shard is a usage error.  A Cyrus Murder: mapnames reads a users file
# with a backend per user ("user server") into the manifest's server column, and
# convert --server NAME sends each backend exactly its users (two Cyrus servers here).
import json, os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

PARALLEL = shutil.which('parallel')
if PARALLEL is None:
    t.skip_all('GNU parallel is not installed (tests/deps.sh installs it)')
N_USERS = 12
TMP = tempfile.mkdtemp(prefix='m2c-shard.', dir='/tmp')
os.chmod(TMP, 0o755)
site = gen.Site(TMP, N_USERS, 'm2s%d' % (os.getpid() % 10000), seed=1000)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def fnv_slice(user, n):
    h = 14695981039346656037
    for b in user.encode():
        h ^= b
        h = (h * 1099511628211) % (1 << 64)
    return h % n + 1


def server(cy):
    return ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]


def contents(cy):
    out = {}
    for (u, f), _ in site.expected.items():
        imap = cy.as_user(u)
        typ, data = imap.select('"%s"' % site.personal(f, cy.sep), readonly=True)
        got = t.fetch_messages(imap) if typ == 'OK' and int(data[0]) > 0 else []
        out[(u, f)] = [(body, sorted(flags), date) for _, body, flags, date in got]
        imap.logout()
    return out


with t.Cyrus() as cy, t.Cyrus() as whole:
    manifest = os.path.join(TMP, 'm.tsv')
    p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o',
               manifest] + site.users)
    t.is_(p.returncode, 0, 'mapnames')
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--shard', '4/3']
              + server(cy))
    t.is_(p.returncode, 64, '--shard 4/3: a usage error')
    report = os.path.join(TMP, 'r{}.json')
    p = t.run([PARALLEL, '-j3', '--halt', 'never', t.BIN, 'convert', '--method', 'spool',
               '--manifest', manifest, '--shard', '{}/3', '--report', report] + server(cy)
              + [':::', '1', '2', '3'])
    t.is_(p.returncode, 0, 'three slices converted at once by GNU parallel: exit 0',
          p.stderr.decode(errors='replace')[-1500:])
    slices = {}
    for k in (1, 2, 3):
        with open(report.replace('{}', str(k))) as f:
            slices[k] = {u['user'] for u in json.load(f)['users'] if u['status'] == 'done'}
    t.ok(not (slices[1] & slices[2]) and not (slices[1] & slices[3]) and not (slices[2] & slices[3]),
         'the slices are disjoint', slices)
    t.is_(sorted(slices[1] | slices[2] | slices[3]), sorted(site.users), 'their union is every user')
    t.is_({u: k for k in slices for u in slices[k]}, {u: fnv_slice(u, 3) for u in site.users},
          'each user is in the slice the documented hash names')
    t.is_(site.check(cy)[:8], [], 'Cyrus holds the whole site, as made')

    p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', whole.conf, '-o',
               manifest + '.whole'] + site.users)
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest + '.whole'] + server(whole))
    t.is_(p.returncode, 0, 'an unsharded run into another Cyrus', p.stderr.decode()[-800:])
    t.ok(contents(cy) == contents(whole), 'the sharded result equals the unsharded one, mailbox '
         'by mailbox: bytes, flags, INTERNALDATE')

    p = t.run([PARALLEL, '-j3', t.BIN, 'verify', '--manifest', manifest, '--shard', '{}/3']
              + server(cy) + [':::', '1', '2', '3'])
    t.is_(p.returncode, 0, 'verify, slice by slice: every slice agrees', p.stderr.decode()[-800:])

# ---- a Murder: each backend's users to that backend ----
users_file = os.path.join(TMP, 'users.txt')
backend = {u: 'b%d' % (i % 2 + 1) for i, u in enumerate(site.users)}
with open(users_file, 'w') as f:
    f.write('# user backend\n' + ''.join('%s %s\n' % (u, backend[u]) for u in site.users))
with t.Cyrus() as b1, t.Cyrus() as b2:
    manifest = os.path.join(TMP, 'murder.tsv')
    p = t.run([t.BIN, 'mapnames', '--users', users_file, '--spool-dir', site.spool,
               '--cyrus-conf', b1.conf, '-o', manifest])
    t.is_(p.returncode, 0, 'mapnames with a backend per user', p.stderr.decode()[-500:])
    with open(manifest) as f:
        lines = [l.rstrip('\n').split('\t') for l in f if not l.startswith('#')]
    header, rows = lines[0], lines[1:]
    t.is_(header[-1], 'server', 'the manifest has a server column')
    t.ok(rows and all(r[-1] == backend[r[0]] for r in rows), 'each row names its user\'s backend')
    for name, cy in (('b1', b1), ('b2', b2)):
        p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--server', name,
                   '--state', manifest + '.' + name] + server(cy))
        t.is_(p.returncode, 0, 'convert --server %s' % name, p.stderr.decode()[-800:])
        mine = [u for u in site.users if backend[u] == name]
        t.is_(site.check(cy, users=mine)[:5], [], '%s holds its users\' mail, as made' % name)
        others = []
        for u in site.users:
            if backend[u] != name:
                imap = cy.admin()
                typ, data = imap.list('""', cy.user_mailbox(u))
                if typ == 'OK' and data and data[0] is not None:
                    others.append(u)
                imap.logout()
        t.is_(others, [], '... and no mailbox of the other backend\'s users')
t.done()
