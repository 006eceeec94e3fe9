#!/usr/bin/env python3
# Defects found reviewing backout (each failed until it was fixed; now regression
# checks), against a real
# Cyrus, checked with imaplib and tests/lib/mboxparse.py:
#  1. a source holding the same message twice: backout crashes (assign(): a held list
#     freed by g_hash_table_replace's value destroy while it is still the new value);
#  2. a second --merge adds again a message whose stored header has a line backout drops
#     (Content-Length, Status/X-Status/X-UID) or that has no empty line after its header;
#  3. --merge killed after its rename: the rerun has nothing to add, never locks, and
#     leaves the killed run's NAME.lock in the spool (mail delivery blocked);
#  4. --in-place, a row whose source is another user's file: replaced by one owned by
#     the row's user (exit 0, a warning);
#  5. --in-place killed between the backup's link(2) and its journal line: every rerun
#     refused the file ("2 hard links").  Now the name is journaled before the link:
#     a kill there leaves a journaled backup not made yet, and the rerun makes it; a
#     second link nobody journaled is somebody else's and is still refused;
#  6. --merge racing with a mail program that opens the inbox, then waits for the fcntl
#     lock (mutt's order): its message goes to the replaced inode, lost.  Needs strace.
import os, pwd, re, shutil, subprocess, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from merge_site import *     # TMP, SPOOL, user, put, msg, count, backout, append, err ...

t.need_root()


