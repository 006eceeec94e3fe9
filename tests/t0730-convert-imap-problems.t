#!/usr/bin/env python3
# convert --method imap with what Cyrus would refuse or mangle, against a real Cyrus
# with an APPENDLIMIT (maxmessagesize), checked through imaplib and an mbox parser of
# the test's own: a NUL byte, a bare CR in a header, a header line without a colon,
# an empty message, a message over APPENDLIMIT, an EUC-JP subject, a date before 1970
# -- each fixed or quarantined as documented and named in the report (file, message
# number, offset); stored + quarantined = the source's count.  --no-fix nul: the NUL
# message is refused by Cyrus and quarantined with the server's words, the others of
# its APPEND command still stored in order.  A mailbox given 105 keywords keeps
# Cyrus's 100 and says which were left off; a user over quota fails that mailbox
# (temporary), the other users go on.
import email.header, json, os, pwd, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t
import mboxparse

t.need_root()
LIMIT = 40000
TMP = tempfile.mkdtemp(prefix='m2c-iprob.', dir='/tmp')
os.chmod(TMP, 0o755)
TAG = 'm2p%d' % (os.getpid() % 10000)
USERS = [TAG + 'a', TAG + 'b', TAG + 'c']
made = []


def cleanup():
    for u in made:
        subprocess.run(['userdel', u], stderr=subprocess.DEVNULL)
    shutil.rmtree(TMP, ignore_errors=True)


import atexit
atexit.register(cleanup)


def msg(sender, date, headers, body=b'body\n'):
    return b'From ' + sender + b' ' + date + b'\n' + headers + b'\n' + body + b'\n'


