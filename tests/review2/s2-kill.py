#!/usr/bin/env python3
# --merge killed in the middle of its append (M2C_FAULT=backout-append:N), then reruns.
from rv import *
t.need_root()

def big(n, kb):
    line = (b'x' * 75 + b'\r\n')
    return (b'From: big@example.org\r\nSubject: big %d\r\nMessage-ID: <big%d@x>\r\n\r\n' % (n, n) +
            line * (kb * 1024 // 77) + b'end of %d\r\n' % n)

def subjects(path):
    return sorted(re.findall(rb'^Subject: (.*)$', read(path), re.M))

with t.Cyrus() as cy:
    U = {k: user(k) for k in ('k1', 'k3', 'kw', 'kc', 'kt')}
    for u in U.values():
        put(u, os.path.join(SPOOL, u), msg(1) + msg(2))
    man = mapnames(cy, U.values(), os.path.join(TMP, 'm.tsv'))
    t.is_(convert(cy, man).returncode, 0, 'convert')
    for k in U:
        for n in range(3):
            typ, d = append(cy, U[k], big(n, 150))
            assert typ == 'OK', d
    want = sorted([b'msg 1', b'msg 2'] + [b'big %d' % n for n in range(3)])

    for k, spec in (('k1', 'backout-append:1'), ('k3', 'backout-append:4')):
        u = U[k]; inbox = os.path.join(SPOOL, u); state = os.path.join(TMP, 'st-' + k)
        p = backout(cy, man, '--merge', '--user', u, '--state', state, env=fault(spec))
        killed = p.returncode in (-9, 137)
        size_killed = os.path.getsize(inbox)
        p1 = backout(cy, man, '--merge', '--user', u, '--state', state)
        s1 = subjects(inbox)
        p2 = backout(cy, man, '--merge', '--user', u, '--state', state)
        t.ok(killed and p1.returncode == 0 and p2.returncode == 0 and s1 == want and subjects(inbox) == want
             and count(inbox) == 5 and not leftovers(SPOOL),
             '%s: killed in the append, two reruns: each message once' % spec,
             'killed %s size %d' % (killed, size_killed), repr(s1), repr(subjects(inbox)), err(p1), err(p2),
             repr(leftovers(SPOOL)))

    # killed in the append, then another writer appends (ignoring the stale dotlock)
    u = U['kw']; inbox = os.path.join(SPOOL, u); state = os.path.join(TMP, 'st-kw')
    p = backout(cy, man, '--merge', '--user', u, '--state', state, env=fault('backout-append:2'))
    killed = p.returncode in (-9, 137)
    at = os.path.getsize(inbox)
    with open(inbox, 'ab') as f:
        f.write(b'\nFrom other@example.org Tue Feb  1 10:00:00 2022\nSubject: other writer\n\nimportant\n\n')
    snap = read(inbox)
    p1 = backout(cy, man, '--merge', '--user', u, '--state', state)
    j = open(os.path.join(state, u + '.journal')).read()
    t.ok(killed and p1.returncode != 0 and b'offset' in p1.stderr and read(inbox) == snap,
         'killed, then another writer appended: the rerun refuses naming the offset, file untouched',
         err(p1), j)
    p2 = backout(cy, man, '--merge', '--user', u, '--state', state)
    t.ok(p2.returncode != 0 and read(inbox) == snap and not leftovers(SPOOL),
         'and again on a second rerun; no lock/temp left', err(p2), repr(leftovers(SPOOL)))

    # killed after the append is complete (backout-commit), then another writer appends
    u = U['kc']; inbox = os.path.join(SPOOL, u); state = os.path.join(TMP, 'st-kc')
    p = backout(cy, man, '--merge', '--user', u, '--state', state, env=fault('backout-commit:1'))
    killed = p.returncode in (-9, 137)
    with open(inbox, 'ab') as f:
        f.write(b'From other@example.org Tue Feb  1 10:00:00 2022\nSubject: other writer\n\nimportant\n\n')
    p1 = backout(cy, man, '--merge', '--user', u, '--state', state)
    t.ok(killed and p1.returncode == 0 and subjects(inbox) == sorted(want + [b'other writer']),
         'killed after the append, another writer appended: the rerun adds nothing, loses nothing',
         err(p1), repr(subjects(inbox)))

    # killed in the append; then the user's mail program truncates the file to before the append
    # and another message arrives that is longer than the cut: the rerun must not cut it
    u = U['kt']; inbox = os.path.join(SPOOL, u); state = os.path.join(TMP, 'st-kt')
    orig = read(inbox)
    p = backout(cy, man, '--merge', '--user', u, '--state', state, env=fault('backout-append:1'))
    partial = read(inbox)
    journal = open(os.path.join(state, u + '.journal')).read()
    m = re.search(r'at=(\d+) sep=(\d+) length=(\d+)', journal)
    at, sep, length = int(m.group(1)), int(m.group(2)), int(m.group(3))
    # in-place rewrite (same inode): keep the old messages, then a new message whose bytes
    # are a prefix-equal copy of the staged file? here: plain different text
    with open(inbox, 'r+b') as f:
        f.truncate(at)
        f.seek(at)
        f.write(partial[at:at + 70000])   # a program re-writing the same first bytes (e.g. a copy)
        f.write(b'\n\nFrom other@example.org Tue Feb  1 10:00:00 2022\nSubject: other writer\n\nimportant\n\n')
    snap = read(inbox)
    p1 = backout(cy, man, '--merge', '--user', u, '--state', state)
    t.ok(b'other writer' in read(inbox), 'a different tail after a kill is never cut', err(p1))
t.done()
