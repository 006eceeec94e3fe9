#!/usr/bin/env python3
# convert --method imap end to end, checked through imaplib as each user: a generated
# site of 50 real system users with --jobs 1 and --jobs 4 (order, bytes after the
# documented normalisation -- 8-bit headers RFC 2047-encoded and decoded back by
# Python's email package --, flags, keywords, dates, subscriptions), verify agreeing;
# the sample site; a rerun after success; a mailbox that already held mail.
import email.header, json, os, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t
import mboxparse

t.need_root()
import mailsite as gen

N_USERS = int(os.environ.get('M2C_TEST_USERS', '50'))
TMP = tempfile.mkdtemp(prefix='m2c-imap.', dir='/tmp')
os.chmod(TMP, 0o755)
TAG = 'm2i%d' % (os.getpid() % 10000)
site = gen.Site(TMP, N_USERS, TAG)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def convert(cy, manifest, *extra):
    return t.run([t.BIN, 'convert', '--method', 'imap', '--manifest', manifest,
                  '--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file',
                  cy.password_file] + list(extra))


def verify(cy, manifest, *extra):
    return t.run([t.BIN, 'verify', '--manifest', manifest, '--cyrus-conf', cy.conf, '--port',
                  str(cy.port), '--password-file', cy.password_file] + list(extra))


for jobs in ('1', '4'):
    with t.Cyrus() as cy:
        manifest = os.path.join(TMP, 'site-jobs%s.tsv' % jobs)
        p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf,
                   '-o', manifest] + site.users)
        t.is_(p.returncode, 0, 'jobs %s: mapnames for %d users' % (jobs, N_USERS))
        report = manifest + '.json'
        p = convert(cy, manifest, '--jobs', jobs, '--report', report)
        t.is_(p.returncode, 0, 'jobs %s: convert --method imap exit 0' % jobs, p.stderr.decode()[-2000:])
        problems = site.check(cy, method='imap')
        t.is_(problems[:10], [], 'jobs %s: every message of %d users in Cyrus in source order, '
              'bytes, flags, keywords, dates, subscriptions (%d messages)'
              % (jobs, N_USERS, site.messages()))
        rep = json.load(open(report))
        t.is_(len([u for u in rep['users'] if u['status'] == 'done']), N_USERS,
              'jobs %s: the JSON report says every user is done' % jobs)
        t.is_(sum(m['messages'] for u in rep['users'] for m in u['mailboxes']), site.messages(),
              'jobs %s: ... and counts every message' % jobs)
        encoded = sum(1 for msgs in site.expected.values() for m in msgs if m.charset)
        said = p.stderr.count(b'RFC 2047')
        t.is_(said, encoded, 'jobs %s: each message whose 8-bit header was encoded is named '
              '(file, message, offset) on stderr' % jobs, p.stderr.decode()[-500:])
        v = verify(cy, manifest, '--jobs', jobs)
        t.is_(v.returncode, 0, 'jobs %s: verify agrees with what the imap method stored' % jobs,
              v.stdout.decode()[-800:], v.stderr.decode()[-1500:])
        t.ok(b'fixed' in v.stderr or b'fixed' in v.stdout,
             'jobs %s: ... and says which messages were stored with fixes' % jobs, v.stderr.decode()[-500:])
        if jobs == '1':
            # backout knows the fixed messages: each goes back to the file it came from
            out = os.path.join(TMP, 'back')
            few = site.users[:5]
            b = t.run([t.BIN, 'backout', '--manifest', manifest, '--cyrus-conf', cy.conf, '--port',
                       str(cy.port), '--password-file', cy.password_file, '--into', out]
                      + [a for u in few for a in ('--user', u)])
            t.is_(b.returncode, 0, 'backout of an imap-converted site: exit 0', b.stderr.decode()[-800:])
            wrong = []
            for (u, f), msgs in site.expected.items():
                if u not in few:
                    continue
                src = (os.path.join(site.spool, u) if f is None
                       else os.path.join(TMP, 'home', u, 'Mail', f))
                back = out + src
                got = mboxparse.parse(open(back, 'rb').read(), None)[1] if os.path.exists(back) else []
                if len(got) != len(msgs):
                    wrong.append('%s: %d messages, %d in the source' % (back, len(got), len(msgs)))
            t.is_(wrong, [], 'backout: every message (the RFC 2047-fixed ones too) back in the '
                  'file it came from, none in another')
        p = convert(cy, manifest, '-v')
        t.ok(p.returncode == 0 and p.stderr.count(b'already converted by an earlier run') == N_USERS,
             'jobs %s: a rerun after success changes nothing and says so for every user' % jobs,
             p.stderr.decode(errors='replace')[-600:])
        t.is_(site.check(cy, site.users[:5], method='imap')[:5], [],
              'jobs %s: ... and the mail is still exactly there, once' % jobs)

