#!/usr/bin/env python3
# convert --method spool end to end, checked through imaplib as each user: a generated
# site of 50 real system users (bytes, order, flags, keywords, dates, X-UIDs,
# subscriptions, raw 8-bit headers), under unixhierarchysep no and yes and with legacy
# spool directories; the sample site; --dry-run; a rerun after success.
import json, os, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

N_USERS = int(os.environ.get('M2C_TEST_USERS', '50'))
TMP = tempfile.mkdtemp(prefix='m2c-conv.', dir='/tmp')
os.chmod(TMP, 0o755)
TAG = 'm2c%d' % (os.getpid() % 10000)
site = gen.Site(TMP, N_USERS, TAG)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def convert(cy, manifest, *extra, env=None):
    return t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest,
                  '--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file',
                  cy.password_file] + list(extra), env=env)


for label, kw in (('sep .', {}), ('sep /', {'unixhiersep': True}),
                  ('legacy dirs', {'legacy_dirs': True})):
    with t.Cyrus(**kw) as cy:
        manifest = os.path.join(TMP, 'site-%s.tsv' % label.replace(' ', '_').replace('/', 'slash'))
        p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf,
                   '-o', manifest] + site.users)
        t.is_(p.returncode, 0, '%s: mapnames for %d users' % (label, N_USERS))
        if label == 'sep .':
            p = convert(cy, manifest, '--dry-run')
            t.ok(p.returncode == 0 and ('%d messages' % site.messages()).encode() in p.stdout,
                 '%s: --dry-run counts %d messages' % (label, site.messages()), p.stdout[-300:])
            t.ok(not os.path.exists(manifest + '.state'), '--dry-run: no state written')
            imap = cy.admin()
            t.is_(t.list_mailboxes(imap), [], '--dry-run: no mailbox made')
            imap.logout()
        report = manifest + '.json'
        p = convert(cy, manifest, '--jobs', '2', '--report', report)
        t.is_(p.returncode, 0, '%s: convert exit 0' % label)
        if p.returncode:
            t.diag(p.stderr.decode()[-2000:])
        problems = site.check(cy)
        t.is_(problems[:10], [], '%s: every message of %d users in Cyrus as expected (%d messages)'
              % (label, N_USERS, site.messages()))
        rep = json.load(open(report))
        done = [u for u in rep['users'] if u['status'] == 'done']
        t.is_(len(done), N_USERS, '%s: the JSON report says every user is done' % label)
        counted = sum(m['messages'] for u in rep['users'] for m in u['mailboxes'])
        t.is_(counted, site.messages(), '%s: ... and counts every message' % label)
        x_uid = [m for u in rep['users'] for m in u['mailboxes'] if m['uids'] == 'x-uid']
        t.ok(len(x_uid) > 0, '%s: folders with consistent X-UIDs keep them (%d)' % (label, len(x_uid)))
        p = convert(cy, manifest, '-v')
        t.ok(p.returncode == 0 and p.stderr.count(b'already converted by an earlier run') == N_USERS,
             '%s: a rerun after success changes nothing and says so for every user' % label,
             p.stderr.decode(errors='replace')[-600:])
        t.is_(site.check(cy, site.users[:5])[:5], [], '%s: ... and the mail is still exactly there' % label)

