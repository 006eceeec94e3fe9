#!/usr/bin/env python3
# Review (44c05f6): convert --report writes REPORT.partial as users finish, then
# renames it into place.  The .partial is opened with fopen("w"): a symbolic link
# already there (a shared report directory) is followed, and root truncates and
# writes the file it points to.  Before 44c05f6 the report was written with
# g_file_set_contents (a new temporary file, renamed): nothing outside was touched.
# Also checked, and holding: a report in a missing directory stops before any user
# (73), and the report is valid JSON that agrees with IMAP.
import json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rvr')
a = site.user('a', inbox=r.msg(b'a-in-1'), folders={'Sent': r.msg(b'a-sent-1')})
b = site.user('b', inbox=r.msg(b'b-in-1') + r.msg(b'b-in-2'))


def convert(cy, manifest, *extra):
    return subprocess.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest,
                           '--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file',
                           cy.password_file] + list(extra), start_new_session=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)


with t.Cyrus() as cy:
    m = site.mapnames(cy, [a, b])
    # a report in a directory that does not exist: 73 before any user
    p = convert(cy, m, '--report', os.path.join(site.tmp, 'no-such-dir', 'r.json'))
    t.is_(p.returncode, 73, 'report in a missing directory: exit 73', r.tail(p))
    imap = cy.admin()
    t.is_(t.list_mailboxes(imap, 'user.%s*' % a), [], 'and no user touched')
    imap.logout()

    # a symbolic link where the .partial goes
    rdir = os.path.join(site.tmp, 'reports')
    os.mkdir(rdir)
    victim = os.path.join(site.tmp, 'victim.conf')
    with open(victim, 'w') as f:
        f.write('precious\n')
    report = os.path.join(rdir, 'report.json')
    os.symlink(victim, report + '.partial')
    p = convert(cy, m, '--report', report, '--batch-users', '2')
    t.is_(p.returncode, 0, 'run with a report: exit 0', r.tail(p))
    with open(victim) as f:
        t.is_(f.read(), 'precious\n', 'the file a planted REPORT.partial link points to is '
              'not written through')
    try:
        with open(report) as f:
            data = json.load(f)
    except Exception as e:
        data = None
        t.ok(False, 'the report is valid JSON', repr(e))
    else:
        t.is_(sorted(u['user'] for u in data['users']), sorted([a, b]), 'each user reported once')
        t.ok(all(u['status'] == 'done' for u in data['users']), 'all done')
        t.is_(sum(mb['messages'] for u in data['users'] for mb in u['mailboxes']), 4,
              'messages in the report: 4')
    t.ok(b'2 users converted, 0 failed' in p.stderr and b'4 messages' in p.stderr,
         'summary agrees', r.tail(p))
t.done()
