# --in-place killed right after the backup's link(2), before the journal says so; then a rerun
from base import *
env = Env('rvg')
with t.Cyrus() as cy:
    a = env.user('a')
    env.write(a, env.inbox(a), msg(1) + msg(2))
    env.mapnames(cy, [a]); env.convert(cy)
    orig = read(env.inbox(a))
    st = env.tmp + '/state'
    cmd = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'inject=linkat:delay_exit=1500000',
           BIN, 'backout', '--manifest', env.manifest] + sargs(cy) + ['--in-place', '--state', st]
    p = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    bk = env.inbox(a) + '.pre-backout'
    for _ in range(200):
        if os.path.exists(bk): break
        time.sleep(0.02)
    os.killpg(p.pid, 9); p.wait()
    print('killed; backup exists:', os.path.exists(bk), 'journal:', open(st + '/' + a + '.journal').read() if os.path.exists(st + '/' + a + '.journal') else None)
    print('spool:', os.listdir(env.spool))
    p = backout(env, cy, '--in-place', '--state', st)
    print('rerun rc', p.returncode, p.stderr.decode()[-500:])
    p = backout(env, cy, '--in-place', '--state', st)
    print('rerun2 rc', p.returncode, p.stderr.decode()[-300:])
    print('inbox is original:', read(env.inbox(a)) == orig, 'spool:', os.listdir(env.spool))
