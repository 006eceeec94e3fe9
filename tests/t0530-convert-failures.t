#!/usr/bin/env python3
# convert remembers its failures and never says "done" for what IMAP does not show
# (issue 8): sources swapped for something the user could not read between mapnames
# and convert are refused and nothing of them reaches Cyrus; a source that went
# missing fails its mailbox run after run until it is back, and then the rerun
# completes it; a mailbox whose count disagrees after reconstruct is not reported
# converted; hostile manifests and a damaged journal exit 65 naming FILE:LINE and
# touch nothing.  Everything checked through imaplib and the spool's own files.
import json, os, pwd, re, shutil, signal, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen

TMP = tempfile.mkdtemp(prefix='m2c-fail.', dir='/tmp')
os.chmod(TMP, 0o755)
site = gen.Site(TMP, 3, 'm2f%d' % (os.getpid() % 10000), seed=8080)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))
victim, other, third = site.users
SECRET = b'SECRET-ROOT-ONLY-%d' % os.getpid()


def convert(cy, manifest, *more, fault=None):
    return t.convert(cy, manifest, '--jobs', '2', *more, fault=fault, timeout=240)


def mapnames(cy, manifest):
    p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf, '-o',
               manifest] + site.users)
    t.is_(p.returncode, 0, 'mapnames')


def spool_holds(cy, needle):
    """Files under the Cyrus spool that contain `needle`."""
    spool = os.path.join(cy.dir, 'spool')
    found = []
    for d, _dirs, files in os.walk(spool):
        for fn in files:
            try:
                with open(os.path.join(d, fn), 'rb') as f:
                    if needle in f.read():
                        found.append(os.path.join(d, fn))
            except OSError:
                pass
    return found


def count(cy, user, folder):
    imap = cy.as_user(user)
    typ, data = imap.select('"%s"' % site.personal(folder, cy.sep), readonly=True)
    imap.logout()
    return int(data[0]) if typ == 'OK' else None


home = os.path.join(TMP, 'home', victim)
vpw = pwd.getpwnam(victim)
mbox = b'From a@b Mon Jan  1 10:00:00 2001\nSubject: placeholder\n\nplaceholder\n'
hostile = ['hl-root', 'sl-root', 'fifo', 'hl-other']
for name in hostile:
    path = os.path.join(home, 'Mail', name)
    with open(path, 'wb') as f:
        f.write(mbox)
    os.chown(path, vpw.pw_uid, vpw.pw_gid)
    os.chmod(path, 0o600)
root_file = os.path.join(TMP, 'root-only')
with open(root_file, 'wb') as f:
    f.write(b'From root@host Mon Jan  1 10:00:00 2001\nSubject: ' + SECRET + b'\n\n' + SECRET + b'\n')
os.chmod(root_file, 0o600)

# 1. sources swapped after mapnames: refused, named, nothing of them stored; the rest converts
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'hostile.tsv')
    mapnames(cy, manifest)
    with open(manifest) as f:
        text = f.read()
    t.ok(all('Mail/%s\t' % n in text for n in hostile), 'mapnames took the four folder files as they were')
    for name in hostile:
        os.unlink(os.path.join(home, 'Mail', name))
    os.link(root_file, os.path.join(home, 'Mail', 'hl-root'))
    os.symlink(root_file, os.path.join(home, 'Mail', 'sl-root'))
    os.mkfifo(os.path.join(home, 'Mail', 'fifo'))
    os.chown(os.path.join(home, 'Mail', 'fifo'), vpw.pw_uid, vpw.pw_gid)
    os.link(os.path.join(site.spool, other), os.path.join(home, 'Mail', 'hl-other'))
    p = convert(cy, manifest)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 1, 'convert: some mailboxes failed, exit 1')
    for name, why in (('hl-root', 'hard link'), ('sl-root', 'symbolic link'), ('fifo', 'FIFO'),
                      ('hl-other', 'hard link')):
        path = os.path.join(home, 'Mail', name)
        line = [l for l in err.splitlines() if path in l and 'error' in l]
        t.ok(line and why in line[0], '%s: refused, naming the file and "%s"' % (name, why), err[-1500:])
    t.is_(spool_holds(cy, SECRET), [], "nothing of root's file is in the Cyrus spool")
    other_first = site.expected[(other, None)][0].expected()
    t.is_(len(spool_holds(cy, other_first)), 1,
          "the other user's mail is in the spool once (their own INBOX), not in the victim's")
    for name in hostile:
        n = count(cy, victim, name)
        t.ok(n in (None, 0), '%s: no message through IMAP' % name, n)
    t.is_(site.check(cy, [victim, other, third])[:6], [],
          "the victim's other mailboxes and the other users converted, exactly")
    rep = os.path.join(TMP, 'hostile.json')
    p = convert(cy, manifest, '--report', rep)
    t.is_(p.returncode, 1, 'a rerun fails those sources again: exit 1')
    users = {u['user']: u for u in json.load(open(rep))['users']}
    t.is_(users[victim]['status'], 'failed', 'the report: the victim is not "done"')
    t.is_((users[other]['status'], users[third]['status']), ('already done', 'already done'),
          'the report: the others were done by the first run')
    for name in hostile:
        os.unlink(os.path.join(home, 'Mail', name))

