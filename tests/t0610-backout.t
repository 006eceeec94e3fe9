#!/usr/bin/env python3
# backout end to end against a real Cyrus, checked with imaplib and with an mbox parser
# written here (tests/lib/mboxparse.py), never the project's reader:
#  - roundtrip: the samples and a generated site of system users -> convert (spool) ->
#    backout --into: every message's bytes as the source's after the documented
#    normalisation, flags, From_ dates, UIDs (X-UID = Cyrus's), the UW folder data;
#    files the user's, mode 0600;
#  - --merge: exactly the mail delivered to Cyrus after the cutover is added to the old
#    inbox, a second --merge adds nothing; a dotlock held by another process: wait,
#    then temporary (75), nothing written beside the lock;
#  - --in-place: a backup kept, the file replaced; a symlink planted where a file goes
#    is refused, its target untouched;
#  - kill -9 at several points, then a rerun: every message exactly once;
#  - --from spool with Cyrus stopped: the same files as --from imap.
import datetime, grp, hashlib, json, os, pwd, re, shutil, signal, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen
import mboxparse
from zoneinfo import ZoneInfo

N_USERS = int(os.environ.get('M2C_TEST_USERS', '50'))
TMP = tempfile.mkdtemp(prefix='m2c-backout.', dir='/tmp')
os.chmod(TMP, 0o755)
TAG = 'm2b%d' % (os.getpid() % 10000)
site = gen.Site(TMP, N_USERS, TAG, seed=20240715)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))
SAMPLES = os.path.join(t.ROOT, 'samples', 'site')
UTC = datetime.timezone.utc


def server_args(cy):
    return ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]


def backout(cy, manifest, *extra, env=None):
    # a new session: a crash point (M2C_FAULT) kills the whole process group
    return t.run([t.BIN, 'backout', '--manifest', manifest] + server_args(cy) + list(extra),
                 env=env, start_new_session=True)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def cyrus_messages(cy, user, personal):
    """[(uid, lf_bytes, flags, epoch)] in UID order, and UIDVALIDITY, through imaplib."""
    imap = cy.as_user(user)
    typ, data = imap.select('"%s"' % personal, readonly=True)
    assert typ == 'OK', data
    uidvalidity = int(imap.response('UIDVALIDITY')[1][0])
    got = []
    if int(data[0]) > 0:
        typ, data = imap.uid('FETCH', '1:*', '(UID FLAGS INTERNALDATE BODY.PEEK[])')
        for item in data:
            if isinstance(item, tuple):
                meta, body = item
                uid = int(re.search(rb'UID (\d+)', meta).group(1))
                flags = set(meta.split(b'FLAGS (')[1].split(b')')[0].decode().split()) - {'\\Recent'}
                epoch = int(time.mktime(__import__('imaplib').Internaldate2tuple(meta)))
                got.append((uid, body.replace(b'\r\n', b'\n'), flags, epoch))
    imap.logout()
    got.sort()
    return got, uidvalidity


def compare_with_cyrus(cy, user, personal, path, tz, label):
    """The rebuilt file `path` against the mailbox in Cyrus: problems, a list."""
    problems = []
    folder, msgs = mboxparse.parse(read(path), tz)
    want, uidvalidity = cyrus_messages(cy, user, personal)
    if folder is None or folder['uidvalidity'] != uidvalidity:
        problems.append('%s: folder data %r, UIDVALIDITY %d' % (label, folder, uidvalidity))
    if len(msgs) != len(want):
        return problems + ['%s: %d messages, Cyrus has %d' % (label, len(msgs), len(want))]
    for i, (m, (uid, body, flags, epoch)) in enumerate(zip(msgs, want)):
        content = body if body.endswith(b'\n') else body + b'\n'
        if m['content'] != content:
            problems.append('%s msg %d: bytes differ' % (label, i + 1))
        if m['flags'] != flags:
            problems.append('%s msg %d: flags %s, Cyrus %s' % (label, i + 1, m['flags'], flags))
        if m['epoch'] != epoch:
            problems.append('%s msg %d: From_ date %d, INTERNALDATE %d' % (label, i + 1, m['epoch'], epoch))
        if m['uid'] != uid:
            problems.append('%s msg %d: X-UID %r, UID %d' % (label, i + 1, m['uid'], uid))
        if not m['ok_separator']:
            problems.append('%s msg %d: no empty line after it' % (label, i + 1))
    return problems


