#!/usr/bin/env python3
# The test Cyrus itself (tests/cyrus/start-cyrus.sh, stop-cyrus.sh): each setting the
# later stages depend on starts, behaves as DESIGN.md measured, and stops completely.
import os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def mbpath(cy, name):
    p = t.run(['setpriv', '--reuid=cyrus', '--regid=mail', '--init-groups',
               '/usr/lib/cyrus/bin/mbpath', '-C', cy.conf, name])
    return p.stdout.decode().strip(), p.returncode


for label, kw in (('sep .', {}), ('sep /', {'unixhiersep': True}),
                  ('legacy dirs', {'legacy_dirs': True})):
    cy = t.Cyrus(**kw).start()
    d = cy.dir
    a = cy.admin()
    typ, data = a.list('""', '""')
    sep = re.search(rb'\) "(.)"', data[0]).group(1).decode()
    t.is_(sep, cy.sep, '%s: the server uses separator %r' % (label, cy.sep))
    name = cy.user_mailbox('alice', 'Sent')
    t.is_(a.create(cy.user_mailbox('alice'))[0], 'OK', '%s: admin CREATE the user' % label)
    t.is_(a.create(name)[0], 'OK', '%s: admin CREATE %s' % (label, name))
    path, rc = mbpath(cy, name)
    t.is_(rc, 0, '%s: mbpath -C answers for %s' % (label, name))
    if kw.get('legacy_dirs'):
        t.is_(path, os.path.join(d, 'spool', 'user', 'alice', 'Sent'),
              '%s: mbpath gives spool/user/alice/Sent' % label)
    else:
        # measured: spool/uuid/m/4/m4mlnrztk74y36323ux6emqu -- the two levels are
        # the first two characters of the mailbox id
        t.ok(re.match(re.escape(os.path.join(d, 'spool', 'uuid')) + r'/(.)/(.)/\1\2[a-z0-9]+$', path),
             '%s: mbpath gives spool/uuid/X/Y/XY<mailboxid> (3.6 default)' % label, path)
    t.ok(os.path.isdir(path), '%s: that directory exists' % label, path)
    a.logout()
    pid = cy.master_pid
    cy.stop()
    t.ok(not alive(pid), '%s: master %d is gone after stop' % (label, pid))
    t.ok(not os.path.exists(d), '%s: its directory is removed' % label)
    left = subprocess.run(['sh', '-c', 'ps -eo args= | grep -F "%s/" | grep -v grep' % d],
                          stdout=subprocess.PIPE).stdout.decode()
    t.is_(left, '', '%s: no process of it is left' % label)
t.done()
