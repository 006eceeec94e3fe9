#!/usr/bin/env python3
# TLS and COMPRESS=DEFLATE, end to end: lib/imap-connect.c, lib/tls-verify.c and
# lib/imap-compress.c through convert, verify, backout and tests/helpers/imap-probe,
# against a Cyrus started with a test CA (t.Cyrus(tls=True): STARTTLS on its port,
# imaps on another) and, for what a real Cyrus cannot show, a small fake IMAP server
# here that records every line it is sent.
#   (a) no --ca-file: the test CA is not in the system's store, so STARTTLS and imaps
#       are refused, 78, the host and the reason named, nothing done;
#   (b) with --ca-file: convert, verify and backout work over STARTTLS and imaps;
#   (c) --insecure works, with one warning line;
#   (d) a certificate for another name is refused even with --ca-file, before a
#       password is sent;
#   (e) --tls starttls against a server without STARTTLS is refused, never plain;
#   (f) --compress: the data read back is right, the session says so, fewer bytes on
#       the wire; a server that does not offer it is one warning.
# python's ssl checks the harness's certificates independently.
import filecmp, imaplib, os, re, shutil, socket, ssl, sys, tempfile, threading
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
PROBE = os.path.join(t.BUILD, 'tests', 'helpers', 'imap-probe')
SAMPLES = os.path.join(t.ROOT, 'samples', 'site')
TMP = tempfile.mkdtemp(prefix='m2c-tls.', dir='/tmp')
os.chmod(TMP, 0o755)
import atexit
atexit.register(lambda: shutil.rmtree(TMP, ignore_errors=True))


