#!/usr/bin/env python3
# The delivery header of convert --method lmtp (lib/lmtp-trace.h), end to end against a
# real Cyrus, the delivery done here by hand over Cyrus's LMTP socket as the convert
# method does it: each message of a small site (an inbox and a folder of one system
# user) sent with its delivery header first, some without Message-ID and/or Date (so
# that lmtpd appends them: +message-id, +date), one APPENDed over IMAP with the header
# and neither flag.  Then:
#  - what Cyrus stored: its lines prepended, Message-ID/Date appended as measured;
#  - verify: exit 0, no difference, its summary says they were delivered by LMTP;
#  - backout --into (imap) and --from spool with imapd down: each file, read by
#    tests/lib/mboxparse.py (never the project's reader), holds exactly its source's
#    messages, byte for byte, dates and senders, in its own file.
import os, pwd, re, shutil, socket, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mboxparse
import datetime

UTC = datetime.timezone.utc
KEY = '0123456789abcdef'
TMP = tempfile.mkdtemp(prefix='m2c-lmtptrace.', dir='/tmp')
os.chmod(TMP, 0o755)
USER = 'm2l%d' % (os.getpid() % 10000)
HOME = os.path.join(TMP, 'home', USER)
SPOOL = os.path.join(TMP, 'spool')
import atexit
made = []
atexit.register(lambda: ([subprocess.run(['userdel', u], stderr=subprocess.DEVNULL) for u in made],
                         shutil.rmtree(TMP, ignore_errors=True)))

p = subprocess.run(['useradd', '-M', '-N', '-d', HOME, '-s', '/usr/sbin/nologin', USER],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
if p.returncode != 0:
    t.skip_all('useradd: %s' % p.stderr.decode())
made.append(USER)
pw = pwd.getpwnam(USER)

WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


def rfc5322(epoch):
    tm = time.gmtime(epoch)
    return '%s, %02d %s %04d %02d:%02d:%02d +0000' % (WEEKDAYS[tm.tm_wday], tm.tm_mday, MONTHS[tm.tm_mon - 1],
                                                     tm.tm_year, tm.tm_hour, tm.tm_min, tm.tm_sec)


class Msg:
    def __init__(self, epoch, sender, headers, body, how='lmtp'):
        self.epoch, self.sender, self.headers, self.body, self.how = epoch, sender, headers, body, how

    def mbox(self):
        tm = time.gmtime(self.epoch)
        out = [b'From %s %s %s %2d %02d:%02d:%02d %d' % (self.sender.encode(), WEEKDAYS[tm.tm_wday].encode(),
                                                        MONTHS[tm.tm_mon - 1].encode(), tm.tm_mday, tm.tm_hour,
                                                        tm.tm_min, tm.tm_sec, tm.tm_year)]
        out += self.headers + [b'']
        out += [b'>' + l if l.lstrip(b'>').startswith(b'From ') else l for l in self.body]
        return b'\n'.join(out) + b'\n\n'

    def sent(self):
        """As convert --method imap would APPEND it (7-bit, nothing to fix): CRLF."""
        return b''.join(h + b'\r\n' for h in self.headers) + b'\r\n' + b''.join(l + b'\r\n' for l in self.body)

    def adds(self):
        names = [h.split(b':', 1)[0].strip().lower() for h in self.headers]
        if self.how != 'lmtp':
            return ''
        return (' +message-id' if b'message-id' not in names else '') + (' +date' if b'date' not in names else '')

    def delivery_header(self, number, key=KEY):
        return ('X-DeliveredInternalDate: %s (mbox2cyrus %s.%d%s)\r\n'
                % (rfc5322(self.epoch), key, number, self.adds())).encode()


def delivery_key(secret, mailbox, source, uidvalidity):
    """KEY as lmtp-trace.h documents it: the first 16 hex digits of SHA-256(secret,
    mailbox, NUL, source, NUL, uidvalidity in decimal)."""
    import hashlib
    return hashlib.sha256(secret + mailbox.encode() + b'\0' + source.encode() + b'\0'
                          + str(uidvalidity).encode()).hexdigest()[:16]


def hdrs(n, mid=True, date=True, epoch=0):
    h = [b'From: sender%d@example.org' % n, b'To: %s@example.org' % USER.encode(), b'Subject: message %d' % n]
    if mid:
        h.append(b'Message-ID: <m%d@example.org>' % n)
    if date:
        h.append(b'Date: ' + rfc5322(epoch - 3600).encode())
    return h


E = 978404645      # Tue, 02 Jan 2001 03:04:05 +0000
inbox = [
    Msg(E, 'a@example.org', hdrs(1, epoch=E), [b'all there', b'second line']),
    Msg(E + 86400, 'b@example.org', hdrs(2, mid=False, epoch=E + 86400), [b'no Message-ID']),
    Msg(E + 2 * 86400, 'c@example.org', hdrs(3, date=False), [b'no Date']),
    Msg(E + 3 * 86400, 'd@example.org', hdrs(4, mid=False, date=False), [b'neither']),
    Msg(E + 4 * 86400, 'e@example.org', hdrs(5, mid=False, epoch=E),
        [b'.', b'..dots', b'From the start', b'>From quoted', b'', b'end']),
]
folder = [
    Msg(E + 5 * 86400, 'f@example.org', hdrs(6, mid=False, date=False), [b'in the folder']),
    Msg(E + 6 * 86400, 'g@example.org', [b'Subject: folded', b' on two lines', b'Message-ID: <m7@x>',
                                         b'Date: ' + rfc5322(E).encode()], [b'folded header']),
    Msg(E + 7 * 86400, 'h@example.org', hdrs(8, mid=False, date=False), [b'appended over IMAP'], how='imap'),
    # the same bytes as the inbox's first: each goes back to its own file
    Msg(E, 'a@example.org', hdrs(1, epoch=E), [b'all there', b'second line']),
]
inbox_path = os.path.join(SPOOL, USER)
folder_path = os.path.join(HOME, 'Mail', 'Projects')
for path, msgs in ((inbox_path, inbox), (folder_path, folder)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b''.join(m.mbox() for m in msgs))
for d, dirs, files in os.walk(HOME):
    os.chown(d, pw.pw_uid, pw.pw_gid)
    for fn in files:
        os.chown(os.path.join(d, fn), pw.pw_uid, pw.pw_gid)
        os.chmod(os.path.join(d, fn), 0o600)
os.chown(inbox_path, pw.pw_uid, pw.pw_gid)
os.chmod(inbox_path, 0o600)


def server_args(cy):
    return ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]


