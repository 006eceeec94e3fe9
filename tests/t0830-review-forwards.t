#!/usr/bin/env python3
# Review of `mbox2cyrus forwards` (issue 11), hostile inputs end to end (as root, homes
# from --home-template, --no-owner-check: no system users needed):
#  - a .forward smuggling a pipe or file through an address form never reaches the
#    aliases file as a program or file delivery;
#  - a user name that would break an aliases line ("x: \"|cmd\"") is left out, with
#    its reason, never written as an alias key;
#  - the qmail wrapper maps each exit code of a fake deliver as qmail-local needs.
import json, os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
TMP = tempfile.mkdtemp(prefix='m2c-rvfwd.')
try:
    def home(name, forward):
        h = os.path.join(TMP, 'home', name)
        os.makedirs(h, exist_ok=True)
        with open(os.path.join(h, '.forward'), 'wb') as f:
            f.write(forward)
        return h

    def forwards(fmt, users, *extra, as_args=False):
        # as_args: the users as arguments (a users file line is "user [backend]": a
        # name with a blank can only come as an argument)
        out = os.path.join(TMP, 'out-%s-%d' % (fmt, len(os.listdir(TMP))))
        rep = out + '.json'
        uf = out + '.users'
        with open(uf, 'w') as f:
            f.write('' if as_args else ''.join(u + '\n' for u in users))
        p = t.run([t.BIN, 'forwards', '--users', uf, '--home-template',
                   os.path.join(TMP, 'home', '%u'), '--no-owner-check', '--format', fmt,
                   '-o', out, '--report', rep] + list(extra) + (list(users) if as_args else []),
                  timeout=60)
        with open(rep) as f:
            return p, out, json.load(f)

    # 1. smuggled pipes and files
    home('mallory', b'<|/tmp/evil>, \\|/tmp/evil2 \\/etc/passwd\n'
                    b'"|/tmp/evil3"@localhost </tmp/f@localhost> ":include:/etc/x"@localhost\n'
                    b'bob@example.org\n')
    p, out, rep = forwards('aliases', ['mallory'])
    with open(out) as f:
        text = f.read()
    t.is_(p.returncode, 1, 'smuggled: exit 1', p.stdout.decode(), p.stderr.decode())
    t.is_(text.splitlines()[1:], ['mallory: bob@example.org'],
          'smuggled: only the real address in aliases', text)
    u = rep['users'][0]
    t.is_(len(u['left_out']), 6, 'smuggled: six entries left out with a reason',
          json.dumps(u, indent=1))
    t.ok(all('reason' in e for e in u['left_out']), 'smuggled: each with its reason')

    # 2. a user name that is no alias name
    evil = 'x: "|evil"'
    home(evil, b'bob@example.org\n')
    home('plain', b'bob@example.org\n')
    p, out, rep = forwards('aliases', [evil, 'plain'], as_args=True)
    with open(out) as f:
        text = f.read()
    t.ok('|' not in text, 'odd user name: no pipe in aliases', text)
    t.is_(text.splitlines()[1:], ['plain: bob@example.org'], 'odd user name: not an alias key',
          text)
    t.is_(p.returncode, 1, 'odd user name: exit 1, reported', p.stdout.decode())
    home('a b', b'bob@example.org\n')
    home('c,d', b'bob@example.org\n')
    p, out, rep = forwards('aliases', ['a b', 'c,d', 'plain'], as_args=True)
    with open(out) as f:
        text = f.read()
    t.is_(text.splitlines()[1:], ['plain: bob@example.org'], 'names with a space or a comma are no alias keys', text)
    by = {u['user']: u for u in rep['users']}
    t.ok(by['a b']['left_out'] and by['a b']['left_out'][0].get('reason'),
         '"a b" left out with a reason', json.dumps(rep))

    # 3. the qmail wrapper's exit mapping, with a fake deliver
    home('carol', b'bob@example.org, \\carol\n')
    bindir = os.path.join(TMP, 'bin')
    os.makedirs(bindir)
    p, out, rep = forwards('qmail', ['carol'], '--cyrus-bin', bindir)
    t.is_(p.returncode, 0, 'qmail: exit 0', p.stderr.decode())
    wrapper = os.path.join(out, 'cyrus-deliver-qmail')
    hard = {64, 65, 67, 70, 76, 77, 78, 100, 112}
    for code in [0, 1, 64, 65, 66, 67, 68, 69, 70, 73, 74, 75, 76, 77, 78, 99, 100, 111, 112, 137]:
        with open(os.path.join(bindir, 'deliver'), 'w') as f:
            f.write('#!/bin/sh\n[ "$1 $2 $3" = "-a carol carol" ] || exit 3\ncat >/dev/null\n'
                    'exit %d\n' % code)
        os.chmod(os.path.join(bindir, 'deliver'), 0o755)
        r = subprocess.run([wrapper, 'carol'], input=b'Subject: x\n\nhi\n', capture_output=True)
        want = 0 if code == 0 else 100 if code in hard else 111
        t.is_(r.returncode, want, 'wrapper: deliver %d -> %d' % (code, want))
finally:
    shutil.rmtree(TMP, ignore_errors=True)
t.done()
