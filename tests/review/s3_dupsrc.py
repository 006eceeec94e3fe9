# a source inbox holding the same message twice: convert, then backout --into / --merge
from base import *
env = Env('rvc')
with t.Cyrus() as cy:
    a = env.user('a')
    env.write(a, env.inbox(a), msg(1) + msg(2) + msg(2) + msg(2) + msg(3) + msg(3))
    env.mapnames(cy); p = env.convert(cy); print('convert', p.returncode)
    print('cyrus has', len(cyrus_msgs(cy, a)))
    for b in ('/work/wt-r/mbox2cyrus', '/work/wt-r/build-san/mbox2cyrus'):
        into = os.path.join(env.tmp, 'into-%d' % len(b))
        p = backout(env, cy, '--into', into, '--state', into + '.st', binp=b)
        print(b, 'into rc', p.returncode, p.stderr.decode()[-1500:])
        if os.path.exists(into + env.inbox(a)):
            print(' file messages', len(parse(read(into + env.inbox(a)))[1]))
    p = backout(env, cy, '--merge')
    print('merge rc', p.returncode, p.stderr.decode()[-500:], len(parse(read(env.inbox(a)))[1]))
