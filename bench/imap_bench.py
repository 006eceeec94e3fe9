#!/usr/bin/env python3
"""imap_bench.py -- mbox2cyrus convert --method imap, with 1 and with N connections
(--jobs), against two baselines run on the same generated folders into the same Cyrus
in the same run (issue: imap_vs_sequential >= 5, imap_vs_mailutil >= 1.5):

  (a) python3 imaplib, one connection, TCP_NODELAY on its socket, logged in as each
      user through the admin (SASL PLAIN with authzid), one APPEND at a time with the
      message's flags and INTERNALDATE (the mbox read by tests/lib/mboxparse.py, the
      independent parser, outside the timing: only the IMAP work is timed);
  (b) UW `mailutil append` (Debian's uw-mailutils), one run per mailbox (a
      MULTIAPPEND), with TCP_NODELAY forced by bench/nodelay-shim.c through LD_PRELOAD:
      stock c-client waits on Nagle + delayed ACK for every message (DESIGN.md: about
      23 msgs/s).  Its stock figure is taken on a sample beside the shim's, which shows
      the shim's effect; the shim logs each socket it set, and that is checked.

Every contender appends into mailboxes of its own users (fresh, empty), `os.sync()`
first; afterwards each mailbox is checked through imaplib (messages, and how many are
\\Seen) against the source: a run that did not store everything is an error, not a
figure.  Beside each figure: the server's CPU per message (utime+stime of master and
its children, reaped ones included through master's cutime/cstime, from /proc) and
the client's.  The same run can take 1x or 4x as long: the machine is shared, and
Cyrus's first runs after many files were removed (the previous bench's Cyrus dir, other
checkouts' tests) spend twice the server CPU in the kernel (perf: ext4_new_inode's
find_inode_bit/recently_deleted, which pass over inodes freed in the last minutes).
So every contender runs M2C_BENCH_IMAP_ROUNDS times (3), interleaved, and its best run
counts.

Site: the first M2C_BENCH_IMAP_USERS users (8; all of them when the site has fewer)
of the one generated site (bench.site(): BENCH_SCALE, M2C_BENCH_USERS,
M2C_BENCH_SITE_MB; sizes like real mail), each with an INBOX and two folders
(Mail/archive, Mail/sent-mail), linked under bench/data/imap-SITE-Ku with the counts
mboxparse reads.  N is M2C_BENCH_IMAP_JOBS (4).  The convert runs' peak RSS comes from
GNU time's %M.

Until `convert --method imap` exists the project's runs print "not available" and the
entries keep the baselines, with value and ratio null.  Needs root (a throwaway Cyrus;
mailutil reads the password on stdin only without a terminal).
"""
import json, os, re, resource, shutil, socket, subprocess, sys, tempfile, time
import imaplib
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
sys.path.insert(0, os.path.join(bench.ROOT, 'tests', 'lib'))

if os.geteuid() != 0:
    print('imap bench: needs root (it starts a throwaway Cyrus); skipped')
    sys.exit(0)
import m2ctest as t
import mboxparse

USERS_N = bench.imap_users()
JOBS = int(os.environ.get('M2C_BENCH_IMAP_JOBS', '4'))
ROUNDS = int(os.environ.get('M2C_BENCH_IMAP_ROUNDS', '3'))
SAMPLE = 50                 # messages in the mailutil stock-vs-shim sample
TARGET_SEQUENTIAL = 5.0
TARGET_MAILUTIL = 1.5
# (the source file under a user's directory in the site, the folder as the user names it,
# where bench.site() keeps that file)
FOLDERS = (('INBOX', None), ('archive', 'archive'), ('sent-mail', 'sent-mail'))
SITE_PATHS = {'INBOX': 'spool/%s', 'archive': 'home/%s/Mail/archive',
              'sent-mail': 'home/%s/Mail/sent-mail'}
MAILUTIL = shutil.which('mailutil')
NOT_BUILT = re.compile(r'unknown method|not built|must be spool')
CORES = os.cpu_count() or 1


