#!/usr/bin/env python3
# mbox2cyrus mapnames --users FILE USER...: a user named in the file and again on the
# command line is mapped once.  (read_users() once kept borrowed strings of the file
# in its set after freeing them: ASan saw a use after free, a plain build mapped bob
# twice, with a second INBOX row and a "saved-messages~2" folder.)
# No system users: the site lives in a temp dir, read with --no-owner-check.
import os, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

TAG = 'm2c%d' % (os.getpid() % 100000)
BOB, CAROL = TAG + 'bob', TAG + 'carol'
TMP = tempfile.mkdtemp(prefix='m2c-users.')
SPOOL = os.path.join(TMP, 'spool')
MBOX = b'From someone@example.org Tue Mar  4 10:00:00 2003\nSubject: hi\n\nhello\n\n'


def put(path, data=MBOX):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


for u in (BOB, CAROL):
    put(os.path.join(SPOOL, u))
put(os.path.join(TMP, 'home', BOB, 'mail', 'saved-messages'))
put(os.path.join(TMP, 'home', CAROL, 'Mail', 'postponed-msgs'))
users = os.path.join(TMP, 'users.txt')
put(users, ('# the site\n%s\n\n  %s  \n%s\n' % (CAROL, BOB, BOB)).encode())


def mapnames(*args):
    p = t.run([t.BIN, 'mapnames', '--users', users, '--spool-dir', SPOOL,
               '--home-template', os.path.join(TMP, 'home', '%u'), '--no-owner-check']
              + list(args), timeout=60)
    rows = [l.split('\t') for l in p.stdout.decode('utf-8', 'replace').splitlines()
            if l and not l.startswith('#') and not l.startswith('user\t')]
    return p, rows


for label, args in (('bob in the file and on the command line', [BOB]),
                    ('bob twice on the command line, carol too', [BOB, CAROL, BOB])):
    p, rows = mapnames(*args)
    t.is_(p.returncode, 0, '%s: exit 0' % label)
    t.ok(b'AddressSanitizer' not in p.stderr, '%s: no sanitizer report' % label, p.stderr.decode())
    sources = [r[2] for r in rows]
    t.is_(sorted(sources), sorted(set(sources)), '%s: one row per source' % label)
    t.is_(sorted((r[0], r[1], r[3]) for r in rows),
          [(BOB, 'user.' + BOB, 'inbox'), (BOB, 'user.%s.saved-messages' % BOB, 'folder'),
           (CAROL, 'user.' + CAROL, 'inbox'), (CAROL, 'user.%s.postponed-msgs' % CAROL, 'folder')],
          '%s: each user\'s inbox and folder once' % label)
    t.is_([r[1] for r in rows if '~' in r[1]], [], '%s: no "~2" names' % label)
    t.ok(b'2 users, 2 inboxes, 2 folders' in p.stderr, '%s: the summary counts 2 users' % label,
         p.stderr.decode())

shutil.rmtree(TMP)
t.done()
