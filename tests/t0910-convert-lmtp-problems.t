#!/usr/bin/env python3
# convert --method lmtp where LMTP would lose or misplace mail, against a real Cyrus,
# checked through imaplib:
#  - a user with a folder LMTP cannot address (a space; also '+', non-ASCII) is refused
#    before anything is delivered: nothing of it in the INBOX, the folder named, the
#    other users done;
#  - a folder whose messages all carry one Message-ID (Cyrus's duplicate suppression
#    would keep the first): refused before anything of it is delivered, with the
#    reason; with --duplicate-ids append every message is there, in order; a Message-ID
#    the mailbox got before the run (Cyrus's duplicate database knows it, we do not)
#    is still not lost;
#  - messages Cyrus refuses or changes: NUL, a header line without a colon, raw 8-bit
#    header bytes, no empty line after the header, no line end at the end -- fixed or
#    APPENDed as they are, named with file, message number and offset;
#  - a user with an active Sieve script is refused before anything is delivered;
#  - --deliver: Cyrus's deliver exit codes -- an unknown user (65: that user failed,
#    exit 1, the others done), over quota (75, retried, the user temporary: exit 75;
#    after the quota is raised, delivered once), lmtpd unreachable (78: temporary, the
#    run stops, exit 75), the program's words in the report.
import base64, json, os, socket, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t
from mailsite import unwrap_lmtp

t.need_root()
import reviewlib as r

DELIVER = '/usr/lib/cyrus/bin/deliver'
site = r.Site('lprob')
TMP = site.tmp
TAG = site.tag
os.environ['M2C_DELIVER_RETRY_MS'] = '50'
D = b'Sat Mar  1 10:00:00 2003'


def msg(headers, body=b'body\n', date=D):
    return b'From a@example.org ' + date + b'\n' + headers + b'\n' + body + b'\n'


def make_user(user, folders):
    """reviewlib's user, named TAG + suffix: {None: inbox, folder: bytes}."""
    folders = dict(folders)
    inbox = folders.pop(None, None)
    site.user(user[len(TAG):], inbox=inbox, folders=folders)


def mapnames(cy, users, name):
    manifest = os.path.join(TMP, name)
    p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--home-template',
               os.path.join(TMP, 'home', '%u'), '--cyrus-conf', cy.conf, '-o', manifest] + users)
    t.is_(p.returncode, 0, 'mapnames %s' % name, p.stderr.decode()[-400:])
    return manifest


def convert(cy, manifest, *extra, conf=None):
    return t.run([t.BIN, 'convert', '--method', 'lmtp', '--manifest', manifest, '--cyrus-conf',
                  conf or cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]
                 + list(extra))


def subjects(cy, user, box):
    imap = cy.as_user(user)
    got = t.mailbox_messages(imap, box)
    imap.logout()
    return None if got is None else [s for s, _, _ in got]


def stored(cy, user, box):
    imap = cy.as_user(user)
    got = t.mailbox_messages(imap, box)
    imap.logout()
    return [unwrap_lmtp(b)[0] for _, _, b in got or []]


# ---- folders LMTP cannot address; Message-IDs; problem messages ----
SPACE, PLUS, OK, DUP, PRE = (TAG + x for x in 'abcde')
make_user(SPACE, {None: msg(b'Subject: space inbox\n'), 'Old Mail': msg(b'Subject: old 1\n'),
                  'fine': msg(b'Subject: fine 1\n')})
make_user(PLUS, {None: msg(b'Subject: plus inbox\n'), 'a+b': msg(b'Subject: plus 1\n')})
PROBLEMS = (msg(b'Subject: first\nMessage-ID: <p1@x>\n') +
            msg(b'Subject: nul\nMessage-ID: <p2@x>\n', b'a NUL \x00 here\n') +
            msg(b'Subject: colonless\nthis line has no colon\n') +
            msg(b'Subject: 8bit Gr\xfc\xdfe\nMessage-ID: <p4@x>\n') +
            b'From a@example.org ' + D + b'\nSubject: no separator\nX-Note: header only\n\n' +
            msg(b'Subject: last, no line end\nMessage-ID: <p6@x>\n', b'the end'))
