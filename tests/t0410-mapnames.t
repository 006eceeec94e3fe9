#!/usr/bin/env python3
# mbox2cyrus mapnames on real system users (made here, removed after), with homes in
# a temp dir: the book's folder set, hostile homes, and every name it writes CREATEd
# on a real Cyrus under both separator settings.
import gzip, os, pwd, shutil, socket, stat, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
TAG = 'm2c%d' % (os.getpid() % 100000)
ALICE, BOB = TAG + 'a', TAG + 'b'
TMP = tempfile.mkdtemp(prefix='m2c-map.', dir='/tmp')
os.chmod(TMP, 0o755)
MBOX = b'From someone@example.org Tue Mar  4 10:00:00 2003\nSubject: hi\n\nhello\n\n'
made_users = []


def cleanup():
    for u in made_users:
        subprocess.run(['userdel', u], stderr=subprocess.DEVNULL)
    shutil.rmtree(TMP, ignore_errors=True)


import atexit
atexit.register(cleanup)
for u in (ALICE, BOB):
    p = t.run(['useradd', '-M', '-N', '-d', os.path.join(TMP, 'home', u), '-s', '/usr/sbin/nologin', u])
    if p.returncode != 0:
        t.skip_all('cannot create system users: %s' % p.stderr.decode())
    made_users.append(u)
alice, bob = pwd.getpwnam(ALICE), pwd.getpwnam(BOB)
HOME = os.path.join(TMP, 'home', ALICE)
SPOOL = os.path.join(TMP, 'spool')
os.makedirs(os.path.join(HOME, 'Mail'))
os.makedirs(SPOOL)


def put(path, data, owner=alice, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    os.chown(path, owner.pw_uid, owner.pw_gid)
    os.chmod(path, mode)
    return path


def chown_tree(top, owner=alice):
    for d, dirs, files in os.walk(top):
        os.chown(d, owner.pw_uid, owner.pw_gid)
        for f in files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            # never a hard link: chown would change the linked (root's) file too
            if stat.S_ISREG(st.st_mode) and st.st_uid == 0 and st.st_nlink == 1:
                os.chown(p, owner.pw_uid, owner.pw_gid)


def mapnames(*args, timeout=60):
    p = t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL] + list(args), timeout=timeout)
    rows = {}
    for line in p.stdout.decode('utf-8', 'replace').splitlines():
        if line.startswith('#') or line.startswith('user\t'):
            continue
        f = line.split('\t')
        rows[f[2]] = f
    return p, rows


# --- 1. the book's folder set ---------------------------------------------------
M = os.path.join(HOME, 'Mail')
put(os.path.join(SPOOL, ALICE), MBOX)
for name in ('.hidden', 'Trash', 'how', 'spacy', 's!me', 's&me', 's*me', 'same', 'saved', 'sent'):
    put(os.path.join(M, name), MBOX if name != 'how' else b'How to use these folders.\n')
put(os.path.join(M, 'binaryfile'), bytes(range(256)) * 4)
put(os.path.join(M, 'gzip.gz'), gzip.compress(MBOX))
put(os.path.join(M, 'directory', 'inner'), MBOX)
if shutil.which('compress'):
    put(os.path.join(M, 'compressed'), MBOX)
    subprocess.run(['compress', '-f', os.path.join(M, 'compressed')], check=True)
put(os.path.join(HOME, '.mailboxlist'), b'Mail/saved\nMail/directory/inner\n')
# UW-IMAP dual use: a folder file "lists" and a directory "lists/" of sub-folders
put(os.path.join(M, 'lists'), MBOX)
put(os.path.join(HOME, 'mail', 'lists', 'cyrus'), MBOX)
chown_tree(HOME)