def compare_with_site(path, user, folder, tz):
    """The rebuilt file against the messages the site was made of (never via Cyrus)."""
    problems = []
    folder_data, msgs = mboxparse.parse(read(path), tz)
    want = site.expected[(user, folder)]
    if len(msgs) != len(want):
        return ['%s: %d messages, the source had %d' % (path, len(msgs), len(want))]
    for i, (m, w) in enumerate(zip(msgs, want)):
        if m['content'] != w.expected().replace(b'\r\n', b'\n'):
            problems.append('%s msg %d: bytes differ from the source' % (path, i + 1))
        if m['flags'] != w.flags():
            problems.append('%s msg %d: flags %s, source %s' % (path, i + 1, m['flags'], w.flags()))
        if m['epoch'] != w.epoch:
            problems.append('%s msg %d: date %d, source %d' % (path, i + 1, m['epoch'], w.epoch))
        if m['sender'] != w.sender:
            problems.append('%s msg %d: sender %s, source %s' % (path, i + 1, m['sender'], w.sender))
        if w.uid is not None and m['uid'] != w.uid:
            problems.append('%s msg %d: X-UID %r, the source\'s X-UID %d' % (path, i + 1, m['uid'], w.uid))
    return problems


def site_files():
    """(user, folder, source path) for every mailbox of the generated site."""
    out = []
    for (user, folder) in sorted(site.expected, key=lambda k: (k[0], k[1] or '')):
        home = pwd.getpwnam(user).pw_dir
        path = os.path.join(site.spool, user) if folder is None else os.path.join(home, 'Mail', folder)
        out.append((user, folder, path))
    return out


def check_tree(into, files, tz, label):
    problems = []
    for user, folder, src in files:
        path = into + src
        if not os.path.isfile(path):
            problems.append('%s: %s not written' % (label, path))
            continue
        st = os.lstat(path)
        if st.st_uid != pwd.getpwnam(user).pw_uid or st.st_mode & 0o7777 != 0o600:
            problems.append('%s: %s owned by %d, mode %o' % (label, path, st.st_uid, st.st_mode & 0o7777))
        problems += compare_with_site(path, user, folder, tz)
    return problems


def leftovers(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith('.m2c-backout')]