make_user(OK, {None: msg(b'Subject: ok inbox\n'), 'problems': PROBLEMS[:-1]})
SAME = b''.join(msg(b'Subject: same %d\nMessage-ID: <same@example.org>\n' % i) for i in range(6))
make_user(DUP, {None: msg(b'Subject: dup inbox\n'), 'same': SAME})
make_user(PRE, {None: msg(b'Subject: pre 1\nMessage-ID: <known@example.org>\n') +
                msg(b'Subject: pre 2\nMessage-ID: <other@example.org>\n')})

with t.Cyrus() as cy:
    manifest = mapnames(cy, [SPACE, PLUS, OK, DUP, PRE], 'm.tsv')
    # the duplicate database learns <known@example.org> for PRE's INBOX before the run
    adm = cy.admin()
    adm.create('user.' + PRE)
    adm.logout()
    reply = t.lmtp_deliver(cy, PRE, 'known-before')
    t.ok(reply.startswith(b'250'), 'a message delivered to %s before the run' % PRE)
    t.lmtp_send(cy, PRE, b'Subject: known\r\nMessage-ID: <known@example.org>\r\n\r\nx\r\n')

    report = os.path.join(TMP, 'r.json')
    p = convert(cy, manifest, '--report', report)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 1, 'exit 1: some users or mailboxes failed', err[-1500:])
    rep = {u['user']: u for u in json.load(open(report))['users']}

    t.is_(rep[SPACE]['status'], 'failed', 'a user with a folder named with a space: failed')
    t.ok('Old Mail' in err and 'LMTP cannot address' in err and '--method imap' in err,
         '... the folder is named, with the reason and the way out', err[-1500:])
    t.is_(subjects(cy, SPACE, 'INBOX') or [], [], '... nothing of the user is in its INBOX')
    t.is_(subjects(cy, SPACE, 'INBOX.fine') or [], [], '... nor in its other folder')
    t.is_(rep[PLUS]['status'], 'failed', 'a folder with "+": refused too')
    t.is_(subjects(cy, PLUS, 'INBOX') or [], [], '... nothing of it in the INBOX')

    t.is_(rep[OK]['status'], 'done', 'the user with problem messages: done')
    got = stored(cy, OK, 'INBOX.problems')
    t.is_(len(got), 6, 'every problem message is stored (6)', [g[:80] for g in got])
    t.ok(got and b'a NUL  here' in got[1] and b'\x00' not in got[1], 'the NUL is taken out')
    t.ok(len(got) > 2 and b'X-Mbox2cyrus-Invalid-Header: this line has no colon' in got[2],
         'the colonless line is kept as a header of its own')
    t.ok(len(got) > 3 and b'=?' in got[3] and max(got[3]) < 128, 'the 8-bit subject is RFC 2047')
    t.ok(len(got) > 4 and got[4].startswith(b'Subject: no separator\r\nX-Note: header only\r\n')
         and b'\r\n\r\n' not in got[4], 'the message with no empty line after its header is '
         'there as it was (APPENDed: LMTP refuses it)', got[4:5])
    for what, needle in (('NUL', 'NUL'), ('colonless', 'colon'), ('8-bit', 'RFC 2047'),
                         ('no separator', 'APPENDed as it is')):
        t.ok(len(got) > 5 and got[5].endswith(b'\r\n\r\nthe end'), 'the last message, without a '
         'line end, is there as it was (APPENDed: LMTP would add one)', got[5:6])
    t.ok(any(needle in l and 'problems: msg ' in l and 'offset' in l for l in err.splitlines()),
             '%s: named with file, message number and offset' % what)

    t.is_(subjects(cy, DUP, 'INBOX.same') or [], [], 'one Message-ID six times: nothing of the '
          'folder delivered')
    t.ok('repeats the Message-ID <same@example.org>' in err and 'duplicatesuppression' in err
         and '--duplicate-ids append' in err, '... refused with the reason and the way out')
    t.ok('msg' not in ''.join(l for l in err.splitlines() if 'same' in l and 'refused' in l)
         or 'offset' in err, '... naming the message')
    t.is_(subjects(cy, DUP, 'INBOX'), [b'dup inbox'], '... the user\'s INBOX is delivered')

    t.is_(rep[PRE]['status'], 'done', 'a Message-ID Cyrus saw before the run: done')
    # whether Cyrus drops it depends on its duplicate database having the first one's
    # mark by then (it is written after the reply); when it does, the drop is seen when
    # the batch is checked and the message comes after its batch
    got = subjects(cy, PRE, 'INBOX')
    t.is_(sorted(got), sorted([b'known-before', b'known', b'pre 1', b'pre 2']),
          '... and nothing lost, nothing twice', got)
    dropped = got != [b'known-before', b'known', b'pre 1', b'pre 2']
    t.ok(not dropped or 'duplicate suppression' in err, '... a drop is reported as such')
    p = convert(cy, manifest, '--duplicate-ids', 'append', '--report', report)
    err = p.stderr.decode(errors='replace')
    rep = {u['user']: u for u in json.load(open(report))['users']}
    t.is_(rep[DUP]['status'], 'done', '--duplicate-ids append: the folder is delivered', err[-800:])
    t.is_(subjects(cy, DUP, 'INBOX.same'), [b'same %d' % i for i in range(6)],
          '... every message, in order')
    t.ok(err.count('duplicate suppression would drop it: APPENDed') == 5,
         '... the five repeats named as APPENDed')