p, rows = mapnames('--special-use', ALICE)
t.is_(p.returncode, 0, 'book folder set: exit 0')
want = {  # file -> (action, mailbox, subscribed, note must contain)
    'Trash': ('folder', 'user.%s.Trash' % ALICE, 'no', '-'),
    'directory/inner': ('folder', 'user.%s.directory.inner' % ALICE, 'yes', '-'),
    'gzip.gz': ('folder', 'user.%s.gzip' % ALICE, 'no', 'gzip-compressed'),
    's!me': ('folder', 'user.%s.s&,wE-me' % ALICE, 'no', 'fullwidth'),
    's&me': ('folder', 'user.%s.s&-me' % ALICE, 'no', '-'),
    's*me': ('folder', 'user.%s.s*me' % ALICE, 'no', '-'),
    'same': ('folder', 'user.%s.same' % ALICE, 'no', '-'),
    'saved': ('folder', 'user.%s.saved' % ALICE, 'yes', '-'),
    'sent': ('folder', 'user.%s.Sent' % ALICE, 'no', 'special use'),
    'spacy': ('folder', 'user.%s.spacy' % ALICE, 'no', '-'),
    'lists': ('folder', 'user.%s.lists' % ALICE, 'no', '-'),
    '../mail/lists/cyrus': ('folder', 'user.%s.lists.cyrus' % ALICE, 'no', '-'),
    '.hidden': ('skip', '-', '-', 'hidden'),
    'binaryfile': ('skip', '-', '-', 'binary'),
    'how': ('skip', '-', '-', 'not an mbox'),
}
if shutil.which('compress'):
    want['compressed.Z'] = ('folder', 'user.%s.compressed' % ALICE, 'no', 'compressed')
for name, (action, mailbox, sub, note) in sorted(want.items()):
    row = rows.get(os.path.normpath(os.path.join(M, name)))
    got = row and (row[3], row[1], row[6])
    t.is_(got, (action, mailbox, sub), 'book: %s -> %s %s' % (name, action, mailbox))
    t.ok(row is not None and (note == '-' or note in row[7]), 'book: %s note says "%s"' % (name, note),
         row and row[7])
inbox = rows.get(os.path.join(SPOOL, ALICE))
t.is_(inbox and inbox[1:4], ['user.' + ALICE, os.path.join(SPOOL, ALICE), 'inbox'], 'book: the spool file is the INBOX')

# --- 2. hostile homes ------------------------------------------------------------
H = os.path.join(HOME, 'Mail', 'hostile')
os.makedirs(H)
root_only = put(os.path.join(TMP, 'root-only'), MBOX, owner=pwd.getpwnam('root'), mode=0o600)
root_file = put(os.path.join(TMP, 'root-file'), MBOX, owner=pwd.getpwnam('root'), mode=0o644)
outside = os.path.join(TMP, 'outside')
put(os.path.join(outside, 'secret'), MBOX, owner=pwd.getpwnam('root'), mode=0o644)
os.symlink(root_only, os.path.join(H, 'link-to-root-only'))
os.symlink(outside, os.path.join(H, 'link-dir-outside'))
os.symlink(os.path.join(M, 'Trash'), os.path.join(H, 'link-inside'))
os.mkfifo(os.path.join(H, 'fifo'))
os.link(root_file, os.path.join(H, 'hardlink-to-root-file'))
with open(os.path.join(H, 'sparse'), 'wb') as f:
    f.write(MBOX)
    f.truncate(100 * 1024 ** 3)
put(os.path.join(H, 'owned-by-bob'), MBOX, owner=bob, mode=0o644)
put(os.path.join(H, 'unreadable'), MBOX, mode=0o000)
os.mknod(os.path.join(H, 'device'), stat.S_IFCHR | 0o600, os.makedev(1, 3))
sock = socket.socket(socket.AF_UNIX)
sock.bind(os.path.join(H, 'socket'))
deep = os.path.join(H, *['d%d' % i for i in range(25)])
put(os.path.join(deep, 'bottom'), MBOX)
chown_tree(H)
os.chown(os.path.join(H, 'owned-by-bob'), bob.pw_uid, bob.pw_gid)
os.chown(os.path.join(H, 'sparse'), alice.pw_uid, alice.pw_gid)
# a read would move these access times (relatime: atime older than mtime)
watched = [root_only, root_file, os.path.join(outside, 'secret'), os.path.join(H, 'sparse'),
           os.path.join(H, 'owned-by-bob'), os.path.join(H, 'unreadable')]
for w in watched:
    os.utime(w, (1, time.time()))