def make_site():
    """The source folders, made once: DIR/uI/INBOX, DIR/uI/archive and DIR/uI/sent-mail
    (symbolic links into bench.site()'s site), DIR/sample (the first SAMPLE messages of
    u0's INBOX), and DIR/counts.json {"uI/BOX" or "sample": {"messages", "seen",
    "bytes"}} as mboxparse reads them.  Returns (dir, counts)."""
    shared, shared_users = bench.site()
    site = os.path.join(bench.DATA, 'imap-%s-%du' % (os.path.basename(shared), USERS_N))
    done = os.path.join(site, 'counts.json')
    if os.path.exists(done):
        with open(done) as f:
            return site, json.load(f)
    shutil.rmtree(site, ignore_errors=True)
    counts = {}

    def count(name):
        path = os.path.join(site, name)
        msgs = read_mbox(path)
        counts[name] = {'messages': len(msgs), 'bytes': os.path.getsize(path),
                        'seen': sum('\\Seen' in m['flags'] for m in msgs)}

    for i in range(USERS_N):
        os.makedirs(os.path.join(site, 'u%d' % i))
        for src, _ in FOLDERS:
            os.symlink(os.path.join(shared, SITE_PATHS[src] % shared_users[i]),
                       os.path.join(site, 'u%d' % i, src))
            count('u%d/%s' % (i, src))
    with open(os.path.join(site, 'u0', 'INBOX'), 'rb') as f:
        chunks = mboxparse.split(f.read(), strict=False, valid_only=True)[:SAMPLE]
    with open(os.path.join(site, 'sample'), 'wb') as f:
        f.write(b'\n'.join(l for c in chunks for l in c) + b'\n')
    count('sample')
    with open(done + '.tmp', 'w') as f:
        json.dump(counts, f, indent=1)
    os.rename(done + '.tmp', done)
    return site, counts


def read_mbox(path):
    """mboxparse's messages of one file (content with LF, flags, epoch of the From_
    line read as UTC)."""
    with open(path, 'rb') as f:
        return mboxparse.parse(f.read(), tz=None, strict=False, valid_only=True)[1]


def server_cpu(cy):
    """(user, system) seconds of CPU used so far by this Cyrus: master and every process
    under it whose command line names its directory (utime, stime, plus cutime, cstime:
    what the children that have exited and were reaped used)."""
    procs = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % pid) as f:
                stat = f.read()
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmdline = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()        # fields[0] is stat's 3rd: state
        procs[int(pid)] = (int(fields[1]), int(fields[11]) + int(fields[13]),
                           int(fields[12]) + int(fields[14]), cmdline)
    user = system = 0
    for pid, (_, utime, stime, cmdline) in procs.items():
        if (cy.dir + '/').encode() not in cmdline:
            continue
        up = pid
        while up not in (cy.master_pid, 0, 1) and up in procs:
            up = procs[up][0]
        if up == cy.master_pid:
            user += utime
            system += stime
    tick = os.sysconf('SC_CLK_TCK')
    return user / tick, system / tick


def cpu_since(sample, cy):
    """(user, system) seconds of server CPU since server_cpu()'s `sample`."""
    now = server_cpu(cy)
    return now[0] - sample[0], now[1] - sample[1]


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Run:
    """One contender's timed run: wall seconds, messages, source bytes, server CPU
    (user, system) and client CPU seconds.  `available` False: the project's method is
    not built yet (`why` says what it answered)."""

    def __init__(self, label, wall=0.0, messages=0, bytes_=0, server=(0.0, 0.0), client=0.0,
                 available=True, why='', rss_kib=None):
        self.label, self.wall, self.messages, self.bytes = label, wall, messages, bytes_
        self.rss_kib = rss_kib
        self.server, self.server_sys = server[0] + server[1], server[1]
        self.client, self.available, self.why = client, available, why

    def rate(self):
        return self.messages / self.wall

    def mb_s(self):
        return self.bytes / 1e6 / self.wall

    def server_ms(self):
        return 1000 * self.server / self.messages

    def client_ms(self):
        return 1000 * self.client / self.messages


def user_names(tag):
    return ['%su%02d' % (tag, i) for i in range(USERS_N)]


def create_mailboxes(cy, users):
    """The baselines' mailboxes, made by the admin before their timing (the project's
    runs create theirs inside it: 2 CREATEs a user, a few ms each)."""
    imap = cy.admin()
    for user in users:
        for _, folder in FOLDERS:
            name = cy.user_mailbox(user, *([folder] if folder else []))
            typ, data = imap.create(name)
            if typ != 'OK':
                raise RuntimeError('CREATE %s: %s' % (name, data))
    imap.logout()


def personal(cy, folder):
    return 'INBOX' if folder is None else 'INBOX' + cy.sep + folder