def check_tree(into, label):
    problems = []
    for path, msgs in ((inbox_path, inbox), (folder_path, folder)):
        got = into + path
        if not os.path.isfile(got):
            problems.append('%s: %s not written' % (label, got))
            continue
        _, parsed = mboxparse.parse(open(got, 'rb').read(), UTC)
        if len(parsed) != len(msgs):
            problems.append('%s: %s: %d messages, the source %d' % (label, path, len(parsed), len(msgs)))
            continue
        for i, (m, w) in enumerate(zip(parsed, msgs)):
            if m['content'] != w.sent().replace(b'\r\n', b'\n'):
                problems.append('%s: %s msg %d: %r, want %r' % (label, path, i + 1, m['content'],
                                                               w.sent().replace(b'\r\n', b'\n')))
            if m['epoch'] != w.epoch or m['sender'] != w.sender:
                problems.append('%s: %s msg %d: %s %s, want %s %s' % (label, path, i + 1, m['sender'],
                                                                      m['epoch'], w.sender, w.epoch))
    return problems


with t.Cyrus() as cy:
    users = os.path.join(TMP, 'users.txt')
    with open(users, 'w') as f:
        f.write(USER + '\n')
    manifest = os.path.join(TMP, 'mailboxes.tsv')
    p = t.run([t.BIN, 'mapnames', '--users', users, '--home-template', os.path.join(TMP, 'home', '%u'),
               '--spool-dir', SPOOL, '--cyrus-conf', cy.conf, '-o', manifest])
    t.is_(p.returncode, 0, 'mapnames', p.stderr.decode(errors='replace')[-800:])

    admin = cy.admin()
    for box in (cy.user_mailbox(USER), cy.user_mailbox(USER, 'Projects')):
        typ, data = admin.create(box)
        t.is_(typ, 'OK', 'CREATE %s' % box, data)

    # convert's secret (what convert --method lmtp would have made), and each mailbox's
    # delivery key from it: verify and backout take only these for convert's
    secret = os.urandom(32)
    os.makedirs(manifest + '.state', exist_ok=True)
    with open(os.path.join(manifest + '.state', 'lmtp.secret'), 'wb') as f:
        f.write(secret)
    keys = {}
    owner = cy.as_user(USER)
    for rcpt, box, path in ((USER, cy.user_mailbox(USER), inbox_path),
                            (USER + '+Projects', cy.user_mailbox(USER, 'Projects'), folder_path)):
        owner.select('INBOX' if rcpt == USER else 'INBOX%sProjects' % cy.sep, readonly=True)
        keys[rcpt] = delivery_key(secret, box, path, int(owner.response('UIDVALIDITY')[1][0]))
    owner.logout()

    replies = []
    for rcpt, msgs in ((USER, inbox), (USER + '+Projects', folder)):
        for n, m in enumerate(msgs, 1):
            data = m.delivery_header(n, keys[rcpt]) + m.sent()
            if m.how == 'lmtp':
                replies.append(t.lmtp_send(cy, rcpt, data, auth=USER))
            else:
                imap = cy.as_user(USER)
                typ, r = imap.append('INBOX%sProjects' % cy.sep, None,
                                     '"%s"' % time.strftime('%d-%b-%Y %H:%M:%S +0000', time.gmtime(m.epoch)), data)
                replies.append(('%s %r' % (typ, r)).encode())
                imap.logout()
    t.ok(all(b'250' in r or r.startswith(b'OK') for r in replies), 'every message delivered',
         *[r.decode(errors='replace') for r in replies])

    # what Cyrus stored (measured: lmtp-trace.h)
    imap = cy.as_user(USER)
    stored = t.mailbox_messages(imap, 'INBOX')
    raw = [b for _, _, b in stored]
    t.ok(len(raw) == 5 and raw[0].startswith(b'Return-Path: <>\r\nReceived: ') and
         b'\r\nX-Sieve: ' in raw[0] and b'\r\nX-DeliveredInternalDate: ' in raw[0],
         'Cyrus prepends Return-Path, Received, ..., X-Sieve before the delivery header',
         raw[0][:600] if raw else 'none')
    t.ok(len(raw) == 5 and re.search(rb'\r\nMessage-ID: <cmu-lmtpd-[^>]*>\r\n\r\nno Message-ID', raw[1]) and
         re.search(rb'\r\nDate: [^\r]*\r\n\r\nno Date', raw[2]) and
         re.search(rb'\r\nMessage-ID: <cmu-lmtpd-[^>]*>\r\nDate: [^\r]*\r\n\r\nneither', raw[3]),
         'Cyrus appends Message-ID, then Date, before the empty line, only when missing',
         *[r[-300:] for r in raw])
    t.diag('Cyrus stored (message 4): %r' % (raw[3] if len(raw) > 3 else None))
    typ, data = imap.uid('FETCH', '1:*', '(INTERNALDATE)')
    t.ok(typ == 'OK' and b' 2-Jan-2001 03:04:05 +0000' in data[0], 'INTERNALDATE from the delivery header', data)
    imap.logout()

    # verify: the originals, no difference
    p = t.run([t.BIN, 'verify', '--manifest', manifest, '--source-tz', 'UTC'] + server_args(cy))
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 0, 'verify: exit 0', err[-2000:])
    t.ok('9 delivered by LMTP (delivery header taken off)' in err, 'verify: its summary counts them', err[-800:])
    t.ok(re.search(r'^%s\t2\t9\t0$' % USER, p.stdout.decode(), re.M), 'verify: 2 mailboxes, 9 messages, 0 differences',
         p.stdout.decode())

    # backout over IMAP
    into = os.path.join(TMP, 'into-imap')
    p = t.run([t.BIN, 'backout', '--manifest', manifest, '--source-tz', 'UTC', '--into', into] + server_args(cy))
    t.is_(p.returncode, 0, 'backout (imap): exit 0', p.stderr.decode(errors='replace')[-1500:])
    problems = check_tree(into, 'imap')
    t.ok(not problems, 'backout (imap): every file holds its own source\'s messages, byte for byte', *problems[:10])

    # backout from the spool, imapd down
    cy.stop_master()
    into_s = os.path.join(TMP, 'into-spool')
    p = t.run([t.BIN, 'backout', '--manifest', manifest, '--cyrus-conf', cy.conf, '--from', 'spool',
               '--into', into_s, '--source-tz', 'UTC'])
    t.is_(p.returncode, 0, 'backout --from spool: exit 0', p.stderr.decode(errors='replace')[-1500:])
    problems = check_tree(into_s, 'spool')
    t.ok(not problems, 'backout --from spool: every file holds its own source\'s messages, byte for byte',
         *problems[:10])

t.done()
