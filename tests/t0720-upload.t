#!/usr/bin/env python3
# mbox2cyrus upload end to end: a real system user with a Cyrus password runs it as
# themselves (setpriv, never root) and every check logs in through imaplib with that
# password: the inbox and ~/Mail folders found as mapnames finds them, in order, byte
# for byte, with flags, keywords, dates and subscriptions; the journal in
# ~/.local/state; a rerun that changes nothing; a run killed after an APPEND and
# resumed without a duplicate; --into on a server with altnamespace (its naming read
# from NAMESPACE); FILE arguments; and the refusals: root, the cyrus user, a wrong
# password (once, not a loop of logins), "-", a missing FILE.
import imaplib, json, os, pwd, random, shutil, stat, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
from mailsite import Message, mutf7

TMP = tempfile.mkdtemp(prefix='m2c-upload.', dir='/tmp')
os.chmod(TMP, 0o755)
USER = 'm2up%d' % (os.getpid() % 10000)
HOME = os.path.join(TMP, 'home', USER)
SPOOL = os.path.join(TMP, 'spool')
PASSWORD = 'Corr3ct horse'
made = []


def cleanup():
    for u in made:
        subprocess.run(['userdel', u], stderr=subprocess.DEVNULL)
    shutil.rmtree(TMP, ignore_errors=True)


import atexit
atexit.register(cleanup)

p = subprocess.run(['useradd', '-M', '-N', '-d', HOME, '-s', '/usr/sbin/nologin', USER],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
if p.returncode != 0:
    t.skip_all('useradd %s: %s' % (USER, p.stderr.decode()))
made.append(USER)
PW = pwd.getpwnam(USER)

# the user's mail: 7-bit headers only (the 8-bit header fixes are t0700's), flags,
# keywords, X-UIDs, From_ quoting -- mailsite's messages with a plain subject
rng = random.Random(20040105)


def messages(n, tag):
    out = []
    for k in range(n):
        m = Message(rng, k, 'sender%d@example.org' % k)
        m.headers[2] = b'Subject: %s %d' % (tag.encode(), k)
        m.charset = None
        out.append(m)
    return out


# (folder as the user names it below INBOX, or None for INBOX) -> messages
MAIL = {None: messages(4, 'inbox'), 'Sent': messages(3, 'sent'),
        'lists/cyrus': messages(2, 'cyrus-devel'), 'Grüße': messages(2, 'greetings')}
SUBSCRIBED = {'Sent', 'Grüße'}
os.makedirs(SPOOL)
for folder, msgs in MAIL.items():
    path = os.path.join(SPOOL, USER) if folder is None else os.path.join(HOME, 'Mail', folder)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b''.join(m.mbox(rng) for m in msgs))
with open(os.path.join(HOME, 'Mail', 'notes.txt'), 'w') as f:
    f.write('not mail\n')
with open(os.path.join(HOME, '.mailboxlist'), 'w') as f:
    f.write(''.join('Mail/%s\n' % s for s in sorted(SUBSCRIBED)))
# FILE arguments: outside the folder directories
EXTRA = os.path.join(HOME, 'old')
os.makedirs(EXTRA)
FILES = {'Project X.mbox': messages(3, 'project'), 'sent-mail': messages(2, 'pine-sent')}
for name, msgs in FILES.items():
    with open(os.path.join(EXTRA, name), 'wb') as f:
        f.write(b''.join(m.mbox(rng) for m in msgs))
PWFILE = os.path.join(HOME, '.imap-password')
with open(PWFILE, 'w') as f:
    f.write(PASSWORD + '\nsecond line ignored\n')
WRONG = os.path.join(HOME, '.wrong-password')
with open(WRONG, 'w') as f:
    f.write('not the password\n')
for d, dirs, files in os.walk(HOME):
    os.chown(d, PW.pw_uid, PW.pw_gid)
    for fn in files:
        os.chown(os.path.join(d, fn), PW.pw_uid, PW.pw_gid)
        os.chmod(os.path.join(d, fn), 0o600)
os.chown(os.path.join(SPOOL, USER), PW.pw_uid, PW.pw_gid)
os.chmod(os.path.join(SPOOL, USER), 0o600)

ENV = {'HOME': HOME, 'USER': USER, 'LOGNAME': USER, 'PATH': '/usr/bin:/bin', 'LANG': 'C.UTF-8'}
ENV.update({k: v for k, v in os.environ.items() if k in ('LSAN_OPTIONS', 'ASAN_OPTIONS', 'UBSAN_OPTIONS')})


