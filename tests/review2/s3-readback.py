#!/usr/bin/env python3
# --merge of new messages the writer changes on the way; then a second merge.  And a
# mailbox with two source files (~/mbox pointed at the INBOX).
from rv import *
t.need_root()

H = b'From: x@example.org\r\nSubject: %s\r\n'
CASES = [
    ('mozilla', H % b'moz' + b'X-Mozilla-Status: 0001\r\nX-Mozilla-Status2: 00000000\r\n\r\nbody\r\n'),
    ('keywords', H % b'kw' + b'X-Keywords: $Label1 junk\r\nX-Status: A\r\nStatus: RO\r\n\r\nbody\r\n'),
    ('clen', H % b'cl' + b'Content-Length: 99999\r\n\r\nbody\r\n'),
    ('clen-exact', H % b'cl2' + b'Content-Length: 6\r\n\r\nbody\r\n'),
    ('headers-only', H % b'ho'),
    ('headers-only-nocrlf', b'From: x@example.org\r\nSubject: ho2'),
    ('from-in-body', H % b'fb' + b'\r\nFrom x\r\n>From y\r\n>>From z\r\n\r\nFrom a@b Mon Jan  5 10:00:00 2004\r\n'),
    ('from-first-body-line', H % b'ffb' + b'\r\nFrom a@b Mon Jan  5 10:00:00 2004\r\nx\r\n'),
    ('from-header', b'From a@b Mon Jan  5 10:00:00 2004\r\n' + H % b'fh' + b'\r\nbody\r\n'),
    ('gtfrom-header', H % b'gfh' + b'>From: z@example.org\r\n\r\nbody\r\n'),
    ('bare-cr', H % b'cr' + b'\r\na\rb\rc\r\n'),
    ('cr-end', H % b'cre' + b'\r\nbody\r\n\r'),
    ('long-line', H % b'long' + b'\r\n' + b'y' * 300000 + b'\r\n'),
    ('8bit-header', H % 'Grüße'.encode() + b'\r\nbody\r\n'),
    ('trailing-blanks', H % b'tb' + b'\r\nbody\r\n\r\n\r\n\r\n'),
    ('empty-body', H % b'eb' + b'\r\n'),
    ('blank-first', b'\r\n' + H % b'bf' + b'\r\nbody\r\n'),
    ('mime-from', H % b'mf' + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
     b'Content-Type: message/rfc822\r\n\r\nFrom a@b Mon Jan  5 10:00:00 2004\r\nSubject: inner\r\n\r\ninner\r\n--b--\r\n'),
    ('folder-data', H % b'DON\'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA' +
     b'X-IMAP: 1 2 a b\r\n\r\nThis text is part of the internal format of your mail folder\r\n'),
    ('continuation-first', b' folded\r\n' + H % b'cf' + b'\r\nbody\r\n'),
    ('x-uid-cont', H % b'xu' + b'X-UID: 5\r\n 6\r\nX-Other: y\r\n\r\nbody\r\n'),
    ('bom', b'\xef\xbb\xbf' + H % b'bom' + b'\r\nbody\r\n'),
]

with t.Cyrus() as cy:
    a = user('rb')
    inbox = os.path.join(SPOOL, a)
    put(a, inbox, msg(1) + msg(2))
    b = user('ms')                      # ~/mbox pointed at the INBOX
    ib = os.path.join(SPOOL, b)
    put(b, ib, msg(1) + msg(2))
    mb = os.path.join(home(b), 'mbox')
    put(b, mb, msg(3) + msg(4))
    man = mapnames(cy, [a, b], os.path.join(TMP, 'm.tsv'))
    lines = open(man).read().splitlines(True)
    out = []
    for l in lines:
        f = l.split('\t')
        if len(f) > 2 and f[2] == mb:
            f[1] = 'user.' + b
            f[3] = 'folder'
            l = '\t'.join(f)
        out.append(l)
    open(man, 'w').write(''.join(out))
    print(''.join(out))
    p = convert(cy, man)
    t.is_(p.returncode, 0, 'convert', err(p))
    accepted = []
    for name, body in CASES:
        typ, d = append(cy, a, body)
        if typ == 'OK':
            accepted.append(name)
        else:
            t.diag('Cyrus refused %s: %r' % (name, d))
    t.diag('accepted: %s' % ' '.join(accepted))
    p1 = backout(cy, man, '--merge', '--user', a, '--report', os.path.join(TMP, 'r1.json'))
    c1 = count(inbox)
    t.ok(p1.returncode == 0 and c1 == 2 + len(accepted), 'first merge adds every accepted message',
         'count %d, want %d' % (c1, 2 + len(accepted)), err(p1))
    p2 = backout(cy, man, '--merge', '--user', a, '--report', os.path.join(TMP, 'r2.json'))
    c2 = count(inbox)
    t.ok(p2.returncode == 0 and c2 == c1, 'second merge adds nothing', 'count %d then %d' % (c1, c2), err(p2))
    if c2 != c1:
        subs = re.findall(rb'^Subject: (.*)$', read(inbox), re.M)
        t.diag('subjects: %r' % subs)
    # each Cyrus message present in the inbox (documented normalisation)
    ours = contents(inbox)
    norm = lambda c: c.replace(b'\r\n', b'\n')
    missing = []
    for c in imap_contents(cy, a):
        n = norm(c)
        n = b''.join(l for l in n.splitlines(True)
                     if not re.match(rb'(?i)(status|x-status|x-keywords|x-uid|content-length):', l))
        if not n.endswith(b'\n'):
            n += b'\n'
        if n not in ours:
            missing.append(n[:120])
    t.ok(not missing, 'every Cyrus message is in the inbox (independent parse)', repr(missing))

    # two sources: new mail goes to the inbox file
    append(cy, b, b'From: x@y\r\nSubject: late ms\r\n\r\nlate\r\n')
    p = backout(cy, man, '--merge', '--user', b)
    t.ok(p.returncode == 0 and b'late ms' in read(ib) and b'late ms' not in read(mb) and count(ib) == 3 and
         count(mb) == 2, 'two sources: the new message goes to the inbox file only', err(p))
    p = backout(cy, man, '--merge', '--user', b)
    t.ok(p.returncode == 0 and count(ib) == 3 and count(mb) == 2, 'two sources: a second merge adds nothing', err(p))
    # the ~/mbox row first in the manifest
    rows = open(man).read().splitlines(True)
    head = [l for l in rows if l.startswith('#') or l.startswith('user\t')]
    rest = [l for l in rows if not (l.startswith('#') or l.startswith('user\t'))]
    rest.sort(key=lambda l: 0 if mb in l else 1)
    man2 = os.path.join(TMP, 'm2.tsv')
    open(man2, 'w').write(''.join(head + rest))
    append(cy, b, b'From: x@y\r\nSubject: late ms2\r\n\r\nlate2\r\n')
    p = backout(cy, man2, '--merge', '--user', b)
    t.ok(p.returncode == 0 and b'late ms2' in read(ib) and b'late ms2' not in read(mb),
         'two sources, ~/mbox row first: the new message goes to the inbox file', err(p),
         'in ~/mbox: %s' % (b'late ms2' in read(mb)))
t.done()