with t.Cyrus() as cy:
    # ---- the samples: backout --into, each file against Cyrus through imaplib ----
    manifest = os.path.join(TMP, 'samples.tsv')
    p = t.run([t.BIN, 'mapnames', '--users', os.path.join(SAMPLES, 'users.txt'),
               '--home-template', os.path.join(SAMPLES, 'home', '%u'), '--spool-dir',
               os.path.join(SAMPLES, 'spool'), '--no-owner-check', '--special-use',
               '--cyrus-conf', cy.conf, '-o', manifest])
    t.is_(p.returncode, 0, 'samples: mapnames')
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--source-tz',
               'Europe/Berlin'] + server_args(cy))
    t.is_(p.returncode, 0, 'samples: convert')
    into = os.path.join(TMP, 'samples-back')
    p = backout(cy, manifest, '--into', into, '--source-tz', 'Europe/Berlin',
                '--report', os.path.join(TMP, 'samples-back.json'))
    t.is_(p.returncode, 0, 'samples: backout --into exit 0', p.stderr.decode(errors='replace')[-1500:])
    rows = [l.split('\t') for l in open(manifest).read().splitlines()
            if l and not l.startswith('#') and not l.startswith('user\t')]
    problems, n_files = [], 0
    for r in rows:
        user, mailbox, source, action = r[0], r[1], r[2], r[3]
        if action not in ('inbox', 'folder') or source == '-':
            continue
        n_files += 1
        personal = 'INBOX' + mailbox[len('user.' + user):]
        problems += compare_with_cyrus(cy, user, personal, into + source, ZoneInfo('Europe/Berlin'),
                                       '%s %s' % (user, mailbox))
    t.ok(n_files >= 5 and not problems, 'samples: %d files rebuilt: bytes, flags, dates, UIDs as '
         'in Cyrus' % n_files, *problems[:10])
    rep = json.load(open(os.path.join(TMP, 'samples-back.json')))
    t.is_(rep['failures'], [], 'samples: the JSON report lists no failure')

    # ---- the generated site ----
    manifest = os.path.join(TMP, 'site.tsv')
    p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf,
               '-o', manifest] + site.users)
    t.is_(p.returncode, 0, 'site: mapnames for %d users' % N_USERS)
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--jobs', '2'] +
              server_args(cy))
    t.is_(p.returncode, 0, 'site: convert')
    files = site_files()
    into = os.path.join(TMP, 'site-back')
    p = backout(cy, manifest, '--into', into, '--source-tz', 'UTC', '--jobs', '2')
    t.is_(p.returncode, 0, 'site: backout --into exit 0', p.stderr.decode(errors='replace')[-1500:])
    problems = check_tree(into, files, UTC, 'site')
    t.ok(not problems, 'site: %d files, %d messages: bytes, flags, dates, senders, X-UIDs as the '
         'sources; the user\'s, mode 0600' % (len(files), site.messages()), *problems[:10])
    problems = []
    for user, folder, src in files[:40]:
        problems += compare_with_cyrus(cy, user, site.personal(folder, '.'), into + src, UTC,
                                       '%s %s' % (user, folder))
    t.ok(not problems, 'site: the files as Cyrus holds them (UIDs, UIDVALIDITY)', *problems[:10])
    t.is_(leftovers(into), [], 'site: no temporary file left')
    table = {l.split('\t')[0]: l.split('\t')[1:] for l in p.stdout.decode().splitlines()[1:]}
    t.is_(sum(int(v[2]) for v in table.values()), site.messages(), 'site: the table counts every message')
    before = {path: read(into + path) for _, _, path in files}
    p = backout(cy, manifest, '--into', into, '--source-tz', 'UTC')
    t.ok(p.returncode == 0 and b'written by an earlier run' in p.stderr and
         all(read(into + path) == data for path, data in before.items()),
         'site: a rerun finds every mailbox written and changes nothing', p.stderr.decode()[-500:])

    # ---- kill -9 at several points, then a rerun ----
    for point in ('backout-message:7', 'backout-commit:3', 'backout-message:60'):
        into_k = os.path.join(TMP, 'killed-' + point.replace(':', '-'))
        env = dict(os.environ, M2C_FAULT=point)
        p = backout(cy, manifest, '--into', into_k, '--source-tz', 'UTC', '--state',
                    into_k + '.state', env=env)
        killed = p.returncode == -9 or p.returncode == 137
        p = backout(cy, manifest, '--into', into_k, '--source-tz', 'UTC', '--state', into_k + '.state')
        problems = check_tree(into_k, files, UTC, point)
        t.ok(killed and p.returncode == 0 and not problems and not leftovers(into_k),
             'kill -9 at %s, then a rerun: every message exactly once' % point,
             'first run killed: %s' % killed, *problems[:5])

    # ---- --merge: new mail in Cyrus reaches the old inbox, once ----
    users = site.users[:3]
    added = {}
    for u in users:
        imap = cy.as_user(u)
        bodies = [b'From: late%d@example.org\r\nSubject: after the cutover %d\r\nMessage-ID: <late-%s-%d@x>'
                  b'\r\n\r\nFrom the new server, %d\r\n' % (k, k, u.encode(), k, k) for k in range(2)]
        for b in bodies:
            typ, _ = imap.append('INBOX', '(\\Seen)', '"02-Feb-2022 10:00:00 +0000"', b)
        imap.logout()
        added[u] = [b.replace(b'\r\n', b'\n') for b in bodies]
    inbox = {u: os.path.join(site.spool, u) for u in users}
    old = {u: read(inbox[u]) for u in users}
    args = ['--merge', '--source-tz', 'UTC', '--lock-timeout', '2']
    for u in users:
        args += ['--user', u]
    p = backout(cy, manifest, *args)
    t.is_(p.returncode, 0, '--merge: exit 0', p.stderr.decode(errors='replace')[-800:])
    problems = []
    for u in users:
        data = read(inbox[u])
        if not data.startswith(old[u]):
            problems.append('%s: the old inbox was changed, not appended to' % u)
        _, before_msgs = mboxparse.parse(old[u], UTC, strict=False)
        _, msgs = mboxparse.parse(data, UTC, strict=False)
        new = msgs[len(before_msgs):]
        if [m['content'] for m in new] != added[u]:
            problems.append('%s: appended %d messages, not the 2 new ones' % (u, len(new)))
        elif any(m['flags'] != {'\\Seen'} for m in new):
            problems.append('%s: the new messages lost their flags' % u)
        st = os.lstat(inbox[u])
        if st.st_uid != pwd.getpwnam(u).pw_uid or st.st_mode & 0o777 != 0o600:
            problems.append('%s: owner %d mode %o' % (u, st.st_uid, st.st_mode & 0o777))
    t.ok(not problems, '--merge: exactly the 2 new messages appended to each of 3 old inboxes', *problems)
    merged = {u: read(inbox[u]) for u in users}
    p = backout(cy, manifest, *args)
    t.ok(p.returncode == 0 and all(read(inbox[u]) == merged[u] for u in users),
         'a second --merge adds nothing', p.stderr.decode(errors='replace')[-500:])

    # --merge killed in the middle of its append (a message of 300 KB, appended in
    # pieces): the rerun cuts the partial message back and appends it whole, once
    u = users[1]
    big = b'From: big@example.org\r\nSubject: a large one\r\n\r\n' + b''.join(
        b'line %06d of a long message, to be appended in pieces\r\n' % k for k in range(6000))
    imap = cy.as_user(u)
    imap.append('INBOX', None, None, big)
    imap.logout()
    before = read(inbox[u])
    state = os.path.join(TMP, 'merge-killed.state')
    p = backout(cy, manifest, '--merge', '--source-tz', 'UTC', '--user', u, '--state', state,
                env=dict(os.environ, M2C_FAULT='backout-append:1'))
    killed = p.returncode in (-9, 137)
    partial = len(read(inbox[u])) - len(before)
    p = backout(cy, manifest, '--merge', '--source-tz', 'UTC', '--user', u, '--state', state)
    _, msgs = mboxparse.parse(read(inbox[u]), UTC, strict=False)
    want = big.replace(b'\r\n', b'\n')
    t.ok(killed and 0 < partial < len(big) and p.returncode == 0 and read(inbox[u]).startswith(before) and
         sum(m['content'] == want for m in msgs) == 1 and msgs[-1]['content'] == want and
         not os.path.exists(inbox[u] + '.lock'),
         '--merge killed mid-append (%d bytes of it written), then a rerun: the message once, '
         'whole, no lock left' % partial, 'killed: %s' % killed, p.stderr.decode(errors='replace')[-500:])

    # flags changed by another session between backout's listing and its fetch: Cyrus
    # puts the unasked FLAGS before UID in the FETCH answer; every message still written
    u = users[2]
    into_p = os.path.join(TMP, 'paused')
    bo = subprocess.Popen([t.BIN, 'backout', '--manifest', manifest] + server_args(cy) +
                          ['--into', into_p, '--source-tz', 'UTC', '--user', u],
                          env=dict(os.environ, M2C_PAUSE='backout-listed'), stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    line = bo.stderr.readline()
    imap = cy.as_user(u)
    imap.select('INBOX')
    imap.uid('STORE', '1:*', '+FLAGS.SILENT', '(\\Flagged)')
    imap.logout()
    out, errs = bo.communicate(b'x')
    want, _ = cyrus_messages(cy, u, 'INBOX')
    _, msgs = mboxparse.parse(read(into_p + inbox[u]), UTC) if os.path.exists(into_p + inbox[u]) else (None, [])
    t.ok(line.startswith(b'm2c: paused at backout-listed') and bo.returncode == 0 and
         [m['content'] for m in msgs] == [b if b.endswith(b'\n') else b + b'\n' for _, b, _, _ in want],
         'flags changed by another session between the listing and the fetch: every message written',
         line, errs.decode(errors='replace')[-500:])

    # a dotlock held by another process: wait, then 75; nothing written beside it
    u = users[0]
    imap = cy.as_user(u)
    imap.append('INBOX', None, None, b'Subject: while locked\r\n\r\nwaiting\r\n')
    imap.logout()
    holder = subprocess.Popen(['python3', '-c', 'import os,sys\n'
                               'fd=os.open(sys.argv[1], os.O_CREAT|os.O_EXCL|os.O_WRONLY, 0o644)\n'
                               'os.write(fd, b"%d" % os.getpid()); print("held", flush=True)\n'
                               'sys.stdin.read()', inbox[u] + '.lock'],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    t.is_(holder.stdout.readline(), b'held\n', 'a mail client holds the dotlock')
    before = read(inbox[u])
    started = time.monotonic()
    p = backout(cy, manifest, '--merge', '--source-tz', 'UTC', '--lock-timeout', '1', '--user', u)
    waited = time.monotonic() - started
    t.ok(p.returncode == 75 and b'.lock' in p.stderr and waited >= 1.0,
         'locked: backout waited for the lock, then reported the user as temporary (75)',
         'exit %d after %.1f s' % (p.returncode, waited), p.stderr.decode(errors='replace')[-500:])
    t.ok(read(inbox[u]) == before and not [f for f in os.listdir(site.spool) if 'm2c-backout' in f],
         'locked: the inbox untouched, no file written beside the lock')
    holder.stdin.close()
    holder.wait()
    os.unlink(inbox[u] + '.lock')
    p = backout(cy, manifest, '--merge', '--source-tz', 'UTC', '--user', u)
    _, msgs = mboxparse.parse(read(inbox[u]), UTC, strict=False)
    t.ok(p.returncode == 0 and msgs[-1]['content'] == b'Subject: while locked\n\nwaiting\n' and
         sum(m['content'] == msgs[-1]['content'] for m in msgs) == 1,
         'the lock released: the rerun merges the message, once')

    # ---- --in-place: a backup, the file replaced; a planted symlink refused ----
    u = next(x for x in site.users[5:] if len([k for k in site.expected if k[0] == x]) >= 2)
    mine = [(f, path) for (uu, f, path) in files if uu == u]
    (f0, path0), (f1, path1) = mine[0], mine[1]
    victim = os.path.join(TMP, 'victim')
    with open(victim, 'wb') as f:
        f.write(b'not yours\n')
    original1 = read(path1)
    os.unlink(path1)
    os.symlink(victim, path1)
    original0 = read(path0)
    p = backout(cy, manifest, '--in-place', '--source-tz', 'UTC', '--user', u)
    t.ok(p.returncode == 1 and b'symbolic link' in p.stderr,
         '--in-place: the planted symlink is refused (exit 1, named)', p.stderr.decode(errors='replace')[-500:])
    t.ok(read(victim) == b'not yours\n' and os.path.islink(path1),
         '--in-place: the symlink and its target untouched')
    st = os.lstat(path0)
    t.ok(read(path0 + '.pre-backout') == original0 and st.st_uid == pwd.getpwnam(u).pw_uid and
         st.st_mode & 0o777 == 0o600 and not compare_with_site(path0, u, f0, UTC),
         '--in-place: the other file replaced (the user\'s, 0600), its backup kept')
    os.unlink(path1)
    with open(path1, 'wb') as f:
        f.write(original1)
    os.chown(path1, pwd.getpwnam(u).pw_uid, -1)

    # --in-place killed between the backup and the rename, then a rerun: the backup is
    # the original (not the rebuilt file), made once
    u2 = next(x for x in site.users[6:] if x != u)
    mine = [(f, path) for (uu, f, path) in files if uu == u2]
    originals = {path: read(path) for _, path in mine}
    state = os.path.join(TMP, 'in-place-killed.state')
    p = backout(cy, manifest, '--in-place', '--source-tz', 'UTC', '--user', u2, '--state', state,
                env=dict(os.environ, M2C_FAULT='backout-backup:1'))
    killed = p.returncode in (-9, 137)
    p = backout(cy, manifest, '--in-place', '--source-tz', 'UTC', '--user', u2, '--state', state)
    problems = []
    for f0, path in mine:
        if read(path + '.pre-backout') != originals[path]:
            problems.append('%s: the backup is not the original' % path)
        if os.path.exists(path + '.pre-backout.1'):
            problems.append('%s: a second backup was made' % path)
        try:
            problems += compare_with_site(path, u2, f0, UTC)
        except ValueError as e:
            problems.append('%s: %s' % (path, e))
    t.ok(killed and p.returncode == 0 and not problems,
         '--in-place killed after the backup, then a rerun: the backup is the original, '
         'every message once', 'killed: %s' % killed, p.stderr.decode(errors='replace')[-300:], *problems[:5])

    # ---- --from spool, Cyrus stopped: the same messages as --from imap ----
    into = os.path.join(TMP, 'site-imap')     # Cyrus as it is now (merges delivered more)
    p = backout(cy, manifest, '--into', into, '--source-tz', 'UTC', '--jobs', '2')
    t.is_(p.returncode, 0, '--from imap once more, before imapd is stopped')
    cy.stop_master()
    into_s = os.path.join(TMP, 'site-spool')
    p = t.run([t.BIN, 'backout', '--manifest', manifest, '--cyrus-conf', cy.conf, '--from', 'spool',
               '--into', into_s, '--source-tz', 'UTC', '--jobs', '2'])
    t.is_(p.returncode, 0, '--from spool, imapd down: exit 0', p.stderr.decode(errors='replace')[-1500:])
    problems = []
    for user, folder, src in files:
        a = mboxparse.parse(read(into + src), UTC)
        b = mboxparse.parse(read(into_s + src), UTC) if os.path.exists(into_s + src) else (None, None)
        if b[1] is None or [(m['content'], m['flags'], m['epoch'], m['uid'], m['sender']) for m in a[1]] != \
                [(m['content'], m['flags'], m['epoch'], m['uid'], m['sender']) for m in b[1]]:
            problems.append('%s %s: not as --from imap wrote it' % (user, folder))
        elif a[0] != b[0]:
            problems.append('%s %s: folder data %r vs %r' % (user, folder, a[0], b[0]))
    t.ok(not problems, '--from spool: every file as --from imap wrote it (bytes, flags, dates, '
         'UIDs, senders, folder data)', *problems[:10])
    # the samples too (Cyrus unchanged for them since their --from imap backout)
    smanifest = os.path.join(TMP, 'samples.tsv')
    into_ss = os.path.join(TMP, 'samples-spool')
    p = t.run([t.BIN, 'backout', '--manifest', smanifest, '--cyrus-conf', cy.conf, '--from', 'spool',
               '--into', into_ss, '--source-tz', 'Europe/Berlin'])
    problems, n = [], 0
    berlin = ZoneInfo('Europe/Berlin')
    for d, _, fs in os.walk(os.path.join(TMP, 'samples-back')):
        for fn in fs:
            a = os.path.join(d, fn)
            b = into_ss + a[len(os.path.join(TMP, 'samples-back')):]
            n += 1
            pa, pb = mboxparse.parse(read(a), berlin), mboxparse.parse(read(b), berlin) if os.path.exists(b) else (None, None)
            if pb[1] is None or [(m['content'], m['flags'], m['epoch'], m['uid'], m['sender']) for m in pa[1]] != \
                    [(m['content'], m['flags'], m['epoch'], m['uid'], m['sender']) for m in pb[1]] or pa[0] != pb[0]:
                problems.append('%s: not as --from imap wrote it' % b)
    t.ok(p.returncode == 0 and n >= 5 and not problems, '--from spool: the %d sample files as --from '
         'imap wrote them' % n, p.stderr.decode(errors='replace')[-500:], *problems[:5])

t.done()
