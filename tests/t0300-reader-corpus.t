#!/usr/bin/env python3
# The mbox reader (mbox2cyrus scan) against what upstream test suites state for the
# files in ../shared/corpus: message counts, offsets, lengths, exact message bytes,
# From_ line vectors and flag vectors.  Where we deliberately differ from one upstream,
# DISAGREE below pins our own answer and says why (doc/mbox2cyrus-scan.1 too).
import json, os, re, subprocess, sys, tempfile, calendar
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

CORPUS = os.path.normpath(os.path.join(t.ROOT, '..', 'shared', 'corpus'))
if not os.path.isdir(CORPUS):
    t.skip_all('../shared/corpus is absent')

# path -> (our count, why we differ from the upstream oracle)
DISAGREE = {
    'mail-mbox-messageparser/mailboxes/malformed.txt': (54,
        'a pipermail archive: each of its 54 "From user at host  date" lines is followed by '
        'a full header block; Mail::Mbox::MessageParser needs an empty line first and merges '
        'them into 3; UW-IMAP, mutt and go-mbox split, and so do we'),
    'mail-mbox-messageparser/mailboxes/mailarc-1.txt': (14,
        'offset 25742 is a separate message (its own Received: headers) appended without '
        'the empty line; MessageParser keeps it in the message before'),
    'mail-mbox-messageparser/mailboxes/mailarc-1-dos.txt': (14, 'as mailarc-1.txt'),
    'mail-mbox-messageparser/mailboxes/mailarc-2.txt': (5,
        'offset 1986 is a whole message pasted after "Begin Included Message" and an empty '
        'line; nothing in the file tells it from a real separator'),
    'mail-mbox-messageparser/mailboxes/mailarc-3.txt': (15,
        'as mailarc-1.txt, plus the second message of a mailbox attached as message/rfc822 '
        '(offset 30820, after an empty line); we split there and warn "ends inside its '
        'MIME multipart"'),
}


def scan(path, *opts):
    p = t.run([t.BIN, 'scan', '--format', 'json', '--source-tz', 'UTC'] + list(opts) + [path])
    d = json.loads(p.stdout.decode())
    return d['files'][0], p


def split(path, *opts):
    out = tempfile.mkdtemp(prefix='m2c-split.')
    p = t.run([t.BIN, 'scan', '--source-tz', 'UTC', '--split', out] + list(opts) + [path])
    names = sorted(os.listdir(out))
    bodies = []
    for n in names:
        with open(os.path.join(out, n), 'rb') as f:
            bodies.append(f.read())
        os.unlink(os.path.join(out, n))
    os.rmdir(out)
    return bodies, p


index = json.load(open(os.path.join(CORPUS, 'INDEX.json')))

# 1. message counts stated upstream
for entry in index:
    m = re.match(r'(\d+) (?:real )?message', entry.get('expected') or '')
    if entry['role'] != 'data' or not m:
        continue
    path = entry['path']
    want = int(m.group(1))
    f, p = scan(os.path.join(CORPUS, path))
    got = len(f['messages'])
    if path in DISAGREE:
        ours, why = DISAGREE[path]
        t.is_(got, ours, '%s: %d messages (upstream says %d: we differ, %s)' % (path, ours, want, why))
    else:
        t.is_(got, want, '%s: %d messages' % (path, want))
    t.ok(p.returncode in (0,), '%s: scan exits 0' % path, p.stderr.decode()[-400:])

# 2. Mail::Mbox::MessageParser byte offsets and lengths
mmp = os.path.join(CORPUS, 'mail-mbox-messageparser')
for name in sorted(os.listdir(os.path.join(mmp, 'results'))):
    mo = re.match(r'offset_(.*)\.stdout$', name)
    if not mo:
        continue
    base = mo.group(1)
    path = 'mail-mbox-messageparser/mailboxes/%s.txt' % base
    if path in DISAGREE:
        continue
    offsets = [int(x) for x in open(os.path.join(mmp, 'results', name)).read().split()]
    lengths = [int(x) for x in open(os.path.join(mmp, 'results', 'length_%s.stdout' % base)).read().split()]
    f, _ = scan(os.path.join(CORPUS, path))
    got_off = [m['offset'] for m in f['messages']]
    got_len = [m['length'] for m in f['messages']]
    t.is_(got_off, offsets, '%s: offsets as MessageParser' % base)
    t.is_(got_len, lengths, '%s: lengths as MessageParser' % base)