D = b'Sat Mar  1 10:00:00 2003'
PROBLEM_FOLDER = [
    (b'ok first', msg(b'a@example.org', D, b'Subject: ok first\n')),
    (b'nul', msg(b'a@example.org', D, b'Subject: nul\n', b'a NUL \x00 here\n')),
    (b'bare cr', msg(b'a@example.org', D, b'Subject: bare\rcr\n')),
    (b'colonless', msg(b'a@example.org', D, b'Subject: colonless\nthis line has no colon\n')),
    (None, b'From empty@example.org ' + D + b'\n\n'),
    (None, msg(b'a@example.org', D, b'Subject: too big\n', b'x' * 79 + b'\n') .replace(
        b'x' * 79 + b'\n', (b'x' * 79 + b'\n') * (LIMIT // 80 + 10))),
    (b'euc', msg(b'a@example.org', D, b'Subject: \xc6\xfc\xcb\xdc\xb8\xec\xa4\xce\xa5\xc6\xa5\xb9\xa5\xc8\n')),
    (b'old', msg(b'a@example.org', b'Tue Dec 31 23:00:00 1968', b'Subject: old\n')),
    (b'ok last', msg(b'a@example.org', D, b'Subject: ok last\n')),
]
JAPANESE = '\u65e5\u672c\u8a9e\u306e\u30c6\u30b9\u30c8'


def make_user(user, folders):
    home = os.path.join(TMP, 'home', user)
    subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', user], check=True)
    made.append(user)
    pw = pwd.getpwnam(user)
    os.makedirs(os.path.join(home, 'Mail'))
    os.makedirs(os.path.join(TMP, 'spool'), exist_ok=True)
    for name, data in folders.items():
        path = os.path.join(TMP, 'spool', user) if name is None else os.path.join(home, 'Mail', name)
        with open(path, 'wb') as f:
            f.write(data)
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, 0o600)
    for d in (home, os.path.join(home, 'Mail')):
        os.chown(d, pw.pw_uid, pw.pw_gid)


problem_data = b''.join(m for _, m in PROBLEM_FOLDER)
keywords = b''.join(msg(b'k@example.org', D, b'Subject: kw %d\nX-Keywords: kw%d\n' % (i, i))
                    for i in range(105))
make_user(USERS[0], {None: msg(b'a@example.org', D, b'Subject: inbox\n'), 'problems': problem_data,
                     'keywords': keywords})
make_user(USERS[1], {None: problem_data})
make_user(USERS[2], {None: msg(b'q@example.org', D, b'Subject: quota\n', (b'q' * 70 + b'\n') * 200)})
BIG_BODY = b''.join(b'%07d big body line, streamed twice and sent as a synchronising literal\n' % i
                    for i in range(70000))     # ~5.5 MB: over 1 MiB held and 4 MiB LITERAL+
BIG_USER = TAG + 'd'
make_user(BIG_USER, {None: msg(b'b@example.org', D, b'Subject: small 1\n') +
                     msg(b'b@example.org', D, b'Subject: big\n', BIG_BODY) +
                     msg(b'b@example.org', D, b'Subject: small 2\n')})


def convert(cy, manifest, *extra):
    return t.run([t.BIN, 'convert', '--method', 'imap', '--manifest', manifest, '--cyrus-conf',
                  cy.conf, '--port', str(cy.port), '--password-file', cy.password_file] + list(extra))


def subjects(imap, box):
    return t.mailbox_messages(imap, box)


with t.Cyrus(extra_conf='maxmessagesize: %d' % LIMIT) as cy:
    adm = cy.admin()
    adm.create('user.' + USERS[2])
    adm.setquota('user.' + USERS[2], '(STORAGE 5)')
    adm.logout()
    manifest = os.path.join(TMP, 'm.tsv')
    p = t.run([t.BIN, 'mapnames', '--spool-dir', os.path.join(TMP, 'spool'), '--home-template',
               os.path.join(TMP, 'home', '%u'), '--cyrus-conf', cy.conf, '-o', manifest] + USERS)
    t.is_(p.returncode, 0, 'mapnames')
    report = os.path.join(TMP, 'r.json')
    p = convert(cy, manifest, '--report', report, '--no-fix', 'none-such')
    t.is_(p.returncode, 64, '--no-fix with an unknown kind is a usage error', p.stderr.decode()[-300:])
    p = convert(cy, manifest, '--report', report)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 75, 'exit 75: the over-quota user failed (temporary), the others are done', err[-1500:])
    rep = json.load(open(report))
    status = {u['user']: u['status'] for u in rep['users']}
    t.is_((status[USERS[0]], status[USERS[1]]), ('done', 'done'), 'the users without a quota problem are done')
    t.is_(status[USERS[2]], 'failed', 'the user over quota failed', [u for u in rep['users'] if u['user'] == USERS[2]])
    qbox = [m for u in rep['users'] if u['user'] == USERS[2] for m in u['mailboxes']][0]
    t.ok('quota' in (qbox.get('error') or '').lower(), 'its mailbox says over quota', qbox)

    imap = cy.as_user(USERS[0])
    got = subjects(imap, 'INBOX.problems')
    want = [s for s, _ in PROBLEM_FOLDER if s is not None]
    names = [g[0] for g in got]
    t.is_(len(got), 7, 'problems folder: 7 of 9 messages stored', names)
    t.is_(names[0], b'ok first', '... in source order: first')
    t.is_(names[-1], b'ok last', '... in source order: last')
    by = dict(zip(want, got)) if len(got) == 7 else {}
    if by:
        t.ok(b'\x00' not in by[b'nul'][2] and b'a NUL  here' in by[b'nul'][2],
             'the NUL byte was removed, the rest kept', by[b'nul'][2][-60:])
        t.ok(b'Subject: bare cr\r\n' in by[b'bare cr'][2], 'the bare CR in a header became a space', by[b'bare cr'][2][:80])
        t.ok(b'X-Mbox2cyrus-Invalid-Header: this line has no colon\r\n' in by[b'colonless'][2],
             'the line without a colon is kept as a header of its own', by[b'colonless'][2][:200])
        text = str(email.header.make_header(email.header.decode_header(by[b'euc'][0].decode('ascii'))))
        t.is_(text, JAPANESE, 'the EUC-JP subject arrives RFC 2047-encoded and reads as the original Japanese')
        t.ok(b'01-Jan-1970 00:00:01 +0000' in by[b'old'][1] or b' 1-Jan-1970 00:00:01 +0000' in by[b'old'][1],
             'a date before 1970 is stored as 1970-01-01 00:00:01 UTC, not as the time of delivery', by[b'old'][1])
    box = [m for u in rep['users'] if u['user'] == USERS[0] for m in u['mailboxes']
           if m['mailbox'].endswith('.problems')][0]
    probs = {(pr['msg'], pr['skipped']) for pr in box['problems']}
    for n, skipped in ((2, False), (3, False), (4, False), (5, True), (6, True), (7, False), (8, False)):
        t.ok((n, skipped) in probs, 'report: message %d is named (%s)' % (n, 'not stored' if skipped else 'fixed'),
             box['problems'])
    offsets = {pr['msg']: pr['offset'] for pr in box['problems']}
    t.is_(offsets.get(5), problem_data.index(b'From empty@'), 'report: ... with the byte offset of its From_ line')
    qpaths = {w for pr in box['problems'] if pr['skipped'] for w in pr['text'].split() if '/quarantine/' in w}
    t.is_(len(qpaths), 1, 'report: the quarantine mbox is named', box['problems'])
    qpath = next(iter(qpaths)).rstrip('.,;:)') if qpaths else ''
    if os.path.exists(qpath):
        folder, qmsgs = mboxparse.parse(open(qpath, 'rb').read(), None)
        t.is_(len(qmsgs), 2, 'the user\'s quarantine holds the empty and the too big message '
              '(stored 7 + quarantined 2 = 9)', [len(m['content']) for m in qmsgs])
        t.is_([len(m['content']) > LIMIT for m in qmsgs], [False, True], '... the big one whole')
        t.is_(oct(os.stat(qpath).st_mode & 0o777), '0o600', '... in a file only root reads')
    else:
        t.ok(False, 'the quarantine file exists', qpath)
    kw = subjects(imap, 'INBOX.keywords')
    t.is_(len(kw), 105, 'keywords folder: all 105 messages stored')
    typ, data = imap.select('INBOX.keywords', readonly=True)
    flags = imap.response('FLAGS')[1][0].decode().split()
    t.is_(len([f for f in flags if f.strip('()').startswith('kw')]), 100, '... with Cyrus\'s 100 keywords')
    kwbox = [m for u in rep['users'] if u['user'] == USERS[0] for m in u['mailboxes']
             if m['mailbox'].endswith('.keywords')][0]
    t.is_(len([pr for pr in kwbox['problems'] if 'keyword' in pr['text']]), 5,
          '... and the 5 left off are named in the report')
    imap.logout()
    imap = cy.as_user(USERS[1])
    t.is_(len(subjects(imap, 'INBOX')), 7, 'the second user\'s inbox, the same folder: 7 stored')
    imap.logout()
    p = convert(cy, manifest)
    t.is_(p.returncode, 75, 'a rerun: the quota is still full (75)', p.stderr.decode()[-600:])
    imap = cy.as_user(USERS[0])
    t.is_(len(subjects(imap, 'INBOX.problems')), 7, '... nothing appended twice')
    imap.logout()
    t.ok(os.path.exists(qpath) and len(mboxparse.parse(open(qpath, 'rb').read(), None)[1]) == 2,
         '... nothing quarantined twice')
    adm = cy.admin()
    adm.setquota('user.' + USERS[2], '(STORAGE 10000)')
    adm.logout()
    p = convert(cy, manifest, '--report', report)
    t.is_(p.returncode, 1, 'after the quota is raised the rerun finishes: exit 1, for the '
          'messages in quarantine (said again)', p.stderr.decode()[-800:])
    rep = json.load(open(report))
    t.is_([u['status'] for u in rep['users']], ['already done', 'already done', 'done'],
          '... every user done (the first two by the first run)', rep['users'])
    t.is_([(m['written'], m['existed']) for m in rep['users'][2]['mailboxes']], [(1, 0)],
          '... the report says this run appended the over-quota user\'s message')
    imap = cy.as_user(USERS[2])
    t.is_([s for s, _, _ in subjects(imap, 'INBOX')], [b'quota'], '... and the mail is there once')
    imap.logout()

# a message over 1 MiB (counted, then streamed from the file again) and over 4 MiB (its
# literal waits for the server's "+") between two small ones in one APPEND command
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'm3.tsv')
    t.run([t.BIN, 'mapnames', '--spool-dir', os.path.join(TMP, 'spool'), '--home-template',
           os.path.join(TMP, 'home', '%u'), '--cyrus-conf', cy.conf, '-o', manifest, BIG_USER])
    p = convert(cy, manifest, '--state', os.path.join(TMP, 'state3'))
    t.is_(p.returncode, 0, 'a 5.5 MB message: convert exit 0', p.stderr.decode()[-800:])
    imap = cy.as_user(BIG_USER)
    got = subjects(imap, 'INBOX')
    t.is_([g[0] for g in got], [b'small 1', b'big', b'small 2'], '... stored in order between the small ones')
    want = BIG_BODY.replace(b'\n', b'\r\n')
    t.ok(len(got) == 3 and got[1][2].split(b'\r\n\r\n', 1)[1] == want,
         '... byte for byte (%d bytes)' % len(want))
    imap.logout()

