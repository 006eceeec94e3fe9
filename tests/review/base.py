import os, sys, pwd, grp, subprocess, tempfile, shutil, time, re, imaplib, hashlib, json
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import m2ctest as t
import mboxparse
BIN = os.environ.get('BIN', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'mbox2cyrus'))
made_users = []
import atexit
def cleanup_users():
    for u in made_users:
        subprocess.run(['userdel', u], stderr=subprocess.DEVNULL)
atexit.register(cleanup_users)

class Env:
    def __init__(self, tag):
        self.tmp = tempfile.mkdtemp(prefix='rv-%s.' % tag, dir='/tmp')
        os.chmod(self.tmp, 0o755)
        self.spool = os.path.join(self.tmp, 'spool')
        os.makedirs(self.spool)
        os.chmod(self.spool, 0o1777)
        self.tag = tag
        self.users = []
    def user(self, name):
        u = '%s%s' % (self.tag, name)
        home = os.path.join(self.tmp, 'home', u)
        p = subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', u], capture_output=True)
        assert p.returncode == 0, p.stderr
        made_users.append(u)
        os.makedirs(os.path.join(home, 'Mail'), exist_ok=True)
        pw = pwd.getpwnam(u)
        for d in (home, os.path.join(home, 'Mail')):
            os.chown(d, pw.pw_uid, pw.pw_gid); os.chmod(d, 0o700)
        self.users.append(u)
        return u
    def home(self, u): return pwd.getpwnam(u).pw_dir
    def inbox(self, u): return os.path.join(self.spool, u)
    def write(self, u, path, data, mode=0o600):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f: f.write(data)
        pw = pwd.getpwnam(u)
        os.chown(path, pw.pw_uid, pw.pw_gid); os.chmod(path, mode)
    def mapnames(self, cy, users=None, extra=()):
        self.manifest = os.path.join(self.tmp, 'm.tsv')
        p = t.run([BIN, 'mapnames', '--spool-dir', self.spool, '--cyrus-conf', cy.conf, '-o', self.manifest] + list(extra) + (users or self.users))
        return p
    def convert(self, cy, extra=()):
        return t.run([BIN, 'convert', '--method', 'spool', '--manifest', self.manifest, '--source-tz', 'UTC'] + sargs(cy) + list(extra))

def sargs(cy):
    return ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]

def backout(env, cy, *extra, envv=None, binp=None):
    return t.run([binp or BIN, 'backout', '--manifest', env.manifest] + sargs(cy) + ['--source-tz', 'UTC'] + list(extra),
                 env=envv, start_new_session=True)

def msg(n, extra_hdr=b'', body=None):
    body = body if body is not None else b'body line of %d\n' % n
    return (b'From sender%d@example.org Mon Jan  5 10:00:%02d 2004\n' % (n, n % 60) +
            b'From: a%d@example.org\nSubject: msg %d\nMessage-ID: <m%d@x>\n' % (n, n, n) + extra_hdr + b'\n' + body + b'\n')

def read(p):
    with open(p, 'rb') as f: return f.read()

def parse(data, strict=False):
    return mboxparse.parse(data, None, strict=strict)

def cyrus_msgs(cy, user, mbox='INBOX'):
    imap = cy.as_user(user)
    typ, data = imap.select('"%s"' % mbox, readonly=True)
    assert typ == 'OK', data
    got = []
    if int(data[0]) > 0:
        typ, data = imap.uid('FETCH', '1:*', '(UID FLAGS INTERNALDATE BODY.PEEK[])')
        for item in data:
            if isinstance(item, tuple):
                meta, body = item
                uid = int(re.search(rb'UID (\d+)', meta).group(1))
                flags = set(meta.split(b'FLAGS (')[1].split(b')')[0].decode().split()) - {'\\Recent'}
                got.append((uid, body, flags))
    imap.logout()
    got.sort()
    return got

def append(cy, user, body, mbox='INBOX', flags=None, date=None):
    imap = cy.as_user(user)
    r = imap.append(mbox, flags, date, body)
    imap.logout()
    return r

def out(p):
    return 'rc=%d\nSTDOUT:\n%s\nSTDERR:\n%s' % (p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace'))
