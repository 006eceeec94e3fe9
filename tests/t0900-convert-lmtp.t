#!/usr/bin/env python3
# convert --method lmtp end to end, checked through imaplib as each user: a generated
# site of 50 real system users (folders LMTP can address) delivered through lmtpd's
# socket with --jobs 2: every message in source order with its content (after the
# documented normalisation -- 8-bit headers RFC 2047-encoded -- and what LMTP adds:
# Cyrus's trace fields, the delivery header, a Message-ID/Date Cyrus supplies, taken
# off by the test's own reading of the documented rule), flags and keywords (restored
# by the shared flag step: LMTP carries none), the source's INTERNALDATE, and the
# subscriptions; verify agrees; a rerun delivers nothing again; backout puts every
# message back into the file it came from, as it was.  Then the same for a few users
# through Cyrus's deliver program (--deliver), and the site's users through
# --lmtp unix:PATH without --cyrus-conf's lmtpsocket.
import json, os, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t
import mboxparse

t.need_root()
import mailsite as gen

N_USERS = int(os.environ.get('M2C_TEST_USERS', '50'))
FOLDERS = ['Sent', 'lists/cyrus', 'Archive-2003', 'drafts_old']
DELIVER = '/usr/lib/cyrus/bin/deliver'
TMP = tempfile.mkdtemp(prefix='m2c-lmtp.', dir='/tmp')
os.chmod(TMP, 0o755)
TAG = 'm2l%d' % (os.getpid() % 10000)
site = gen.Site(TMP, N_USERS, TAG, folders=FOLDERS)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def server(cy):
    return ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]


def convert(cy, manifest, *extra):
    return t.run([t.BIN, 'convert', '--method', 'lmtp', '--manifest', manifest] + server(cy)
                 + list(extra))


def mapnames(cy, name, users):
    manifest = os.path.join(TMP, name)
    p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf,
               '-o', manifest] + users)
    t.is_(p.returncode, 0, '%s: mapnames for %d users' % (name, len(users)), p.stderr.decode()[-500:])
    return manifest


def counts(cy, users):
    out = {}
    for u in users:
        imap = cy.as_user(u)
        for (uu, f), _ in site.expected.items():
            if uu == u:
                typ, data = imap.select('"%s"' % site.personal(f, cy.sep), readonly=True)
                out[(u, f)] = int(data[0]) if typ == 'OK' else None
        imap.logout()
    return out


