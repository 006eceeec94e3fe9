# a message expunged between the listing and the fetch (--from imap), in --merge and --into
from base import *
env = Env('rvi')
def expunge_subject(cy, u, subj):
    imap = cy.as_user(u); imap.select('INBOX')
    typ, d = imap.uid('SEARCH', None, 'SUBJECT', '"%s"' % subj)
    for uid in d[0].split(): imap.uid('STORE', uid, '+FLAGS', '(\\Deleted)')
    imap.expunge(); imap.logout()
    return d[0]
with t.Cyrus() as cy:
    a = env.user('a')
    old = msg(1) + msg(2) + msg(3)
    env.write(a, env.inbox(a), old)
    env.mapnames(cy, [a]); env.convert(cy)
    for k in range(3):
        append(cy, a, b'From: late@y\r\nSubject: late%d\r\n\r\nlate %d\r\n' % (k, k))
    for victim, mode in (('late0', '--merge'), ('late1', '--into')):
        extra = [mode] + ([env.tmp + '/into'] if mode == '--into' else [])
        # slow the lock's flock(2) down: the listing is done, the bodies not fetched yet
        cmd = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'inject=flock,openat:delay_exit=20000',
               BIN, 'backout', '--manifest', env.manifest] + sargs(cy) + ['--source-tz', 'UTC', '--report', env.tmp + '/r.json'] + extra
        if mode == '--into':
            cmd[6] = 'inject=mkdirat:delay_exit=1500000'
        else:
            cmd[6] = 'inject=flock:delay_exit=1500000'
        bo = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.8)
        print('expunged', victim, expunge_subject(cy, a, victim))
        o, e = bo.communicate()
        print(mode, 'rc', bo.returncode, o.decode(), e.decode()[-600:])
        f = env.inbox(a) if mode == '--merge' else env.tmp + '/into' + env.inbox(a)
        data = read(f)
        print('  file subjects:', re.findall(rb'Subject: (.*)', data))
        print('  old content kept:', data.startswith(old))
        print('  cyrus now:', [re.search(rb'Subject: (.*)\r', b).group(1) for _, b, _ in cyrus_msgs(cy, a)])
        print('  report:', json.load(open(env.tmp + '/r.json'))['users'])
