#!/usr/bin/env python3
# mbox2cyrus scan as a command: output format, exit codes, compressed folders, and
# files it must refuse without blocking or following.
import random, bz2, gzip, json, lzma, os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

TMP = tempfile.mkdtemp(prefix='m2c-scan.')
MBOX = (b'From alice@example.org Tue Mar  4 10:00:00 2003\nStatus: RO\nX-Status: A\nX-UID: 5\n'
        b'Subject: one\n\nhello\n>From quoted\n\n'
        b'From bob@example.org Wed Mar  5 16:45:12 2003\nSubject: two\n\nsecond\n')


def path(name, data=None):
    p = os.path.join(TMP, name)
    if data is not None:
        with open(p, 'wb') as f:
            f.write(data)
    return p


def scan(*args, timeout=20):
    return t.run([t.BIN, 'scan'] + list(args), timeout=timeout)


plain = path('plain', MBOX)
p = scan('--source-tz', 'UTC', plain)
lines = p.stdout.decode().splitlines()
t.is_(p.returncode, 0, 'scan of a good mbox exits 0')
t.ok(lines[0].startswith('# mbox2cyrus ') and 'from-quoting=auto' in lines[0], 'first line: a # comment with version and settings', lines[0])
header = lines[1].split('\t')
t.is_(header[:8], 'n offset length date date_source flags uid warnings'.split(), 'header row')
rows = [l.split('\t') for l in lines[2:] if not l.startswith('#')]
t.is_(len(rows), 2, 'one row per message')
t.is_(rows[0][:8], ['1', '0', str(MBOX.index(b'From bob')), '2003-03-04T10:00:00Z', 'from-line',
                    '\\Seen \\Answered', '5', '-'], 'row 1: offset, length, UTC date, source, flags, uid')
t.is_(rows[1][5:7], ['-', '-'], 'row 2: no flags, no uid: "-"')
summary = [l for l in lines if l.startswith('# ' + plain)]
t.ok(summary and '2 messages' in summary[0] and ('%d bytes' % len(MBOX)) in summary[0],
     'a # summary line per file', summary)

p = scan('--format', 'json', plain)
d = json.loads(p.stdout.decode())
t.is_([m['n'] for m in d['files'][0]['messages']], [1, 2], 'JSON carries the same messages')
t.is_(d['files'][0]['summary']['messages'], 2, 'JSON summary')

# compressed folders, read transparently
gz = path('multi.gz', gzip.compress(MBOX[:120]) + gzip.compress(MBOX[120:]))
for name, data in (('f.gz', gzip.compress(MBOX)), ('f.bz2', bz2.compress(MBOX)),
                   ('f.xz', lzma.compress(MBOX))):
    p = scan('--format', 'json', path(name, data))
    f = json.loads(p.stdout.decode())['files'][0]
    t.ok(p.returncode == 0 and len(f['messages']) == 2 and f['summary']['bytes'] == len(MBOX),
         '%s: read through, 2 messages' % name, f.get('summary'))
p = scan('--format', 'json', gz)
f = json.loads(p.stdout.decode())['files'][0]
t.ok(len(f['messages']) == 2 and f['summary']['bytes'] == len(MBOX),
     'a multi-member .gz is read to its end (GIO would stop after the first member)', f['summary'])
if shutil.which('compress'):
    z = path('f')
    shutil.copy(plain, z)
    subprocess.run(['compress', '-f', z])
    p = scan('--format', 'json', z + '.Z')
    f = json.loads(p.stdout.decode())['files'][0]
    t.ok(len(f['messages']) == 2 and f['summary']['compression'] == 'compress', '.Z (compress) read through')
else:
    t.skip('.Z (compress) read through', 'compress(1) not installed')
p = scan(path('broken.gz', gzip.compress(MBOX)[:40]))
t.ok(p.returncode == 1 and path('broken.gz').encode() in p.stderr and b'gzip' in p.stderr,
     'a truncated .gz is an error naming the file and the format', p.stderr.decode())
# damaged in the middle: libarchive gave a short file and no error; gzip's CRC says so
big = b''.join(b'From a@b Mon Jan  1 10:00:%02d 2001\nSubject: m%d\n\n' % (k % 60, k) +
               bytes(random.Random(k).randrange(32, 127) for _ in range(3000)) + b'\n\n' for k in range(40))
damaged = bytearray(gzip.compress(big))
for i in range(40):
    damaged[len(damaged) // 2 + i] ^= 0x55
p = scan(path('damaged.gz', bytes(damaged)))
t.ok(p.returncode == 1 and path('damaged.gz').encode() in p.stderr and b'gzip data is damaged' in p.stderr,
     'a .gz damaged in the middle is an error naming the file (CRC), not a short mailbox', p.stderr.decode())
t.is_(p.stdout.count(b'\n'), 2, '... and no message of it is listed (the two header lines only)')

# not an mbox: exit 65 with file and offset
p = scan(path('notmbox', b'Subject: hi\n\nbody\n'), plain)
t.is_(p.returncode, 65, 'a file that is not an mbox: exit 65')
t.ok(b'notmbox: offset 0: not an mbox' in p.stderr, '... the error names file and offset', p.stderr.decode())
t.ok(p.stdout.decode().count('\n1\t') == 1, '... and the other file is still scanned')

# files it must refuse at once
fifo = path('fifo')
os.mkfifo(fifo)
p = scan(fifo, timeout=10)
t.ok(p.returncode == 1 and b'not a regular file' in p.stderr, 'a FIFO is refused at once, not read', p.stderr.decode())
link = path('link')
os.symlink(plain, link)
p = scan(link)
t.ok(p.returncode == 1 and b'symbolic link' in p.stderr, 'a symlink is not followed', p.stderr.decode())
p = scan(TMP)
t.ok(p.returncode == 1 and b'not a regular file' in p.stderr, 'a directory is refused')
p = scan(path('missing'))
t.is_(p.returncode, 1, 'a missing file: exit 1')

# --split writes each message, internal headers and quoting handled
out = os.path.join(TMP, 'split')
p = scan('--split', out, plain)
names = sorted(os.listdir(out))
t.is_(names, ['000001.eml', '000002.eml'], '--split writes one file per message')
first = open(os.path.join(out, names[0]), 'rb').read()
t.is_(first, b'Subject: one\n\nhello\nFrom quoted\n', '--split: Status/X-Status/X-UID left out, >From undone, separator line dropped')
p = scan('--split', os.path.join(TMP, 'split2'), '--crlf', '--keep-internal-headers', plain)
first = open(os.path.join(TMP, 'split2', '000001.eml'), 'rb').read()
t.ok(first.startswith(b'Status: RO\r\nX-Status: A\r\n') and first.endswith(b'From quoted\r\n'),
     '--split --crlf --keep-internal-headers', first)

p = scan('--from-quoting', 'sideways', plain)
t.is_(p.returncode, 64, 'an unknown --from-quoting value: exit 64')
p = scan()
t.is_(p.returncode, 64, 'no FILE: exit 64')

shutil.rmtree(TMP)
t.done()