# 2. a source missing after mapnames: run 1 and run 2 fail it, naming it; back, run 3 completes it
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'missing.tsv')
    mapnames(cy, manifest)
    folders = sorted(f for (u, f) in site.expected if u == third and f is not None)
    folder = folders[0] if folders else None
    path = os.path.join(TMP, 'home', third, 'Mail', folder) if folder else os.path.join(site.spool, third)
    saved = path + '.saved'
    os.rename(path, saved)
    for run in (1, 2):
        p = convert(cy, manifest)
        err = p.stderr.decode(errors='replace')
        t.is_(p.returncode, 1, 'missing source, run %d: exit 1' % run)
        t.ok(any(path in l and 'No such file' in l for l in err.splitlines()),
             'run %d names the source and the reason' % run, err[-1200:])
        t.ok(re.search(r'done: 2 users converted, 1 failed', err) is not None,
             'run %d: the summary does not count the user converted' % run, err[-400:])
    os.rename(saved, path)
    p = convert(cy, manifest)
    t.ok(p.returncode == 0, 'the source is back: the rerun completes it, exit 0',
         p.stderr.decode(errors='replace')[-1500:])
    t.is_(site.check(cy)[:6], [], 'every message of every mailbox visible through IMAP, with flags and dates')

# 3. a mailbox that does not count what was delivered is never reported converted
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'count.tsv')
    mapnames(cy, manifest)
    p = convert(cy, manifest, '--user', victim, fault='reconstruct-running:1')
    t.is_(p.returncode, -signal.SIGKILL, 'killed while reconstruct runs')
    d = subprocess.run(['setpriv', '--reuid=cyrus', '--regid=mail', '--init-groups',
                        '/usr/lib/cyrus/bin/mbpath', '-C', cy.conf, cy.user_mailbox(victim)],
                       stdout=subprocess.PIPE).stdout.decode().strip()
    n_inbox = len(site.expected[(victim, None)])
    os.unlink(os.path.join(d, '%d.' % n_inbox))        # the INBOX's last message file
    counts = []
    for run in (1, 2):
        p = convert(cy, manifest, '--user', victim)
        err = p.stderr.decode(errors='replace')
        counts.append(count(cy, victim, None))
        t.ok(p.returncode == 1 and 'expected' in err and cy.user_mailbox(victim) in err,
             'rerun %d exits 1 naming the INBOX and the count' % run, err[-1200:])
    # never written again: once Cyrus has indexed a mailbox, a file written again under
    # a UID it knows gets a new UID from reconstruct -- a copy on every rerun
    t.is_(counts, [n_inbox - 1, n_inbox - 1], 'the reruns add nothing: no copies (%d messages)' % (n_inbox - 1))

    # a mailbox created by a run that died before writing, then mail arrived in it
    folders = sorted(f for (u, f) in site.expected if u == other and f is not None)
    p = convert(cy, manifest, '--user', other, fault='create:1')
    t.is_(p.returncode, -signal.SIGKILL, 'killed right after creating the INBOX')
    imap = cy.as_user(other)
    typ, data = imap.append('INBOX', None, None, b'Subject: arrived meanwhile\r\n\r\nhello\r\n')
    imap.logout()
    t.is_(typ, 'OK', 'a message arrives in the new INBOX')
    p = convert(cy, manifest, '--user', other)
    err = p.stderr.decode(errors='replace')
    t.ok(p.returncode == 1 and 'mail arrived since' in err and cy.user_mailbox(other) in err,
         'the rerun does not write beside it: exit 1, naming the INBOX', err[-1200:])
    imap = cy.as_user(other)
    typ, data = imap.select('INBOX', readonly=True)
    typ, body = imap.uid('FETCH', '1:*', '(BODY.PEEK[])')
    imap.logout()
    bodies = [x[1] for x in body if isinstance(x, tuple)]
    t.is_(bodies, [b'Subject: arrived meanwhile\r\n\r\nhello\r\n'], 'the arrived message is intact and alone')