t0 = time.monotonic()
p, rows = mapnames(ALICE, timeout=60)
t.ok(time.monotonic() - t0 < 30, 'hostile home: done in %.1f s (no hang on the FIFO, no read of 100 GB)'
     % (time.monotonic() - t0))
for name, reason in (('link-to-root-only', 'symbolic link'), ('link-dir-outside', 'symbolic link'),
                     ('link-inside', 'symbolic link, not followed'), ('fifo', 'FIFO'),
                     ('hardlink-to-root-file', 'hard link'), ('sparse', 'sparse'),
                     ('owned-by-bob', 'owned by %s' % BOB), ('unreadable', 'could not read'),
                     ('socket', 'socket'), ('device', 'character device')):
    row = rows.get(os.path.join(H, name))
    t.ok(row is not None and row[3] == 'skip' and reason in row[7],
         'hostile: %s skipped: "%s"' % (name.split('/')[0], reason), row)
deep_rows = [r for k, r in rows.items() if k.startswith(os.path.join(H, 'd0') + '/')]
t.ok(len(deep_rows) == 1 and deep_rows[0][3] == 'skip' and 'deeper than 20' in deep_rows[0][7],
     'hostile: a directory tree 25 deep is cut at 20 levels, with the reason', deep_rows)
t.is_([w for w in watched if os.stat(w).st_atime != 1], [], 'hostile: none of those files was read (atime)')
p, rows = mapnames('--follow-links-inside-home', ALICE, timeout=60)
t.is_(rows.get(os.path.join(H, 'link-inside'), [None] * 4)[3], 'folder',
      '--follow-links-inside-home: a link inside the home is followed')
row = rows.get(os.path.join(H, 'link-dir-outside'))
t.ok(row is not None and row[3] == 'skip' and 'outside the home' in row[7],
     '--follow-links-inside-home: a link out of the home still is not', row)
t.is_([w for w in watched if os.stat(w).st_atime != 1], [], '... and still nothing was read')
sock.close()
shutil.rmtree(H)

# a user with a spool file but no home: the INBOX is mapped, the home explained
NOHOME = TAG + 'c'
p = t.run(['useradd', '-M', '-N', '-d', os.path.join(TMP, 'home', NOHOME), '-s', '/usr/sbin/nologin', NOHOME])
made_users.append(NOHOME)
put(os.path.join(SPOOL, NOHOME), MBOX, owner=pwd.getpwnam(NOHOME))
p, rows = mapnames(NOHOME)
t.is_(p.returncode, 0, 'no home: exit 0')
t.is_(rows.get(os.path.join(SPOOL, NOHOME), [None] * 4)[3], 'inbox', 'no home: the spool file is still the INBOX')
row = rows.get(os.path.join(TMP, 'home', NOHOME))
t.ok(row is not None and row[3] == 'skip' and 'No such file' in row[7], 'no home: a skip row says why', row)

# an unknown user, and a user name Cyrus cannot take
p, rows = mapnames(ALICE, 'nosuchuser' + TAG)
t.is_(p.returncode, 1, 'an unknown user: exit 1, the others mapped')
t.ok(any(r[0] == 'nosuchuser' + TAG and r[3] == 'skip' and 'no such user' in r[7] for r in rows.values()),
     'an unknown user gets a skip row with the reason')


# --- 3. names Cyrus must accept, both separators ---------------------------------
N = os.path.join(HOME, 'Names')
names = []
for b in range(1, 256):
    if b != 0x2f:
        names.append(b'a' + bytes([b]) + b'z')
names += [bytes([c]) for c in b'!"%;<>\\`{|}^~&*']
names += [b'Sent', b'sent', b'SENT', 'Å'.encode(), 'A\u030a'.encode(), b'x' * 250,
          b'y' * 150 + 'é'.encode() * 50, '日本'.encode() * 40, b'\xc6\xfc\xcb\xdc\xb8\xec',
          b'Gr\xfc\xdfe', b'.dot-first-but-hidden', b'~tilde', b'trailing.dot.', b'a..b']
for n in names:
    put(os.path.join(N.encode(), n), MBOX)
put(os.path.join(N, 'sub.dir', 'x.y'), MBOX)
# over 490 bytes as a mailbox name: two long levels (a file name stops at 255 bytes)
put(os.path.join(N, 'L' * 250, 'M' * 250), MBOX)
put(os.path.join(N, 'L' * 250, 'M' * 249 + 'm'), MBOX)
EXTRA = 3
chown_tree(N)

