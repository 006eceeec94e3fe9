#!/usr/bin/env python3
# --merge: the staging file fits, the append does not (ENOSPC in the middle of the append).
from rv import *
t.need_root()
with t.Cyrus() as cy:
    f = user('sp')
    put(f, os.path.join(SPOOL, f), msg(1) + msg(2))
    man = mapnames(cy, [f], os.path.join(TMP, 'm.tsv'))
    t.is_(convert(cy, man).returncode, 0, 'convert')
    small = os.path.join(TMP, 'small')
    os.makedirs(small)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=512k,mode=1777', 'tmpfs', small], check=True)
    try:
        shutil.copy(os.path.join(SPOOL, f), os.path.join(small, f))
        os.chown(os.path.join(small, f), pwd.getpwnam(f).pw_uid, pwd.getpwnam(f).pw_gid)
        mans = os.path.join(TMP, 'small.tsv')
        open(mans, 'w').write(open(man).read().replace(SPOOL, small))
        append(cy, f, b'From: x@y\r\nSubject: huge\r\n\r\n' + (b'z' * 998 + b'\r\n') * 200)
        st = os.statvfs(small)
        free = st.f_bavail * st.f_frsize
        with open(os.path.join(small, 'filler'), 'wb') as fl:
            fl.write(b'\0' * (free - 300 * 1024))
        before = read(os.path.join(small, f))
        state = os.path.join(TMP, 'st')
        p = backout(cy, mans, '--merge', '--user', f, '--state', state)
        t.ok(p.returncode == 75 and read(os.path.join(small, f)) == before and not leftovers(small),
             'ENOSPC in the append: 75, the inbox cut back, no lock/temp left', err(p), repr(os.listdir(small)),
             open(os.path.join(state, f + '.journal')).read())
        os.unlink(os.path.join(small, 'filler'))
        p = backout(cy, mans, '--merge', '--user', f, '--state', state)
        t.ok(p.returncode == 0 and count(os.path.join(small, f)) == 3, 'space back: the rerun adds it', err(p))
    finally:
        subprocess.run(['umount', small])
t.done()