# ---- an active Sieve script ----
SIEVE = TAG + 's'
make_user(SIEVE, {None: msg(b'Subject: sieve 1\n'), 'f': msg(b'Subject: sieve f\n')})
with t.Cyrus(sieve=True) as cy:
    adm = cy.admin()
    adm.create('user.' + SIEVE)
    adm.logout()
    s = socket.create_connection(('127.0.0.1', cy.sieve_port))
    f = s.makefile('rwb')

    def answer():
        while True:
            l = f.readline()
            if l.startswith((b'OK', b'NO', b'BYE')) or not l:
                return l
    answer()
    tok = base64.b64encode(('%s\0%s\0%s' % (SIEVE, cy.admin_user, cy.admin_password)).encode())
    f.write(b'AUTHENTICATE "PLAIN" "%s"\r\n' % tok)
    f.flush()
    answer()
    script = b'redirect "x@example.com";\r\n'
    f.write(b'PUTSCRIPT "s" {%d+}\r\n' % len(script) + script + b'\r\n')
    f.flush()
    answer()
    f.write(b'SETACTIVE "s"\r\n')
    f.flush()
    t.ok(answer().startswith(b'OK'), 'a Sieve script with a redirect is active for %s' % SIEVE)
    s.close()
    manifest = mapnames(cy, [SIEVE], 'sieve.tsv')
    p = convert(cy, manifest)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 1, 'a user with an active Sieve script: exit 1', err[-600:])
    t.ok('active Sieve script' in err, '... refused with the reason')
    t.is_(subjects(cy, SIEVE, 'INBOX'), [], '... nothing delivered')
    t.is_(t.captured(cy, 'sieve 1'), [], '... and nothing redirected')

# ---- --deliver: the program's exit codes ----
UNKNOWN, QUOTA, GOOD = TAG + 'u', TAG + 'q', TAG + 'g'
make_user(UNKNOWN, {None: msg(b'Subject: unknown 1\n')})
make_user(QUOTA, {None: msg(b'Subject: quota 1\n', (b'q' * 70 + b'\n') * 100) +
                  msg(b'Subject: quota 2\n', (b'q' * 70 + b'\n') * 100)})
