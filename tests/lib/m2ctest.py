"""m2ctest -- TAP output and a throwaway Cyrus for mbox2cyrus's end-to-end tests.

    import m2ctest as t
    t.need_root()                          # skip_all unless root (Cyrus needs it)
    with t.Cyrus(unixhiersep=True) as cy:  # started on a free port, always stopped
    with t.Cyrus(tls=True) as cy:          # + STARTTLS, cy.imaps_port, cy.ca_file
    with t.Cyrus(sieve=True) as cy:        # + timsieved on cy.sieve_port, redirects in cy.sent_dir
        cy.stop_master()                   # imapd down, the files kept (removed at the end)
        imap = cy.admin()                  # imaplib, logged in as the admin
        t.is_(got, expected, "what")       # prints file:line and both values on failure
    t.done()                               # plan line; exit 1 when anything failed

imaplib is the independent client: nothing here uses the project's own C code.
"""
import atexit, imaplib, inspect, os, signal, socket, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get('M2C_BUILD', 'build'))
BIN = os.path.join(ROOT, 'mbox2cyrus')
CYRUS_SCRIPTS = os.path.join(ROOT, 'tests', 'cyrus')

_count = 0
_failed = 0


def _where():
    frame = inspect.stack()[2]
    return '%s:%d' % (os.path.basename(frame.filename), frame.lineno)


def diag(text, to=None):
    for line in str(text).splitlines() or ['']:
        print('# ' + line, file=to or sys.stdout)
    (to or sys.stdout).flush()


def fail_diag(text):
    """A failure's details: on stdout for TAP, and on stderr, which prove shows even
    when it is not verbose (CI logs)."""
    diag(text)
    diag(text, sys.stderr)


def ok(cond, name, *details):
    global _count, _failed
    _count += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', _count, name))
    if not cond:
        _failed += 1
        fail_diag('%s: failed at %s' % (name, _where()))
        for d in details:
            fail_diag(d)
    sys.stdout.flush()
    return bool(cond)


def is_(got, expected, name, *details):
    global _count, _failed
    _count += 1
    good = got == expected
    print('%s %d - %s' % ('ok' if good else 'not ok', _count, name))
    if not good:
        _failed += 1
        fail_diag('%s: failed at %s' % (name, _where()))
        fail_diag('     got: %r' % (got,))
        fail_diag('expected: %r' % (expected,))
        for d in details:
            fail_diag(d)
    sys.stdout.flush()
    return good


def skip(name, reason):
    global _count
    _count += 1
    print('ok %d - %s # SKIP %s' % (_count, name, reason))


def skip_all(reason):
    print('1..0 # SKIP %s' % reason)
    sys.exit(0)


def done():
    print('1..%d' % _count)
    sys.stdout.flush()
    sys.exit(1 if _failed else 0)


def need_root():
    if os.geteuid() != 0:
        skip_all('needs root to start Cyrus (make check as root; CI runs as root)')