# a server without MULTIAPPEND and LITERAL+ (hidden by M2C_IMAP_WITHOUT): one message
# per APPEND, each literal after the server's "+"
with t.Cyrus() as cy:
    few = site.users[:6]
    manifest = os.path.join(TMP, 'site-plain.tsv')
    t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o', manifest] + few)
    p = t.run([t.BIN, 'convert', '--method', 'imap', '--manifest', manifest, '--cyrus-conf', cy.conf,
               '--port', str(cy.port), '--password-file', cy.password_file],
              env=dict(os.environ, M2C_IMAP_WITHOUT='MULTIAPPEND LITERAL+'))
    t.is_(p.returncode, 0, 'without MULTIAPPEND and LITERAL+: exit 0', p.stderr.decode()[-800:])
    t.is_(site.check(cy, few, method='imap')[:5], [], '... every message of %d users as expected' % len(few))
    parts = [l.split('\t')[2] for u in few for l in open(os.path.join(manifest + '.state', u + '.journal'))
             if l.startswith('checkpoint\t') and '\tpart ' in l]
    n = sum(len(v) for (u, f), v in site.expected.items() if u in few)
    t.is_((len(parts), all(p.split()[1].split('=')[1].split('-')[0] == p.split()[1].split('-')[1] for p in parts)),
          (n, True), '... one APPEND command (one journaled part) per message')

# the samples, and a mailbox that already holds mail (the imap method appends after it)
SAMPLES = os.path.join(t.ROOT, 'samples', 'site')
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'samples.tsv')
    p = t.run([t.BIN, 'mapnames', '--users', os.path.join(SAMPLES, 'users.txt'),
               '--home-template', os.path.join(SAMPLES, 'home', '%u'), '--spool-dir',
               os.path.join(SAMPLES, 'spool'), '--no-owner-check', '--special-use',
               '--cyrus-conf', cy.conf, '-o', manifest])
    adm = cy.admin()
    adm.create('user.bob')
    adm.logout()
    imap = cy.as_user('bob')
    imap.append('INBOX', None, None, b'Subject: already here\r\n\r\nbefore the cutover\r\n')
    imap.logout()
    p = convert(cy, manifest, '--source-tz', 'Europe/Berlin')
    t.is_(p.returncode, 0, 'samples: convert --method imap exit 0', p.stderr.decode()[-1500:])
    imap = cy.as_user('bob')
    imap.select('INBOX', readonly=True)
    typ, data = imap.uid('FETCH', '1:*', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
    subjects = [item[1].split(b': ', 1)[1].strip() for item in data if isinstance(item, tuple)]
    t.is_(subjects, [b'already here', b'Re: Lunch on Friday?'],
          'samples: a mailbox that held mail keeps it; the source is appended after it')
    imap.logout()
    imap = cy.as_user('carol')
    imap.select('INBOX', readonly=True)
    typ, data = imap.uid('FETCH', '1', '(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])')
    hdr = data[0][1]
    t.ok(max(hdr) < 128, 'samples: carol\'s raw Latin-1 headers arrive 7-bit (no X from munge8bit)', hdr)
    decoded = {}
    for line in hdr.decode().replace('\r\n ', ' ').split('\r\n'):
        if ':' in line:
            k, v = line.split(':', 1)
            decoded[k.lower()] = str(email.header.make_header(email.header.decode_header(v.strip())))
    t.is_(decoded.get('subject'), '\u00c4nderung der Termine', 'samples: ... the Subject decodes to the original text')
    t.ok('Hans M\u00fcller' in decoded.get('from', ''), 'samples: ... the From display name too', decoded)
    typ, data = imap.uid('FETCH', '1', '(INTERNALDATE)')
    imap.logout()
    imap = cy.as_user('alice')
    imap.select('INBOX', readonly=True)
    typ, data = imap.uid('FETCH', '2', '(BODY.PEEK[TEXT] INTERNALDATE FLAGS)')
    t.ok(b'\r\nFrom the finance team' in data[0][1], 'samples: ">From" in a body is unquoted', data[0][1][-200:])
    t.ok(b'5-Mar-2003 15:45:12 +0000"' in data[0][0] or b'5-Mar-2003 16:45:12 +0100"' in data[0][0],
         'samples: INTERNALDATE is the From_ date, read in the old host\'s zone', data[0][0])
    typ, lsub = imap.lsub('""', '*')
    t.is_(sorted(l.decode().split(' ', 2)[2] for l in lsub), ['INBOX', 'INBOX.Sent', 'INBOX.lists.cyrus-devel'],
          'samples: subscriptions from .mailboxlist')
    imap.logout()
t.done()