with t.Cyrus() as cy:
    manifest = mapnames(cy, 'site.tsv', site.users)
    report = manifest + '.json'
    p = convert(cy, manifest, '--jobs', '2', '--report', report)
    t.is_(p.returncode, 0, 'convert --method lmtp --jobs 2: exit 0', p.stderr.decode()[-2000:])
    problems = site.check(cy, method='lmtp')
    t.is_(problems[:10], [], 'every message of %d users in Cyrus in source order: content after '
          'the documented normalisation and delivery header, flags, keywords, INTERNALDATE (the '
          'delivery header\'s and Cyrus\'s), subscriptions (%d messages)' % (N_USERS, site.messages()))
    rep = json.load(open(report))
    t.is_(len([u for u in rep['users'] if u['status'] == 'done']), N_USERS,
          'the JSON report says every user is done')
    t.is_(sum(m['messages'] for u in rep['users'] for m in u['mailboxes']), site.messages(),
          '... and counts every message')
    encoded = sum(1 for msgs in site.expected.values() for m in msgs if m.charset)
    t.is_(p.stderr.count(b'RFC 2047'), encoded, 'each message whose 8-bit header was encoded is '
          'named (file, message, offset) on stderr')

    v = t.run([t.BIN, 'verify', '--manifest', manifest] + server(cy) + ['--jobs', '2'])
    t.is_(v.returncode, 0, 'verify agrees with what the lmtp method stored',
          v.stdout.decode()[-800:], v.stderr.decode()[-1500:])

    before = counts(cy, site.users)
    p = convert(cy, manifest, '-v')
    t.is_(p.returncode, 0, 'a rerun: exit 0', p.stderr.decode()[-800:])
    t.ok(p.stderr.count(b'already converted') == N_USERS, 'a rerun: every user "already converted"')
    t.is_(counts(cy, site.users), before, 'a rerun delivers nothing again')

    out = os.path.join(TMP, 'back')
    few = site.users[:6]
    b = t.run([t.BIN, 'backout', '--manifest', manifest] + server(cy) + ['--into', out]
              + [a for u in few for a in ('--user', u)])
    t.is_(b.returncode, 0, 'backout of an lmtp-converted site: exit 0', b.stderr.decode()[-800:])
    wrong = []
    for (u, f), msgs in site.expected.items():
        if u not in few:
            continue
        src = (os.path.join(site.spool, u) if f is None
               else os.path.join(TMP, 'home', u, 'Mail', f))
        back = out + src
        got = mboxparse.parse(open(back, 'rb').read(), None)[1] if os.path.exists(back) else []
        want = mboxparse.parse(open(src, 'rb').read(), None, strict=False)[1]
        if len(got) != len(want):
            wrong.append('%s: %d messages, %d in the source' % (back, len(got), len(want)))
            continue
        for k, (g, w) in enumerate(zip(got, want)):
            # the 8-bit subjects come back RFC 2047-encoded (the imap method's fix):
            # compare the bodies, and the headers but Subject
            def fields(c):
                return [l for l in c.split(b'\n\n', 1)[0].split(b'\n')
                        if not l.lower().startswith(b'subject:')]
            if g['content'].split(b'\n\n', 1)[1:] != w['content'].split(b'\n\n', 1)[1:] or \
               fields(g['content']) != fields(w['content']):
                wrong.append('%s #%d: not the source\'s message' % (back, k + 1))
            if g['flags'] != w['flags']:
                wrong.append('%s #%d: flags %s, %s in the source' % (back, k + 1, g['flags'], w['flags']))
    t.is_(wrong[:5], [], 'backout: every message back in the file it came from, without what '
          'LMTP added')

with t.Cyrus() as cy:
    # Cyrus's deliver program, once per message
    few = site.users[:4]
    manifest = mapnames(cy, 'deliver.tsv', few)
    p = convert(cy, manifest, '--deliver', DELIVER)
    t.is_(p.returncode, 0, '--deliver %s: exit 0' % DELIVER, p.stderr.decode()[-1500:])
    problems = site.check(cy, users=few, method='lmtp')
    t.is_(problems[:10], [], '--deliver: every message in order with content, flags, dates')
    v = t.run([t.BIN, 'verify', '--manifest', manifest] + server(cy))
    t.is_(v.returncode, 0, '--deliver: verify agrees', v.stderr.decode()[-800:])

with t.Cyrus() as cy:
    # --lmtp unix:PATH names the socket; the conf's lmtpsocket is not looked at
    few = site.users[4:7]
    manifest = mapnames(cy, 'lmtp-opt.tsv', few)
    p = convert(cy, manifest, '--lmtp', 'unix:' + cy.lmtp_socket)
    t.is_(p.returncode, 0, '--lmtp unix:PATH: exit 0', p.stderr.decode()[-1500:])
    t.is_(site.check(cy, users=few, method='lmtp')[:10], [], '--lmtp unix:PATH: every message')
    # (users not converted yet: a converted one's mailboxes are refused first under
    # another --state, their delivery headers' keys not this state's)
    manifest = mapnames(cy, 'lmtp-none.tsv', site.users[7:9])
    p = convert(cy, manifest, '--lmtp', 'unix:/nonexistent/lmtp', '--state', os.path.join(TMP, 'st2'))
    t.ok(p.returncode == 75 and b'cannot connect to LMTP' in p.stderr,
         '--lmtp to nothing listening: exit 75 (temporary), the reason named',
         p.returncode, p.stderr.decode()[-600:])

t.done()