# the sample site (no system users: --no-owner-check)
SAMPLES = os.path.join(t.ROOT, 'samples', 'site')
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'samples.tsv')
    p = t.run([t.BIN, 'mapnames', '--users', os.path.join(SAMPLES, 'users.txt'),
               '--home-template', os.path.join(SAMPLES, 'home', '%u'), '--spool-dir',
               os.path.join(SAMPLES, 'spool'), '--no-owner-check', '--special-use',
               '--cyrus-conf', cy.conf, '-o', manifest])
    p = convert(cy, manifest, '--source-tz', 'Europe/Berlin')
    t.is_(p.returncode, 0, 'samples: convert exit 0')
    want = {  # user: {mailbox: [(subject, flags)]}
        'alice': {'INBOX': [(b'Lunch on Friday?', {'\\Seen', '\\Answered', '$Label1'}),
                            (b'Re: budget 2003', {'\\Flagged'}), (b'unread newsletter', set())],
                  'INBOX.Sent': [(b'Re: Lunch on Friday?', {'\\Seen'})],
                  '"INBOX.Old Projects"': [(b'Project Atlas: final report', {'\\Seen', '\\Flagged'})],
                  'INBOX.Gr&APwA3w-e': [(b'=?ISO-8859-1?Q?Sch=F6ne_Gr=FC=DFe?=', {'\\Seen'})],
                  'INBOX.lists.cyrus-devel': [(b'reconstruct and mtimes', {'\\Seen'})]},
        'bob': {'INBOX': [(b'Re: Lunch on Friday?', {'\\Seen', '\\Answered'})],
                'INBOX.Saved': [(b'keys to the lab', {'\\Seen', '\\Flagged'})]},
        'carol': {'INBOX': [(b'\xc4nderung der Termine', set())]},
        'john.doe': {'INBOX': [(b'nightly backup report', {'\\Seen'}), (b'disk space', set())]},
    }
    for user, boxes in want.items():
        imap = cy.as_user(user)
        for box, msgs in boxes.items():
            typ, data = imap.select(box, readonly=True)
            if not t.ok(typ == 'OK', 'samples: %s %s exists' % (user, box), data):
                continue
            typ, data = imap.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
            got = [(item[1].split(b': ', 1)[1].strip(), set(item[0].split(b'FLAGS (')[1].split(b')')[0].decode().split()) - {'\\Recent'})
                   for item in data if isinstance(item, tuple)]
            t.is_(got, msgs, 'samples: %s %s' % (user, box))
        imap.logout()
    imap = cy.as_user('alice')
    imap.select('INBOX', readonly=True)
    typ, data = imap.uid('FETCH', '2', '(BODY.PEEK[TEXT] INTERNALDATE)')
    t.ok(b'\r\nFrom the finance team' in data[0][1], 'samples: ">From" in a body is unquoted', data[0][1][-200:])
    t.ok(b'"05-Mar-2003 15:45:12 +0000"' in data[0][0] or b'" 5-Mar-2003 15:45:12 +0000"' in data[0][0],
         'samples: INTERNALDATE is the From_ date, read in the old host\'s zone', data[0][0])
    typ, data = imap.uid('FETCH', '1', '(BODY.PEEK[HEADER])')
    t.ok(b'Status:' not in data[0][1] and b'X-UID:' not in data[0][1] and b'\r\n' in data[0][1],
         'samples: mailbox-internal headers left out, CRLF')
    typ, lsub = imap.lsub('""', '*')
    t.is_(sorted(l.decode().split(' ', 2)[2] for l in lsub), ['INBOX', 'INBOX.Sent', 'INBOX.lists.cyrus-devel'],
          'samples: subscriptions from .mailboxlist')
    imap.logout()
    imap = cy.as_user('carol')
    imap.select('INBOX', readonly=True)
    typ, data = imap.uid('FETCH', '1', '(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])')
    t.ok(b'Hans M\xfcller' in data[0][1] and b'\xc4nderung' in data[0][1],
         'samples: raw 8-bit Latin-1 headers byte-identical (APPEND would have made them X)', data[0][1])
    imap.logout()
    imap = cy.as_user('john.doe')
    imap.select('INBOX', readonly=True)
    typ, data = imap.uid('FETCH', '1', '(BODY.PEEK[TEXT])')
    t.is_(data[0][1], b'Backup finished.\r\n\r\nFrom here on the tapes rotate weekly.\r\n',
          'samples: the mboxcl2 body with an unquoted From line, from its Content-Length')
    imap.logout()
t.done()
