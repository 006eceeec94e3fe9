# kill -9 at many points in each mode, then a rerun: every message once, no temp/lock left,
# the backup the original
from base import *
env = Env('rvf')
def snapshot(paths): return {p: read(p) for p in paths}
def restore(snap, owner):
    for p, d in snap.items():
        for f in os.listdir(os.path.dirname(p)):
            if f.startswith(os.path.basename(p) + '.') or f.startswith('.' + os.path.basename(p)):
                os.unlink(os.path.join(os.path.dirname(p), f))
        env.write(owner[p], p, d)
problems = []
with t.Cyrus() as cy:
    files, owner = [], {}
    for name in ('a', 'b'):
        u = env.user(name)
        env.write(u, env.inbox(u), b''.join(msg(i) for i in range(1, 6)))
        for fo in ('f1', 'f2'):
            env.write(u, os.path.join(env.home(u), 'Mail', fo), b''.join(msg(i) for i in range(10, 14)))
        for p in [env.inbox(u)] + [os.path.join(env.home(u), 'Mail', fo) for fo in ('f1', 'f2')]:
            files.append(p); owner[p] = u
    env.mapnames(cy); print('convert', env.convert(cy).returncode)
    for u in env.users:
        for k in range(3):
            append(cy, u, b'From: late@y\r\nSubject: late %d\r\n\r\nlate %d\r\n' % (k, k))
        append(cy, u, b'From: late@y\r\nSubject: latef\r\n\r\nlate f\r\n', mbox='INBOX.f1')
    orig = snapshot(files)
    def mbname(p):
        return 'INBOX' if '/spool/' in p else 'INBOX.' + os.path.basename(p)
    want = {p: cyrus_msgs(cy, owner[p], mbname(p)) for p in files}
    def check(label, mode, into=None):
        for p in files:
            f = (into + p) if into else p
            if not os.path.exists(f):
                problems.append('%s: %s missing' % (label, f)); continue
            _, msgs = parse(read(f))
            if mode == 'merge':
                _, old = parse(orig[p])
                exp = [m['content'] for m in old]
                extra = [b.replace(b'\r\n', b'\n') for (_, b, _) in want[p]]
                have_old = [m['content'] for m in msgs[:len(old)]]
                newc = [m['content'] for m in msgs[len(old):]]
                oldc = set(m['content'] for m in old)
                expect_new = [c for c in extra if c not in oldc]
                if have_old != exp or newc != expect_new:
                    problems.append('%s: %s: %d messages, expected %d+%d' % (label, f, len(msgs), len(old), len(expect_new)))
            else:
                got = [m['content'] for m in msgs]
                exp = [b.replace(b'\r\n', b'\n') for (_, b, _) in want[p]]
                if got != exp:
                    problems.append('%s: %s: %d messages, Cyrus %d' % (label, f, len(got), len(exp)))
                if mode == 'in-place' and read(p + '.pre-backout') != orig[p]:
                    problems.append('%s: %s: the backup is not the original' % (label, p))
                if mode == 'in-place' and os.path.exists(p + '.pre-backout.1'):
                    problems.append('%s: %s: a second backup' % (label, p))
            d = os.path.dirname(f)
            left = [x for x in os.listdir(d) if 'm2c-backout' in x or x.endswith('.lock') or '.lock.' in x]
            if left: problems.append('%s: left in %s: %s' % (label, d, left))
    points = ['backout-message:%d' % n for n in (1, 3, 6, 9, 14, 20)] + ['backout-commit:%d' % n for n in (1, 2, 4)] + ['backout-backup:%d' % n for n in (1, 2, 3)]
    for mode in ('into', 'in-place', 'merge'):
        for pt in points:
            if pt.startswith('backout-backup') and mode != 'in-place': continue
            restore(orig, owner)
            st = os.path.join(env.tmp, 'st-%s-%s' % (mode, pt.replace(':', '-')))
            into = os.path.join(env.tmp, 'into-' + pt.replace(':', '-'))
            args = ['--in-place'] if mode == 'in-place' else ['--merge'] if mode == 'merge' else ['--into', into]
            p = backout(env, cy, *args, '--state', st, '--jobs', '1', envv=dict(os.environ, M2C_FAULT=pt))
            killed = p.returncode in (-9, 137)
            p2 = backout(env, cy, *args, '--state', st, '--jobs', '1')
            label = '%s %s (killed=%s rerun=%d)' % (mode, pt, killed, p2.returncode)
            n0 = len(problems)
            if p2.returncode != 0: problems.append(label + ': ' + p2.stderr.decode()[-300:])
            check(label, mode, into if mode == 'into' else None)
            print(label, 'OK' if len(problems) == n0 else 'PROBLEMS')
print('\n'.join(problems))