make_user(GOOD, {None: msg(b'Subject: good 1\n'), 'f': msg(b'Subject: good f\n')})
# deliver run as a user Cyrus does not know: what the real deliver says then
wrapper = os.path.join(TMP, 'deliver-unknown')
with open(wrapper, 'w') as f:
    f.write('#!/bin/sh\n# the real deliver, told of a user Cyrus has no mailbox for instead of %s\n'
            'for a; do shift; [ "$a" = %s ] && a=nosuch%s; set -- "$@" "$a"; done\n'
            'exec %s "$@"\n' % (UNKNOWN, UNKNOWN, TAG, DELIVER))
os.chmod(wrapper, 0o755)
with t.Cyrus() as cy:
    adm = cy.admin()
    adm.create('user.' + QUOTA)
    adm.setquota('user.' + QUOTA, '(STORAGE 5)')
    adm.logout()
    manifest = mapnames(cy, [UNKNOWN, QUOTA, GOOD], 'deliver.tsv')
    report = os.path.join(TMP, 'd.json')
    p = convert(cy, manifest, '--deliver', wrapper, '--report', report)
    err = p.stderr.decode(errors='replace')
    rep = {u['user']: u for u in json.load(open(report))['users']}
    t.is_(p.returncode, 75, 'deliver: exit 75 (a temporary failure is left)', err[-1500:])
    t.is_(rep[GOOD]['status'], 'done', 'deliver: the good user is done')
    t.is_(subjects(cy, GOOD, 'INBOX.f'), [b'good f'], '... its folder delivered')
    t.is_(rep[UNKNOWN]['status'], 'failed', 'deliver exit 65 (unknown user): that user failed')
    t.ok('exited 65 (permanent)' in err and 'Mailbox does not exist' in err,
         '... with the program\'s words', err[-1200:])
    t.is_(rep[QUOTA]['status'], 'failed', 'deliver exit 75 (over quota): the user failed')
    t.ok('exited 75 (temporary, after 3 retries)' in err, '... temporary, after retrying')
    t.is_(subjects(cy, QUOTA, 'INBOX'), [b'quota 1'], '... what fitted is there once')
    adm = cy.admin()
    adm.setquota('user.' + QUOTA, '(STORAGE 100000)')
    adm.logout()
    p = convert(cy, manifest, '--deliver', DELIVER)
    t.is_(p.returncode, 0, 'after the quota is raised (and with the real deliver): exit 0',
          p.stderr.decode()[-800:])
    t.is_(subjects(cy, QUOTA, 'INBOX'), [b'quota 1', b'quota 2'], '... each message once, in order')

    conf = os.path.join(TMP, 'imapd-no-lmtpd.conf')
    with open(cy.conf) as f:
        text = f.read()
    with open(conf, 'w') as f:
        f.write(''.join(l + '\n' for l in text.splitlines() if not l.startswith('lmtpsocket:'))
                + 'lmtpsocket: %s/no-lmtpd-here\n' % TMP)
    LATE = [TAG + 'l1', TAG + 'l2']
    for u in LATE:
        make_user(u, {None: msg(b'Subject: late\n')})
    manifest = mapnames(cy, LATE, 'late.tsv')
    p = convert(cy, manifest, '--deliver', DELIVER, '--jobs', '1', conf=conf)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 75, 'lmtpd unreachable (deliver 78): exit 75', err[-1000:])
    t.ok('exited 78 (temporary' in err and "couldn't connect to lmtpd" in err,
         '... temporary, with the program\'s words')
    t.ok(err.count('exited 78') == 1, '... the run stops at the first user (every user would '
         'meet the same lmtpd)')
    p = convert(cy, manifest, '--deliver', DELIVER)
    t.is_(p.returncode, 0, '... and a rerun with lmtpd there delivers them', p.stderr.decode()[-600:])
    t.is_([subjects(cy, u, 'INBOX') for u in LATE], [[b'late'], [b'late']], '... once each')

t.done()
