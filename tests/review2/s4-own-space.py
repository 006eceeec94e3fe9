#!/usr/bin/env python3
# --merge: another user's file, a full disk (small tmpfs spool), a read-only directory.
from rv import *
t.need_root()

with t.Cyrus() as cy:
    d, e, f = user('od'), user('oe'), user('of')
    for u in (d, e):
        put(u, os.path.join(SPOOL, u), msg(1) + msg(2))
    put(d, os.path.join(home(d), 'Mail', 'proj'), msg(7))
    # f's inbox on a tiny tmpfs
    small = os.path.join(TMP, 'small')
    os.makedirs(small)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=96k,mode=1777', 'tmpfs', small], check=True)
    try:
        man = mapnames(cy, [d, e, f], os.path.join(TMP, 'm.tsv'))
        put(f, os.path.join(SPOOL, f), msg(1) + msg(2))
        man = mapnames(cy, [d, e, f], os.path.join(TMP, 'm.tsv'))
        t.is_(convert(cy, man).returncode, 0, 'convert')
        # move f's inbox to the tmpfs: a manifest whose spool-dir is `small`
        shutil.copy(os.path.join(SPOOL, f), os.path.join(small, f))
        os.chown(os.path.join(small, f), pwd.getpwnam(f).pw_uid, pwd.getpwnam(f).pw_gid)
        text = open(man).read().replace(SPOOL, small)
        mans = os.path.join(TMP, 'small.tsv')
        open(mans, 'w').write(text)
        append(cy, f, b'From: x@y\r\nSubject: huge\r\n\r\n' + (b'z' * 998 + b'\r\n') * 150)
        # fill the tmpfs but leave room for the staging? no: leave ~40k
        with open(os.path.join(small, 'filler'), 'wb') as fl:
            fl.write(b'\0' * 40000)
        before = read(os.path.join(small, f))
        p = backout(cy, mans, '--merge', '--user', f)
        t.ok(p.returncode == 75 and read(os.path.join(small, f)) == before and
             not leftovers(small), 'full disk: temporary (75), inbox unchanged, no lock/temp left',
             err(p), repr(os.listdir(small)))
        # staging fits, append does not: stage in the staging file on the same fs...
        os.unlink(os.path.join(small, 'filler'))
        with open(os.path.join(small, 'filler'), 'wb') as fl:
            fl.write(b'\0' * (96 * 1024 - 160 * 1024 // 2 - 8192))
        p = backout(cy, mans, '--merge', '--user', f)
        t.diag('second try: ' + err(p))
        t.ok(read(os.path.join(small, f)) == before or count(os.path.join(small, f)) == 3,
             'full disk, second shape: the inbox whole (old, or old + new)', err(p))
        t.ok(not leftovers(small), 'no lock/temp left', repr(os.listdir(small)))
    finally:
        subprocess.run(['umount', small])

    # --merge, a row naming another user's file (world-readable)
    victim = os.path.join(home(e), 'Mail', 'private')
    for dd in (home(e), os.path.join(home(e), 'Mail')):
        os.chmod(dd, 0o755)
    put(e, victim, msg(9), mode=0o644)
    rows = [l for l in open(man).read().splitlines(True) if l.startswith(d + '\t') or l.startswith('#')
            or l.startswith('user\t')]
    hostile = os.path.join(TMP, 'hostile.tsv')
    # the INBOX row points at e's file
    open(hostile, 'w').write(''.join(l.replace(os.path.join(SPOOL, d), victim) for l in rows))
    append(cy, d, b'From: x@y\r\nSubject: late d\r\n\r\nlate\r\n')
    p = backout(cy, hostile, '--merge', '--user', d, '--state', os.path.join(TMP, 'st-h'))
    t.ok(p.returncode != 0 and read(victim) == msg(9), '--merge: a row naming another user\'s file is refused',
         err(p))
    # --merge, the inbox row's file missing in a directory the user cannot write
    locked = os.path.join(TMP, 'rootdir')
    os.makedirs(locked)
    os.chmod(locked, 0o755)
    hostile2 = os.path.join(TMP, 'hostile2.tsv')
    open(hostile2, 'w').write(''.join(l.replace(os.path.join(SPOOL, d), os.path.join(locked, 'inbox'))
                                      for l in rows))
    p = backout(cy, hostile2, '--merge', '--user', d, '--state', os.path.join(TMP, 'st-h2'))
    t.ok(p.returncode != 0 and not os.path.exists(os.path.join(locked, 'inbox')),
         '--merge: a new file in a directory the user cannot write is refused', err(p))
t.done()
