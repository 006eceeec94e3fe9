#!/usr/bin/env python3
# verify end to end against a real Cyrus: the sample site and a generated site of 50
# system users are converted (spool), then verify must find nothing; then, through
# imaplib as the users, one message is expunged, one flag changed, one message
# appended and one INTERNALDATE changed (the last message of a mailbox APPENDed again
# with another date, the original expunged: Cyrus has no way to change an
# INTERNALDATE in place; being the last, the copy keeps its place in the order), and
# verify must name exactly those four, on stderr and in the JSON report, and exit 1.
# In the sample site a replaced message must be "content" and a moved one "order".
import json, os, re, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

N_USERS = int(os.environ.get('M2C_TEST_USERS', '50'))
TMP = tempfile.mkdtemp(prefix='m2c-verify.', dir='/tmp')
os.chmod(TMP, 0o755)
TAG = 'm2v%d' % (os.getpid() % 10000)
site = gen.Site(TMP, N_USERS, TAG, seed=20240601)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))
SAMPLES = os.path.join(t.ROOT, 'samples', 'site')


def server_args(cy):
    return ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]


def convert(cy, manifest, *extra):
    return t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest] +
                 server_args(cy) + list(extra))


def verify(cy, manifest, *extra):
    return t.run([t.BIN, 'verify', '--manifest', manifest] + server_args(cy) + list(extra))


def table(stdout):
    lines = stdout.decode().splitlines()
    return {l.split('\t')[0]: l.split('\t')[1:] for l in lines[1:]} if lines else {}


with t.Cyrus() as cy:
    # (a) the sample site, mapped as samples/demo.sh maps it
    manifest = os.path.join(TMP, 'samples.tsv')
    p = t.run([t.BIN, 'mapnames', '--users', os.path.join(SAMPLES, 'users.txt'),
               '--home-template', os.path.join(SAMPLES, 'home', '%u'), '--spool-dir',
               os.path.join(SAMPLES, 'spool'), '--no-owner-check', '--special-use',
               '--cyrus-conf', cy.conf, '-o', manifest])
    t.is_(p.returncode, 0, 'samples: mapnames')
    p = convert(cy, manifest, '--source-tz', 'Europe/Berlin')
    t.is_(p.returncode, 0, 'samples: convert')
    report = os.path.join(TMP, 'samples.json')
    p = verify(cy, manifest, '--source-tz', 'Europe/Berlin', '--report', report)
    t.is_(p.returncode, 0, 'samples: verify exit 0')
    if p.returncode:
        t.diag(p.stderr.decode(errors='replace')[-2000:])
    users = table(p.stdout)
    t.is_(sorted(users), ['alice', 'bob', 'carol', 'john.doe'], 'samples: a line for every user')
    t.is_(sum(int(v[1]) for v in users.values()), 12, 'samples: 12 messages compared')
    rep = json.load(open(report))
    t.is_(rep['differences'], [], 'samples: the JSON report lists no difference')
    # without the zone convert was given, the dates of From_ lines without a zone differ
    p = verify(cy, manifest, '--source-tz', 'Asia/Tokyo')
    t.ok(p.returncode == 1 and b': date: ' in p.stderr,
         'samples: another --source-tz than convert\'s: the dates differ, exit 1',
         p.stderr.decode(errors='replace')[-600:])

    # content and order, in the sample site: bob's only saved message replaced by
    # another (the same place, other bytes), alice's first message moved to the end
    # (APPENDed again with its flags and date, the original expunged)
    imap = cy.as_user('bob')
    imap.select('INBOX.Saved')
    imap.uid('STORE', '1', '+FLAGS.SILENT', '(\\Deleted)')
    imap.uid('EXPUNGE', '1')
    typ, data = imap.append('INBOX.Saved', '(\\Seen \\Flagged)', None,
                            b'Subject: keys to the lab\r\n\r\nnot the same text\r\n')
    bob_uid = int(re.search(rb'APPENDUID \d+ (\d+)', data[0]).group(1))
    imap.logout()
    imap = cy.as_user('alice')
    imap.select('INBOX')
    typ, data = imap.uid('FETCH', '1', '(FLAGS INTERNALDATE BODY.PEEK[])')
    meta = data[0][0]
    flags = [f for f in meta.split(b'FLAGS (')[1].split(b')')[0].decode().split() if f != '\\Recent']
    date = '"%s"' % re.search(rb'INTERNALDATE "([^"]*)"', meta).group(1).decode()
    typ, adata = imap.append('INBOX', '(%s)' % ' '.join(flags), date, data[0][1])
    alice_uid = int(re.search(rb'APPENDUID \d+ (\d+)', adata[0]).group(1))
    imap.uid('STORE', '1', '+FLAGS.SILENT', '(\\Deleted)')
    imap.uid('EXPUNGE', '1')
    imap.logout()
    p = verify(cy, manifest, '--source-tz', 'Europe/Berlin', '--report', report)
    t.is_(p.returncode, 1, 'samples changed: exit 1')
    got = sorted((d['user'], d['mailbox'], d['message'], d['uid'], d['kind'])
                 for d in json.load(open(report))['differences'])
    t.is_(got, [('alice', 'user.alice', 1, alice_uid, 'order'),
                ('bob', 'user.bob.Saved', 1, bob_uid, 'content')],
          'samples changed: a replaced message is "content", a moved one "order", nothing else')

    # bad input and configuration
    bad = os.path.join(TMP, 'bad.tsv')
    with open(bad, 'w') as f:
        f.write('not a manifest\n')
    p = verify(cy, bad)
    t.is_(p.returncode, 65, 'a bad manifest: 65')
    p = t.run([t.BIN, 'verify', '--manifest', manifest, '--cyrus-conf', cy.conf,
               '--port', str(t.free_port()), '--password-file', cy.password_file])
    t.is_(p.returncode, 69, 'no server: 69')

