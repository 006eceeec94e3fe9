"""reviewlib -- small helpers shared by the tests/t07NN-review-*.t reproductions:
real system users with given mbox files, mapnames, convert --method imap, and
reading a mailbox back through imaplib."""
import atexit, os, pwd, shutil, subprocess, tempfile

import m2ctest as t

D = b'Sat Mar  1 10:00:00 2003'


def msg(subject, body=b'body\n', sender=b'a@example.org', date=D, headers=b''):
    return (b'From ' + sender + b' ' + date + b'\n' + b'Subject: ' + subject + b'\n' + headers +
            b'\n' + body + b'\n')


class Site:
    def __init__(self, prefix):
        self.tmp = tempfile.mkdtemp(prefix='m2c-%s.' % prefix, dir='/tmp')
        os.chmod(self.tmp, 0o755)
        self.tag = '%s%d' % (prefix[:3], os.getpid() % 10000)
        self.users = []
        self.spool = os.path.join(self.tmp, 'spool')
        os.makedirs(self.spool)
        os.chmod(self.spool, 0o755)
        atexit.register(self.cleanup)

    def cleanup(self):
        for u in self.users:
            subprocess.run(['userdel', u], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def home(self, user):
        return os.path.join(self.tmp, 'home', user)

    def user(self, suffix, inbox=None, folders=None):
        """A system user with an inbox (bytes) and ~/Mail folders {name: bytes}."""
        user = self.tag + suffix
        home = self.home(user)
        subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', user],
                       check=True)
        self.users.append(user)
        pw = pwd.getpwnam(user)
        os.makedirs(os.path.join(home, 'Mail'))
        files = {}
        if inbox is not None:
            files[os.path.join(self.spool, user)] = inbox
        for name, data in (folders or {}).items():
            files[os.path.join(home, 'Mail', name)] = data
        for path, data in files.items():
            with open(path, 'wb') as f:
                f.write(data)
            os.chown(path, pw.pw_uid, pw.pw_gid)
            os.chmod(path, 0o600)
        for d in (home, os.path.join(home, 'Mail')):
            os.chown(d, pw.pw_uid, pw.pw_gid)
        return user

    def write(self, path, data, user):
        pw = pwd.getpwnam(user)
        with open(path, 'wb') as f:
            f.write(data)
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, 0o600)

    def mapnames(self, cy, users, name='m.tsv'):
        manifest = os.path.join(self.tmp, name)
        p = t.run([t.BIN, 'mapnames', '--spool-dir', self.spool, '--home-template',
                   os.path.join(self.tmp, 'home', '%u'), '--cyrus-conf', cy.conf, '-o',
                   manifest] + list(users))
        if p.returncode != 0:
            raise RuntimeError('mapnames: %s' % p.stderr.decode(errors='replace'))
        return manifest


def convert(cy, manifest, *extra, fault=None, env=None, timeout=300):
    e = dict(os.environ if env is None else env)
    e.pop('M2C_FAULT', None)
    if fault:
        e['M2C_FAULT'] = fault
    return subprocess.run([t.BIN, 'convert', '--method', 'imap', '--manifest', manifest,
                           '--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file',
                           cy.password_file] + list(extra),
                          env=e, start_new_session=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


def messages(imap, box):
    """m2ctest.mailbox_messages."""
    return t.mailbox_messages(imap, box)


def subjects(imap, box):
    got = messages(imap, box)
    return None if got is None else [g[0] for g in got]


def tail(p, n=1500):
    return p.stderr.decode(errors='replace')[-n:]


class LosingProxy:
    """A TCP proxy in front of Cyrus that loses the server's answer: the `nth` time a
    chunk from the server holds `pattern`, both connections are closed instead of
    forwarding it (the server did the work; the client never hears of it)."""

    def __init__(self, port, pattern=b'[APPENDUID', nth=1):
        import socket, threading
        self.target = port
        self.pattern = pattern
        self.nth = nth
        self.seen = 0
        self.lost = False
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket, threading
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            s = socket.create_connection(('127.0.0.1', self.target))
            threading.Thread(target=self._pump, args=(c, s, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(s, c, True), daemon=True).start()

    def _pump(self, src, dst, from_server):
        import socket
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_server and self.pattern in data:
                    with self.lock:
                        self.seen += 1
                        lose = self.seen == self.nth
                    if lose:
                        self.lost = True
                        break
                dst.sendall(data)
        except OSError:
            pass
        for x in (src, dst):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            x.close()

    def close(self):
        self.sock.close()