# 3. MimeKit and GMime offsets of the From_ markers
for base in ('content-length', 'issue1189'):
    want = [m['mboxMarkerOffset'] for m in
            json.load(open(os.path.join(CORPUS, 'mimekit/mbox/%s.unix-offsets.json' % base)))]
    f, _ = scan(os.path.join(CORPUS, 'mimekit/mbox/%s.mbox.txt' % base))
    t.is_([m['offset'] for m in f['messages']], want, 'mimekit %s: From_ offsets' % base)
gm = open(os.path.join(CORPUS, 'gmime/output/substring.mbox')).read()
want = [int(a) for a in re.findall(r'message offsets: (\d+), \d+', gm)]
want_hdr = [int(a) for a in re.findall(r'header offsets: (\d+), \d+', gm)]
f, _ = scan(os.path.join(CORPUS, 'gmime/input/substring.mbox'))
t.is_([m['offset'] for m in f['messages']], want, 'gmime substring: message offsets')
t.is_([m['header_offset'] for m in f['messages']], want_hdr, 'gmime substring: header offsets')

# 4. exact message bytes
gtest = os.path.join(CORPUS, 'thunderbird/gtest-cases')
for name in sorted(os.listdir(gtest)):
    if not name.endswith('.mbox'):
        continue
    stem = name[:-5]
    want = []
    k = 1
    while os.path.exists(os.path.join(gtest, '%s.expected-%d.eml' % (stem, k))):
        want.append(open(os.path.join(gtest, '%s.expected-%d.eml' % (stem, k)), 'rb').read())
        k += 1
    got, p = split(os.path.join(gtest, name), '--crlf', '--keep-internal-headers',
                   '--from-quoting', 'mboxrd')
    t.is_(got, want, 'thunderbird %s: exact bytes of %d message(s)' % (stem, len(want)))

rlug = os.path.join(CORPUS, 'james-mime4j/test-1')
got, _ = split(os.path.join(rlug, 'mbox.rlug'), '--keep-internal-headers')
want = [open(os.path.join(rlug, 'mbox.rlug-%d' % i), 'rb').read() for i in range(5)]
# mime4j keeps the separator's empty line in each message; we leave exactly that out
t.is_([g + b'\n' for g in got], want, 'james-mime4j mbox.rlug: the 5 messages, byte for byte '
      '(less the separator line)')

git = os.path.join(CORPUS, 'git/t5100')
got, _ = split(os.path.join(git, 'sample.mboxrd'), '--from-quoting', 'mboxrd', '--keep-internal-headers')
want = [open(os.path.join(git, n), 'rb').read() for n in ('0001mboxrd', '0002mboxrd')]
# 0001mboxrd, 0002mboxrd are git mailinfo's bodies, with the separator's empty line
t.is_([g.split(b'\n\n', 1)[1] + b'\n' for g in got], want,
      'git sample.mboxrd with --from-quoting mboxrd: bodies as git mailsplit --mboxrd')
got, _ = split(os.path.join(git, 'mboxrd-trailing-space.mbox'), '--from-quoting', 'mboxrd')
t.ok(len(got) == 1 and got[0].endswith(b'\n\nFrom \nFrom \n'),
     'git mboxrd-trailing-space: one message, body "From \\nFrom \\n" (+ separator line)', got)