class FakeImap:
    """An IMAP server that greets, answers CAPABILITY, STARTTLS (when offered), LOGIN
    (with login=True: any password) and LOGOUT, says NO to everything else (COMPRESS
    too, when `caps` offers it), and records each line it reads in .lines."""

    def __init__(self, certfile=None, keyfile=None, imaps=False, starttls=True, host='127.0.0.1',
                 login=False, caps=''):
        self.ctx = None
        if certfile:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(certfile, keyfile)
        self.imaps, self.starttls, self.login = imaps, starttls, login
        self.caps = 'IMAP4rev1 AUTH=PLAIN' + (' STARTTLS' if starttls else '') + (' ' + caps if caps else '')
        self.lines = []
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.host, self.port = host, self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            conn, _ = self.sock.accept()
            try:
                self._session(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def _session(self, conn):
        if self.imaps:
            conn = self.ctx.wrap_socket(conn, server_side=True)
        f = conn.makefile('rwb', buffering=0)
        f.write(b'* OK [CAPABILITY %s] fake ready\r\n' % self.caps.encode())
        while True:
            line = f.readline()
            if not line:
                return
            self.lines.append(line.decode(errors='replace').rstrip('\r\n'))
            tag, _, rest = line.decode(errors='replace').strip().partition(' ')
            cmd = rest.split(' ')[0].upper()
            if cmd == 'CAPABILITY':
                f.write(b'* CAPABILITY %s\r\n%s OK done\r\n' % (self.caps.encode(), tag.encode()))
            elif cmd == 'STARTTLS' and self.starttls:
                f.write(b'%s OK begin TLS\r\n' % tag.encode())
                conn = self.ctx.wrap_socket(conn, server_side=True)
                f = conn.makefile('rwb', buffering=0)
            elif cmd == 'LOGIN' and self.login:
                f.write(b'%s OK logged in\r\n' % tag.encode())
            elif cmd == 'LOGOUT':
                f.write(b'* BYE\r\n%s OK bye\r\n' % tag.encode())
                return
            else:
                f.write(b'%s NO not here\r\n' % tag.encode())


def server_args(cy, port=None):
    return ['--cyrus-conf', cy.conf, '--port', str(port or cy.port),
            '--password-file', cy.password_file]


def m2c(cmd, cy, manifest, *extra, port=None):
    return t.run([t.BIN, cmd, '--manifest', manifest] + server_args(cy, port) + list(extra),
                 timeout=120)


def probe(cy, *args, port=None):
    return t.run([PROBE, '--port', str(port or cy.port), '--admin', cy.admin_user,
                  '--password-file', cy.password_file] + list(args), timeout=60)


def kv(out):
    return dict(l.split('=', 1) for l in out.decode().splitlines() if '=' in l)


def err(p):
    return p.stderr.decode(errors='replace')


def user_mailboxes(cy):
    a = cy.admin()
    names = [n for n in t.list_mailboxes(a) if n.startswith('user' + cy.sep)]
    a.logout()
    return names


def lines_with(p, text):
    return [l for l in err(p).splitlines() if text in l]


with t.Cyrus(tls=True) as cy:
    tls_dir = cy.tls_dir
    ca = os.path.join(TMP, 'ca.pem')    # a copy: it outlives this Cyrus
    shutil.copy(cy.ca_file, ca)
    # the harness, checked with python's ssl: the test CA verifies the server for both
    # of its names; the system's store does not (what (a) depends on)
    for port, how in ((cy.imaps_port, 'imaps'), (cy.port, 'starttls')):
        for name in ('127.0.0.1', 'localhost'):
            try:
                if how == 'imaps':
                    s = ssl.create_default_context(cafile=ca).wrap_socket(
                        socket.create_connection(('127.0.0.1', port), timeout=10), server_hostname=name)
                    greeting = s.recv(4096)
                else:
                    m = imaplib.IMAP4('127.0.0.1', port)
                    t.ok('STARTTLS' in m.capabilities, 'harness: Cyrus offers STARTTLS on its plain port')
                    m.starttls(ssl.create_default_context(cafile=ca))
                    greeting = b'* OK'
                    m.logout()
                t.ok(greeting.startswith(b'* OK'), 'harness: python ssl verifies %s as "%s" with the CA' % (how, name))
            except (ssl.SSLError, OSError) as e:
                t.ok(False, 'harness: python ssl verifies %s as "%s" with the CA' % (how, name), repr(e))
    try:
        ssl.create_default_context().wrap_socket(socket.create_connection(('127.0.0.1', cy.imaps_port), timeout=10),
                                                 server_hostname='127.0.0.1')
        t.ok(False, 'harness: the system store does not trust the test CA')
    except ssl.SSLCertVerificationError as e:
        t.ok(True, 'harness: the system store does not trust the test CA (%s)' % e.verify_message)

    manifest = os.path.join(TMP, 'samples.tsv')
    p = t.run([t.BIN, 'mapnames', '--users', os.path.join(SAMPLES, 'users.txt'),
               '--home-template', os.path.join(SAMPLES, 'home', '%u'), '--spool-dir',
               os.path.join(SAMPLES, 'spool'), '--no-owner-check', '--cyrus-conf', cy.conf,
               '-o', manifest])
    t.is_(p.returncode, 0, 'mapnames of the sample site')

    # (a) without --ca-file: refused, 78, the host and the reason named, nothing done
    for how, port in (('starttls', cy.port), ('imaps', cy.imaps_port)):
        p = m2c('convert', cy, manifest, '--method', 'spool', '--tls', how, port=port)
        t.is_(p.returncode, 78, '(a) convert --tls %s without --ca-file: 78' % how, err(p))
        stops = lines_with(p, 'the run stops: ')
        t.ok(len(stops) == 1 and 'certificate of "127.0.0.1" not verified' in stops[0] and
             'issuer is unknown' in stops[0] and '--ca-file' in stops[0] and '--insecure' in stops[0],
             '(a) ... one line naming the host, the reason in words, and what to do', err(p))
        t.is_(user_mailboxes(cy), [], '(a) ... nothing was created')
        t.ok(not os.path.exists(manifest + '.state'), '(a) ... no journal was started')
        p = probe(cy, '--tls', how, 'hello', port=port)
        t.ok(p.returncode == 1 and err(p).startswith('imap-probe: TLS: certificate of "127.0.0.1" not verified:'),
             '(a) imap-probe --tls %s: a TLS error' % how, err(p))

    # (b) with --ca-file: convert over STARTTLS, verify over imaps and STARTTLS
    p = m2c('convert', cy, manifest, '--method', 'spool', '--source-tz', 'Europe/Berlin',
            '--tls', 'starttls', '--ca-file', ca, '-v')
    t.is_(p.returncode, 0, '(b) convert --tls starttls --ca-file: 0', err(p)[-1500:])
    t.is_(len(lines_with(p, 'connection to 127.0.0.1 port %d: STARTTLS, certificate verified' % cy.port)), 1,
          '(b) ... says once how it connects (-v)', err(p)[-1500:])
    t.is_(sorted({n.split(cy.sep)[1] for n in user_mailboxes(cy)}), ['alice', 'bob', 'carol', 'john^doe'],
          '(b) ... the mailboxes of the sample site\'s 4 users exist')
    for how, port in (('imaps', cy.imaps_port), ('starttls', cy.port)):
        p = m2c('verify', cy, manifest, '--source-tz', 'Europe/Berlin', '--tls', how, '--ca-file', ca, port=port)
        t.is_(p.returncode, 0, '(b) verify --tls %s --ca-file: nothing differs' % how, err(p)[-1500:])
        t.is_(sum(int(l.split('\t')[2]) for l in p.stdout.decode().splitlines()[1:]), 12,
              '(b) ... all 12 messages compared')
    # localhost is the certificate's DNS name; 127.0.0.1 its IP address
    p = probe(cy, '--host', 'localhost', '--tls', 'imaps', '--ca-file', ca, 'hello', port=cy.imaps_port)
    t.is_((p.returncode, kv(p.stdout).get('verified')), (0, '1'), '(b) imap-probe as "localhost": verified', err(p))

    # (c) --insecure: works, one warning
    p = m2c('verify', cy, manifest, '--source-tz', 'Europe/Berlin', '--tls', 'imaps', '--insecure',
            port=cy.imaps_port)
    t.is_(p.returncode, 0, '(c) verify --tls imaps --insecure: 0', err(p)[-1500:])
    t.is_(lines_with(p, 'not verified'), ['mbox2cyrus verify: warning: certificate of 127.0.0.1 not verified (--insecure)'],
          '(c) ... one warning line')
    p = probe(cy, '--tls', 'starttls', '--insecure', 'hello')
    t.is_((p.returncode, kv(p.stdout).get('security')), (0, 'STARTTLS, certificate NOT verified (--insecure)'),
          '(c) imap-probe --insecure: the session says it is not verified', err(p))

    # (d) a certificate for another name, signed by the trusted CA: refused, no password sent
    for imaps in (True, False):
        how = 'imaps' if imaps else 'starttls'
        fake = FakeImap(os.path.join(tls_dir, 'wrong-name.pem'), os.path.join(tls_dir, 'wrong-name.key'),
                        imaps=imaps)
        p = m2c('verify', cy, manifest, '--tls', how, '--ca-file', ca, port=fake.port)
        t.is_(p.returncode, 78, '(d) verify --tls %s, a certificate for "wrong.example": 78' % how, err(p))
        t.ok(any('certificate of "127.0.0.1" not verified' in l and 'name in the certificate does not match' in l
                 for l in lines_with(p, 'the run stops: ')), '(d) ... the reason: the name', err(p))
        t.is_([l.split(' ', 1)[-1].upper() for l in fake.lines], [] if imaps else ['STARTTLS'],
              '(d) ... the server read nothing after the handshake (no LOGIN)')
        p = probe(cy, '--tls', how, '--ca-file', ca, 'hello', port=fake.port)
        t.ok(p.returncode == 1 and err(p).startswith('imap-probe: TLS: ') and 'does not match' in err(p),
             '(d) imap-probe --tls %s: a TLS error' % how, err(p))
        if imaps:
            try:
                ssl.create_default_context(cafile=ca).wrap_socket(
                    socket.create_connection(('127.0.0.1', fake.port), timeout=10), server_hostname='127.0.0.1')
                t.ok(False, '(d) python ssl refuses that certificate for 127.0.0.1 too')
            except ssl.SSLCertVerificationError as e:
                t.ok(True, '(d) python ssl refuses that certificate for 127.0.0.1 too (%s)' % e.verify_message)
    # (e) STARTTLS not offered: refused, never plain -- the fake server logs no LOGIN
    fake = FakeImap(starttls=False)
    p = m2c('verify', cy, manifest, '--tls', 'starttls', '--ca-file', ca, port=fake.port)
    t.ok(p.returncode == 78 and any('does not offer STARTTLS' in l for l in lines_with(p, 'the run stops: ')),
         '(e) verify --tls starttls, no STARTTLS offered: 78, said so', err(p))
    t.ok(not any(re.search(r'^\S+ (LOGIN|AUTHENTICATE)', l, re.I) for l in fake.lines),
         '(e) ... no login in plain text', fake.lines)
    # a host that is not the loopback gets STARTTLS by default: 127.0.0.2 is not on the list
    fake2 = FakeImap(starttls=False, host='127.0.0.2')
    p = t.run([t.BIN, 'verify', '--manifest', manifest, '--cyrus-conf', cy.conf, '--host', '127.0.0.2',
               '--port', str(fake2.port), '--password-file', cy.password_file], timeout=60)
    t.ok(p.returncode == 78 and 'does not offer STARTTLS' in err(p),
         '(e) --host 127.0.0.2 without --tls: STARTTLS is the default, refused', err(p))

    # (f) --compress over imaps: bytes back identical, on, fewer on the wire
    msg = os.path.join(TMP, 'msg')
    body = b''.join(b'line %d of a quarterly report: revenue, costs and the numbers\r\n' % i for i in range(3000))
    with open(msg, 'wb') as f:
        f.write(b'From: Bob <bob@example.org>\r\nSubject: big\r\n\r\n' + body)
    back = os.path.join(TMP, 'back')
    p = probe(cy, '--tls', 'imaps', '--ca-file', ca, '--compress', 'append', 'alice', 'INBOX', msg,
              '--out', back, port=cy.imaps_port)
    k = kv(p.stdout)
    t.is_((p.returncode, k.get('compress'), k.get('security')), (0, 'on', 'imaps, certificate verified, COMPRESS=DEFLATE'),
          '(f) imap-probe --compress: APPEND and FETCH, compression on', err(p))
    t.ok(os.path.exists(back) and filecmp.cmp(msg, back, shallow=False), '(f) ... the bytes read back are the bytes sent')
    t.ok(int(k.get('wire_out', 0)) * 3 < int(k.get('plain_out', 0)) and
         int(k.get('wire_in', 0)) * 3 < int(k.get('plain_in', 0)),
         '(f) ... under a third of the bytes on the wire, both ways', k)
    t.diag('COMPRESS: sent %s bytes as %s, received %s as %s' % (k.get('plain_out'), k.get('wire_out'),
                                                                   k.get('plain_in'), k.get('wire_in')))
    p = m2c('verify', cy, manifest, '--source-tz', 'Europe/Berlin', '--tls', 'starttls', '--ca-file', ca,
            '--compress', '-v', '--user', 'bob', '--user', 'carol', '--user', 'john.doe')
    t.is_(p.returncode, 0, '(f) verify --compress: nothing differs', err(p)[-1500:])
    t.is_(len(lines_with(p, 'STARTTLS, certificate verified, COMPRESS=DEFLATE')), 1, '(f) ... says so once')
    # backout --from imap streams the bodies raw off the compressed stream: the same
    # files as a backout without compression
    plain_into, comp_into = os.path.join(TMP, 'plain'), os.path.join(TMP, 'comp')
    p1 = m2c('backout', cy, manifest, '--into', plain_into, '--source-tz', 'Europe/Berlin')
    p2 = m2c('backout', cy, manifest, '--into', comp_into, '--source-tz', 'Europe/Berlin',
             '--tls', 'imaps', '--ca-file', ca, '--compress', port=cy.imaps_port)
    t.is_((p1.returncode, p2.returncode), (0, 0), '(f) backout plain and over imaps + COMPRESS', err(p1)[-800:] + err(p2)[-800:])

    def tree(top):
        """path -> bytes, the UW-IMAP pseudo-message backout writes first (dated now,
        so never the same twice) cut off"""
        files = {}
        for d, _, fs in os.walk(top):
            for name in fs:
                data = open(os.path.join(d, name), 'rb').read()
                if b'FOLDER INTERNAL DATA' in data.split(b'\n\n', 1)[0]:
                    cut = data.find(b'\nFrom ')
                    data = data[cut + 1:] if cut >= 0 else b''
                files[os.path.relpath(os.path.join(d, name), top)] = data
        return files
    plain_files, comp_files = tree(plain_into), tree(comp_into)
    t.ok(len(comp_files) >= 8 and plain_files == comp_files,
         '(f) ... the same %d files, byte for byte' % len(comp_files),
         sorted(k for k in set(plain_files) | set(comp_files) if plain_files.get(k) != comp_files.get(k)))

    # the options' own checks
    p = m2c('verify', cy, manifest, '--ca-file', ca)
    t.ok(p.returncode == 64 and '--tls starttls or imaps' in err(p), '--ca-file on the loopback without --tls: 64', err(p))
    p = m2c('verify', cy, manifest, '--tls', 'ssl')
    t.is_(p.returncode, 64, '--tls ssl: 64')
    p = m2c('verify', cy, manifest, '--tls', 'imaps', '--ca-file', os.path.join(TMP, 'msg'), port=cy.imaps_port)
    t.ok(p.returncode == 78 and '--ca-file: "%s": no CA certificate' % os.path.join(TMP, 'msg') in err(p),
         '--ca-file without a certificate in it: 78', err(p))

    # (f) a server that does not offer COMPRESS=DEFLATE (Cyrus 3.6 always does: its
    # suppress_capabilities does not reach it), or says NO to it
    for caps, what in (('', 'does not offer it'), ('COMPRESS=DEFLATE', 'says NO to it')):
        fake = FakeImap(starttls=False, login=True, caps=caps)
        p = probe(cy, '--compress', 'hello', port=fake.port)
        t.is_((p.returncode, kv(p.stdout).get('compress'), kv(p.stdout).get('security')),
              (0, 'not-offered', 'plain text, uncompressed (the server does not offer COMPRESS=DEFLATE)'),
              '(f) a server that %s: the session goes on, not compressed' % what, err(p))
        t.is_([l.split(' ', 1)[-1] for l in fake.lines if 'COMPRESS' in l.upper()], ['COMPRESS DEFLATE'] if caps else [],
              '(f) ... COMPRESS sent only when offered')
    p = m2c('verify', cy, manifest, '--compress', '--user', 'nobody-here', port=fake.port)
    t.is_(lines_with(p, 'COMPRESS'), ['mbox2cyrus verify: warning: 127.0.0.1 does not offer COMPRESS=DEFLATE: '
                                      'the sessions go on uncompressed'], '(f) verify --compress there: one warning')

# (e) a real Cyrus without certificates: no STARTTLS
with t.Cyrus() as cy:
    p = probe(cy, '--tls', 'starttls', '--ca-file', ca, 'hello')
    t.ok(p.returncode == 1 and err(p).startswith('imap-probe: TLS: IMAP server 127.0.0.1 port %d does not offer STARTTLS' % cy.port),
         '(e) a Cyrus without certificates: --tls starttls refused', err(p))
    p = m2c('verify', cy, manifest, '--tls', 'starttls', '--ca-file', ca)
    t.ok(p.returncode == 78 and len(lines_with(p, 'does not offer STARTTLS')) == 1, '(e) ... verify: 78, said once', err(p))

# convert --method imap over TLS: the self-signed server refused (78, nothing made),
# with --ca-file over imaps and --compress every message there (checked through
# python's ssl + imaplib), --insecure works and warns
with t.Cyrus(tls=True) as cy:
    ca = cy.ca_file
    manifest = os.path.join(TMP, 'samples-imap.tsv')
    t.run([t.BIN, 'mapnames', '--users', os.path.join(SAMPLES, 'users.txt'),
           '--home-template', os.path.join(SAMPLES, 'home', '%u'), '--spool-dir',
           os.path.join(SAMPLES, 'spool'), '--no-owner-check', '--cyrus-conf', cy.conf, '-o', manifest])
    p = m2c('convert', cy, manifest, '--method', 'imap', '--tls', 'imaps', port=cy.imaps_port)
    t.ok(p.returncode == 78 and len(lines_with(p, 'not verified')) == 1,
         'imap method: a self-signed server is refused (78), the reason said once', err(p))
    t.is_(user_mailboxes(cy), [], 'imap method: ... nothing was created')
    p = m2c('convert', cy, manifest, '--method', 'imap', '--tls', 'imaps', '--ca-file', ca,
            '--compress', '-v', port=cy.imaps_port)
    t.is_(p.returncode, 0, 'imap method: --tls imaps --ca-file --compress: 0', err(p)[-1500:])
    t.ok(len(lines_with(p, 'certificate verified, COMPRESS=DEFLATE')) == 1,
         'imap method: ... says once that it is verified and compressed', err(p)[-1500:])
    ctx = ssl.create_default_context(cafile=ca)
    imap = imaplib.IMAP4_SSL('127.0.0.1', cy.imaps_port, ssl_context=ctx)
    token = ('alice\0%s\0%s' % (cy.admin_user, cy.admin_password)).encode()
    imap.authenticate('PLAIN', lambda _: token)
    typ, data = imap.select('INBOX', readonly=True)
    t.is_(data[0], b'3', 'imap method: alice\'s INBOX holds its 3 messages (imaplib over TLS)')
    imap.logout()
    p = m2c('verify', cy, manifest, '--tls', 'imaps', '--ca-file', ca, port=cy.imaps_port)
    t.ok(p.returncode == 0 and b'12 messages' in p.stderr and b'as the imap method fixed' in p.stderr,
         'imap method: verify over TLS agrees (12 messages, the 8-bit ones as fixed)', err(p)[-800:])
    p = m2c('convert', cy, manifest, '--method', 'imap', '--tls', 'starttls', '--insecure', '-v')
    t.ok(p.returncode == 0 and len(lines_with(p, 'not verified (--insecure)')) == 1 and
         b'already converted by an earlier run' in p.stderr,
         'imap method: --insecure works (a rerun: nothing to do) and warns once', err(p)[-1500:])

t.done()
