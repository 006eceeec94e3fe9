#!/usr/bin/env python3
"""verify_bench.py -- mbox2cyrus verify on the generated site (bench.site(), the spool
bench's: M2C_BENCH_USERS users, M2C_BENCH_SITE_MB in all), converted first into a throwaway
Cyrus, as a ratio to coreutils `sha1sum` over the same source files in the same run:
both read every byte and hash it once; verify also splits, unquotes, makes CRLF and
asks Cyrus for its digests.  Needs root (a throwaway Cyrus)."""
import os, shutil, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
sys.path.insert(0, os.path.join(bench.ROOT, 'tests', 'lib'))

if os.geteuid() != 0:
    print('verify bench: needs root (it starts a throwaway Cyrus); skipped')
    sys.exit(0)
import m2ctest as t

site, users = bench.spool_site()
USERS = len(users)
files = bench.site_files(site)
messages = bench.site_messages(site)
src_bytes = sum(os.path.getsize(f) for f in files)

with t.Cyrus() as cy:
    manifest = os.path.join(cy.dir, 'bench.tsv')
    bench.convert_site(cy, site, users, manifest)
    # the convert above (and the bench before this one) leave dirty pages: written out
    # first, so that their writeback does not land in one side's timing
    os.sync()
    sha_s, _ = bench.run(['sha1sum'] + files)          # page cache warm from here on
    verify_s, verify_rss = bench.run([t.BIN, 'verify', '--manifest', manifest, '--cyrus-conf',
                                      cy.conf, '--port', str(cy.port), '--password-file',
                                      cy.password_file])

mb = src_bytes / 1e6
ratio = sha_s / verify_s
print('site: %d users, %.0f MB of mbox' % (USERS, mb))
print('sha1sum: %.2f s  %7.1f MB/s' % (sha_s, mb / sha_s))
print('verify : %.2f s  %7.1f MB/s  peak RSS %d KiB   ratio to sha1sum %.2f'
      % (verify_s, mb / verify_s, verify_rss, ratio))
print('verify : %d messages, %.0f messages/s' % (messages, messages / verify_s))
bench.record('verify_vs_sha1sum', mb / verify_s, 'MB/s', 'sha1sum of the source files', mb / sha_s, ratio,
             messages_per_s=messages / verify_s, mb_per_s=mb / verify_s, peak_rss_kib=verify_rss,
             messages=messages, mb=mb, target=1.0)