def check(cy, label, expected):
    """expected: {(user, folder or None): counts entry}.  Raise unless every mailbox
    holds that many messages, that many of them \\Seen."""
    problems = []
    for user in sorted({u for u, _ in expected}):
        imap = cy.as_user(user)
        for (u, folder), want in sorted(expected.items(), key=lambda kv: (kv[0][0], kv[0][1] or '')):
            if u != user:
                continue
            name = personal(cy, folder)
            typ, data = imap.select(name, readonly=True)
            if typ != 'OK':
                problems.append('%s %s: SELECT: %s' % (user, name, data))
                continue
            got = int(data[0])
            typ, data = imap.search(None, 'SEEN')
            seen = len(data[0].split()) if typ == 'OK' and data[0] else 0
            if got != want['messages'] or seen != want['seen']:
                problems.append('%s %s: %d messages, %d \\Seen; expected %d, %d'
                                % (user, name, got, seen, want['messages'], want['seen']))
        imap.logout()
    if problems:
        raise RuntimeError('%s: the server does not hold what was sent:\n  %s'
                           % (label, '\n  '.join(problems)))


def expected_for(users, counts):
    return {(user, folder): counts['u%d/%s' % (i, src)]
            for i, user in enumerate(users) for src, folder in FOLDERS}


def run_imaplib(cy, site, counts, tag):
    """Baseline (a).  Parsing is outside the timing; login, APPENDs and logout in it."""
    users = user_names(tag)
    create_mailboxes(cy, users)
    os.sync()
    wall = client = 0.0
    messages = bytes_ = 0
    s0 = server_cpu(cy)
    for i, user in enumerate(users):
        t0, c0 = time.monotonic(), self_cpu()
        imap = imaplib.IMAP4(cy.host, cy.port)
        imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        token = ('%s\0%s\0%s' % (user, cy.admin_user, cy.admin_password)).encode()
        imap.authenticate('PLAIN', lambda _: token)
        for src, folder in FOLDERS:
            wall += time.monotonic() - t0
            client += self_cpu() - c0
            path = os.path.join(site, 'u%d' % i, src)
            msgs = read_mbox(path)
            bytes_ += os.path.getsize(path)
            t0, c0 = time.monotonic(), self_cpu()
            box = personal(cy, folder)
            for m in msgs:
                flags = '(%s)' % ' '.join(sorted(m['flags'])) if m['flags'] else None
                typ, data = imap.append(box, flags, m['epoch'], m['content'])
                if typ != 'OK':
                    raise RuntimeError('imaplib APPEND to %s %s: %s' % (user, box, data))
            messages += len(msgs)
        imap.logout()
        wall += time.monotonic() - t0
        client += self_cpu() - c0
    server = cpu_since(s0, cy)
    check(cy, 'imaplib', expected_for(users, counts))
    return Run('python3 imaplib APPEND loop, 1 conn., TCP_NODELAY', wall, messages, bytes_,
               server, client)


def mailutil_append(cy, path, user, folder, shim_so=None, shim_log=None):
    """One `mailutil append` of the mbox `path` into `user`'s `folder` through the
    admin.  Run as root, c-client wants the path without its leading "/" (it is taken
    from "/"), and it reads the password from stdin when it has no terminal (setsid)."""
    env = dict(os.environ)
    env.pop('LD_PRELOAD', None)
    if shim_so:
        env['LD_PRELOAD'] = shim_so
        env['M2C_NODELAY_SHIM_LOG'] = shim_log
    target = '{127.0.0.1:%d/imap/notls/user=%s/authuser=%s}%s' % (
        cy.port, user, cy.admin_user, personal(cy, folder))
    p = subprocess.run(['setsid', '-w', MAILUTIL, 'append', path.lstrip('/'), target],
                       input=(cy.admin_password + '\n').encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, cwd='/')
    if p.returncode != 0:
        raise RuntimeError('mailutil append %s %s: exit %d: %s' % (path, target, p.returncode,
                           p.stderr.decode(errors='replace')[-500:]))


def run_mailutil(cy, label, tag, boxes, counts_of, shim_so, shim_log):
    """Baseline (b): one mailutil run per mailbox, one after the other.  boxes: [(user
    index, source file, folder)]; counts_of(index, file) its counts entry."""
    users = user_names(tag)
    used = sorted({i for i, _, _ in boxes})
    create_mailboxes(cy, [users[i] for i in used])
    os.sync()
    s0, c0, t0 = server_cpu(cy), children_cpu(), time.monotonic()
    for i, path, folder in boxes:
        mailutil_append(cy, path, users[i], folder, shim_so, shim_log)
    wall = time.monotonic() - t0
    client, server = children_cpu() - c0, cpu_since(s0, cy)
    expected = {(users[i], folder): counts_of(i, path) for i, path, folder in boxes}
    # the mailboxes made but not used (the sample fills INBOX only) must stay empty
    for i in used:
        for _, folder in FOLDERS:
            expected.setdefault((users[i], folder), {'messages': 0, 'seen': 0})
    check(cy, label, expected)
    return Run(label, wall, sum(e['messages'] for e in expected.values()),
               sum(os.path.getsize(p) for _, p, _ in boxes), server, client)


