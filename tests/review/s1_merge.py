# merge twice with odd messages delivered to Cyrus after the cutover
from base import *
env = Env('rva')
with t.Cyrus() as cy:
    a = env.user('a')
    env.write(a, env.inbox(a), msg(1) + msg(2, body=b'From the body\n>From quoted\n'))
    print(env.mapnames(cy).returncode)
    p = env.convert(cy); print('convert', p.returncode, p.stderr[-300:])
    late = {
     'content-length': b'From: x@y\r\nSubject: cl\r\nContent-Length: 5\r\n\r\nhello\r\n',
     'status-hdr': b'From: x@y\r\nSubject: st\r\nStatus: RO\r\nX-Status: F\r\nX-UID: 99\r\n\r\nplanted\r\n',
     'no-body-sep': b'From: x@y\r\nSubject: nosep\r\n',
     'no-final-crlf': b'From: x@y\r\nSubject: nocrlf\r\n\r\nno end',
     'from-in-header?': b'From: x@y\r\nSubject: fromline\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\n',
     'x-keywords': b'From: x@y\r\nSubject: kw\r\nX-Keywords: junk\r\nX-IMAPbase: 1 2\r\n\r\nkw\r\n',
     'trailing-blank': b'From: x@y\r\nSubject: tb\r\n\r\nbody\r\n\r\n\r\n',
     'only-header-blank': b'From: x@y\r\nSubject: ohb\r\n\r\n',
     'dup1': b'From: d@y\r\nSubject: dup\r\n\r\nsame\r\n',
     'dup2': b'From: d@y\r\nSubject: dup\r\n\r\nsame\r\n',
     'folded-status': b'From: x@y\r\nStatus:\r\n RO\r\nSubject: fs\r\n\r\nb\r\n',
    }
    for k, b in late.items():
        r = append(cy, a, b)
        print(k, r[0])
    n_cy = len(cyrus_msgs(cy, a))
    for i in range(3):
        p = backout(env, cy, '--merge')
        data = read(env.inbox(a))
        _, msgs = parse(data)
        print('merge %d: rc=%d file messages=%d cyrus=%d' % (i+1, p.returncode, len(msgs), n_cy))
        print(p.stdout.decode()[-300:], p.stderr.decode()[-600:])
    subjects = [re.search(rb'Subject: (.*)', m['content']).group(1) if re.search(rb'Subject: (.*)', m['content']) else m['content'][:40] for m in msgs]
    print(subjects)
    open('/tmp/rv/s1.inbox', 'wb').write(data)
