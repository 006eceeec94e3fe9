#!/usr/bin/env python3
"""gen-mbox.py OUT SIZE_MB [SEED [MAX_EXP|real]] -- a deterministic mbox for benchmarks.

Message sizes from 2 KB to several MB (log-uniform, a few large ones); with "real"
instead of MAX_EXP, sizes drawn like real mail: 85% 2-20 KB, 14.5% 20-500 KB (both
log-uniform), 0.5% an attachment of 1-8 MB (about 50 KB a message on average).  Then
mboxrd-quoted
">From " and ">>From " lines, unquoted "From " lines that do not start messages
(no empty line before them), Status/X-Status/X-UID headers, and a Content-Length on
some messages.  The same SEED gives the same bytes.
"""
import random, sys

out, size_mb = sys.argv[1], float(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 4155)
real = len(sys.argv) > 4 and sys.argv[4] == 'real'
max_exp = 11 if real or len(sys.argv) <= 4 else float(sys.argv[4])  # 2 KB * 2^max_exp at most
big_ones = max_exp >= 11 and not real


def real_size():
    """One message size as real mail has them: mostly text, some with a small
    attachment, a tail of MB-sized ones."""
    r = rng.random()
    if r < 0.85:
        return int(2048 * 10 ** rng.uniform(0, 1))             # 2-20 KB
    if r < 0.995:
        return int(20480 * 25 ** rng.uniform(0, 1))            # 20-500 KB
    return rng.randint(1024 * 1024, 8 * 1024 * 1024)           # 1-8 MB


target = size_mb * 1024 * 1024
WORDS = [w.encode() for w in ('the quick brown fox jumps over lazy dog mail migration cyrus '
         'mbox folder message header body line reconstruct spool imap append').split()]
line_pool = []
for _ in range(4096):
    n = rng.randint(3, 14)
    line_pool.append(b' '.join(rng.choice(WORDS) for _ in range(n)) + b'\n')

written = 0
n = 0
with open(out, 'wb', buffering=1 << 20) as f:
    while written < target:
        n += 1
        size = real_size() if real else int(2048 * (2 ** rng.uniform(0, max_exp)))  # 2 KB .. 4 MB
        if big_ones and rng.random() < 0.002:
            size = rng.randint(4, 8) * 1024 * 1024      # a few big attachments
        day = 1 + n % 28
        head = [b'From sender%d@example.org Mon Mar %2d 10:%02d:%02d 2003\n' % (n % 97, day, n % 60, n % 59),
                b'Return-Path: <sender%d@example.org>\n' % (n % 97),
                b'From: Sender %d <sender%d@example.org>\n' % (n % 97, n % 97),
                b'To: user@example.org\n',
                b'Subject: benchmark message %d\n' % n,
                b'Date: Mon, %d Mar 2003 10:%02d:%02d +0100\n' % (day, n % 60, n % 59),
                b'Message-ID: <bench-%d@example.org>\n' % n,
                b'Status: %s\n' % rng.choice([b'RO', b'O', b'R']),
                b'X-Status: %s\n' % rng.choice([b'', b'A', b'F', b'AF']),
                b'X-UID: %d\n' % n]
        body = []
        blen = 0
        while blen < size:
            r = rng.random()
            if r < 0.002:
                l = b'>From the archive, quoted once\n'
            elif r < 0.003:
                l = b'>>From deeper quoting\n'
            elif r < 0.004:
                l = b'From this line, not after an empty line\n'
            else:
                l = rng.choice(line_pool)
            body.append(l)
            blen += len(l)
        if n % 10 == 0:
            head.append(b'Content-Length: %d\n' % blen)
        msg = b''.join(head) + b'\n' + b''.join(body) + b'\n'
        f.write(msg)
        written += len(msg)
print('%s: %d messages, %d bytes' % (out, n, written))
