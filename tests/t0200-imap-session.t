#!/usr/bin/env python3
# lib/imap-session.c against a real Cyrus 3.6, checked through imaplib.
#
# The project's C code (tests/helpers/imap-probe on lib/imap-session) creates a user's
# mailbox as the admin, logs in as that user through the admin (SASL PLAIN authzid),
# APPENDs a message with flags, keywords and a date, and reads it back.  imaplib, an
# independent client, then reads the same message: bytes, flags and INTERNALDATE must
# be what was sent.  Errors must carry the server's own text.  Run under both
# separator settings (unixhierarchysep no and yes).
import datetime, imaplib, os, re, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
PROBE = os.path.join(t.BUILD, 'tests', 'helpers', 'imap-probe')

# CRLF, a folded header, a body "From " line and 8-bit bytes in the body (APPEND
# keeps body bytes; 8-bit header bytes would be munged to 'X', DESIGN.md).
MESSAGE = (b'Return-Path: <bob@example.org>\r\n'
           b'From: Bob <bob@example.org>\r\n'
           b'To: alice@example.org\r\n'
           b'Subject: quarterly numbers,\r\n\tfolded onto a second line\r\n'
           b'Date: Fri, 07 Mar 2003 14:22:05 +0100\r\n'
           b'Message-ID: <probe-1@example.org>\r\n'
           b'MIME-Version: 1.0\r\n'
           b'Content-Type: text/plain; charset=iso-8859-1\r\n'
           b'Content-Transfer-Encoding: 8bit\r\n'
           b'\r\n'
           b'From the desk of Bob: Gr\xfc\xdfe.\r\n'
           b'\r\n'
           b'-- \r\nBob\r\n')
FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '$Label1', 'NonJunk']
DATE_ISO = '2003-03-07T14:22:05+01:00'
DATE_IMAP = '07-Mar-2003 14:22:05 +0100'


def instant(iso):
    return datetime.datetime.fromisoformat(iso).timestamp() if iso else None


def probe(cy, *args):
    return t.run([PROBE, '--port', str(cy.port), '--admin', cy.admin_user,
                  '--password-file', cy.password_file] + list(args))


def parse_kv(out):
    return dict(l.split('=', 1) for l in out.decode().splitlines() if '=' in l)