def run_ours(cy, site, counts, jobs, work, tag):
    """`convert --method imap --jobs N` on a copy of the site laid out as a Berkeley
    site (spool/USER, home/USER/Mail/archive) under users of its own, the manifest made
    by mapnames as the spool bench makes it."""
    users = user_names(tag)
    label = 'mbox2cyrus convert --method imap --jobs %d' % jobs
    root = os.path.join(work, 'site-' + tag)
    bytes_ = 0
    for i, user in enumerate(users):
        for src, folder in FOLDERS:
            dest = (os.path.join(root, 'spool', user) if folder is None
                    else os.path.join(root, 'home', user, 'Mail', folder))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(os.path.join(site, 'u%d' % i, src), dest)
            bytes_ += os.path.getsize(dest)
    manifest = os.path.join(work, 'manifest-%s.tsv' % tag)
    subprocess.run([t.BIN, 'mapnames', '--home-template', os.path.join(root, 'home', '%u'),
                    '--spool-dir', os.path.join(root, 'spool'), '--no-owner-check',
                    '--cyrus-conf', cy.conf, '-o', manifest] + users, check=True,
                   stderr=subprocess.DEVNULL)
    report = os.path.join(work, 'report-%s.json' % tag)
    # --cyrus-conf and --state beside the method's documented options: the server
    # options (lib/cli-server.c) ask for the conf today, and each run gets its own journal
    argv = [t.BIN, 'convert', '--method', 'imap', '--manifest', manifest, '--host', '127.0.0.1',
            '--port', str(cy.port), '--admin', cy.admin_user, '--password-file', cy.password_file,
            '--jobs', str(jobs), '--report', report, '--cyrus-conf', cy.conf,
            '--state', os.path.join(work, 'state-' + tag)]
    rss_file = os.path.join(work, 'rss-' + tag)
    os.sync()
    s0, c0, t0 = server_cpu(cy), children_cpu(), time.monotonic()
    p = subprocess.run(['/usr/bin/time', '-f', '%M', '-o', rss_file] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    client, server = children_cpu() - c0, cpu_since(s0, cy)
    shutil.rmtree(root)
    err = p.stderr.decode(errors='replace')
    if p.returncode != 0:
        if NOT_BUILT.search(err):
            return Run(label, available=False, why=err.strip().splitlines()[-1] if err.strip() else
                       'exit %d' % p.returncode)
        raise RuntimeError('%s: exit %d:\n%s' % (label, p.returncode, err[-2000:]))
    with open(report) as f:
        rep = json.load(f)
    reported = sum(m['messages'] for u in rep['users'] for m in u['mailboxes'])
    expected = expected_for(users, counts)
    want = sum(e['messages'] for e in expected.values())
    if reported != want:
        raise RuntimeError('%s: its report says %d messages, the source has %d' % (label, reported, want))
    check(cy, label, expected)
    with open(rss_file) as f:
        rss = int(f.read().strip().splitlines()[-1])
    return Run(label, wall, want, bytes_, server, client, rss_kib=rss)


def where_time_goes(run, ref):
    """A note for a missed target: the run's wall time split into server CPU (its
    system share: writes and fsyncs in the kernel), client CPU and the rest (waiting:
    round trips, the disk), beside the reference's server CPU a message."""
    busy = (run.server + run.client) / (run.wall * CORES)
    text = ('wall %.2f s: server CPU %.2f s (%.0f%% of it in the kernel; %.2f ms/msg, '
            '%s: %.2f), client CPU %.2f s (%.2f ms/msg); the %d cores busy %.0f%% of the run'
            % (run.wall, run.server, 100 * run.server_sys / max(run.server, 1e-9), run.server_ms(),
               ref.label, ref.server_ms(), run.client, run.client_ms(), CORES, 100 * busy))
    if busy >= 0.85:
        text += ': CPU-bound, server and client share the machine'
    else:
        text += ': the rest is waiting (round trips, fsync)'
    if run.server_ms() > 1.5 * ref.server_ms():
        text += ('; the server works %.1fx as hard a message as under %s (DESIGN.md: a lone '
                 'APPEND costs Cyrus about 4 fsyncs and 2 ms CPU, one inside a MULTIAPPEND 2 and '
                 '0.5 ms)' % (run.server_ms() / ref.server_ms(), ref.label))
    return text


def one_round(cy, rnd, site, counts, work, shim_so, shim_log, runs):
    """Every contender once, into users of its own ('py0u00', 'mu0u00', ...); each
    run appended to runs[key]."""
    def add(key, run):
        runs.setdefault(key, []).append(run)
        print('  round %d: %-50s %s' % (rnd + 1, run.label, '%.2f s' % run.wall if run.available
                                         else 'not available'), flush=True)

    add('imaplib', run_imaplib(cy, site, counts, 'py%d' % rnd))
    if shim_so:
        boxes = [(i, os.path.join(site, 'u%d' % i, src), folder)
                 for i in range(USERS_N) for src, folder in FOLDERS]
        add('mailutil', run_mailutil(cy, 'mailutil append + TCP_NODELAY shim', 'mu%d' % rnd, boxes,
                                     lambda i, p: counts[os.path.relpath(p, site)], shim_so, shim_log))
        lines = open(shim_log).read().splitlines() if os.path.exists(shim_log) else []
        if len(lines) < len(boxes) or any(not l.endswith(': 0') for l in lines):
            raise RuntimeError('nodelay shim: %d sockets set for %d mailutil runs (%s)'
                               % (len(lines), len(boxes), '; '.join(lines[-3:])))
        os.unlink(shim_log)
    if runs.get('ours1') and not runs['ours1'][0].available:
        return
    add('ours1', run_ours(cy, site, counts, 1, work, 'oa%d' % rnd))
    if runs['ours1'][-1].available:
        add('oursN', run_ours(cy, site, counts, JOBS, work, 'on%d' % rnd))


def main():
    if MAILUTIL is None:
        print('imap bench: mailutil missing (apt-get install uw-mailutils; make deps does): '
              'the mailutil baseline is skipped')
    site, counts = make_site()
    messages = sum(v['messages'] for k, v in counts.items() if k != 'sample')
    mb = sum(v['bytes'] for k, v in counts.items() if k != 'sample') / 1e6
    print('site: %d users x %d folders, %d messages, %.1f MB of mbox (%.1f KB a message); '
          'jobs N = %d (M2C_BENCH_IMAP_JOBS); best of %d rounds (M2C_BENCH_IMAP_ROUNDS); %d cores'
          % (USERS_N, len(FOLDERS), messages, mb, 1000 * mb / messages, JOBS, ROUNDS, CORES),
          flush=True)
    runs = {}
    work = tempfile.mkdtemp(prefix='m2c-bench-imap.', dir='/tmp')
    try:
        shim_so = shim_log = None
        if MAILUTIL:
            shim_so = os.path.join(work, 'nodelay-shim.so')
            shim_log = os.path.join(work, 'nodelay-shim.log')
            subprocess.run(['cc', '-shared', '-fPIC', '-O2', '-Wall', '-o', shim_so,
                            os.path.join(bench.ROOT, 'bench', 'nodelay-shim.c'), '-ldl'], check=True)
        with t.Cyrus() as cy:
            # warm-up, untimed: the first imapd, the databases opened
            create_mailboxes(cy, ['warmup'])
            imap = cy.as_user('warmup')
            imap.append('INBOX', None, None, b'Subject: warm-up\r\n\r\nwarm-up\r\n')
            imap.logout()
            for rnd in range(ROUNDS):
                one_round(cy, rnd, site, counts, work, shim_so, shim_log, runs)
            if MAILUTIL:
                # mailutil as it comes against the shim, on a sample: the shim's effect.
                # Last, away from the slow start (see the top)
                sample = [(0, os.path.join(site, 'sample'), None)]
                count = lambda i, p: counts['sample']
                runs['sample_stock'] = [run_mailutil(cy, 'mailutil append, stock (sample)', 'ms',
                                                     sample, count, None, None)]
                runs['sample_shim'] = [run_mailutil(cy, 'mailutil append + shim (sample)', 'mn',
                                                    sample, count, shim_so, shim_log)]
                if not os.path.exists(shim_log):
                    raise RuntimeError('nodelay shim: not loaded by mailutil (no %s)' % shim_log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if 'oursN' not in runs:
        runs['oursN'] = [Run('mbox2cyrus convert --method imap --jobs %d' % JOBS, available=False,
                             why=runs['ours1'][0].why)]
    report({k: min(v, key=lambda r: r.wall if r.available else 0) for k, v in runs.items()},
           {k: [r.wall for r in v if r.available] for k, v in runs.items()}, messages, mb)


def report(runs, walls, messages, mb):
    """The table (each contender's best round), the ratios, and the results entries."""
    print('%-50s %7s %8s %7s %14s %14s' % ('best of each', 's', 'msgs/s', 'MB/s',
                                           'server ms/msg', 'client ms/msg'))
    for key in ('imaplib', 'mailutil', 'sample_stock', 'sample_shim', 'ours1', 'oursN'):
        r = runs.get(key)
        if r is None:
            continue
        if not r.available:
            print('%-50s not available (%s)' % (r.label, r.why))
            continue
        print('%-50s %7.2f %8.0f %7.1f %14.2f %14.2f%s'
              % (r.label, r.wall, r.rate(), r.mb_s(), r.server_ms(), r.client_ms(),
                 '   (rounds: %s s)' % ', '.join('%.2f' % w for w in walls[key])
                 if len(walls[key]) > 1 else ''))
    if 'sample_stock' in runs:
        s, n = runs['sample_stock'], runs['sample_shim']
        print('mailutil sample (%d messages): the shim %.0fx as fast as stock%s'
              % (s.messages, n.rate() / s.rate(),
                 '' if n.rate() > 2 * s.rate() else ' -- WARNING: it made little difference'))

    base, mu = runs['imaplib'], runs.get('mailutil')
    r1, rN = runs['ours1'], runs['oursN']
    ours = [r for r in (r1, rN) if r.available]
    best = max(ours, key=Run.rate) if ours else None
    base_name = 'python3 imaplib APPEND loop, 1 connection, TCP_NODELAY'
    mailutil_name = 'UW mailutil append, one run per mailbox, TCP_NODELAY forced (LD_PRELOAD shim)'

    def figures(r, prefix=''):
        if r is None or not r.available:
            return {}
        return {prefix + 'messages_per_s': r.rate(), prefix + 'mb_per_s': r.mb_s(),
                prefix + 'peak_rss_kib': r.rss_kib, prefix + 'seconds': r.wall,
                prefix + 'server_ms_per_message': r.server_ms(),
                prefix + 'client_ms_per_message': r.client_ms()}

    def value(r):
        return r.rate() if r is not None and r.available else None

    def ratio(r, b):
        return r.rate() / b.rate() if r is not None and r.available else None

    common = {'messages': messages, 'mb': mb, 'rounds': ROUNDS}
    if not ours:
        common['note'] = 'not available: %s' % r1.why
    for name, r, jobs in (('imap_messages_per_s', r1, 1), ('imap_jobs_N_messages_per_s', rN, JOBS)):
        bench.record(name, value(r), 'messages/s', base_name, base.rate(), ratio(r, base),
                     jobs=jobs, **figures(r), **figures(base, 'baseline_'), **common)
    notes = []
    for name, ref, target in (('imap_vs_sequential', base, TARGET_SEQUENTIAL),
                              ('imap_vs_mailutil', mu, TARGET_MAILUTIL)):
        if ref is None:
            print('%s: no baseline (mailutil missing)' % name)
            continue
        r = ratio(best, ref)
        extra = dict(figures(best), **figures(ref, 'baseline_'), **common, target=target)
        if best is not None:
            extra['jobs'] = 1 if best is r1 else JOBS
        if r is None:
            print('%s: not available (baseline %s: %.0f msgs/s, %.1f MB/s, %.2f ms server CPU/msg)'
                  % (name, ref.label, ref.rate(), ref.mb_s(), ref.server_ms()))
        else:
            print('%s: %.2f (target >= %g) %s: %s %.0f msgs/s vs %s %.0f msgs/s'
                  % (name, r, target, 'met' if r >= target else 'MISSED', best.label, best.rate(),
                     ref.label, ref.rate()))
            if r < target:
                extra['note'] = where_time_goes(best, ref)
                notes.append('  %s missed: %s' % (name, extra['note']))
        bench.record(name, value(best), 'messages/s', base_name if ref is base else mailutil_name,
                     ref.rate(), r, **extra)
    for n in notes:
        print(n)
    if not ours:
        print("imap: the project's method is not available yet: baselines only")
    elif notes:
        print('imap: TARGET MISSED')
    else:
        print('imap: targets met')


if __name__ == '__main__':
    main()