with t.Cyrus() as cy:
    # (a) a generated site of system users
    manifest = os.path.join(TMP, 'site.tsv')
    p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf,
               '-o', manifest] + site.users)
    t.is_(p.returncode, 0, 'site: mapnames for %d users' % N_USERS)
    p = convert(cy, manifest, '--jobs', '2')
    t.is_(p.returncode, 0, 'site: convert')
    report = os.path.join(TMP, 'site.json')
    p = verify(cy, manifest, '--jobs', '2', '--report', report)
    t.is_(p.returncode, 0, 'site: verify exit 0')
    if p.returncode:
        t.diag(p.stderr.decode(errors='replace')[-2000:])
    users = table(p.stdout)
    t.is_(sorted(users), sorted(site.users), 'site: a line for every one of %d users' % N_USERS)
    t.is_(sum(int(v[1]) for v in users.values()), site.messages(),
          'site: every message compared (%d)' % site.messages())
    t.is_(sum(int(v[2]) for v in users.values()), 0, 'site: no differences in the table')
    rep = json.load(open(report))
    t.is_(rep['differences'], [], 'site: none in the JSON report')

    # (b) four changes, in four mailboxes of four users
    boxes = [(u, f) for (u, f), msgs in sorted(site.expected.items(), key=lambda kv: (kv[0][0], kv[0][1] or ''))
             if len(msgs) >= 2]
    picked, seen = [], set()
    for u, f in boxes:
        if u not in seen:
            picked.append((u, f))
            seen.add(u)
        if len(picked) == 4:
            break
    t.is_(len(picked), 4, 'site: four users with a mailbox of two messages or more')

    def names(user, folder):
        personal = site.personal(folder, '.')
        return personal, 'user.%s%s' % (user, personal[len('INBOX'):])

    def uids(imap):
        typ, data = imap.uid('SEARCH', None, 'ALL')
        return sorted(int(x) for x in data[0].split())

    expected = []   # (user, mailbox, message, uid, kind)
    # 1. expunge the first message
    user, folder = picked[0]
    personal, admin = names(user, folder)
    imap = cy.as_user(user)
    imap.select('"%s"' % personal)
    first = uids(imap)[0]
    imap.uid('STORE', str(first), '+FLAGS.SILENT', '(\\Deleted)')
    typ, _ = imap.uid('EXPUNGE', str(first))
    t.is_(typ, 'OK', 'UID EXPUNGE of one message')
    expected.append((user, admin, 1, None, 'missing'))
    imap.logout()
    # 2. a flag changed on the second message
    user, folder = picked[1]
    personal, admin = names(user, folder)
    imap = cy.as_user(user)
    imap.select('"%s"' % personal)
    second = uids(imap)[1]
    has = '\\Flagged' in site.expected[(user, folder)][1].flags()
    imap.uid('STORE', str(second), '-FLAGS.SILENT' if has else '+FLAGS.SILENT', '(\\Flagged)')
    expected.append((user, admin, 2, second, 'flags'))
    imap.logout()
    # 3. a message appended
    user, folder = picked[2]
    personal, admin = names(user, folder)
    imap = cy.as_user(user)
    typ, data = imap.append('"%s"' % personal, None, None,
                            b'From: intruder@example.org\r\nSubject: not from the source\r\n\r\nhello\r\n')
    new_uid = int(re.search(rb'APPENDUID \d+ (\d+)', data[0]).group(1))
    expected.append((user, admin, None, new_uid, 'extra'))
    imap.logout()
    # 4. the last message's INTERNALDATE changed: appended again with another date
    user, folder = picked[3]
    personal, admin = names(user, folder)
    imap = cy.as_user(user)
    imap.select('"%s"' % personal)
    last = uids(imap)[-1]
    typ, data = imap.uid('FETCH', str(last), '(FLAGS BODY.PEEK[])')
    flags = [f for f in data[0][0].split(b'FLAGS (')[1].split(b')')[0].decode().split() if f != '\\Recent']
    typ, adata = imap.append('"%s"' % personal, '(%s)' % ' '.join(flags), '"01-Jan-2001 00:00:00 +0000"', data[0][1])
    copy_uid = int(re.search(rb'APPENDUID \d+ (\d+)', adata[0]).group(1))
    imap.uid('STORE', str(last), '+FLAGS.SILENT', '(\\Deleted)')
    imap.uid('EXPUNGE', str(last))
    n_last = len(site.expected[(user, folder)])
    expected.append((user, admin, n_last, copy_uid, 'date'))
    imap.logout()

    report = os.path.join(TMP, 'changed.json')
    p = verify(cy, manifest, '--jobs', '2', '--report', report)
    t.is_(p.returncode, 1, 'changed: verify exit 1')
    rep = json.load(open(report))
    got = sorted((d['user'], d['mailbox'], d['message'], d['uid'], d['kind']) for d in rep['differences'])
    t.is_(sorted(got, key=str), sorted(expected, key=str), 'changed: the JSON report names exactly the four changes')
    errors = [l for l in p.stderr.decode(errors='replace').splitlines() if ': error: ' in l]
    t.is_(len(errors), 4, 'changed: four error lines on stderr') or t.diag('\n'.join(errors))
    for user, admin, msg, uid, kind in expected:
        want = [l for l in errors if (' %s "%s": ' % (user, admin)) in l and
                (': %s: ' % kind) in l and
                (('msg %d: ' % msg) in l if msg else ': msg ' not in l) and
                (('UID %d: ' % uid) in l if uid else 'no UID: ' in l)]
        t.is_(len(want), 1, 'changed: stderr names %s %s msg %s UID %s: %s' % (user, admin, msg, uid, kind))
    users = table(p.stdout)
    t.is_(sorted((u, int(v[2])) for u, v in users.items() if int(v[2])),
          sorted((e[0], 1) for e in expected), 'changed: the table counts one difference for each of the four users')
t.done()