# 4. hostile manifests: exit 65, FILE:LINE, nothing touched
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'good.tsv')
    mapnames(cy, manifest)
    with open(manifest) as f:
        lines = f.read().split('\n')
    rows = [i for i, l in enumerate(lines) if '\tfolder\t' in l or '\tinbox\t' in l]
    k = [i for i in rows if lines[i].startswith(victim + '\t')][0]
    f0 = lines[k].split('\t')
    cases = {
        'newline in a name': (k, '\t'.join([f0[0], f0[1] + '\\nx'] + f0[2:])),
        'a duplicated row': (k, lines[k] + '\n' + lines[k]),
        "a mailbox of another user": (k, '\t'.join([f0[0], cy.user_mailbox(other, 'x')] + f0[2:])),
        'a control character': (k, '\t'.join([f0[0], f0[1] + '\\x01'] + f0[2:])),
        'a name Cyrus refuses': (k, '\t'.join([f0[0], f0[1] + '%'] + f0[2:])),
        'one source twice': (k, lines[k] + '\n' + '\t'.join([f0[0], f0[1] + 'copy'] + f0[2:])),
    }
    for label, (at, replacement) in cases.items():
        bad = os.path.join(TMP, 'bad.tsv')
        new = lines[:at] + [replacement] + lines[at + 1:]
        with open(bad, 'w') as f:
            f.write('\n'.join(new))
        shutil.rmtree(bad + '.state', ignore_errors=True)
        p = convert(cy, bad)
        err = p.stderr.decode(errors='replace')
        line_no = at + 1 + (1 if label in ('a duplicated row', 'one source twice') else 0)
        t.is_(p.returncode, 65, '%s: exit 65' % label)
        t.ok('%s:%d:' % (bad, line_no) in err, '%s: the error names %s:%d' % (label, bad, line_no), err)
        t.ok(not os.path.exists(bad + '.state'), '%s: no journal written' % label)
    admin = cy.admin()
    typ, data = admin.list('""', '*')
    admin.logout()
    t.is_([d for d in data if d], [], 'hostile manifests: Cyrus holds no mailbox at all')

    # a wrong admin password: the run stops at the first refusal (each costs Cyrus's 3 s)
    wrong = os.path.join(TMP, 'wrong-password')
    with open(wrong, 'w') as f:
        f.write('not the password\n')
    p = subprocess.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--cyrus-conf',
                        cy.conf, '--port', str(cy.port), '--password-file', wrong, '--jobs', '1'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 78, 'a wrong admin password: exit 78 (configuration)')
    t.ok(err.count('the run stops') == 1 and '0 users converted' in err and '3 not started' in err,
         'one login refused, then no more tries; every user reported not started', err[-800:])
    shutil.rmtree(manifest + '.state', ignore_errors=True)

    # a damaged journal: exit 65 naming the journal's FILE:LINE; that user untouched, others go on
    p = convert(cy, manifest, '--user', other)
    t.is_(p.returncode, 0, 'a first run for one user')
    journal = os.path.join(manifest + '.state', other + '.journal')
    with open(journal, 'rb') as f:
        good = f.read()
    with open(journal, 'wb') as f:
        f.write(good + b'delivered\tuser.x\tfiles=nonsense\n' + b'delivered user.y\n')
    n_lines = good.count(b'\n')
    p = convert(cy, manifest)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 65, 'a damaged journal: exit 65')
    t.ok('%s:%d: damaged journal line' % (journal, n_lines + 2) in err,
         'the error names the journal file and line', err[-800:])
    t.is_(site.check(cy, [victim, third])[:4], [], 'the other users converted all the same')

# 5. a full disk: temporary and run-wide -- exit 75, the users not started say so, and
#    the rerun after room is made finishes with everything there exactly once
tiny = os.path.join(TMP, 'tiny')
os.makedirs(tiny)
if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=400k,mode=0755', 'tmpfs', tiny]).returncode != 0:
    t.skip('full disk', 'cannot mount a tmpfs here')