with t.Cyrus() as cy:
    a, b, c, d, e, g = user('a'), user('b'), user('c'), user('d'), user('e'), user('g')
    put(a, os.path.join(SPOOL, a), msg(1) + msg(2) + msg(2) + msg(3))          # 1: same bytes twice
    for u in (b, c, d, e, g):
        put(u, os.path.join(SPOOL, u), msg(1) + msg(2))
    put(d, os.path.join(home(d), 'Mail', 'proj'), msg(7))
    manifest = os.path.join(TMP, 'm.tsv')
    p = t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL, '--cyrus-conf', cy.conf, '-o', manifest,
               a, b, c, d, e, g])
    t.is_(p.returncode, 0, 'mapnames')
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--source-tz', 'UTC'] +
              server_args(cy))
    t.is_(p.returncode, 0, 'convert', err(p))

    # 1. the same message twice in a source
    into = os.path.join(TMP, 'into')
    p = backout(cy, manifest, '--into', into, '--user', a)
    t.ok(p.returncode == 0 and os.path.exists(into + os.path.join(SPOOL, a)) and
         count(into + os.path.join(SPOOL, a)) == 4,
         'a source holding one message twice: backout --into writes its 4 messages', err(p))

    # 2. a second --merge adds nothing, whatever the header holds
    late = [b'From: x@y\r\nSubject: with a length\r\nContent-Length: 5\r\n\r\nhello\r\n',
            b'From: x@y\r\nSubject: with a status\r\nStatus: RO\r\nX-UID: 99\r\n\r\nplanted\r\n',
            b'From: x@y\r\nSubject: no body\r\n']
    for body in late:
        append(cy, b, body)
    inbox = os.path.join(SPOOL, b)
    p = backout(cy, manifest, '--merge', '--user', b)
    first = count(inbox)
    t.ok(p.returncode == 0 and first == 5, '--merge adds the 3 new messages', err(p), 'messages: %d' % first)
    p = backout(cy, manifest, '--merge', '--user', b)
    t.ok(p.returncode == 0 and count(inbox) == first, 'a second --merge adds nothing (Content-Length, '
         'Status/X-UID, no body)', err(p), '%d messages after it, %d before' % (count(inbox), first))

    # 3. --merge killed after the rename: no dotlock left once the rerun is done
    append(cy, c, b'From: x@y\r\nSubject: late\r\n\r\nlate\r\n')
    state = os.path.join(TMP, 'st-c')
    p = backout(cy, manifest, '--merge', '--user', c, '--state', state,
                env=dict(os.environ, M2C_FAULT='backout-commit:1'))
    killed = p.returncode in (-9, 137)
    p = backout(cy, manifest, '--merge', '--user', c, '--state', state)
    left = [f for f in os.listdir(SPOOL) if f.startswith(c + '.lock')]
    t.ok(killed and p.returncode == 0 and count(os.path.join(SPOOL, c)) == 3 and not left,
         '--merge killed after its rename, then a rerun: the message once, no lock left behind',
         'killed: %s' % killed, err(p), 'left: %r' % left)

    # 4. --in-place: a row pointing at another user's file is refused
    victim = os.path.join(home(e), 'Mail', 'private')
    for dd in (home(e), os.path.join(home(e), 'Mail')):
        os.chmod(dd, 0o755)
    put(e, victim, msg(9), mode=0o644)
    rows = [l for l in open(manifest).read().splitlines(True) if l.startswith(d + '\t') or l.startswith('#')
            or l.startswith('user\t')]
    hostile = os.path.join(TMP, 'hostile.tsv')
    with open(hostile, 'w') as f:
        f.write(''.join(l.replace(os.path.join(home(d), 'Mail', 'proj'), victim) for l in rows))
    p = backout(cy, hostile, '--in-place', '--user', d, '--state', os.path.join(TMP, 'st-d'))
    st = os.lstat(victim)
    t.ok(p.returncode != 0 and st.st_uid == pwd.getpwnam(e).pw_uid and read(victim) == msg(9),
         '--in-place: a row naming another user\'s file is refused, the file left alone',
         err(p), 'owner now %s' % pwd.getpwuid(st.st_uid).pw_name)

    # 5. --in-place killed between the backup's journal line and its link(2), then a rerun
    ib = os.path.join(SPOOL, g)
    original = read(ib)
    state = os.path.join(TMP, 'st-g')
    p = backout(cy, manifest, '--in-place', '--user', g, '--state', state,
                env=dict(os.environ, M2C_FAULT='backout-backup:1'))
    killed = p.returncode in (-9, 137)
    made_before = os.path.exists(ib + '.pre-backout')
    p = backout(cy, manifest, '--in-place', '--user', g, '--state', state)
    t.ok(killed and not made_before and p.returncode == 0 and read(ib + '.pre-backout') == original and
         count(ib) == 2, '--in-place killed between the backup\'s journal line and its link: the '
         'rerun makes the backup and goes on', 'killed: %s, made before: %s' % (killed, made_before), err(p))
    # a second link to the inbox that no run of ours journaled: somebody else's, refused
    os.unlink(ib + '.pre-backout')
    with open(ib, 'wb') as f:
        f.write(original)
    os.link(ib, ib + '.someones')
    p = backout(cy, manifest, '--in-place', '--user', g, '--state', os.path.join(TMP, 'st-g2'))
    t.ok(p.returncode == 1 and b'hard links' in p.stderr and read(ib) == original,
         '--in-place: an inbox with a second link nobody journaled is refused, left alone', err(p))

    # 6. --merge racing with a writer that opened the inbox before locking it
    if shutil.which('strace') is None:
        t.skip('--merge racing with an open-then-lock writer', 'no strace')
    else:
        u = c
        ic = os.path.join(SPOOL, u)
        append(cy, u, b'From: x@y\r\nSubject: late 2\r\n\r\nlate 2\r\n')
        writer = subprocess.Popen(['python3', '-c', 'import fcntl, os, sys\n'
                                   'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)\n'
                                   'print("opened", flush=True); sys.stdin.readline()\n'
                                   'fcntl.lockf(fd, fcntl.LOCK_EX)\n'
                                   'os.write(fd, b"From mutt@example.org Tue Feb  1 10:00:00 2022\\n'
                                   'Subject: saved by mutt\\n\\nimportant\\n\\n")\n', ic],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        t.is_(writer.stdout.readline(), b'opened\n', 'a mail program has the inbox open')
        bo = subprocess.Popen(['strace', '-f', '-qq', '-o', '/dev/null', '-e',
                               'inject=rename,renameat,renameat2:delay_enter=2000000', t.BIN, 'backout',
                               '--manifest', manifest, '--source-tz', 'UTC', '--merge', '--user', u] +
                              server_args(cy), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        writer.stdin.write(b'go\n')
        writer.stdin.flush()
        bo.communicate()
        writer.wait()
        data = read(ic)
        t.ok(b'saved by mutt' in data and b'late 2' in data,
             '--merge racing with a writer that waits for the fcntl lock: both messages in the inbox',
             're-read: %r' % re.findall(rb'Subject: (.*)', data))

t.done()