def as_user(argv, pw=PW, env=None, **kw):
    e = dict(ENV if env is None else env)
    return t.run(['setpriv', '--reuid', str(pw.pw_uid), '--regid', str(pw.pw_gid), '--init-groups']
                 + argv, env=e, stdin=subprocess.DEVNULL, **kw)


def upload(cy, *extra, password_file=PWFILE, pw=PW, env=None, tls=('--tls', 'none')):
    return as_user([t.BIN, 'upload', '--port', str(cy.port), '--spool-dir', SPOOL,
                    '--password-file', password_file] + list(tls) + list(extra), pw=pw, env=env)


def upload_tty(cy, typed):
    """upload without --password-file on a terminal of its own (a pty): `typed` is
    written once the prompt is there.  Returns the exit status and what the terminal
    showed."""
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execve('/usr/bin/setpriv', ['setpriv', '--reuid', str(PW.pw_uid), '--regid',
                  str(PW.pw_gid), '--init-groups', t.BIN, 'upload', '--port', str(cy.port),
                  '--tls', 'none', '--spool-dir', SPOOL], ENV)
    out = b''
    while b'password for' not in out:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        out += chunk
    os.write(fd, typed)
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:      # EIO: the child is gone
            break
        if not chunk:
            break
        out += chunk
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


def give_password(cy, user=USER, password=PASSWORD):
    sasldb = os.path.join(os.path.dirname(cy.conf), 'sasldb2')
    subprocess.run(['saslpasswd2', '-p', '-c', '-f', sasldb, user], input=password.encode(),
                   check=True)
    shutil.chown(sasldb, 'cyrus', 'mail')
    os.chmod(sasldb, 0o640)


def login(cy):
    imap = imaplib.IMAP4(cy.host, cy.port)
    imap.login(USER, PASSWORD)
    return imap


def check(cy, expected, subscribed):
    """Problems: `expected` maps the user's own mailbox names to their messages."""
    problems = []
    imap = login(cy)
    for name, msgs in sorted(expected.items()):
        typ, data = imap.select('"%s"' % name, readonly=True)
        if typ != 'OK':
            problems.append('%s: SELECT %s' % (name, data))
            continue
        got = t.fetch_messages(imap) if int(data[0]) > 0 else []
        if len(got) != len(msgs):
            problems.append('%s: %d messages, expected %d' % (name, len(got), len(msgs)))
            continue
        for k, (m, g) in enumerate(zip(msgs, got)):
            if g[1] != m.expected():
                problems.append('%s #%d: bytes differ' % (name, k + 1))
            if g[2] != m.flags():
                problems.append('%s #%d: flags %s, expected %s' % (name, k + 1, sorted(g[2]), sorted(m.flags())))
            if g[3] != m.epoch:
                problems.append('%s #%d: date %d, expected %d' % (name, k + 1, g[3], m.epoch))
    typ, lsub = imap.lsub('""', '*')
    subs = {l.decode().split(' ', 2)[2].strip('"') for l in lsub if l}
    if subs != set(subscribed):
        problems.append('subscribed %s, expected %s' % (sorted(subs), sorted(subscribed)))
    imap.logout()
    return problems


def personal(folder, prefix='INBOX.'):
    return prefix + '.'.join(mutf7(part) for part in folder.split('/'))


# --- refusals that need no server ---
class NoServer:
    port = 9


p = t.run([t.BIN, 'upload', '--port', '9', '--password-file', PWFILE])
t.is_(p.returncode, 77, 'root: refused with exit 77 (EX_NOPERM)', p.stderr.decode())
t.ok(b'refusing to run as root' in p.stderr and b'convert --method imap' in p.stderr,
     '... saying why and what to use instead', p.stderr.decode())
