#!/usr/bin/env python3
# Modified UTF-7 (lib/mutf7.c) against the vectors of Dovecot, Cyrus, go-imap,
# IMAPClient, Twisted and ruby net-imap in ../shared/corpus.  We are strict: what an
# upstream produces from invalid UTF-8 ("encode-lossy") or accepts although it is not
# canonical ("decode-lenient") we refuse, as Cyrus's CREATE does.
import json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

CORPUS = os.path.normpath(os.path.join(t.ROOT, '..', 'shared', 'corpus'))
if not os.path.isdir(CORPUS):
    t.skip_all('../shared/corpus is absent')
PROBE = os.path.join(t.BUILD, 'tests', 'helpers', 'name-probe')
FILES = ['dovecot-core/imap-utf7-vectors.json', 'cyrus-imapd/imap-utf7-vectors.json',
         'go-imap/imap-utf7-encode-vectors.json', 'go-imap/imap-utf7-decode-vectors.json',
         'imapclient/imap-utf7-vectors.json', 'twisted/imap-utf7-vectors.json',
         'ruby-net-imap/imap-utf7-vectors.json']

# a U+0000 can be neither a file name nor a C string: those vectors do not apply
NUL_VECTORS = 0
queries, checks = [], []
for name in FILES:
    path = os.path.join(CORPUS, name)
    if not os.path.exists(path):
        continue
    for i, c in enumerate(json.load(open(path))['cases']):
        e = c['expect']
        enc = c.get('encoded')
        dec_hex = c.get('decoded_hex')
        label = '%s #%d %s' % (name.split('/')[0], i, e)
        if dec_hex is not None and any(dec_hex[k:k + 2] == '00' for k in range(0, len(dec_hex), 2)):
            NUL_VECTORS += 1
            continue
        if e in ('roundtrip', 'encode'):
            checks.append((label + ': encode', len(queries), 'OK ' + enc))
            queries.append('E ' + dec_hex)
        if e in ('roundtrip', 'decode'):
            checks.append((label + ': decode', len(queries), 'OK ' + dec_hex))
            queries.append('D ' + enc.encode().hex())
        if e == 'decode-lenient':
            # refused, unless it is in fact canonical: our encoder gives it back
            checks.append((label + ': encode of what it claims', len(queries), None))
            queries.append('E ' + dec_hex)
            checks.append((label + ': rejected unless canonical', len(queries), ('lenient', enc, dec_hex)))
            queries.append('D ' + enc.encode().hex())
        if e == 'decode-must-fail':
            checks.append((label + ': rejected', len(queries), 'ERR'))
            queries.append('D ' + enc.encode('utf-8', 'surrogateescape').hex())
        if e in ('encode-must-fail', 'encode-lossy'):
            checks.append((label + ': invalid UTF-8 refused', len(queries), 'ERR'))
            queries.append('E ' + dec_hex)

p = subprocess.run([PROBE], input='\n'.join(queries) + '\n', capture_output=True, text=True)
answers = p.stdout.splitlines()
t.is_(len(answers), len(queries), 'one answer per vector (%d vectors)' % len(queries))
def good(k, want):
    if k >= len(answers):
        return False
    if want is None:
        return True
    if isinstance(want, tuple):     # decode-lenient
        _, enc, dec_hex = want
        canonical = answers[k - 1] == 'OK ' + enc
        return answers[k] == ('OK ' + dec_hex if canonical else 'ERR')
    return answers[k] == want

failed = [(label, queries[k], answers[k] if k < len(answers) else None, want)
          for label, k, want in checks if not good(k, want)]
t.diag('%d vectors hold U+0000 (not a possible file name): not applied' % NUL_VECTORS)
t.is_(failed, [], 'every vector: %d checks' % len(checks))
by_file = {}
for label, k, want in checks:
    by_file.setdefault(label.split(' ')[0], 0)
    by_file[label.split(' ')[0]] += 1
for f, n in sorted(by_file.items()):
    t.ok(n > 0, '%s: %d checks' % (f, n))
t.done()
