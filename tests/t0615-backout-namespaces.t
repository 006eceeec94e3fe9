#!/usr/bin/env python3
# verify and backout on the other namings a Cyrus 3.6 site may use: the '/'
# hierarchy separator (unixhierarchysep: yes) with altnamespace, and '.' with
# altnamespace.  A small generated site is converted (spool), verified (no
# difference), backed out over IMAP and from the spool with imapd down; each rebuilt
# file is checked against the messages the site was made of (tests/lib/mboxparse.py,
# never the project's reader).
import datetime, os, pwd, shutil, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mailsite as gen
import mboxparse

UTC = datetime.timezone.utc
TMP = tempfile.mkdtemp(prefix='m2c-bns.', dir='/tmp')
os.chmod(TMP, 0o755)
site = gen.Site(TMP, 4, 'm2n%d' % (os.getpid() % 10000), seed=20241201)
import atexit
atexit.register(lambda: (site.remove(), shutil.rmtree(TMP, ignore_errors=True)))


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def check(into):
    problems, n = [], 0
    for (user, folder), want in sorted(site.expected.items(), key=lambda k: (k[0][0], k[0][1] or '')):
        home = pwd.getpwnam(user).pw_dir
        src = os.path.join(site.spool, user) if folder is None else os.path.join(home, 'Mail', folder)
        if not os.path.exists(into + src):
            problems.append('%s: not written' % src)
            continue
        _, msgs = mboxparse.parse(read(into + src), UTC)
        got = [(m['content'], m['flags'], m['epoch']) for m in msgs]
        exp = [(w.expected().replace(b'\r\n', b'\n'), w.flags(), w.epoch) for w in want]
        n += len(msgs)
        if got != exp:
            problems.append('%s: %d messages, not the %d of the source' % (src, len(got), len(exp)))
    return problems, n


for label, knobs in (("'/' separator, altnamespace", dict(unixhiersep=True, altnamespace=True)),
                     ("'.' separator, altnamespace", dict(altnamespace=True))):
    with t.Cyrus(**knobs) as cy:
        server = ['--cyrus-conf', cy.conf, '--port', str(cy.port), '--password-file', cy.password_file]
        manifest = os.path.join(TMP, 'm-%d.tsv' % cy.port)
        p = t.run([t.BIN, 'mapnames', '--spool-dir', site.spool, '--cyrus-conf', cy.conf,
                   '-o', manifest] + site.users)
        t.is_(p.returncode, 0, '%s: mapnames' % label)
        p = t.run([t.BIN, 'convert', '--method', 'spool', '--manifest', manifest] + server)
        t.is_(p.returncode, 0, '%s: convert' % label, p.stderr.decode(errors='replace')[-800:])
        p = t.run([t.BIN, 'verify', '--manifest', manifest] + server)
        t.is_(p.returncode, 0, '%s: verify finds no difference' % label,
              p.stderr.decode(errors='replace')[-800:])
        into = os.path.join(TMP, 'imap-%d' % cy.port)
        p = t.run([t.BIN, 'backout', '--manifest', manifest, '--into', into, '--source-tz', 'UTC'] + server)
        problems, n = check(into)
        t.ok(p.returncode == 0 and not problems and n == site.messages(),
             '%s: backout --from imap rebuilds all %d messages' % (label, site.messages()),
             p.stderr.decode(errors='replace')[-800:], *problems[:5])
        cy.stop_master()
        into = os.path.join(TMP, 'spool-%d' % cy.port)
        p = t.run([t.BIN, 'backout', '--manifest', manifest, '--cyrus-conf', cy.conf, '--from', 'spool',
                   '--into', into, '--source-tz', 'UTC'])
        problems, n = check(into)
        t.ok(p.returncode == 0 and not problems and n == site.messages(),
             '%s: backout --from spool, imapd down, rebuilds all %d messages' % (label, site.messages()),
             p.stderr.decode(errors='replace')[-800:], *problems[:5])

t.done()
