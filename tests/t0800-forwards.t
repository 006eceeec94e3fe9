#!/usr/bin/env python3
# mbox2cyrus forwards as root over real system users (useradd, homes in a temp dir):
# a .forward that is a symbolic link to a root-only file, a FIFO (never opened: the
# run must not hang), a 1 MB file, one its user cannot read -- each left out with a
# reason -- and the three formats end to end with --report; every Sieve script
# written compiles with Cyrus's own sievec.
import json, os, pwd, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
TAG = 'm2f%d' % (os.getpid() % 100000)
NAMES = ['ann', 'link', 'fifo', 'big', 'shut', 'none']
USERS = {n: TAG + n for n in NAMES}
TMP = tempfile.mkdtemp(prefix='m2c-fwd.')
os.chmod(TMP, 0o755)
HOMES = os.path.join(TMP, 'home')
os.makedirs(HOMES, mode=0o755)
made = []


def cleanup():
    for u in made:
        subprocess.run(['userdel', u], capture_output=True)
    shutil.rmtree(TMP, ignore_errors=True)


try:
    for n, u in USERS.items():
        home = os.path.join(HOMES, u)
        p = subprocess.run(['useradd', '-M', '-N', '-d', home, '-s', '/usr/sbin/nologin', u],
                           capture_output=True)
        if p.returncode != 0:
            t.skip_all('useradd: %s' % p.stderr.decode().strip())
        made.append(u)
        os.makedirs(home)
        pw = pwd.getpwnam(u)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        os.chmod(home, 0o755)

    def put(name, data, mode=0o644):
        u = USERS[name]
        path = os.path.join(HOMES, u, '.forward')
        with open(path, 'wb') as f:
            f.write(data)
        pw = pwd.getpwnam(u)
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, mode)

    ann = USERS['ann']
    put('ann', ('# ann\nbob@example.org, \\%s\n"john doe"@example.org\n|/usr/bin/procmail\n'
                'j\xf6rg@example.org\n' % ann).encode('latin-1'))
    secret = os.path.join(TMP, 'root-only')
    with open(secret, 'w') as f:
        f.write('root@example.org\n')
    os.chmod(secret, 0o600)
    os.symlink(secret, os.path.join(HOMES, USERS['link'], '.forward'))
    os.mkfifo(os.path.join(HOMES, USERS['fifo'], '.forward'))
    put('big', b'bob@example.org\n' * 65536)
    put('shut', b'bob@example.org\n', mode=0o000)

    users_file = os.path.join(TMP, 'users')
    with open(users_file, 'w') as f:
        f.write('\n'.join(USERS[n] for n in NAMES) + '\n')

    def forwards(fmt):
        out = os.path.join(TMP, 'out-' + fmt)
        rep = os.path.join(TMP, fmt + '.json')
        p = t.run([t.BIN, 'forwards', '--users', users_file, '--home-template',
                   os.path.join(HOMES, '%u'), '--format', fmt, '-o', out, '--report', rep],
                  timeout=60)
        with open(rep) as f:
            return p, out, json.load(f)

    for fmt in ('aliases', 'qmail', 'sieve'):
        p, out, rep = forwards(fmt)
        t.is_(p.returncode, 1, '%s: exit 1, something left out' % fmt, p.stderr.decode())
        by_user = {u['user']: u for u in rep['users']}
        a = by_user[ann]
        t.is_(sorted((e['kind'], e['text']) for e in a['exported']),
              sorted([('address', 'bob@example.org'), ('address', '"john doe"@example.org'),
                      ('local_copy', ann)]), '%s: ann exported' % fmt)
        t.is_(sorted((e['kind'], e.get('reason')) for e in a['left_out']),
              sorted([('pipe', 'a pipe: Cyrus runs no commands'), ('bad', '8-bit bytes')]),
              '%s: ann left out' % fmt)
        for n, word in (('link', 'symbolic link'), ('fifo', 'FIFO'), ('big', 'too big'),
                        ('shut', 'could not read')):
            left = by_user[USERS[n]]['left_out']
            t.ok(len(left) == 1 and word in left[0]['reason'] and not by_user[USERS[n]]['exported'],
                 '%s: %s refused (%s)' % (fmt, n, word), repr(left))
        t.is_(by_user[USERS['none']]['found'], False, '%s: no .forward, nothing' % fmt)
        stdout = p.stdout.decode()
        t.ok('%s: exported 3, left out 2' % ann in stdout, '%s: summary line' % fmt, stdout)
        if fmt == 'aliases':
            with open(out) as f:
                text = f.read()
            t.is_(text.splitlines()[1], '%s: bob@example.org, "john doe"@example.org, \\%s' % (ann, ann),
                  'aliases line')
        elif fmt == 'qmail':
            with open(os.path.join(out, '.qmail-' + ann)) as f:
                text = f.read()
            t.is_(text, '&bob@example.org\n&"john doe"@example.org\n|preline -f \'%s\' \'%s\'\n'
                  % (os.path.join(out, 'cyrus-deliver-qmail'), ann), '.qmail file')
            t.ok(os.access(os.path.join(out, 'cyrus-deliver-qmail'), os.X_OK), 'wrapper executable')
            t.is_(sorted(os.listdir(out)), sorted(['.qmail-' + ann, 'cyrus-deliver-qmail']),
                  'qmail: only ann has a file')
        else:
            sievec = '/usr/lib/cyrus/bin/sievec'
            conf = os.path.join(TMP, 'imapd.conf')
            with open(conf, 'w') as f:
                f.write('configdirectory: %s/conf\npartition-default: %s/part\nsievedir: %s/sieve\n'
                        % (TMP, TMP, TMP))
            scripts = os.listdir(out)
            t.is_(scripts, [ann + '.sieve'], 'sieve: only ann has a script')
            for s in scripts:
                if not os.access(sievec, os.X_OK):
                    t.skip('sievec compiles %s' % s, 'no %s' % sievec)
                    continue
                c = t.run([sievec, '-C', conf, os.path.join(out, s), os.path.join(TMP, s + '.bc')],
                          timeout=60)
                t.is_(c.returncode, 0, 'sievec compiles %s' % s, c.stdout.decode() + c.stderr.decode())
finally:
    cleanup()
t.done()
