#!/usr/bin/env python3
# Checks from a second review of backout --merge (each failed until fixed; real Cyrus, imaplib, the
# independent tests/lib/mboxparse.py).  Each: a first --merge, then more merges must add
# nothing and lose nothing.
#  1. the old inbox is one AUTO quoting reads as NONE (an unquoted "From " line and a
#     ">From " line in bodies, no ">>From "): the scratch read-back uses MBOXRD, the next
#     merge reads the whole file with AUTO, so a new message with a mid-paragraph
#     "From " line (written ">From") is appended again by every merge, without end;
#  2. same inbox, a new message with a ">From" line: written ">>From", the file's AUTO
#     decision flips to MBOXRD, an old message now reads differently, and the next
#     merge appends a second copy of it;
#  3. a CRLF inbox (ends "\r\n\r\n"): the separator is computed from LF only (sep=1),
#     the old last message gains a line and the next merge appends a copy of it;
#  4. a user whose inbox was empty at mapnames time (inbox row with source "-", the
#     default --include-empty=no): mail delivered to Cyrus after the cutover cannot be
#     merged back ("no source file ... nowhere to go"), exit 1.
import os, re, shutil, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from merge_site import *

t.need_root()

with t.Cyrus() as cy:
    U = {k: user(k) for k in ('quote', 'quote2', 'crlf', 'empty', 'lost', 'blank', 'settled', 'cl')}
    odd = msg(1, b'text\nFrom here on unquoted\n>From the text itself\n') + msg(2)
    put(U['quote'], os.path.join(SPOOL, U['quote']), odd)
    put(U['quote2'], os.path.join(SPOOL, U['quote2']), odd)
    put(U['crlf'], os.path.join(SPOOL, U['crlf']), (msg(1) + msg(2)).replace(b'\n', b'\r\n'))
    put(U['empty'], os.path.join(SPOOL, U['empty']), b'')
    put(U['lost'], os.path.join(SPOOL, U['lost']), odd)
    put(U['blank'], os.path.join(SPOOL, U['blank']), msg(1) + msg(2))
    put(U['settled'], os.path.join(SPOOL, U['settled']), msg(1) + msg(2))
    # the last message's Content-Length counts a line end the file lacks: ignored now,
    # it would fit once anything is appended
    put(U['cl'], os.path.join(SPOOL, U['cl']), msg(1) +
        b'From s@x Mon Jan  5 10:00:09 2004\nSubject: cl\nContent-Length: 7\n\nhello\n')
    man = mapnames(cy, U.values(), os.path.join(TMP, 'm.tsv'))
    p = convert(cy, man)
    t.is_(p.returncode, 0, 'convert', err(p))

    def merges(u, label, expect_first):
        inbox = os.path.join(SPOOL, u)
        p1 = backout(cy, man, '--merge', '--user', u)
        c1 = count(inbox) if os.path.exists(inbox) else 0
        p2 = backout(cy, man, '--merge', '--user', u)
        p3 = backout(cy, man, '--merge', '--user', u)
        c3 = count(inbox) if os.path.exists(inbox) else 0
        t.ok(p1.returncode == 0 and p2.returncode == 0 and p3.returncode == 0 and
             c1 == expect_first and c3 == c1, label,
             'messages after merges 1 and 3: %d %d (want %d)' % (c1, c3, expect_first), err(p1), err(p3))

    append(cy, U['quote'], b'From: x@y\r\nSubject: q\r\n\r\nhello\r\nFrom the start of a line\r\n')
    merges(U['quote'], 'AUTO-NONE inbox, new message with a mid-paragraph From line: added once', 3)
    append(cy, U['quote2'], b'From: x@y\r\nSubject: q2\r\n\r\nhello\r\n>From quoted text\r\n')
    merges(U['quote2'], 'AUTO-NONE inbox, new message with a >From line: no old message added again', 3)
    append(cy, U['crlf'], b'From: x@y\r\nSubject: late\r\n\r\nlate\r\n')
    # mboxparse splits on LF after an empty line: a CRLF file's "\r" lines are not empty,
    # so count the From_ lines instead
    inbox = os.path.join(SPOOL, U['crlf'])
    backout(cy, man, '--merge', '--user', U['crlf'])
    n1 = len(re.findall(rb'^From ', read(inbox), re.M))
    p = backout(cy, man, '--merge', '--user', U['crlf'])
    n2 = len(re.findall(rb'^From ', read(inbox), re.M))
    t.ok(p.returncode == 0 and n1 == 3 and n2 == 3, 'CRLF inbox: a second merge adds nothing',
         'From_ lines after merges 1 and 2: %d %d' % (n1, n2), err(p))
    append(cy, U['empty'], b'From: x@y\r\nSubject: late\r\n\r\nlate\r\n')
    merges(U['empty'], 'an inbox empty at mapnames time gets the mail delivered after the cutover', 1)

    # third review.  5. the journal lost after a first merge into a file read as unquoted,
    # whose new message has a ">>From" line (the next AUTO reading would say mboxrd):
    # the file's own marks (X-Mbox2cyrus-SHA1 ... file-quoting=none) say how to read it
    u = U['lost']
    inbox = os.path.join(SPOOL, u)
    append(cy, u, b'From: x@y\r\nSubject: deep\r\n\r\nhello\r\n>>From deep quoted\r\n')
    state = os.path.join(TMP, 'st-lost')
    p1 = backout(cy, man, '--merge', '--user', u, '--state', state)
    c1 = count(inbox)
    shutil.rmtree(state)
    p2 = backout(cy, man, '--merge', '--user', u, '--state', state)
    p3 = backout(cy, man, '--merge', '--user', u, '--state', state)
    t.ok(p1.returncode == 0 and p2.returncode == 0 and c1 == 3 and count(inbox) == 3 and
         b'file-quoting=none' in read(inbox),
         'the journal lost after a merge: the file\'s marks say how to read it, nothing added again',
         'messages %d then %d' % (c1, count(inbox)), err(p2))

    # 6. the old MTA writes "\n" + its message after one a merge appended (two empty
    # lines after it): the next merge adds only the new message
    u = U['blank']
    inbox = os.path.join(SPOOL, u)
    append(cy, u, b'From: x@y\r\nSubject: new A\r\n\r\nnew A\r\n')
    backout(cy, man, '--merge', '--user', u)
    with open(inbox, 'ab') as f:
        f.write(b'\n' + msg(3))
    append(cy, u, b'From: x@y\r\nSubject: new B\r\n\r\nnew B\r\n')
    p2 = backout(cy, man, '--merge', '--user', u)
    p3 = backout(cy, man, '--merge', '--user', u)
    subjects = re.findall(rb'^Subject: (.*)$', read(inbox), re.M)
    t.ok(p2.returncode == 0 and p3.returncode == 0 and
         subjects == [b'msg 1', b'msg 2', b'new A', b'msg 3', b'new B'],
         'an extra empty line after an appended message: the next merges add only the new one',
         repr(subjects), err(p2))

    # 7. an append killed, then mail after it (refused), settled by hand (the partial
    # bytes cut out, the staging file removed), then a merge killed while it stages:
    # the old refusal does not come back, the message is added once
    u = U['settled']
    inbox = os.path.join(SPOOL, u)
    old = read(inbox)
    big = b'From: big@y\r\nSubject: big\r\n\r\n' + b''.join(b'line %06d of a long one\r\n' % k for k in range(8000))
    append(cy, u, big)
    state = os.path.join(TMP, 'st-settled')
    p = backout(cy, man, '--merge', '--user', u, '--state', state, env=fault('backout-append:1'))
    killed1 = p.returncode in (-9, 137)
    with open(inbox, 'ab') as f:
        f.write(b'\n' + msg(7))
    p = backout(cy, man, '--merge', '--user', u, '--state', state)
    refused = p.returncode == 1 and b'offset' in p.stderr
    put(u, inbox, old + msg(7))                       # the administrator's repair
    os.unlink(os.path.join(SPOOL, '.%s.m2c-backout' % u))
    p = backout(cy, man, '--merge', '--user', u, '--state', state, env=fault('backout-message:1'))
    killed2 = p.returncode in (-9, 137)
    p = backout(cy, man, '--merge', '--user', u, '--state', state)
    p3 = backout(cy, man, '--merge', '--user', u, '--state', state)
    subjects = re.findall(rb'^Subject: (.*)$', read(inbox), re.M)
    t.ok(killed1 and refused and killed2 and p.returncode == 0 and p3.returncode == 0 and
         subjects == [b'msg 1', b'msg 2', b'msg 7', b'big'],
         'an interrupted append settled by hand, then a kill while staging: the message added once',
         'killed %s/%s refused %s' % (killed1, killed2, refused), repr(subjects), err(p))

    # 8. appending would make the old last message's Content-Length fit (and the
    # message read otherwise, then come back twice): undone, named, nothing changed
    u = U['cl']
    inbox = os.path.join(SPOOL, u)
    before = read(inbox)
    append(cy, u, b'From: x@y\r\nSubject: late\r\n\r\nlate\r\n')
    p1 = backout(cy, man, '--merge', '--user', u)
    p2 = backout(cy, man, '--merge', '--user', u)
    t.ok(p1.returncode == 1 and b'Content-Length' in p1.stderr and read(inbox) == before and
         p2.returncode == 1 and not os.path.exists(os.path.join(SPOOL, '.%s.m2c-backout' % u)),
         'an append that would change how an old message reads is undone and named; the file '
         'is as it was', err(p1))
t.done()
