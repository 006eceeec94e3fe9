#!/usr/bin/env python3
# Review of issue 10: nothing stops two runs on the same state at once -- the journal
# (lib/journal.c) is opened without a lock.  Two `convert --method imap` of the same
# manifest started together (a cron job and an administrator, a second terminal; two
# `upload`s of one user) each read the journal before the other wrote, each APPEND
# every message: the mailbox holds all of them twice.
# Expected: the mail is there once (the second run waits for the first, or refuses:
# "another run is using STATE").
import os, random, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rvb')
rng = random.Random(11)
N = 400
u = site.user('a', inbox=b''.join(r.msg(b'm%04d' % i, b'x' * rng.randint(100, 4000) + b'\n')
                                  for i in range(N)))

with t.Cyrus() as cy:
    m = site.mapnames(cy, [u])
    argv = [t.BIN, 'convert', '--method', 'imap', '--manifest', m, '--cyrus-conf', cy.conf, '--port',
            str(cy.port), '--password-file', cy.password_file, '--batch-messages', '20']
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    codes = [p.returncode for p in runs]
    t.ok(0 in codes, 'one of two runs started together finishes', codes,
         *[o[1].decode(errors='replace')[-600:] for o in outs])
    im = cy.as_user(u)
    got = r.subjects(im, 'INBOX')
    im.logout()
    t.is_((len(got), len(set(got))), (N, N), 'every message once, not twice', codes)
t.done()
