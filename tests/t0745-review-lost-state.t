#!/usr/bin/env python3
# Review of issue 10: the imap method appends to a mailbox that already holds mail
# ("a mailbox that already held mail keeps it, and the source is appended after it"),
# and knows what it stored only from its journal.  A run with another state directory
# -- the manifest regenerated under another name (the default state is
# MANIFEST.state), the state directory removed, another --state; for upload the same
# user naming the server another way (the journal is HOST-PORT-LOGIN under
# $XDG_STATE_HOME) or uploading from another machine -- stores every message a second
# time and ends "done ... 0 errors".  mbox2cyrus-convert(1) says the opposite: "Do not
# delete the state directory between runs: without it, mailboxes that hold this run's
# messages look like someone else's and are not touched."
# Expected: the second run does not append the messages again (it may refuse, or find
# them by digest as a resume does); the mailbox holds each message once.
import imaplib, os, pwd, shutil, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rv5')
ua = site.user('a', inbox=r.msg(b'm1') + r.msg(b'm2'))
ub = site.user('b', inbox=r.msg(b'u1') + r.msg(b'u2'))
PASSWORD = 'review-pw-1'

with t.Cyrus() as cy:
    # (a) convert, then convert again with a state directory that does not know it
    m = site.mapnames(cy, [ua])
    p = r.convert(cy, m)
    t.is_(p.returncode, 0, '(a) convert --method imap: done')
    p = r.convert(cy, m, '--state', os.path.join(site.tmp, 'fresh-state'))
    im = cy.as_user(ua)
    t.is_(r.subjects(im, 'INBOX'), [b'm1', b'm2'],
          '(a) a run with another --state does not store the messages a second time',
          'exit %d' % p.returncode, r.tail(p, 600))
    im.logout()

    # (b) upload as the user, then again naming the server "localhost"
    sasldb = os.path.join(os.path.dirname(cy.conf), 'sasldb2')
    subprocess.run(['saslpasswd2', '-p', '-c', '-f', sasldb, ub], input=PASSWORD.encode(), check=True)
    shutil.chown(sasldb, 'cyrus', 'mail')
    os.chmod(sasldb, 0o640)
    pw = pwd.getpwnam(ub)
    home = site.home(ub)
    pwfile = os.path.join(home, '.imap-password')
    with open(pwfile, 'w') as f:
        f.write(PASSWORD + '\n')
    os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    os.chmod(pwfile, 0o600)
    env = {'HOME': home, 'USER': ub, 'LOGNAME': ub, 'PATH': '/usr/bin:/bin', 'LANG': 'C.UTF-8'}
    env.update({k: v for k, v in os.environ.items() if k in ('LSAN_OPTIONS', 'ASAN_OPTIONS', 'UBSAN_OPTIONS')})

    def upload(host):
        return t.run(['setpriv', '--reuid', str(pw.pw_uid), '--regid', str(pw.pw_gid), '--init-groups',
                      t.BIN, 'upload', '--host', host, '--port', str(cy.port), '--tls', 'none',
                      '--spool-dir', site.spool, '--password-file', pwfile],
                     env=env, stdin=subprocess.DEVNULL)

    p = upload('127.0.0.1')
    t.is_(p.returncode, 0, '(b) upload: done', r.tail(p))
    p = upload('localhost')
    im = imaplib.IMAP4(cy.host, cy.port)
    im.login(ub, PASSWORD)
    t.is_(r.subjects(im, 'INBOX'), [b'u1', b'u2'],
          '(b) upload again with --host localhost does not store the messages a second time',
          'exit %d' % p.returncode, r.tail(p, 600))
    im.logout()
t.done()