for unix in (False, True):
    sep = '/' if unix else '.'
    for fallback in ('EUC-JP', 'ISO-8859-1'):
        label = 'sep %s, fallback %s' % (sep, fallback)
        out1 = os.path.join(TMP, 'm1.tsv')
        out2 = os.path.join(TMP, 'm2.tsv')
        args = ['--folder-dirs', 'Names', '--separator', sep, '--fs-charset-fallback', fallback, ALICE]
        p1 = t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL, '-o', out1] + args)
        p2 = t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL, '-o', out2] + args)
        t.ok(p1.returncode == 0, '%s: mapnames exit 0' % label, p1.stderr.decode())
        same = open(out1, 'rb').read() == open(out2, 'rb').read()
        t.ok(same, '%s: two runs give byte-identical manifests' % label)
        mailboxes = [l.split('\t')[1] for l in open(out1, encoding='utf-8').read().splitlines()
                     if l and not l.startswith('#') and not l.startswith('user\t')
                     and l.split('\t')[3] in ('inbox', 'folder')]
        t.is_(len(mailboxes), len(set(mailboxes)), '%s: %d names, all different' % (label, len(mailboxes)))
        t.ok(all(len(m.encode()) <= 490 for m in mailboxes), '%s: none over 490 bytes' % label)
        folders = [l for l in open(out1, encoding='utf-8').read().splitlines() if '\tfolder\t' in l]
        t.is_(len(folders), len(names) - 1 + EXTRA, '%s: every name file became a folder (the hidden one skipped)' % label)
        if fallback == 'EUC-JP':
            t.ok(any(m.endswith(sep + '&ZeVnLIqe-') for m in mailboxes), '%s: the EUC-JP name is 日本語' % label)
        else:
            t.ok(any(m.endswith(sep + 'Gr&APwA3w-e') for m in mailboxes), '%s: the Latin-1 name is Grüße' % label)
        with t.Cyrus(unixhiersep=unix) as cy:
            a = cy.admin()
            refused = []
            for m in sorted(mailboxes, key=len):
                typ, data = a._simple_command('CREATE', '"%s"' % m.replace('\\', '\\\\').replace('"', '\\"'))
                if typ != 'OK':
                    refused.append((m, data))
            t.is_(refused, [], '%s: Cyrus CREATE accepts all %d names' % (label, len(mailboxes)))
            listed = set(t.list_mailboxes(a))
            t.is_(sorted(set(mailboxes) - listed), [], '%s: LIST shows each name as written' % label)
            a.logout()

# virtual domains: Cyrus reads what follows the last '@' of a name as its domain, so
# an '@' in a folder of a user without a domain moved it (CREATE user.alice.a@b was
# "Permission denied"); mapnames writes it as a fullwidth '＠'
out = os.path.join(TMP, 'vd.tsv')
p = t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL, '-o', out, '--folder-dirs', 'Names',
           '--virtdomains', ALICE])
t.ok(p.returncode == 0, 'virtdomains: mapnames exit 0', p.stderr.decode())
mailboxes = [l.split('\t')[1] for l in open(out, encoding='utf-8').read().splitlines()
             if l and not l.startswith('#') and not l.startswith('user\t')
             and l.split('\t')[3] in ('inbox', 'folder')]
t.is_([m for m in mailboxes if '@' in m], [], 'virtdomains: no "@" in a name of a user without a domain')
with t.Cyrus(virtdomains=True) as cy:
    a = cy.admin()
    refused = []
    for m in sorted(mailboxes, key=len):
        typ, data = a._simple_command('CREATE', '"%s"' % m.replace('\\', '\\\\').replace('"', '\\"'))
        if typ != 'OK':
            refused.append((m, data))
    t.is_(refused, [], 'virtdomains: Cyrus CREATE accepts all %d names' % len(mailboxes))
    listed = set(t.list_mailboxes(a))
    t.is_(sorted(set(mailboxes) - listed), [], 'virtdomains: LIST shows each name as written')
    a.logout()

t.done()
