#!/usr/bin/env python3
"""reader_bench.py -- throughput of `mbox2cyrus scan` as a ratio to `cat FILE >/dev/null`
on the same file in the same run, page cache warm, best of 3; and peak RSS on that file
against a 4 KiB one.  The file: one generated mbox of M2C_BENCH_MB MB (BENCH_SCALE
small 512, full 1100), its message sizes drawn like the site's (gen-mbox.py real).
Targets (issue 3): ratio >= 0.5, peak RSS <= 64 MiB."""
import os, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench

SIZE_MB = bench.reader_mb()
os.makedirs(bench.DATA, exist_ok=True)
big = os.path.join(bench.DATA, 'reader-real-%dM.mbox' % SIZE_MB)
if not os.path.exists(big):
    subprocess.run([sys.executable, os.path.join(bench.ROOT, 'bench', 'gen-mbox.py'), big + '.tmp',
                    str(SIZE_MB), '4155', 'real'], check=True)
    os.rename(big + '.tmp', big)
small = os.path.join(bench.DATA, 'reader-small.mbox')
with open(small, 'wb') as f:
    f.write(b'From a@b Mon Jan  1 00:00:00 2001\nSubject: small\n\n' + b'x' * 4000 + b'\n')

size = os.path.getsize(big)
bin_ = os.path.join(bench.ROOT, 'mbox2cyrus')
subprocess.run(['cat', big], stdout=subprocess.DEVNULL)          # warm the page cache
# best of 5: at the small scale each run takes a tenth of a second
cat_s, _ = bench.run(['cat', big], repeat=5)
scan_s, scan_rss = bench.run([bin_, 'scan', big], repeat=5)
_, small_rss = bench.run([bin_, 'scan', small])
mb = size / 1e6
ratio = cat_s / scan_s
print('file: %s (%.0f MB)' % (big, mb))
print('cat  : %.3f s  %7.0f MB/s' % (cat_s, mb / cat_s))
print('scan : %.3f s  %7.0f MB/s   ratio to cat %.2f (target >= 0.5)' % (scan_s, mb / scan_s, ratio))
print('peak RSS: %.1f MiB on %.0f MB, %.1f MiB on 4 KiB (target <= 64 MiB)'
      % (scan_rss / 1024, mb, small_rss / 1024))
out = subprocess.run([bin_, 'scan', big], stdout=subprocess.PIPE, check=True).stdout
messages = sum(1 for l in out.splitlines() if l[:1].isdigit())
print('scan : %d messages, %.0f messages/s, peak RSS %d KiB' % (messages, messages / scan_s, scan_rss))
figures = dict(messages_per_s=messages / scan_s, mb_per_s=mb / scan_s, peak_rss_kib=scan_rss,
               messages=messages, mb=mb, target=0.5)
bench.record('reader_vs_cat', mb / scan_s, 'MB/s', 'cat', mb / cat_s, ratio, **figures)
figures['target'] = 64
bench.record('reader_peak_rss', scan_rss / 1024, 'MiB', 'scan of a 4 KiB mbox', small_rss / 1024,
             scan_rss / small_rss, **figures)
ok = ratio >= 0.5 and scan_rss / 1024 <= 64
print('reader: %s' % ('targets met' if ok else 'TARGET MISSED'))