# --no-fix nul: Cyrus refuses the NUL message; its command's other messages still go in
with t.Cyrus(extra_conf='maxmessagesize: %d' % LIMIT) as cy:
    manifest = os.path.join(TMP, 'm2.tsv')
    t.run([t.BIN, 'mapnames', '--spool-dir', os.path.join(TMP, 'spool'), '--home-template',
           os.path.join(TMP, 'home', '%u'), '--cyrus-conf', cy.conf, '-o', manifest, USERS[1]])
    report = os.path.join(TMP, 'r2.json')
    p = convert(cy, manifest, '--no-fix', 'nul', '--report', report, '--state', os.path.join(TMP, 'state2'))
    t.is_(p.returncode, 1, '--no-fix nul: exit 1 (a message not stored)', p.stderr.decode()[-800:])
    imap = cy.as_user(USERS[1])
    got = [g[0] for g in subjects(imap, 'INBOX')]
    t.is_(len(got), 6, '--no-fix nul: 6 of 9 stored', got)
    t.is_((got[:3], got[-2:]), ([b'ok first', b'bare cr', b'colonless'], [b'old', b'ok last']),
          '--no-fix nul: ... in source order, around the refused one', got)
    imap.logout()
    rep = json.load(open(report))
    box = rep['users'][0]['mailboxes'][0]
    nul = [pr for pr in box['problems'] if pr['msg'] == 2]
    t.ok(nul and nul[0]['skipped'] and 'NUL' in nul[0]['text'],
         '--no-fix nul: the NUL message is quarantined with the server\'s words', nul)
t.done()
