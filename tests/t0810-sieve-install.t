#!/usr/bin/env python3
# lib/managesieve.c (through tests/helpers/sieve-probe) against Cyrus 3.6's timsieved.
#
# The admin installs a user's script (SASL PLAIN authzid = the user); then a message
# delivered over LMTP must meet it: a redirect reaches the capture sendmail
# (start-cyrus.sh CYRUS_SIEVE=yes), and with :copy/keep the INBOX keeps it too.
# An independent ManageSieve exchange (python sockets) must list the script ACTIVE.
# A script that does not compile, and a wrong admin password, must fail with the
# server's own words.
import base64, os, socket, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
PROBE = os.path.join(t.BUILD, 'tests', 'helpers', 'sieve-probe')
USER = 'sieveuser'


def install(cy, name, script, password_file=None):
    with tempfile.NamedTemporaryFile('w', suffix='.sieve', delete=False) as f:
        f.write(script)
    try:
        return t.run([PROBE, '--port', str(cy.sieve_port), '--admin', cy.admin_user,
                      '--password-file', password_file or cy.password_file,
                      '--user', USER, '--name', name, f.name])
    finally:
        os.unlink(f.name)


def inbox_subjects(cy):
    imap = cy.as_user(USER)
    got = t.mailbox_messages(imap, 'INBOX')
    imap.logout()
    return [s.decode() for s, _, _ in got or []]


def listscripts(cy):
    """LISTSCRIPTS as the user, by python's own ManageSieve exchange."""
    s = socket.create_connection((cy.host, cy.sieve_port), timeout=10)
    f = s.makefile('rwb')

    def response():
        lines = []
        while True:
            line = f.readline().rstrip(b'\r\n')
            if line.split(b' ')[0] in (b'OK', b'NO', b'BYE'):
                return lines, line
            lines.append(line)
    response()
    token = base64.b64encode(('%s\0%s\0%s' % (USER, cy.admin_user, cy.admin_password)).encode())
    f.write(b'AUTHENTICATE "PLAIN" "' + token + b'"\r\n')
    f.flush()
    _, status = response()
    f.write(b'LISTSCRIPTS\r\n')
    f.flush()
    lines, end = response()
    f.write(b'LOGOUT\r\n')
    f.flush()
    response()
    s.close()
    return status, lines, end


COPY = 'require ["copy"];\r\nredirect :copy "someone@example.org";\r\nkeep;\r\n'
AWAY = 'redirect "elsewhere@example.org";\r\n'
BAD = 'require ["copy"];\r\nredirect :copy "someone@example.org"\r\nkeep;\r\n'

with t.Cyrus(sieve=True) as cy:
    imap = cy.admin()
    typ, _ = imap.create(cy.user_mailbox(USER))
    t.is_(typ, 'OK', 'admin CREATE user.%s' % USER)
    imap.logout()

    # 1. redirect :copy + keep
    p = install(cy, 'copy', COPY)
    t.is_(p.returncode, 0, 'managesieve_install of a :copy redirect', p.stderr.decode())
    status, lines, end = listscripts(cy)
    t.is_(status, b'OK', 'python ManageSieve: AUTHENTICATE PLAIN with authzid')
    t.ok(b'"copy" ACTIVE' in lines, 'LISTSCRIPTS lists "copy" ACTIVE', repr(lines))
    t.is_(end, b'OK', 'LISTSCRIPTS answered OK')
    reply = t.lmtp_deliver(cy, USER, 'first copy')
    t.ok(reply.startswith(b'250'), 'LMTP delivery accepted', repr(reply))
    hits = t.captured(cy, 'first copy')
    t.is_(len(hits), 1, 'the redirect reached the capture sendmail once')
    head = hits[0].split(b'\n\n', 1)[0].split(b'\n') if hits else []
    t.ok(b'X-Capture-To: <someone@example.org>' in head, 'its recipient is someone@example.org',
         repr(head))
    t.ok(b'X-Capture-Args: -bs' in head, 'Cyrus 3.6 runs sendmail -bs', repr(head))
    t.ok('first copy' in inbox_subjects(cy), ':copy and keep: the INBOX has it too')

    # 2. redirect without :copy: replaces the active script, the INBOX does not get it
    p = install(cy, 'away', AWAY)
    t.is_(p.returncode, 0, 'managesieve_install of a plain redirect', p.stderr.decode())
    status, lines, end = listscripts(cy)
    t.ok(b'"away" ACTIVE' in lines and b'"copy"' in lines,
         '"away" is now ACTIVE, "copy" still listed', repr(lines))
    t.lmtp_deliver(cy, USER, 'second away')
    hits = t.captured(cy, 'second away')
    t.ok(len(hits) == 1 and b'X-Capture-To: <elsewhere@example.org>' in hits[0],
         'redirected to elsewhere@example.org', repr(hits))
    t.ok('second away' not in inbox_subjects(cy), 'no :copy, no keep: not in the INBOX')

    # 3. a script that does not compile: the server's words
    p = install(cy, 'bad', BAD)
    err = p.stderr.decode()
    t.is_(p.returncode, 1, 'a bad script fails')
    t.ok(err.startswith('sieve-probe: NO: ') and 'syntax error' in err and 'PUTSCRIPT' in err
         and '"bad"' in err and '"%s"' % USER in err and '127.0.0.1' in err,
         'with the compiler\'s words, the step, the script, the user and the host', err)
    status, lines, end = listscripts(cy)
    t.ok(b'"away" ACTIVE' in lines and not any(l.startswith(b'"bad"') for l in lines),
         'the bad script is not stored; "away" still ACTIVE', repr(lines))

    # 4. a wrong admin password
    with tempfile.NamedTemporaryFile('w', delete=False) as f:
        f.write('not-the-password')
    p = install(cy, 'copy', COPY, password_file=f.name)
    os.unlink(f.name)
    err = p.stderr.decode()
    t.is_(p.returncode, 1, 'a wrong admin password fails')
    t.ok(err.startswith('sieve-probe: AUTH: ') and 'Authentication' in err
         and 'AUTHENTICATE' in err and '"%s"' % USER in err and '"cyrus"' in err,
         'as an AUTH error with the server\'s words', err)

    # 5. nobody listening
    port = t.free_port()
    with tempfile.NamedTemporaryFile('w', suffix='.sieve', delete=False) as f:
        f.write(COPY)
    p = t.run([PROBE, '--port', str(port), '--admin', 'cyrus', '--password-file',
               cy.password_file, '--user', USER, '--name', 'x', f.name])
    os.unlink(f.name)
    t.ok(p.returncode == 1 and p.stderr.decode().startswith('sieve-probe: NETWORK: '),
         'no server: a NETWORK error', p.stderr.decode())

t.done()