def run(argv, **kw):
    """Run a command, return CompletedProcess with bytes stdout/stderr."""
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def convert(cy, manifest, *extra, method='spool', fault=None, popen=False, timeout=300):
    """`mbox2cyrus convert --method METHOD` of `manifest` into `cy` with `extra`
    arguments, lib/fault.h's M2C_FAULT set to `fault` (else unset), in a session of its
    own: a fault kills the whole process group (a running reconstruct too), not the
    test.  The CompletedProcess (bytes stdout, stderr), or with popen=True the Popen."""
    env = dict(os.environ)
    env.pop('M2C_FAULT', None)
    if fault:
        env['M2C_FAULT'] = fault
    argv = [BIN, 'convert', '--method', method, '--manifest', manifest, '--cyrus-conf', cy.conf,
            '--port', str(cy.port), '--password-file', cy.password_file] + list(extra)
    if popen:
        return subprocess.Popen(argv, env=env, start_new_session=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    return subprocess.run(argv, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


_running = []


def _stop_all(*_):
    for cy in list(_running):
        cy.stop()


def _on_signal(signum, _frame):
    _stop_all()
    sys.exit(128 + signum)


atexit.register(_stop_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


class Cyrus:
    """A Cyrus 3.6 under a fresh temp dir on a free loopback port.

    Knobs as in tests/cyrus/start-cyrus.sh.  Stopped (and its dir removed) by stop(),
    by leaving the with-block, at exit, and on SIGTERM/SIGINT/SIGHUP.

    tls=True (CYRUS_TLS=yes): STARTTLS on .port, imaps on .imaps_port, the server's
    certificate (DNS localhost, IP 127.0.0.1) signed by the test CA in .ca_file (not
    in the system's store); .tls_dir also holds wrong-name.pem/.key, signed by the same
    CA for DNS "wrong.example" only.  Without it .imaps_port and .ca_file are None.

    sieve=True (CYRUS_SIEVE=yes): timsieved (ManageSieve, plain) on .sieve_port; what
    lmtpd's sieve sends (redirects) lands in .sent_dir as <n>.eml, each after the lines
    X-Capture-Args/-From/-To (start-cyrus.sh).  Without it both are None.
    """

    def __init__(self, unixhiersep=False, altnamespace=False, legacy_dirs=False,
                 virtdomains=False, extra_conf='', tls=False, sieve=False):
        self.env = dict(os.environ,
                        CYRUS_UNIXHIERSEP='yes' if unixhiersep else 'no',
                        CYRUS_ALTNAMESPACE='yes' if altnamespace else 'no',
                        CYRUS_LEGACY_DIRS='yes' if legacy_dirs else 'no',
                        CYRUS_VIRTDOMAINS='userid' if virtdomains else 'off',
                        CYRUS_EXTRA_CONF=extra_conf,
                        CYRUS_TLS='yes' if tls else 'no',
                        CYRUS_SIEVE='yes' if sieve else 'no')
        self.tls = tls
        self.sieve = sieve
        self.sieve_port = self.sent_dir = None
        self.sep = '/' if unixhiersep else '.'
        self.dir = None
        self.imaps_port = self.ca_file = self.tls_dir = None

    def start(self):
        # short path: the LMTP socket path must stay under 108 bytes
        self.dir = tempfile.mkdtemp(prefix='m2c-cy.', dir='/tmp')
        os.chmod(self.dir, 0o755)
        if os.environ.get('M2C_CYRUS_LOG'):     # run-tests.sh checks these are gone
            with open(os.environ['M2C_CYRUS_LOG'], 'a') as f:
                f.write(self.dir + '\n')
        _running.append(self)
        for _attempt in range(5):
            # imap, then imaps (with tls, or as a placeholder before sieve's), sieve
            want = 3 if self.sieve else 2 if self.tls else 1
            ports = [str(free_port())]
            while len(ports) < want:              # all different
                other = str(free_port())
                if other not in ports:
                    ports.append(other)
            p = run([os.path.join(CYRUS_SCRIPTS, 'start-cyrus.sh'), self.dir] + ports,
                    env=self.env)
            if p.returncode != 2:       # 2: port taken meanwhile, try another
                break
        if p.returncode != 0:
            raise RuntimeError('start-cyrus.sh failed (%d): %s'
                               % (p.returncode, p.stderr.decode(errors='replace')))
        info = dict(l.split('=', 1) for l in p.stdout.decode().splitlines() if '=' in l)
        self.conf = info['CYRUS_CONF']
        self.host = info['CYRUS_IMAP_HOST']
        self.port = int(info['CYRUS_IMAP_PORT'])
        self.lmtp_socket = info['CYRUS_LMTP_SOCKET']
        self.admin_user = info['CYRUS_ADMIN_USER']
        self.password_file = info['CYRUS_ADMIN_PASSWORD_FILE']
        self.master_pid = int(info['CYRUS_MASTER_PID'])
        if self.tls:
            self.imaps_port = int(info['CYRUS_IMAPS_PORT'])
            self.ca_file = info['CYRUS_CA_FILE']
            self.tls_dir = os.path.dirname(self.ca_file)
        if self.sieve:
            self.sieve_port = int(info['CYRUS_SIEVE_PORT'])
            self.sent_dir = info['CYRUS_SENT_DIR']
        with open(self.password_file) as f:
            self.admin_password = f.read().strip()
        return self

    def stop(self):
        if self.dir is None:
            return
        keep = os.environ.get('M2C_KEEP_CYRUS')
        run([os.path.join(CYRUS_SCRIPTS, 'stop-cyrus.sh'), self.dir] + ([] if keep else ['--purge']))
        if keep:
            diag('kept Cyrus dir %s' % self.dir)
        self.dir = None
        if self in _running:
            _running.remove(self)

    def stop_master(self):
        """Stop master and every process of this Cyrus, keeping its files (the spool, the
        databases: what Cyrus's own tools read with imapd down).  The files still go
        with stop(): the with-block's end, exit, a signal."""
        if self.dir is not None:
            run([os.path.join(CYRUS_SCRIPTS, 'stop-cyrus.sh'), self.dir])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def admin(self):
        imap = imaplib.IMAP4(self.host, self.port)
        imap.login(self.admin_user, self.admin_password)
        return imap

    def as_user(self, user):
        """imaplib logged in as `user` through the admin (SASL PLAIN with authzid)."""
        imap = imaplib.IMAP4(self.host, self.port)
        token = ('%s\0%s\0%s' % (user, self.admin_user, self.admin_password)).encode()
        imap.authenticate('PLAIN', lambda _: token)
        return imap

    def user_mailbox(self, user, *folders):
        """The admin's name of a user's mailbox: user.alice.Sent / user/alice/Sent."""
        return self.sep.join(('user', user) + folders)


def fetch_messages(imap):
    """Every message of the mailbox selected on `imap`, in UID order: (uid, bytes,
    flags without \\Recent, INTERNALDATE as seconds since the epoch)."""
    import time
    typ, data = imap.uid('FETCH', '1:*', '(UID FLAGS INTERNALDATE BODY.PEEK[])')
    got = []
    for item in data:
        if isinstance(item, tuple):
            meta, body = item
            uid = int(meta.split(b'UID ')[1].split()[0])
            flags = set(meta.split(b'FLAGS (')[1].split(b')')[0].decode().split()) - {'\\Recent'}
            epoch = int(time.mktime(imaplib.Internaldate2tuple(meta)))
            got.append((uid, body, flags, epoch))
    return sorted(got)


def mailbox_messages(imap, box):
    """[(subject or None, fetch line, bytes)] of `box` in UID order; None when it cannot
    be selected."""
    typ, data = imap.select(box if box.startswith('"') else '"%s"' % box, readonly=True)
    if typ != 'OK':
        return None
    if int(data[0]) == 0:
        return []
    typ, data = imap.uid('FETCH', '1:*', '(INTERNALDATE FLAGS BODY.PEEK[])')
    out = []
    for item in data:
        if isinstance(item, tuple):
            hdr = item[1].split(b'\r\n\r\n', 1)[0]
            subj = [l for l in hdr.split(b'\r\n') if l.lower().startswith(b'subject:')]
            out.append((subj[0][8:].strip() if subj else None, item[0], item[1]))
    return out


def lmtp_send(cy, rcpt, message, mail_from='', auth=None):
    """One message (bytes, CRLF lines, dot-stuffed here) over Cyrus's LMTP socket, as
    written here, not with the project's client: MAIL FROM:<mail_from> [AUTH=<auth>],
    RCPT TO:<rcpt>, DATA.  The replies to MAIL, RCPT and the end of data, joined."""
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.connect(cy.lmtp_socket)
    f = s.makefile('rwb')

    def cmd(line):
        if line is not None:
            f.write(line + b'\r\n')
            f.flush()
        while True:
            reply = f.readline()
            if reply[3:4] != b'-':
                return reply
    cmd(None)
    cmd(b'LHLO m2c-test')
    r1 = cmd(b'MAIL FROM:<%s>' % mail_from.encode() + (b' AUTH=<%s>' % auth.encode() if auth else b''))
    r2 = cmd(b'RCPT TO:<%s>' % rcpt.encode())
    cmd(b'DATA')
    lines = message.split(b'\r\n')
    if lines and lines[-1] == b'':
        lines = lines[:-1]
    last = cmd(b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n' for l in lines) + b'.')
    cmd(b'QUIT')
    s.close()
    return r1 + r2 + last


def lmtp_deliver(cy, rcpt, subject, sender='bob@example.net'):
    """One message to `rcpt` over Cyrus's LMTP socket; the reply to its DATA."""
    message = (b'From: %s\r\nTo: %s@example.org\r\nSubject: %s\r\n'
               b'Message-ID: <%s@example.net>\r\n\r\nhello\r\n'
               % (sender.encode(), rcpt.encode(), subject.encode(),
                  subject.replace(' ', '-').encode()))
    return lmtp_send(cy, rcpt, message, mail_from=sender).split(b'\r\n')[-2] + b'\r\n'


def captured(cy, subject):
    """What the capturing sendmail of Cyrus(sieve=True) holds with `subject`.  The
    capture script links its file before it answers DATA, and lmtpd answers LMTP after
    sendmail did: it is there by now."""
    import glob
    hits = []
    for path in sorted(glob.glob(os.path.join(cy.sent_dir, '*.eml'))):
        with open(path, 'rb') as f:
            data = f.read()
        if b'\nSubject: ' + subject.encode() + b'\n' in data:
            hits.append(data)
    return hits


def list_mailboxes(imap, pattern='*'):
    """LIST "" pattern through imaplib; the names as the server spells them."""
    import re
    typ, data = imap.list('""', pattern)
    if typ != 'OK':
        raise RuntimeError('LIST failed: %r' % data)
    names = []
    for d in data:
        if d is None:
            continue
        if isinstance(d, tuple):          # name sent as a literal
            names.append(d[1].decode())
            continue
        m = re.match(rb'\([^)]*\) (?:"(?:\\.|[^"])*"|NIL) (.*)$', d)
        name = m.group(1)
        if name.startswith(b'"'):
            name = re.sub(rb'\\(.)', rb'\1', name[1:-1])
        names.append(name.decode())
    return names
