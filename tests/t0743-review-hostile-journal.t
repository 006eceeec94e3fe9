#!/usr/bin/env python3
# Review of issue 10: a damaged or hostile journal must be refused as damaged (65,
# naming FILE:LINE), never crash the run.  imap_records_parse() (method-imap.c)
# expands each part's "u=" UID set and sizes an array by the part's last message
# number before anything checks them against the source or the mailbox: the line
#     part m=1-4000000000 u=1:4000000000 q=- qz=0
# asks for 16 GB twice over.  Run under a 1 GiB address-space limit it dies on
# GLib's "failed to allocate" (SIGTRAP); without a limit it eats the machine.
# Expected: exit 65, "damaged journal line", no signal, on a resume and on the recall
# of a delivered source.
import os, resource, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

if b'__asan_init' in open(t.BIN, 'rb').read():
    t.skip_all('an address-space limit and AddressSanitizer do not mix (make SANITIZE=1)')

site = r.Site('rv3')
ua = site.user('a', inbox=r.msg(b'm1') + r.msg(b'm2'))
ub = site.user('b', inbox=r.msg(b'm1') + r.msg(b'm2'))
HOSTILE = 'part m=1-4000000000 u=1:4000000000 q=- qz=0'


def limited():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run(cy, m):
    return subprocess.run([t.BIN, 'convert', '--method', 'imap', '--manifest', m, '--cyrus-conf',
                           cy.conf, '--port', str(cy.port), '--password-file', cy.password_file],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limited,
                          timeout=300)


def key_of(journal):
    return [l.split('\t')[1] for l in open(journal).read().splitlines() if l.startswith('read\t')][0]


with t.Cyrus() as cy:
    # a resume: "begin" from a killed run, then the hostile part
    m = site.mapnames(cy, [ua], 'a.tsv')
    p = r.convert(cy, m, fault='literal:1')
    t.is_(p.returncode, -9, 'a run killed in its first literal')
    j = os.path.join(m + '.state', ua + '.journal')
    with open(j, 'a') as f:
        f.write('checkpoint\t%s\t%s\n' % (key_of(j), HOSTILE))
    p = run(cy, m)
    t.ok(p.returncode == 65 and b'damaged journal line' in p.stderr,
         'a part claiming 4e9 messages: refused as damaged (65), not a crash',
         'exit %d' % p.returncode, r.tail(p))

    # a recall: the source delivered, its part replaced by the hostile one
    m = site.mapnames(cy, [ub], 'b.tsv')
    p = r.convert(cy, m)
    t.is_(p.returncode, 0, 'a user converted')
    j = os.path.join(m + '.state', ub + '.journal')
    lines = open(j).read().splitlines(True)
    key = key_of(j)
    with open(j, 'w') as f:
        for l in lines:
            if l.startswith('checkpoint\t') and '\tpart ' in l:
                l = 'checkpoint\t%s\t%s\n' % (key, HOSTILE)
            f.write(l)
    p = run(cy, m)
    t.ok(p.returncode == 65 and b'damaged journal line' in p.stderr,
         'the same in the journal of a done user: refused as damaged (65), not a crash',
         'exit %d' % p.returncode, r.tail(p))
t.done()
