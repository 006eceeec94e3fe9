"""site.py -- a generated Berkeley mail site of real system users, and the check that
a Cyrus holds exactly what it should, through imaplib.

The expected result is built here from the messages as they were made, never by the
project's own reader:  each message's bytes (headers without Status/X-Status/
X-Keywords/X-UID, body unquoted, CRLF), its flags and its From_ date.
"""
import base64, os, pwd, random, shutil, subprocess, time

import m2ctest as t

INTERNAL = ('Status', 'X-Status', 'X-Keywords', 'X-UID')
FOLDERS = ['Sent', 'Old Projects', 'Grüße', 'lists/cyrus']
WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


def mutf7(s):
    """RFC 3501 modified UTF-7, written here independently of lib/mutf7.c."""
    out, buf = [], []

    def flush():
        if buf:
            b64 = base64.b64encode(''.join(buf).encode('utf-16-be')).decode().rstrip('=')
            out.append('&' + b64.replace('/', ',') + '-')
            buf.clear()
    for ch in s:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append('&-' if ch == '&' else ch)
        else:
            buf.append(ch)
    flush()
    return ''.join(out)


def from_line_date(rng, epoch):
    """A From_ line date in one of the field's formats, and the epoch it means."""
    tz = rng.choice([0, 3600, -5 * 3600, 9 * 3600])
    tm = time.gmtime(epoch + tz)
    base = '%s %s %2d %02d:%02d:%02d' % (WEEKDAYS[tm.tm_wday], MONTHS[tm.tm_mon - 1], tm.tm_mday,
                                        tm.tm_hour, tm.tm_min, tm.tm_sec)
    sign = '+' if tz >= 0 else '-'
    zone = '%s%02d%02d' % (sign, abs(tz) // 3600, abs(tz) % 3600 // 60)
    form = rng.randrange(3)
    if form == 0:
        return '%s %d %s' % (base, tm.tm_year, zone)
    if form == 1:
        return '%s %s %d' % (base, zone, tm.tm_year)
    return '%s %d %s' % (base, tm.tm_year, zone)


class Message:
    def __init__(self, rng, n, sender):
        self.epoch = rng.randrange(820000000, 1300000000)
        self.sender = sender
        subject, self.charset = rng.choice([(b'plain subject %d' % n, None),
                                            (b'8-bit Latin-1: Gr\xfc\xdfe %d' % n, 'latin-1'),
                                            (b'8-bit EUC-JP: \xc6\xfc\xcb\xdc\xb8\xec %d' % n, 'euc-jp')])
        self.headers = [b'From: ' + sender.encode(), b'To: someone@example.org',
                        b'Subject: ' + subject,
                        b'Message-ID: <gen-%d-%d@example.org>' % (n, rng.randrange(1 << 30))]
        lines = []
        for k in range(rng.randrange(1, 12)):
            r = rng.random()
            if r < 0.08:
                lines.append(b'From the start of a line, %d' % k)      # quoted in the mbox
            elif r < 0.12:
                lines.append(b'>From already quoted once, %d' % k)      # quoted again (mboxrd)
            elif r < 0.15:
                lines.append(b'')
            else:
                lines.append(b'line %d of message %d' % (k, n))
        self.body = lines
        st = rng.random()
        self.status = rng.choice(['', 'RO', 'O', 'R'])
        self.xstatus = rng.choice(['', 'A', 'F', 'AF', 'T', 'D']) if st < 0.7 else ''
        self.keywords = rng.choice([[], [], ['$Label1'], ['NonJunk', 'Work']])
        self.uid = None

    def flags(self):
        f = set()
        if 'R' in self.status:
            f.add('\\Seen')
        for c, flag in (('A', '\\Answered'), ('F', '\\Flagged'), ('T', '\\Draft'), ('D', '\\Deleted')):
            if c in self.xstatus:
                f.add(flag)
        return f | set(self.keywords)

    def mbox(self, rng):
        out = [b'From ' + self.sender.encode() + b' ' + from_line_date(rng, self.epoch).encode()]
        out += self.headers
        if self.status:
            out.append(b'Status: ' + self.status.encode())
        if self.xstatus:
            out.append(b'X-Status: ' + self.xstatus.encode())
        if self.keywords:
            out.append(b'X-Keywords: ' + ' '.join(self.keywords).encode())
        if self.uid is not None:
            out.append(b'X-UID: %d' % self.uid)
        out.append(b'')
        for l in self.body:       # mboxrd quoting
            stripped = l.lstrip(b'>')
            out.append(b'>' + l if stripped.startswith(b'From ') else l)
        return b'\n'.join(out) + b'\n\n'

    def expected(self):
        return b'\r\n'.join(self.headers) + b'\r\n\r\n' + b''.join(l + b'\r\n' for l in self.body)

    def matches_encoded(self, got):
        """Is `got` this message as an IMAP APPEND must store it: byte-identical but
        for 8-bit header fields, which must now be 7-bit RFC 2047 that decodes (Python's
        email.header, not the project's code) to the original text in its charset."""
        import email.header, re
        want = self.expected()
        if got == want:
            return self.charset is None
        gh, _, gb = got.partition(b'\r\n\r\n')
        wh, _, wb = want.partition(b'\r\n\r\n')
        glines = re.split(rb'\r\n(?![ \t])', gh)
        wlines = wh.split(b'\r\n')
        if gb != wb or len(glines) != len(wlines):
            return False
        for g, w in zip(glines, wlines):
            if g == w:
                continue
            if self.charset is None or max(w) < 128 or max(g) > 127 or b':' not in g:
                return False
            (gname, gval), (wname, wval) = g.split(b':', 1), w.split(b':', 1)
            text = str(email.header.make_header(email.header.decode_header(
                gval.decode('ascii').replace('\r\n', ''))))
            if gname != wname or text.strip() != wval.decode(self.charset).strip():
                return False
        return True


def unwrap_lmtp(stored):
    """(the message as mbox2cyrus sent it, the epoch of its delivery header) from what
    Cyrus stored after convert --method lmtp -- written here from the documented rule
    (doc/mbox2cyrus-convert.1), not from the project's code: the header's fields before
    the first "X-DeliveredInternalDate: DATE (mbox2cyrus KEY.N[ +message-id][ +date])"
    (Cyrus's Return-Path, Received, ...) and that field go; "+date" says Cyrus added the
    last field, a Date, "+message-id" the one before it (or the last), a Message-ID.
    (None, None) when the message carries no delivery header."""
    import email.utils, re
    head, sep, body = stored.partition(b'\r\n\r\n')
    fields = re.split(rb'\r\n(?![ \t])', head)
    for i, f in enumerate(fields):
        m = re.match(rb'(?i)X-DeliveredInternalDate: (.*) \(mbox2cyrus [0-9a-f]{16}\.[0-9]+'
                     rb'((?: \+message-id)?)((?: \+date)?)\)$', f)
        if m:
            break
    else:
        return None, None
    rest = fields[i + 1:]
    if m.group(3):
        if not rest or not rest[-1].startswith(b'Date: '):
            return None, None
        rest = rest[:-1]
    if m.group(2):
        if not rest or not rest[-1].startswith(b'Message-ID: <cmu-lmtpd-'):
            return None, None
        rest = rest[:-1]
    epoch = int(email.utils.parsedate_to_datetime(m.group(1).decode()).timestamp())
    return b'\r\n'.join(rest) + sep + body, epoch


class Site:
    """`n` real system users with homes, inboxes and folders under `root`."""

    def __init__(self, root, n, tag, seed=20031104, folders=None):
        folders_of_site = FOLDERS if folders is None else folders
        self.root = root
        self.spool = os.path.join(root, 'spool')
        self.users = []
        self.made = []
        self.expected = {}      # (user, folder or None) -> [Message]
        self.subscribed = {}    # user -> set(folder)
        rng = random.Random(seed)
        os.makedirs(self.spool, exist_ok=True)
        for i in range(n):
            user = '%su%02d' % (tag, i)
            home = os.path.join(root, 'home', user)
            p = subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', user],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode != 0:
                raise RuntimeError('useradd %s: %s' % (user, p.stderr.decode()))
            self.made.append(user)
            self.users.append(user)
            pw = pwd.getpwnam(user)
            folders = [None] + rng.sample(folders_of_site, rng.randrange(0, len(folders_of_site) + 1))
            self.subscribed[user] = set()
            for folder in folders:
                msgs = [Message(rng, k, 'sender%d@example.org' % rng.randrange(50))
                        for k in range(rng.randrange(1, 15))]
                if folder is not None and rng.random() < 0.5:
                    uid = rng.randrange(1, 30)          # consistent X-UIDs: kept as UIDs
                    for m in msgs:
                        m.uid = uid
                        uid += rng.randrange(1, 4)
                data = b''.join(m.mbox(rng) for m in msgs)
                path = (os.path.join(self.spool, user) if folder is None
                        else os.path.join(home, 'Mail', folder))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, 'wb') as f:
                    f.write(data)
                self.expected[(user, folder)] = msgs
                if folder is not None and rng.random() < 0.5:
                    self.subscribed[user].add(folder)
            os.makedirs(os.path.join(home, 'Mail'), exist_ok=True)
            with open(os.path.join(home, '.mailboxlist'), 'w') as f:
                f.write(''.join('Mail/%s\n' % s for s in sorted(self.subscribed[user])))
            for d, dirs, files in os.walk(home):
                os.chown(d, pw.pw_uid, pw.pw_gid)
                for fn in files:
                    os.chown(os.path.join(d, fn), pw.pw_uid, pw.pw_gid)
                    os.chmod(os.path.join(d, fn), 0o600)
            os.chown(os.path.join(self.spool, user), pw.pw_uid, pw.pw_gid)
            os.chmod(os.path.join(self.spool, user), 0o600)

    def remove(self):
        for u in self.made:
            subprocess.run(['userdel', u], stderr=subprocess.DEVNULL)
        self.made = []

    def personal(self, folder, sep):
        if folder is None:
            return 'INBOX'
        return 'INBOX' + sep + sep.join(mutf7(part) for part in folder.split('/'))

    def messages(self):
        return sum(len(v) for v in self.expected.values())

    def check(self, cy, users=None, method='spool'):
        """Problems (a list of strings; empty when Cyrus holds exactly the site).  With
        method 'imap': UIDs are Cyrus's own, and 8-bit headers arrive RFC 2047-encoded;
        'lmtp': the same, after what LMTP delivery added is taken off (unwrap_lmtp), and
        the delivery header's date must be the From_ line's."""
        problems = []
        for user in users or self.users:
            imap = cy.as_user(user)
            for (u, folder), msgs in sorted(self.expected.items(), key=lambda kv: (kv[0][0], kv[0][1] or '')):
                if u != user:
                    continue
                name = self.personal(folder, cy.sep)
                typ, data = imap.select('"%s"' % name, readonly=True)
                if typ != 'OK':
                    problems.append('%s %s: SELECT %s' % (user, name, data))
                    continue
                got = t.fetch_messages(imap) if int(data[0]) > 0 else []
                if len(got) != len(msgs):
                    problems.append('%s %s: %d messages, expected %d' % (user, name, len(got), len(msgs)))
                    continue
                for k, (m, g) in enumerate(zip(msgs, got)):
                    local_epoch = int(time.mktime(time.localtime(m.epoch)))
                    if method == 'lmtp':
                        body, marker_epoch = unwrap_lmtp(g[1])
                        if body is None:
                            problems.append('%s %s #%d: no delivery header' % (user, name, k + 1))
                            continue
                        if marker_epoch != m.epoch:
                            problems.append('%s %s #%d: delivery header date %s, expected %d'
                                            % (user, name, k + 1, marker_epoch, m.epoch))
                        g = (g[0], body, g[2], g[3])
                    if (g[1] != m.expected() if method == 'spool' else not m.matches_encoded(g[1])):
                        problems.append('%s %s #%d: bytes differ' % (user, name, k + 1))
                    if g[2] != m.flags():
                        problems.append('%s %s #%d: flags %s, expected %s' % (user, name, k + 1, sorted(g[2]), sorted(m.flags())))
                    if g[3] != local_epoch:
                        problems.append('%s %s #%d: date %d, expected %d' % (user, name, k + 1, g[3], local_epoch))
                    if method == 'spool' and m.uid is not None and g[0] != m.uid:
                        problems.append('%s %s #%d: UID %d, X-UID was %d' % (user, name, k + 1, g[0], m.uid))
            typ, lsub = imap.lsub('""', '*')
            subs = set()
            for l in lsub:
                if l:
                    n = l.decode().split(' ', 2)[2]
                    subs.add(n.strip('"'))
            want = {self.personal(f, cy.sep) for f in self.subscribed[user]} | {'INBOX'}
            if subs != want:
                problems.append('%s: subscribed %s, expected %s' % (user, sorted(subs), sorted(want)))
            imap.logout()
        return problems