for name in ('quoted-from.in', 'embed-from.in', 'nul-plain', 'nul-b64.in'):
    raw = open(os.path.join(git, name), 'rb').read()
    got, _ = split(os.path.join(git, name), '--from-quoting', 'none', '--keep-internal-headers')
    t.is_(got, [raw.split(b'\n', 1)[1]], 'git %s with --from-quoting none: identical to the input' % name)
got, _ = split(os.path.join(git, 'quoted-from.in'))
t.ok(b'\nFrom the depths' in got[0], 'git quoted-from.in with auto: ">From" undone (git keeps it: we differ, '
     'the file has no sign of a writer that does not quote)')

gomb = os.path.join(CORPUS, 'go-mbox')
exp = json.load(open(os.path.join(gomb, 'scan-text-boundary.expected.json')))
got, _ = split(os.path.join(gomb, 'scan-text-boundary.mbox'))
bodies = [g.split(b'\n\n', 1)[1].decode() for g in got]
t.is_(bodies, exp['bodies_lf'], 'go-mbox scan-text-boundary: the two bodies')
got, _ = split(os.path.join(gomb, 'mboxWithOneMessage.mbox'), '--keep-internal-headers')
want = open(os.path.join(gomb, 'expected-first-message.txt'), 'rb').read()
t.is_(got, [want], 'go-mbox mboxWithOneMessage: the message as expected-first-message.txt')
got, _ = split(os.path.join(gomb, 'long-line.mbox'))
t.ok(len(got) == 1 and max(len(l) for l in got[0].split(b'\n')) == 115000,
     'go-mbox long-line: the 115000-byte line unchanged')

rs = json.load(open(os.path.join(CORPUS, 'mail-parser-rs/sample.expected.json')))
f, _ = scan(os.path.join(CORPUS, 'mail-parser-rs/sample.mbox'))
got, _ = split(os.path.join(CORPUS, 'mail-parser-rs/sample.mbox'), '--from-quoting', 'mboxrd')
t.is_([m['sender'] for m in f['messages']], [m['from'] for m in rs['messages']],
      'mail-parser-rs: envelope senders')
t.is_([calendar.timegm(time_tuple) for time_tuple in
       [__import__('time').strptime(m['date'], '%Y-%m-%dT%H:%M:%SZ') for m in f['messages']]],
      [m['internal_date'] for m in rs['messages']], 'mail-parser-rs: internal dates')
# mail-parser keeps the separator's empty line in "contents"; we leave it out
want = [m['contents'][:-1] if m['contents'].endswith('\n\n') else m['contents'] for m in rs['messages']]
t.is_([g.decode() for g in got], want, 'mail-parser-rs: contents, mboxrd un-quoting (less the separator line)')

# 5. UW-IMAP pseudo-message
f, _ = scan(os.path.join(CORPUS, 'tkrat/uw-imap-internal-data.mbox'))
s = f['summary']
t.ok(s['internal_data'] and s['uidvalidity'] == 975652479 and s['last_uid'] == 10 and not f['messages'],
     'tkrat: FOLDER INTERNAL DATA is folder data (uidvalidity 975652479, last uid 10), not a message', s)

# 6. not an mbox, and empty files
for path, code in (('go-mbox/mboxWithOneMessageMissingSeparator.mbox', 65),
                   ('neomutt-test-files/mbox/cherry.mbox', 65),
                   ('neomutt-test-files/mbox/endive.mbox', 65),
                   ('cpython/_sample_message.eml', 65)):
    f, p = scan(os.path.join(CORPUS, path))
    t.is_(p.returncode, code, '%s: not an mbox, exit 65' % path)
    t.ok('not an mbox' in f.get('error', '') and 'offset' in f.get('error', ''),
         '%s: the error says why and where' % path, f.get('error'))
for path in ('email-folder/mboxes/testmbox.empty', 'neomutt-test-files/mbox/apple.mbox',
             'thunderbird/gtest-cases/odd-00.mbox'):
    f, p = scan(os.path.join(CORPUS, path))
    t.ok(p.returncode == 0 and f['messages'] == [], '%s: an empty mbox, exit 0' % path)

t.done()
