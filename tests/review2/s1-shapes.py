#!/usr/bin/env python3
# --merge into inboxes of odd shapes, and the AUTO quoting attack; each: first merge,
# then two more merges: count must not grow.
from rv import *
t.need_root()

NEW = b'From: late@example.org\r\nSubject: late %d\r\nMessage-ID: <late%d@x>\r\n\r\nnew mail %d\r\n'
def new(n):
    return NEW % (n, n, n)

with t.Cyrus() as cy:
    U = {k: user(k) for k in ('quote', 'quote2', 'crlf', 'crlf2', 'nonl', 'empty', 'gone', 'dup', 'dup2')}
    # AUTO decides NONE: an unquoted From line in a body, a >From line, no >>From
    put(U['quote'], os.path.join(SPOOL, U['quote']),
        msg(1, b'text\nFrom here on unquoted\n>From the text itself\n') + msg(2))
    put(U['quote2'], os.path.join(SPOOL, U['quote2']),
        msg(1, b'text\nFrom here on unquoted\n>From the text itself\n') + msg(2))
    crlf = (msg(1) + msg(2)).replace(b'\n', b'\r\n')
    put(U['crlf'], os.path.join(SPOOL, U['crlf']), crlf)
    put(U['crlf2'], os.path.join(SPOOL, U['crlf2']), crlf[:-2])   # ends with one CRLF
    put(U['nonl'], os.path.join(SPOOL, U['nonl']), (msg(1) + msg(2))[:-2])  # no final newline
    put(U['empty'], os.path.join(SPOOL, U['empty']), b'')
    put(U['gone'], os.path.join(SPOOL, U['gone']), msg(1) + msg(2))
    put(U['dup'], os.path.join(SPOOL, U['dup']), msg(1) + msg(2))
    put(U['dup2'], os.path.join(SPOOL, U['dup2']), msg(1) + msg(2))
    man = mapnames(cy, U.values(), os.path.join(TMP, 'm.tsv'))
    p = convert(cy, man)
    t.is_(p.returncode, 0, 'convert', err(p))

    def merges(u, label, expect_first, extra_new=None):
        inbox = os.path.join(SPOOL, u)
        before = count(inbox) if os.path.exists(inbox) else 0
        p1 = backout(cy, man, '--merge', '--user', u, '--report', os.path.join(TMP, u + '.1.json'))
        c1 = count(inbox)
        p2 = backout(cy, man, '--merge', '--user', u, '--report', os.path.join(TMP, u + '.2.json'))
        c2 = count(inbox)
        p3 = backout(cy, man, '--merge', '--user', u)
        c3 = count(inbox)
        t.ok(p1.returncode == 0 and c1 == before + expect_first, '%s: first merge adds %d' % (label, expect_first),
             'before %d after %d' % (before, c1), err(p1))
        t.ok(p2.returncode == 0 and p3.returncode == 0 and c2 == c1 and c3 == c1,
             '%s: second and third merge add nothing' % label, 'counts %d %d %d' % (c1, c2, c3), err(p2),
             'report2: ' + open(os.path.join(TMP, u + '.2.json')).read()[:1500])
        t.ok(not leftovers(SPOOL), '%s: no lock or temp left' % label, repr(leftovers(SPOOL)))
        return p1, p2

    # 1. AUTO: a new message with a mid-paragraph From line
    append(cy, U['quote'], b'From: x@y\r\nSubject: q\r\n\r\nhello\r\nFrom the start of a line\r\n')
    merges(U['quote'], 'AUTO-NONE inbox, new message with a From line', 1)
    # 1b. a new message with a >From line: the file gains >>From, AUTO flips
    append(cy, U['quote2'], b'From: x@y\r\nSubject: q2\r\n\r\nhello\r\n>From quoted text\r\n')
    merges(U['quote2'], 'AUTO-NONE inbox, new message with a >From line', 1)
    # 2. CRLF inbox
    for k in ('crlf', 'crlf2', 'nonl', 'empty', 'gone'):
        append(cy, U[k], new(1))
        append(cy, U[k], new(2))
    merges(U['crlf'], 'CRLF inbox', 2)
    merges(U['crlf2'], 'CRLF inbox ending in one CRLF', 2)
    merges(U['nonl'], 'inbox without a final newline', 2)
    merges(U['empty'], 'empty inbox (0 bytes)', 2)
    os.unlink(os.path.join(SPOOL, U['gone']))
    merges(U['gone'], 'inbox removed', 2)
    st = os.lstat(os.path.join(SPOOL, U['gone']))
    t.ok(st.st_uid == pwd.getpwnam(U['gone']).pw_uid and (st.st_mode & 0o7777) == 0o600,
         'new inbox: owner and mode', 'uid %d mode %o' % (st.st_uid, st.st_mode))
    # old messages still intact vs Cyrus (independent parse)
    for k in ('crlf', 'crlf2', 'nonl'):
        ours = contents(os.path.join(SPOOL, U[k]))
        cyr = [c.replace(b'\r\n', b'\n') for c in imap_contents(cy, U[k])]
        t.ok(sorted(ours) == sorted(cyr), '%s: the inbox holds exactly what Cyrus holds' % k,
             'inbox %r' % ours, 'cyrus %r' % cyr)
    # 3. duplicates: one in the old inbox, two more identical copies in Cyrus
    m1 = msg(1)
    body1 = m1.split(b'\n', 1)[1][:-1].replace(b'\n', b'\r\n')
    append(cy, U['dup'], body1)
    append(cy, U['dup'], body1)
    p1, p2 = merges(U['dup'], 'Cyrus holds msg 1 three times, the inbox once', 2)
    print(p1.stdout.decode(), p1.stderr.decode())
    print(open(os.path.join(TMP, U['dup'] + '.1.json')).read()[:3000])
t.done()