else:
    atexit.register(lambda: subprocess.run(['umount', '-l', tiny]))
    cyrus = pwd.getpwnam('cyrus')
    os.chown(tiny, cyrus.pw_uid, cyrus.pw_gid)
    big = os.path.join(home, 'Mail', 'big')
    with open(big, 'wb') as f:
        for k in range(3):
            f.write(b'From big@example.org Mon Jan  1 10:00:0%d 2001\nSubject: big %d\n\n' % (k, k))
            f.write((b'x' * 76 + b'\n') * 2600 + b'\n')
    os.chown(big, vpw.pw_uid, vpw.pw_gid)
    os.chmod(big, 0o600)
    with t.Cyrus(extra_conf='partition-tiny: %s' % tiny) as cy:
        manifest = os.path.join(TMP, 'full.tsv')
        mapnames(cy, manifest)
        rep = os.path.join(TMP, 'full.json')
        p = convert(cy, manifest, '--partition', 'tiny', '--jobs', '1', '--report', rep)
        err = p.stderr.decode(errors='replace')
        t.is_(p.returncode, 75, 'the disk fills: exit 75 (temporary, safe to rerun)')
        t.ok('No space left on device' in err and 'safe to rerun' in err,
             'the failure is named, and said to be temporary', err[-1500:])
        users = {u['user']: u['status'] for u in json.load(open(rep))['users']}
        t.ok(list(users.values()).count('not started') >= 1 and 'done' not in users.values(),
             'the run stopped: later users not started, none reported done', users)
        subprocess.run(['mount', '-o', 'remount,size=64m', tiny], check=True)
        p = convert(cy, manifest, '--partition', 'tiny', '--jobs', '1')
        t.ok(p.returncode == 0, 'room made: the rerun finishes, exit 0', p.stderr.decode(errors='replace')[-1500:])
        t.is_(site.check(cy)[:6], [], 'every message once, with flags, dates and subscriptions')
        imap = cy.as_user(victim)
        typ, data = imap.select('"%s"' % site.personal('big', cy.sep), readonly=True)
        t.is_(data, [b'3'], 'the big folder: all three messages')
        imap.logout()
    os.unlink(big)

# 6. a source that changes between an interrupted delivery and the rerun: the part
#    already stored stands for the old file, so the rerun must not call it converted
chg = os.path.join(home, 'Mail', 'chg')
chg_msgs = [b'From m%d@example.org Mon Jan  1 10:00:%02d 2001\nSubject: chg %d\n\nbody %d\n\n' % (k, k, k, k)
            for k in range(1, 11)]
with open(chg, 'wb') as f:
    f.write(b''.join(chg_msgs))
