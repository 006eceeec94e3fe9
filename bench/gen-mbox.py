#!/usr/bin/env python3
"""gen-mbox.py OUT SIZE_MB [SEED [MAX_EXP]] -- a deterministic mbox for benchmarks.

Message sizes from 2 KB to several MB (log-uniform, a few large ones), mboxrd-quoted
">From " and ">>From " lines, unquoted "From " lines that do not start messages
(no empty line before them), Status/X-Status/X-UID headers, and a Content-Length on
some messages.  The same SEED gives the same bytes.
"""
import random, sys

out, size_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 4155)
max_exp = float(sys.argv[4]) if len(sys.argv) > 4 else 11      # 2 KB * 2^max_exp at most
big_ones = max_exp >= 11
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
        size = int(2048 * (2 ** rng.uniform(0, max_exp)))   # 2 KB .. 4 MB
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