cyrus_pw = pwd.getpwnam('cyrus')
p = upload(NoServer, pw=cyrus_pw, env=dict(ENV, HOME='/tmp', USER='cyrus', LOGNAME='cyrus'))
t.is_(p.returncode, 77, 'the cyrus user: refused with exit 77', p.stderr.decode())
t.ok(b'the Cyrus user "cyrus"' in p.stderr, '... saying why', p.stderr.decode())
p = upload(NoServer, '-')
t.is_(p.returncode, 64, 'FILE "-": a usage error (a rerun must find the file again)', p.stderr.decode())
p = upload(NoServer, os.path.join(EXTRA, 'no-such-file'))
t.is_(p.returncode, 66, 'a FILE that does not exist: exit 66, before any login', p.stderr.decode())
t.ok(b'no-such-file: No such file or directory' in p.stderr, '... naming it', p.stderr.decode())
p = upload(NoServer, password_file=os.path.join(HOME, 'missing-password'))
t.is_(p.returncode, 78, 'an unreadable --password-file: exit 78', p.stderr.decode())
p = upload(NoServer)
t.is_(p.returncode, 69, 'no server: exit 69 (unavailable, rerun)', p.stderr.decode())
p = as_user([t.BIN, 'upload', '--port', '9'])
t.is_(p.returncode, 64, 'no --password-file and no terminal: a usage error, not a hang',
      p.stderr.decode())
t.ok(b'--password-file' in p.stderr, '... saying to give --password-file', p.stderr.decode())

# --- the user's own mail, found as mapnames finds it ---
with t.Cyrus() as cy:
    give_password(cy)
    started = time.monotonic()
    p = upload(cy, password_file=WRONG)
    took = time.monotonic() - started
    t.is_(p.returncode, 77, 'a wrong password: refused with exit 77', p.stderr.decode())
    t.ok(b'refused the login' in p.stderr and b'wrong password' in p.stderr,
         '... with a clear message', p.stderr.decode())
    t.ok(took < 8, '... after one login (Cyrus waits 3 s per refusal), not a loop: %.1f s' % took)
    state = os.path.join(HOME, '.local', 'state', 'mbox2cyrus', 'upload',
                         '127.0.0.1-%d-%s' % (cy.port, USER))
    t.ok(not os.path.exists(state), '... and nothing journaled')

    report = os.path.join(HOME, 'report.json')
    p = upload(cy, '--report', report)
    t.is_(p.returncode, 0, 'upload as the user: exit 0', p.stderr.decode())
    expected = {personal(f) if f else 'INBOX': m for f, m in MAIL.items()}
    subscribed = {'INBOX'} | {personal(f) for f in SUBSCRIBED}
    t.is_(check(cy, expected, subscribed), [], 'every message in its mailbox, in order, byte for '
          'byte, flags, keywords, dates; subscriptions from .mailboxlist (the INBOX created by '
          'the user\'s own login)')
    t.ok(b'notes.txt: skipped: not an mbox' in p.stderr, '... and a file that is not mail is '
         'named as skipped', p.stderr.decode())
    journal = os.path.join(state, USER + '.journal')
    t.ok(os.path.isfile(journal), 'the journal is in ~/.local/state/mbox2cyrus/upload/HOST-PORT-LOGIN')
    t.is_(stat.S_IMODE(os.stat(state).st_mode), 0o700, '... a directory only the user may read')
    t.is_(os.stat(journal).st_uid, PW.pw_uid, '... owned by the user')
    rep = json.load(open(report))
    t.is_([u['status'] for u in rep['users']], ['done'], '--report: the user is done')
    t.is_(sum(m['messages'] for u in rep['users'] for m in u['mailboxes']),
          sum(len(m) for m in MAIL.values()), '--report: ... every message counted')

    p = upload(cy)
    t.ok(p.returncode == 0 and b'already converted by an earlier run' in p.stderr,
         'a rerun changes nothing and says it was done already', p.stderr.decode())
    t.is_(check(cy, expected, subscribed), [], '... and the mail is there once')

    # no --password-file: asked on the terminal, without echo
    code, out = upload_tty(cy, PASSWORD.encode() + b'\r')
    t.ok(code == 0 and b'already converted by an earlier run' in out,
         'no --password-file: the password asked on the terminal logs in', out.decode(errors='replace'))
    t.ok(('IMAP password for %s at 127.0.0.1: ' % USER).encode() in out and PASSWORD.encode() not in out,
         '... with a prompt, and the password is not echoed', out.decode(errors='replace'))
    code, out = upload_tty(cy, b'abc\x03')
    t.ok(code == 64 and b'no password given' in out, '... ^C at the prompt: nothing done, exit 64',
         code, out.decode(errors='replace'))

    p = upload(cy, '--spool-dir', os.path.join(TMP, 'home'), '--folder-dirs', 'none,nix')
    t.ok(p.returncode == 0 and b'found no mail to upload: no ' in p.stderr and b'~/none, ~/nix' in p.stderr,
         'no mail found: said so, exit 0', p.stderr.decode())

    # the journal follows XDG_STATE_HOME; --login for another IMAP name: refused here
    xdg = os.path.join(HOME, 'xdg')
    p = upload(cy, '--login', 'nosuchlogin', env=dict(ENV, XDG_STATE_HOME=xdg))
    t.is_(p.returncode, 77, '--login NAME logs in as NAME (unknown here: refused)', p.stderr.decode())
    t.ok(b'"nosuchlogin"' in p.stderr, '... naming it', p.stderr.decode())