os.chown(chg, vpw.pw_uid, vpw.pw_gid)
os.chmod(chg, 0o600)
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'chg.tsv')
    mapnames(cy, manifest)
    before = 0                  # message files written before chg's, in manifest order
    for line in open(manifest).read().split('\n'):
        f = line.split('\t')
        if len(f) < 4 or f[0] != victim or f[3] not in ('inbox', 'folder'):
            continue
        if f[2] == chg:
            break
        folder = None if f[3] == 'inbox' else os.path.relpath(f[2], os.path.join(home, 'Mail'))
        before += len(site.expected[(victim, folder)])
    p = convert(cy, manifest, '--user', victim, '--jobs', '1', fault='write:%d' % (before + 3))
    t.is_(p.returncode, -signal.SIGKILL, 'killed after three messages of "chg" were written')
    with open(chg, 'wb') as f:          # the user's mail client deletes message 2
        f.write(b''.join(chg_msgs[:1] + chg_msgs[2:]))
    rep = os.path.join(TMP, 'chg.json')
    p = convert(cy, manifest, '--user', victim, '--report', rep)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 1, 'the rerun: the changed source fails (exit 1)')
    t.ok(any(chg in l and 'changed since an earlier run' in l for l in err.splitlines()),
         'the changed source is named, with what changed', err[-1500:])
    mbs = [m for u in json.load(open(rep))['users'] for m in u['mailboxes'] if m['source'] == chg]
    t.is_([m['status'] for m in mbs], ['failed'], 'the report: "chg" failed, not done')
    with open(chg, 'wb') as f:          # put back as it was
        f.write(b''.join(chg_msgs))
    os.utime(chg, ns=(0, 0))
    p = convert(cy, manifest, '--user', victim)
    t.is_(p.returncode, 1, 'back with other times: still not the file delivery began on (exit 1)')
    # the remedy the message gives: the mailbox's and the source's lines out of the journal
    jpath = os.path.join(manifest + '.state', victim + '.journal')
    mbname = cy.user_mailbox(victim, 'chg')
    with open(jpath) as f:
        kept = [l for l in f if l.split('\t')[1] != mbname and not l.split('\t')[1].startswith(mbname + '\\t')]
    with open(jpath, 'w') as f:
        f.write(''.join(kept))
    admin = cy.admin()
    admin.setacl(cy.user_mailbox(victim, 'chg'), cy.admin_user, 'lrswipkxtecda')
    t.is_(admin.delete(cy.user_mailbox(victim, 'chg'))[0], 'OK', 'the admin removes the mailbox')
    admin.logout()
    p = convert(cy, manifest, '--user', victim)
    t.ok(p.returncode == 0, "mailbox and the source's journal lines removed: the rerun does it all, exit 0",
         p.stderr.decode(errors='replace')[-1500:])
    imap = cy.as_user(victim)
    typ, data = imap.select('"%s"' % site.personal('chg', cy.sep), readonly=True)
    typ, data = imap.uid('FETCH', '1:*', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
    subjects = [item[1].strip() for item in data if isinstance(item, tuple)]
    imap.logout()
    t.is_(subjects, [b'Subject: chg %d' % k for k in range(1, 11)], '"chg": the ten messages, once each, in order')
os.unlink(chg)

# 7. a server that drops the connection: temporary (75), the summary and the report
#    are still written (no death by SIGPIPE)
import socket, threading
lsock = socket.socket()
lsock.bind(('127.0.0.1', 0))
lsock.listen(8)
def drop_after_login():
    while True:
        try:
            c, _ = lsock.accept()
        except OSError:
            return
        c.sendall(b'* OK fake\r\n')
        data = b''
        while b'\r\n' not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        tag = data.split(b' ')[0]
        c.sendall(tag + b' OK logged in\r\n')
        c.shutdown(socket.SHUT_RDWR)
        c.close()
threading.Thread(target=drop_after_login, daemon=True).start()
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'drop.tsv')
    mapnames(cy, manifest)
    rep = os.path.join(TMP, 'drop.json')
    p = subprocess.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest, '--cyrus-conf',
                        cy.conf, '--port', str(lsock.getsockname()[1]), '--password-file',
                        cy.password_file, '--jobs', '1', '--report', rep],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode(errors='replace')
    t.is_(p.returncode, 75, 'the connection dropped: exit 75 (temporary, safe to rerun)')
    t.ok('done: 0 users converted' in err and 'safe to rerun' in err, 'the summary says so', err[-1200:])
    statuses = [u['status'] for u in json.load(open(rep))['users']] if os.path.exists(rep) else None
    t.is_(statuses, ['failed'] * len(site.users), 'the report is written: every user failed, none done')
    mb_status = {m['status'] for u in json.load(open(rep))['users'] for m in u['mailboxes']}
    t.ok('done' not in mb_status, 'no mailbox of the report says "done"', mb_status)
lsock.close()

# 8. a source that was not an mbox when first read, fixed afterwards: the first try
#    stored nothing, so the fixed file (another size and time) is read, not refused
with t.Cyrus() as cy:
    manifest = os.path.join(TMP, 'notmbox.tsv')
    mapnames(cy, manifest)
    path = os.path.join(site.spool, third)
    with open(path, 'rb') as f:
        good = f.read()
    with open(path, 'wb') as f:
        f.write(b'this is not an mbox any more\n')
    p = convert(cy, manifest, '--user', third)
    err = p.stderr.decode(errors='replace')
    t.ok(p.returncode == 1 and any(path in l and 'not an mbox' in l for l in err.splitlines()),
         'not an mbox: exit 1, the file named with the reason', err[-800:])
    with open(path, 'wb') as f:
        f.write(good)
    p = convert(cy, manifest, '--user', third)
    t.ok(p.returncode == 0, 'fixed: the rerun converts it, exit 0', p.stderr.decode(errors='replace')[-1200:])
    t.is_(site.check(cy, [third])[:4], [], 'every message of the user, exactly')
t.done()
