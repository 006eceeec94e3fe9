# a full disk: --into a small tmpfs; --in-place and --merge with the spool on a small tmpfs
from base import *
env = Env('rvh')
mounts = []
def small(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s,mode=1777' % size, 'tmpfs', path], check=True)
    mounts.append(path)
try:
  with t.Cyrus() as cy:
    a = env.user('a')
    big = b''.join(msg(i, body=b'x' * 70 + b'\n') * 1 for i in range(1))
    data = b''.join(msg(i, body=(b'line %d ' % i) * 10 + b'\n' * 1 + b'y' * 2000 + b'\n') for i in range(1, 30))
    print('inbox bytes', len(data))
    small(env.spool, '100k')
    env.write(a, env.inbox(a), data)
    env.mapnames(cy, [a]); print('convert', env.convert(cy).returncode)
    for k in range(5):
        append(cy, a, b'From: late@y\r\nSubject: late %d\r\n\r\n' % k + b'z' * 3000 + b'\r\n')
    into = os.path.join(env.tmp, 'into'); small(into, '40k')
    p = backout(env, cy, '--into', into, '--state', env.tmp + '/s1')
    print('INTO rc', p.returncode, p.stderr.decode()[-400:])
    for d, _, fs in os.walk(into): print('  into has', d, fs)
    for mode in ('--in-place', '--merge'):
        p = backout(env, cy, mode, '--state', env.tmp + '/s' + mode)
        print(mode, 'rc', p.returncode, p.stderr.decode()[-400:])
        print('  inbox intact:', read(env.inbox(a)) == data, 'spool:', os.listdir(env.spool))
        subprocess.run(['df', '-k', env.spool])
finally:
    for m in reversed(mounts): subprocess.run(['umount', '-l', m])
