#!/usr/bin/env python3
# convert --method spool with messages and users that need a look: a NUL byte and a
# header line without a colon (IMAP APPEND refuses both) are stored as they are and
# reported with file, message number and offset; an empty message is reported as not
# stored; a user whose source is missing fails alone, the others are done, exit 1;
# and the JSON report says all of it.
import json, os, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
TMP = tempfile.mkdtemp(prefix='m2c-odd.', dir='/tmp')
os.chmod(TMP, 0o755)
import atexit
atexit.register(lambda: shutil.rmtree(TMP, ignore_errors=True))
SPOOL = os.path.join(TMP, 'spool')
os.makedirs(SPOOL)
nul_msg = b'From a@b Mon Jan  1 10:00:00 2001\nSubject: nul\n\nbefore \x00 after\n\n'
bad_msg = b'From a@b Mon Jan  1 10:00:01 2001\nSubject: bad\nthis header line has no colon\n\nbody\n\n'
empty_msg = b'From a@b Mon Jan  1 10:00:02 2001\n\n'
good_msg = b'From a@b Mon Jan  1 10:00:03 2001\nSubject: good\n\nfine\n'
with open(os.path.join(SPOOL, 'oddity'), 'wb') as f:
    f.write(nul_msg + bad_msg + empty_msg + good_msg)
with open(os.path.join(SPOOL, 'fine'), 'wb') as f:
    f.write(good_msg)
with open(os.path.join(SPOOL, 'lost'), 'wb') as f:
    f.write(good_msg)
os.makedirs(os.path.join(TMP, 'home', 'oddity'))
os.makedirs(os.path.join(TMP, 'home', 'fine'))
os.makedirs(os.path.join(TMP, 'home', 'lost'))

with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'm.tsv')
    p = t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL, '--home-template', os.path.join(TMP, 'home', '%u'),
               '--no-owner-check', '--cyrus-conf', cy.conf, '-o', manifest, 'oddity', 'fine', 'lost'])
    t.is_(p.returncode, 0, 'mapnames')
    os.unlink(os.path.join(SPOOL, 'lost'))      # gone between mapnames and convert
    report = os.path.join(TMP, 'r.json')
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--cyrus-conf', cy.conf,
               '--port', str(cy.port), '--password-file', cy.password_file, '--report', report])
    err = p.stderr.decode()
    t.is_(p.returncode, 1, 'a user failed, the others are done: exit 1')
    src = os.path.join(SPOOL, 'oddity')
    t.ok('%s: msg 1: offset 0: warning: contains a NUL byte' % src in err,
         'the NUL message is reported with file, message number and offset', err)
    t.ok('%s: msg 2: offset %d: warning: header line without a colon' % (src, len(nul_msg)) in err,
         'so is the header line without a colon', err)
    t.ok('%s: msg 3: offset %d: error: not stored: an empty message' % (src, len(nul_msg + bad_msg)) in err,
         'the empty message is reported as not stored', err)
    t.ok('lost' in err and 'No such file' in err, 'the missing source is named', err)

    imap = cy.as_user('oddity')
    typ, data = imap.select('INBOX', readonly=True)
    t.is_(data, [b'3'], 'oddity: the three storable messages are there')
    typ, data = imap.uid('FETCH', '1:*', '(UID BODY.PEEK[])')
    bodies = [item[1] for item in data if isinstance(item, tuple)]
    t.is_(bodies, [b'Subject: nul\r\n\r\nbefore \x00 after\r\n',
                   b'Subject: bad\r\nthis header line has no colon\r\n\r\nbody\r\n',
                   b'Subject: good\r\n\r\nfine\r\n'],
          'oddity: stored byte for byte, NUL and all (UIDs 1, 2, 4: the empty one took no file)')
    imap.logout()
    imap = cy.as_user('fine')
    t.is_(imap.select('INBOX', readonly=True)[1], [b'1'], 'fine: done despite the others')
    imap.logout()

    rep = json.load(open(report))
    users = {u['user']: u for u in rep['users']}
    t.is_((users['oddity']['status'], users['fine']['status'], users['lost']['status']),
          ('done', 'done', 'failed'), 'the report: oddity and fine done, lost failed')
    probs = users['oddity']['mailboxes'][0]['problems']
    t.is_([(p['msg'], p['offset'], p['skipped']) for p in probs],
          [(1, 0, False), (2, len(nul_msg), False), (3, len(nul_msg + bad_msg), True)],
          'the report lists each problem with message number, offset, stored or not')
    t.ok(all(p['file'] == src for p in probs), 'the report names the file')
    t.ok('No such file' in users['lost']['mailboxes'][0].get('error', ''),
         'the report says why lost failed', users['lost'])

# --quota, --partition, and what the spool files look like
import calendar, pwd, stat, subprocess, time
with t.Cyrus(extra_conf='partition-second: /tmp/m2c-part.%d' % os.getpid()) as cy:
    part = '/tmp/m2c-part.%d' % os.getpid()
    os.makedirs(part)
    cyrus = pwd.getpwnam('cyrus')
    os.chown(part, cyrus.pw_uid, cyrus.pw_gid)
    atexit.register(lambda: shutil.rmtree(part, ignore_errors=True))
    manifest = os.path.join(TMP, 'q.tsv')
    t.run([t.BIN, 'mapnames', '--spool-dir', SPOOL, '--home-template', os.path.join(TMP, 'home', '%u'),
           '--no-owner-check', '--cyrus-conf', cy.conf, '-o', manifest, 'fine'])
    p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--cyrus-conf', cy.conf,
               '--port', str(cy.port), '--password-file', cy.password_file, '--quota', '2048',
               '--partition', 'second', '--source-tz', 'UTC'])
    t.ok(p.returncode == 0, '--quota and --partition: exit 0', p.stderr.decode()[-800:])
    admin = cy.admin()
    typ, data = admin.getquotaroot('user.fine')
    flat = b' '.join(x for part in data for x in (part if isinstance(part, list) else [part]) if x)
    t.ok(typ == 'OK' and b'(STORAGE 0 2048)' in flat,
         '--quota 2048: the user has a 2048 KB storage quota', data)
    admin.logout()
    d = subprocess.run(['setpriv', '--reuid=cyrus', '--regid=mail', '--init-groups',
                        '/usr/lib/cyrus/bin/mbpath', '-C', cy.conf, 'user.fine'],
                       stdout=subprocess.PIPE).stdout.decode().strip()
    t.ok(d.startswith(part + '/'), '--partition second: the mailbox lives on that partition', d)
    st = os.stat(os.path.join(d, '1.'))
    t.is_((st.st_uid, stat.S_IMODE(st.st_mode)), (cyrus.pw_uid, 0o600), 'the message file: owned by cyrus, mode 0600')
    t.is_(int(st.st_mtime), calendar.timegm((2001, 1, 1, 10, 0, 3, 0, 0, 0)),
          'the message file: mtime = the From_ date (what reconstruct takes as INTERNALDATE)')
    with open(os.path.join(d, '1.'), 'rb') as f:
        t.is_(f.read(), b'Subject: good\r\n\r\nfine\r\n', 'the message file: CRLF, as the source message')
t.done()
