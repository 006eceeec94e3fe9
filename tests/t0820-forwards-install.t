#!/usr/bin/env python3
# mbox2cyrus forwards --format sieve --install against a real Cyrus with a ManageSieve
# service and a sendmail: that captures (tests/cyrus/start-cyrus.sh CYRUS_SIEVE=yes):
# for real system users with a ~/.forward, the scripts are installed as the admin for
# each user and made active; a message delivered over LMTP to a user whose .forward
# names an address is redirected to it (seen by the capture), and where \user was
# present it also lands in the user's INBOX (imaplib), else not.  A user without a
# mailbox in Cyrus is not installed, with the reason.
import json, os, pwd, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
TAG = 'm2s%d' % (os.getpid() % 100000)
USERS = {'keep': TAG + 'k', 'away': TAG + 'a', 'nobox': TAG + 'n'}
TMP = tempfile.mkdtemp(prefix='m2c-fwdi.')
os.chmod(TMP, 0o755)
made = []


def cleanup():
    for u in made:
        subprocess.run(['userdel', u], capture_output=True)
    shutil.rmtree(TMP, ignore_errors=True)


import atexit
atexit.register(cleanup)
FORWARDS = {'keep': 'keep-copy@example.org, \\%s\n' % USERS['keep'],
            'away': '# gone\naway-only@example.org\n',
            'nobox': 'nobox@example.org\n'}
for name, u in USERS.items():
    home = os.path.join(TMP, 'home', u)
    subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', u], check=True)
    made.append(u)
    os.makedirs(home)
    pw = pwd.getpwnam(u)
    with open(os.path.join(home, '.forward'), 'w') as f:
        f.write(FORWARDS[name])
    for p in (home, os.path.join(home, '.forward')):
        os.chown(p, pw.pw_uid, pw.pw_gid)
users_file = os.path.join(TMP, 'users')
with open(users_file, 'w') as f:
    f.write(''.join(u + '\n' for u in USERS.values()))


with t.Cyrus(sieve=True) as cy:
    adm = cy.admin()
    for name in ('keep', 'away'):
        adm.create('user.' + USERS[name])
    adm.logout()
    out = os.path.join(TMP, 'sieve')
    rep = os.path.join(TMP, 'r.json')
    p = t.run([t.BIN, 'forwards', '--users', users_file, '--home-template',
               os.path.join(TMP, 'home', '%u'), '--format', 'sieve', '-o', out, '--install',
               '--sieve-port', str(cy.sieve_port), '--admin', cy.admin_user, '--password-file',
               cy.password_file, '--report', rep])
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 1, 'forwards --install: exit 1 (the user without a mailbox not installed)', err)
    t.ok('convert first' in err and USERS['nobox'] in err,
         '... the user without a mailbox in Cyrus named, with what to do', err)
    for name, subject, addr, in_inbox in (('keep', 'to keep', 'keep-copy@example.org', True),
                                          ('away', 'to away', 'away-only@example.org', False)):
        u = USERS[name]
        reply = t.lmtp_deliver(cy, u, subject, sender='sender@example.net')
        t.ok(reply.startswith(b'250'), '%s: LMTP delivery accepted' % name, reply)
        caps = t.captured(cy, subject)
        t.ok(len(caps) == 1 and ('X-Capture-To: <%s>' % addr).encode() in caps[0],
             '%s: redirected to %s (seen by the capturing sendmail)' % (name, addr),
             caps[0][:300] if caps else 'nothing captured')
        imap = cy.as_user(u)
        typ, data = imap.select('INBOX', readonly=True)
        n = int(data[0])
        t.is_(n, 1 if in_inbox else 0, '%s: %s the INBOX (imaplib)' %
              (name, 'also in' if in_inbox else 'not in'))
        imap.logout()
t.done()