# --- killed after an APPEND, resumed: nothing twice ---
with t.Cyrus() as cy:
    give_password(cy)
    env = dict(ENV, M2C_FAULT='appended:2')
    p = upload(cy, env=env)
    t.is_(p.returncode, -9, 'killed (SIGKILL) after the second APPEND was answered, before its '
          'journal line', p.stderr.decode())
    p = upload(cy)
    t.is_(p.returncode, 0, 'the rerun finishes', p.stderr.decode())
    t.ok(b'resuming an interrupted run' in p.stderr, '... resuming', p.stderr.decode())
    t.is_(check(cy, expected, subscribed), [], '... every message there once (the unjournaled '
          'APPEND found by its digest, not sent again)')

# --- --into on a server with altnamespace, and FILE arguments ---
with t.Cyrus(altnamespace=True) as cy:
    give_password(cy)
    p = upload(cy, '--into', 'INBOX/Imported')
    t.is_(p.returncode, 0, '--into Imported (altnamespace, learnt from NAMESPACE): exit 0',
          p.stderr.decode())
    into = {'Imported' + ('/' + f if f else ''): m for f, m in MAIL.items()}
    into = {personal(k, ''): m for k, m in into.items()}
    into['INBOX'] = []
    t.is_(check(cy, into, {'Imported'} | {personal('Imported/' + f, '') for f in SUBSCRIBED}), [],
          '--into: the old inbox is Imported itself, each folder below it; INBOX untouched')
    imap = login(cy)
    names = set(t.list_mailboxes(imap))
    imap.logout()
    t.ok(not any(n.startswith('INBOX.') for n in names) and 'Sent' not in names,
         '... and nothing outside Imported', sorted(names))

    files = [os.path.join(EXTRA, n) for n in sorted(FILES)]
    p = upload(cy, '--special-use', *files)
    t.is_(p.returncode, 0, 'FILE arguments: exit 0', p.stderr.decode())
    # "Project X.mbox" is the folder "Project X"; sent-mail with --special-use is Sent
    got = dict(into)
    got.update({'Project X': FILES['Project X.mbox'], 'Sent': FILES['sent-mail']})
    t.is_(check(cy, got, {'Imported', 'Project X', 'Sent'} |
                {personal('Imported/' + f, '') for f in SUBSCRIBED}), [],
          'FILE arguments: each one folder by its base name (.mbox dropped, special use), '
          'subscribed; what was there before kept')
    p = upload(cy, '--special-use', *files)
    t.ok(p.returncode == 0 and b'already converted by an earlier run' in p.stderr,
         'FILE arguments: a rerun says it was done already', p.stderr.decode())
    p = upload(cy, '--into', 'INBOX')
    t.is_(p.returncode, 64, '--into INBOX: a usage error', p.stderr.decode())
# --- TLS by default, also on the loopback: a password crosses the wire ---
with t.Cyrus(tls=True) as cy:
    give_password(cy)
    p = upload(cy, '--state', os.path.join(HOME, 'state-tls'), tls=())
    t.is_(p.returncode, 78, 'TLS by default: a server whose certificate does not verify is '
          'refused (78), before the password is sent', p.stderr.decode()[-600:])
    t.ok(b'not verified' in p.stderr and b'--ca-file' in p.stderr, '... saying why and what to do',
         p.stderr.decode()[-600:])
    p = upload(cy, '--state', os.path.join(HOME, 'state-tls'), tls=('--ca-file', cy.ca_file))
    t.is_(p.returncode, 0, '... with --ca-file: STARTTLS, verified, uploaded', p.stderr.decode()[-800:])
    imap = cy.as_user(USER)
    typ, data = imap.select('INBOX', readonly=True)
    t.is_(int(data[0]), len(MAIL[None]), '... the INBOX holds its messages (imaplib)')
    imap.logout()

t.done()
