#!/usr/bin/env python3
# From_ line vectors (Dovecot, NeoMutt, mailutils) and CPython's Status/X-Status flag
# vectors, run through mbox2cyrus scan on one-message files made from each vector.
import calendar, json, os, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

CORPUS = os.path.normpath(os.path.join(t.ROOT, '..', 'shared', 'corpus'))
if not os.path.isdir(CORPUS):
    t.skip_all('../shared/corpus is absent')
TMP = tempfile.mkdtemp(prefix='m2c-vec.')


def scan_text(data, tz='UTC'):
    path = os.path.join(TMP, 'v.mbox')
    with open(path, 'wb') as f:
        f.write(data)
    p = t.run([t.BIN, 'scan', '--format', 'json', '--source-tz', tz, path])
    return json.loads(p.stdout.decode())['files'][0]


def from_line(line, tz='UTC'):
    """scan a message whose From_ line is `line`; (date_source, epoch, sender)."""
    f = scan_text(line.encode() + b'\nSubject: vector\n\nbody\n', tz)
    m = f['messages'][0]
    epoch = calendar.timegm(time.strptime(m['date'], '%Y-%m-%dT%H:%M:%SZ'))
    return m['date_source'], epoch, m['sender']


# Dovecot: test-mbox-from.c
dv = json.load(open(os.path.join(CORPUS, 'dovecot-core/mbox-from-vectors.json')))
for c in dv['cases']:
    src, epoch, sender = from_line(c['from_line'])
    if c['valid']:
        t.is_((src, epoch, sender), ('from-line', c['epoch_utc'], c['sender']),
              'dovecot %r: date and sender' % c['from_line'])
        # upstream reruns each vector with its zone cut off: local time of the source zone
        if c['from_line'][-5:-4] in '+-':
            src, epoch, _ = from_line(c['from_line'][:-6], tz='+05:00')
            want = c['epoch_utc'] + c['tz_offset_minutes'] * 60 - 5 * 3600
            if ' UTC ' in c['from_line']:
                want = c['epoch_utc']   # the zone name stays: we honour it, Dovecot does not
            t.is_((src, epoch), ('from-line', want), 'dovecot %r without its zone, in +05:00'
                  % c['from_line'][:-6])
    elif c['from_line'] == 'From Fri Jan  2 10:14 1970 +0000':
        # no sender: Dovecot refuses it, NeoMutt accepts it; a date is a date
        t.is_(src, 'from-line', 'dovecot %r: we accept it (no sender; NeoMutt does too)' % c['from_line'])
    else:
        t.ok(src != 'from-line', 'dovecot %r: not a From_ date' % c['from_line'], src)

# NeoMutt: test/from/is_from.c.  NeoMutt ignores the zone; we apply it.
ZONES = {'MET DST': 7200, '+0000': 0}
nm = json.load(open(os.path.join(CORPUS, 'neomutt/is_from-vectors.json')))
for c in nm['cases']:
    line = c['from_line']
    if line is None or not line.startswith('From '):
        t.ok(not c['valid'], 'neomutt %r: not a From_ line (not an mbox for us)' % line)
        continue
    src, epoch, sender = from_line(line)
    if not c['valid']:
        t.ok(src != 'from-line', 'neomutt %r: not a From_ date' % line, src)
        continue
    offset = next((v for k, v in ZONES.items() if k in line), 0)
    t.is_((src, epoch + offset, sender), ('from-line', c['epoch'], c['return_path'] or ''),
          'neomutt %r: date (zone applied: NeoMutt ignores it) and sender' % line)

# mailutils: libproto/mbox/tests/env.at -- ten From_ variants, expected in UTC
mu = os.path.join(CORPUS, 'mailutils/at-data')
with open(os.path.join(mu, 'env.at--inbox'), 'rb') as f:
    inbox = f.read()
f = scan_text(inbox)
want_dates, want_senders = [], []
for l in open(os.path.join(mu, 'env.checks.txt')):
    parts = l.rstrip('\n').split(' ', 2)
    if len(parts) == 3 and parts[1] == 'env_date:':
        want_dates.append(calendar.timegm(time.strptime(parts[2], '%a %b %d %H:%M:%S %Y')))
    elif len(parts) == 3 and parts[1] == 'env_sender:':
        want_senders.append(parts[2])
got = [calendar.timegm(time.strptime(m['date'], '%Y-%m-%dT%H:%M:%SZ')) for m in f['messages']]
t.is_(got, want_dates, 'mailutils env.at: all 10 From_ dates (PST, -0700, before and after the year)')
t.is_([m['sender'] for m in f['messages']], want_senders, 'mailutils env.at: senders')

# CPython: mbox Status/X-Status letters -> Maildir letters; Maildir letters in IMAP terms
MAILDIR_TO_IMAP = {'S': '\\Seen', 'R': '\\Answered', 'F': '\\Flagged', 'T': '\\Deleted'}
cp = json.load(open(os.path.join(CORPUS, 'cpython/mbox-flag-vectors.json')))
for v in cp['mbox_to_maildir']:
    status = ''.join(c for c in v['mbox'] if c in 'RO')
    xstatus = ''.join(c for c in v['mbox'] if c in 'DFA')
    msg = b'From a@b Mon Jan  1 00:00:00 2001\n'
    if status:
        msg += b'Status: ' + status.encode() + b'\n'
    if xstatus:
        msg += b'X-Status: ' + xstatus.encode() + b'\n'
    msg += b'Subject: flags\n\nbody\n'
    f = scan_text(msg)
    want = sorted(MAILDIR_TO_IMAP[c] for c in v['maildir'])
    t.is_(sorted(f['messages'][0]['flags']), want, 'cpython mbox %r -> maildir %r' % (v['mbox'], v['maildir']))

# and the rest of what the reader reads into flags
for headers, want in (
        (b'X-Status: T\n', ['\\Draft']),
        (b'X-Keywords: $Label1 NonJunk,Work\n', ['$Label1', 'NonJunk', 'Work']),
        (b'X-Mozilla-Status: 1003\nX-Mozilla-Keys: $label4\n', ['\\Seen', '\\Answered', '$Forwarded', '$label4']),
        (b'X-Keywords: bad(word ok\n', ['ok'])):
    f = scan_text(b'From a@b Mon Jan  1 00:00:00 2001\n' + headers + b'Subject: x\n\nbody\n')
    t.is_(f['messages'][0]['flags'], want, 'flags from %r' % headers)
t.ok(any('not a valid IMAP keyword' in w for w in f['messages'][0]['warnings']),
     'an invalid keyword is dropped with a warning', f['messages'][0]['warnings'])

# date fallbacks, each recorded
for text, source in ((b'From a@b no date here\nDate: Fri, 7 Mar 2003 14:22:05 +0100\n\nx\n', 'date-header'),
                     (b'From a@b\nReceived: by h; Fri, 7 Mar 2003 14:22:05 +0100\n\nx\n', 'received'),
                     (b'From a@b\nSubject: none\n\nx\n', 'mtime')):
    f = scan_text(text)
    m = f['messages'][0]
    t.is_(m['date_source'], source, 'date fallback: %s' % source)
    if source != 'mtime':
        t.is_(m['date'], '2003-03-07T13:22:05Z', '... and the date is right')
    t.ok(any('date taken from the' in w for w in m['warnings']), '... with a warning', m['warnings'])

os.unlink(os.path.join(TMP, 'v.mbox'))
os.rmdir(TMP)
t.done()
