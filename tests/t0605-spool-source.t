#!/usr/bin/env python3
# backout's spool source against a real Cyrus 3.6 with imapd down: messages APPENDed
# through imaplib (flags, keywords, dates; one expunged; a subject that forges an
# mbexamine record, folded; every system flag on one), master stopped with the files kept, then
# tests/helpers/spool-source-probe lists each mailbox through mbexamine and reads
# every body from the spool: each field must be what imaplib set, each SHA-1 the
# hashlib.sha1 of the bytes APPENDed.  Then the message-scope failures: a file
# missing, a symbolic link in its place, a file whose bytes are not the GUID's --
# each named for that message, the others read.  Once with '.' and once with '/'.
import hashlib, os, re, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
PROBE = os.path.join(t.BUILD, 'tests', 'helpers', 'spool-source-probe')
SYSTEM = ['\\Answered', '\\Flagged', '\\Draft', '\\Deleted', '\\Seen']


def message(n, subject=None, size=0):
    subject = subject or 'message %d' % n
    body = ('line %d of message %d\r\n' % (n, n)) * max(1, size // 30)
    return ('From: sender%d@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n'
            'Message-ID: <m%d@example.org>\r\n\r\n%s' % (n, subject, n, body)).encode()


def epoch(date):
    return int(time.mktime(time.strptime(date[:20], '%d-%b-%Y %H:%M:%S'))) - time.timezone \
        - (int(date[22:24]) * 3600 + int(date[24:26]) * 60) * (1 if date[21] == '+' else -1)


def append(imap, mailbox, flags, date, data):
    typ, resp = imap.append(mailbox, '(%s)' % ' '.join(flags) if flags else None,
                            '"%s"' % date, data)
    if typ != 'OK':
        raise RuntimeError('APPEND failed: %r' % resp)
    m = re.search(rb'APPENDUID (\d+) (\d+)', resp[0])
    return int(m.group(1)), int(m.group(2))


def probe(cy, mailbox, *extra):
    p = t.run([PROBE, '--cyrus-conf', cy.conf] + list(extra) + [mailbox])
    lines = p.stdout.decode(errors='replace').splitlines()
    head = lines[0].split('\t') if lines else []
    rows = {}
    for l in lines[1:]:
        f = l.split('\t')
        rows[int(f[0])] = f[1:]
    return p, head, rows


def spool_file(cy, data):
    """The N. file holding `data` under the Cyrus dir (its spool)."""
    for d, _, files in os.walk(cy.dir):
        for f in files:
            if re.fullmatch(r'\d+\.', f):
                path = os.path.join(d, f)
                with open(path, 'rb') as fh:
                    if fh.read() == data:
                        return path
    return None


def check(cy, mailbox, uidvalidity, expected, keywords, label):
    """`expected`: uid -> (date, flags, bytes), every message there must be."""
    p, head, rows = probe(cy, mailbox, '--time')
    if not t.is_(p.returncode, 0, '%s: probe exit 0' % label):
        t.diag(p.stderr.decode(errors='replace'))
        return {}
    t.diag('%s: %s' % (label, p.stderr.decode().strip()))
    t.is_(head[:3], ['mailbox', str(uidvalidity), str(max(expected) + 1 if expected else head[2])],
          '%s: UIDVALIDITY and UIDNEXT' % label)
    t.is_(sorted(head[3].split()), sorted(keywords), '%s: the keywords are the mailbox\'s' % label)
    t.is_(sorted(rows), sorted(expected), '%s: the UIDs listed are those kept' % label)
    for uid, (date, flags, data) in sorted(expected.items()):
        row = rows.get(uid)
        if not t.ok(row is not None and len(row) == 6, '%s: UID %d read' % (label, uid), repr(row)):
            continue
        sha = hashlib.sha1(data).hexdigest()
        got_flags = row[1].split()
        t.is_((int(row[0]), sorted(got_flags), row[2], int(row[3]), row[4], row[5]),
              (epoch(date), sorted(flags), sha, len(data), sha, sha),
              '%s: UID %d: date, flags, GUID, size, bytes read, SHA-1 given' % (label, uid))
        system = [f for f in got_flags if f.startswith('\\')]
        t.is_(got_flags[:len(system)], [f for f in SYSTEM if f in system],
              '%s: UID %d: system flags first, in FETCH order' % (label, uid))
    return rows


for unixhiersep in (False, True):
    with t.Cyrus(unixhiersep=unixhiersep) as cy:
        sep = cy.sep
        label = 'sep %s' % sep
        admin = cy.admin()
        for name in (cy.user_mailbox('alice'), cy.user_mailbox('alice', 'Sent'),
                     cy.user_mailbox('alice', 'Empty')):
            t.ok(admin.create(name)[0] == 'OK', '%s: CREATE %s' % (label, name))
        imap = cy.as_user('alice')
        inbox, sent = 'INBOX', 'INBOX%sSent' % sep
        plan_inbox = [
            ([], '05-Mar-2003 14:45:12 +0000', message(1)),
            (['\\Seen', '$Label1', 'kw0'], '31-Dec-1999 23:59:59 -0130', message(2, size=600000)),
            (['\\Deleted'], '01-Jan-2020 00:00:00 +0000', message(3)),      # expunged below
            (['\\Answered', '\\Flagged', '\\Draft', '\\Deleted', '\\Seen', 'kw2'],
             '29-Feb-2024 12:00:00 +0100',
             message(4, subject='x\r\n 000001> UID:00000099   INT_DATE:1 SENTDATE:1 SAVEDATE:1 SIZE:1 }{5}')),
        ]
        expected, keywords = {}, set()
        for flags, date, data in plan_inbox:
            uidvalidity, uid = append(imap, inbox, flags, date, data)
            expected[uid] = (date, flags, data)
            keywords |= {f for f in flags if not f.startswith('\\')}
        imap.select(inbox)
        t.is_(imap.uid('EXPUNGE', '3')[0], 'OK', '%s: UID EXPUNGE 3 (4 keeps its \\Deleted)' % label)
        del expected[3]
        imap.logout()
        imap = cy.as_user('alice')
        sent_expected, sent_keywords = {}, set()
        for i, (flags, date) in enumerate([(['$Forwarded'], '10-Oct-2010 10:10:10 +0200'),
                                           (['NonJunk', '\\Seen'], '11-Nov-2011 11:11:11 -0500')]):
            sent_validity, uid = append(imap, sent, flags, date, message(10 + i))
            sent_expected[uid] = (date, flags, message(10 + i))
            sent_keywords |= {f for f in flags if not f.startswith('\\')}
        imap.logout()

        cy.stop_master()
        try:
            imaplib_up = cy.admin() is not None
        except OSError:
            imaplib_up = False
        t.ok(not imaplib_up, '%s: imapd is down' % label)

        rows = check(cy, cy.user_mailbox('alice'), uidvalidity, expected, keywords, label + ' INBOX')
        t.is_(sorted(rows), [1, 2, 4], '%s: INBOX: the expunged UID 3 left out' % label)
        check(cy, cy.user_mailbox('alice', 'Sent'), sent_validity, sent_expected, sent_keywords,
              label + ' Sent')
        p, head, rows = probe(cy, cy.user_mailbox('alice', 'Empty'))
        t.is_((p.returncode, head[3:], rows), (0, [''], {}), '%s: an empty mailbox' % label)

        # message-scope failures: the others are still read
        missing = spool_file(cy, expected[1][2])
        tampered = spool_file(cy, expected[2][2])
        linked = spool_file(cy, expected[4][2])
        t.ok(missing and tampered and linked, '%s: the spool files found' % label)
        os.unlink(missing)
        with open(tampered, 'r+b') as f:
            f.seek(10)
            f.write(b'X')
        os.rename(linked, linked + 'saved')
        os.symlink(linked + 'saved', linked)
        p, head, rows = probe(cy, cy.user_mailbox('alice'))
        t.is_(p.returncode, 0, '%s: probe exit 0 with three bad files' % label)
        t.ok(rows.get(1, [''])[0] == 'ERROR' and 'No such file' in rows[1][1],
             '%s: a missing file is that message\'s error' % label, repr(rows.get(1)))
        t.ok(rows.get(4, [''])[0] == 'ERROR' and 'symbolic links' in rows[4][1],
             '%s: a symbolic link is not followed' % label, repr(rows.get(4)))
        sha = hashlib.sha1(expected[2][2]).hexdigest()
        bad = bytearray(expected[2][2])
        bad[10:11] = b'X'
        bad_sha = hashlib.sha1(bytes(bad)).hexdigest()
        t.is_(rows.get(2, [None] * 6)[2:6], [sha, str(len(bad)), bad_sha, bad_sha],
              '%s: a changed file: its bytes and their SHA-1 given, the GUID listed' % label)

        # mailbox scope: no such mailbox; a name mbexamine would take as a pattern
        p, _, _ = probe(cy, cy.user_mailbox('alice', 'Nope'))
        t.ok(p.returncode == 1 and b'knows no mailbox' in p.stderr,
             '%s: no such mailbox' % label, p.stderr.decode(errors='replace'))
        p, _, _ = probe(cy, cy.user_mailbox('ali*'))
        t.ok(p.returncode == 1 and b'would not take' in p.stderr,
             '%s: a wildcard refused' % label, p.stderr.decode(errors='replace'))
t.done()
