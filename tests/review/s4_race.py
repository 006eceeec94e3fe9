# --merge racing with a mail program that opens the inbox, then waits for the fcntl lock
# (mutt's way: fopen "a", then fcntl F_SETLK in a loop, then dotlock), then appends.
from base import *
env = Env('rvd')
with t.Cyrus() as cy:
    a = env.user('a')
    env.write(a, env.inbox(a), msg(1) + msg(2))
    env.mapnames(cy); env.convert(cy)
    append(cy, a, b'From: x@y\r\nSubject: late\r\n\r\nlate\r\n')
    # the writer: open first, then wait for the fcntl lock, then append
    writer = subprocess.Popen(['python3', '-c', r'''
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
print("opened", flush=True); sys.stdin.readline()
fcntl.lockf(fd, fcntl.LOCK_EX)          # blocks while backout holds it
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b"From mutt@example.org Tue Feb  1 10:00:00 2022\nSubject: saved by mutt\n\nimportant\n\n")
print("appended", flush=True)
''', env.inbox(a)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert writer.stdout.readline() == b'opened\n'
    # backout with its rename slowed down by 2 s (strace fault injection), so that the
    # writer asks for its lock while backout holds it
    cmd = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'inject=rename,renameat,renameat2:delay_enter=2000000',
           BIN, 'backout', '--manifest', env.manifest] + sargs(cy) + ['--source-tz', 'UTC', '--merge']
    bo = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    writer.stdin.write(b'go\n'); writer.stdin.flush()
    o, e = bo.communicate()
    print('backout rc', bo.returncode, e.decode()[-300:])
    print('writer:', writer.stdout.readline())
    data = read(env.inbox(a))
    subs = re.findall(rb'Subject: (.*)', data)
    print('inbox subjects:', subs)
    print('LOST' if b'saved by mutt' not in data else 'kept')
