from base import *
env = Env('rvk')
with t.Cyrus() as cy:
    a = env.user('a')
    env.write(a, env.inbox(a), msg(1))
    env.mapnames(cy, [a]); env.convert(cy)
    append(cy, a, b'From: late@y\r\nSubject: late\r\n\r\nlate\r\n')
    before = read(env.inbox(a))
    for kind in ('lockf', 'flock'):
        h = subprocess.Popen(['python3', '-c', 'import fcntl,os,sys\nfd=os.open(sys.argv[1],os.O_RDWR)\n'
            'fcntl.%s(fd, fcntl.LOCK_EX)\nprint("held",flush=True)\nsys.stdin.read()' % kind, env.inbox(a)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        h.stdout.readline()
        p = backout(env, cy, '--merge', '--lock-timeout', '1')
        print(kind, 'rc', p.returncode, p.stderr.decode()[-250:].strip())
        print('  untouched', read(env.inbox(a)) == before, os.listdir(env.spool))
        h.stdin.close(); h.wait()
