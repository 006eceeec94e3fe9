# merge_site.py -- helpers for t0630 (from the second review of backout --merge): users
# with hand-made inboxes, mapnames, convert, backout, counting messages (run as root,
# real Cyrus).
import os, pwd, re, shutil, subprocess, sys, tempfile, time, json, hashlib, atexit
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import m2ctest as t
import mboxparse

TMP = tempfile.mkdtemp(prefix='m2c-rv2.', dir='/tmp')
os.chmod(TMP, 0o755)
TAG = 'r2%d' % (os.getpid() % 10000)
SPOOL = os.path.join(TMP, 'spool')
os.makedirs(SPOOL)
os.chmod(SPOOL, 0o1777)
made = []
KEEP = os.environ.get('RV_KEEP')
def _cleanup():
    for u in made:
        subprocess.run(['userdel', u], stderr=subprocess.DEVNULL)
    if not KEEP:
        shutil.rmtree(TMP, ignore_errors=True)
atexit.register(_cleanup)


def user(name):
    u = TAG + name
    home = os.path.join(TMP, 'home', u)
    subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', u], check=True)
    made.append(u)
    pw = pwd.getpwnam(u)
    for d in (home, os.path.join(home, 'Mail')):
        os.makedirs(d, exist_ok=True)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o700)
    return u


def home(u):
    return pwd.getpwnam(u).pw_dir


def put(u, path, data, mode=0o600):
    with open(path, 'wb') as f:
        f.write(data)
    pw = pwd.getpwnam(u)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, mode)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def msg(n, body=None):
    body = body if body is not None else b'body of %d\n' % n
    return (b'From sender%d@example.org Mon Jan  5 10:00:%02d 2004\nFrom: a%d@example.org\n'
            b'Subject: msg %d\nMessage-ID: <m%d@x>\n\n' % (n, n % 60, n, n, n)) + body + b'\n'


def parse(path):
    return mboxparse.parse(read(path), None, strict=False)[1]


def count(path):
    return len(parse(path))


def contents(path):
    """each message's content as Cyrus would hold it (LF), from the independent parser"""
    return [m['content'] for m in parse(path)]


def server_args(cy):
    return ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]


def backout(cy, manifest, *extra, env=None, **kw):
    return t.run([t.BIN, 'backout', '--manifest', manifest, '--source-tz', 'UTC'] + server_args(cy) +
                 list(extra), env=env, start_new_session=True, **kw)


def fault(spec):
    return dict(os.environ, M2C_FAULT=spec)


def append(cy, u, body, mailbox='INBOX', flags=None):
    imap = cy.as_user(u)
    typ, data = imap.append(mailbox, flags, None, body)
    imap.logout()
    return typ, data


def imap_contents(cy, u, mailbox='INBOX'):
    imap = cy.as_user(u)
    imap.select(mailbox, readonly=True)
    typ, data = imap.uid('FETCH', '1:*', '(BODY.PEEK[])')
    out = []
    for item in data:
        if isinstance(item, tuple):
            out.append(item[1])
    imap.logout()
    return out


def err(p):
    return 'exit %d: out=%s err=%s' % (p.returncode, p.stdout.decode(errors='replace')[-800:],
                                       p.stderr.decode(errors='replace')[-1200:])


def mapnames(cy, users, out, *extra):
    p = t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL, '--cyrus-conf', cy.conf, '-o', out] +
              list(extra) + list(users))
    assert p.returncode == 0, err(p)
    return out


def convert(cy, manifest, *extra):
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--source-tz', 'UTC'] +
              server_args(cy) + list(extra))
    return p


def leftovers(d):
    return [f for f in os.listdir(d) if f.endswith('.lock') or 'm2c-backout' in f or '.lock.' in f]