def roundtrip(unixhiersep):
    label = 'sep %s' % ('/' if unixhiersep else '.')
    with t.Cyrus(unixhiersep=unixhiersep) as cy, tempfile.TemporaryDirectory() as tmp:
        user = 'alice'
        inbox = cy.user_mailbox(user)
        folder = cy.user_mailbox(user, 'Old Projects')

        p = probe(cy, 'create', inbox)
        t.is_(p.returncode, 0, '%s: C code creates %s as admin' % (label, inbox))
        p = probe(cy, 'create', folder)
        t.is_(p.returncode, 0, '%s: C code creates a folder with a space' % label)

        admin = cy.admin()
        names = t.list_mailboxes(admin)
        t.ok(inbox in names and folder in names, '%s: imaplib LIST sees both' % label, names)

        msg_file = os.path.join(tmp, 'msg')
        out_file = os.path.join(tmp, 'fetched')
        with open(msg_file, 'wb') as f:
            f.write(MESSAGE)
        p = probe(cy, 'append', user, 'INBOX', msg_file, '--flags', ' '.join(FLAGS),
                  '--date', DATE_ISO, '--out', out_file)
        t.is_(p.returncode, 0, '%s: C code APPENDs as the user through proxy login' % label)
        if p.returncode:
            t.diag(p.stderr.decode())
        kv = parse_kv(p.stdout)
        uid = int(kv.get('uid', '0'))
        t.ok(uid > 0, '%s: APPENDUID gives the new UID' % label, kv)
        t.is_(set(kv.get('flags', '').split()) - {'\\Recent'}, set(FLAGS),
              '%s: C code reads the flags back' % label)
        # Cyrus keeps the instant, not the offset: INTERNALDATE comes back in the
        # server's own zone (measured: "+0100" sent, "+0000" returned on a UTC host)
        t.is_(instant(kv.get('date')), instant(DATE_ISO), '%s: C code reads the date back' % label)
        with open(out_file, 'rb') as f:
            t.is_(f.read(), MESSAGE, '%s: C code reads the bytes back' % label)

        # the independent client, logged in as the owner
        u = cy.as_user(user)
        typ, _ = u.select('INBOX', readonly=True)
        typ, data = u.uid('FETCH', str(uid), '(FLAGS INTERNALDATE BODY.PEEK[])')
        t.is_(typ, 'OK', '%s: imaplib UID FETCH' % label)
        meta, body = data[0]
        flags = set(re.search(rb'FLAGS \(([^)]*)\)', meta).group(1).decode().split())
        t.is_(flags - {'\\Recent'}, set(FLAGS), '%s: owner sees the flags (\\Seen in the owner\'s seen state)' % label)
        got = time.mktime(imaplib.Internaldate2tuple(meta)) if imaplib.Internaldate2tuple(meta) else None
        t.is_(got, time.mktime(imaplib.Internaldate2tuple(b'INTERNALDATE "%s"' % DATE_IMAP.encode())),
              '%s: INTERNALDATE is the instant given' % label)
        t.is_(body, MESSAGE, '%s: bytes are unchanged' % label)

        # the folder with a space, through the user's own view of it
        user_folder = 'INBOX%sOld Projects' % cy.sep
        p = probe(cy, 'append', user, user_folder, msg_file, '--out', out_file)
        t.is_(p.returncode, 0, '%s: APPEND into "%s" (quoted name)' % (label, user_folder))
        typ, data = u.status('"%s"' % user_folder, '(MESSAGES)')
        t.ok(typ == 'OK' and b'MESSAGES 1' in data[0], '%s: imaplib counts 1 message there' % label, data)
        u.logout()

        # errors carry the server's own words
        typ, said = admin.create(inbox)
        server_text = said[0].decode()
        p = probe(cy, 'create', inbox)
        err = p.stderr.decode()
        t.is_(p.returncode, 1, '%s: CREATE of an existing mailbox fails' % label)
        t.ok(err.startswith('imap-probe: NO: CREATE "%s": server said NO: ' % inbox)
             and server_text.split('] ')[-1] in err,
             '%s: the error names the command, the mailbox and the server text' % label,
             'stderr: ' + err, 'imaplib saw: ' + server_text)

        p = probe(cy, 'append', user, 'INBOX%sNoSuch' % cy.sep, msg_file)
        err = p.stderr.decode()
        t.ok(p.returncode == 1 and 'APPEND to "INBOX%sNoSuch": server said NO:' % cy.sep in err,
             '%s: APPEND to a missing mailbox is refused with the server text' % label, err)
        t.ok(err.startswith('imap-probe: TRYCREATE: ') and '[TRYCREATE]' in err, '%s: ... and keeps the response code [TRYCREATE]' % label, err)

        p = probe(cy, 'login', cy.admin_user, 'wrong-password')
        err = p.stderr.decode()
        t.ok(p.returncode == 1 and err.startswith('imap-probe: AUTH: LOGIN "cyrus": login refused:'),
             '%s: a wrong password is an AUTH error' % label, err)
        admin.logout()
        port = cy.port

    # after stop, the port is closed: a network error, not a hang
    p = t.run([PROBE, '--port', str(port), '--admin', 'cyrus', 'create', 'user.x'])
    t.ok(p.returncode == 1 and p.stderr.decode().startswith('imap-probe: NETWORK: cannot connect'),
         '%s: a closed port is a NETWORK error' % label, p.stderr.decode())


roundtrip(False)
roundtrip(True)
t.done()
