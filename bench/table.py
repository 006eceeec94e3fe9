#!/usr/bin/env python3
"""table.py -- the table `make bench` ends with: every entry of bench/results.json
(name, value, unit, baseline value, ratio, messages/s, MB/s, peak RSS, target, met or
MISSED), then the entries issue 13 asks for that the run did not write.  Targets are
printed, not asserted; exit status 1 only when a required entry is missing or has no
value."""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench

# name: (what is compared, the target); an entry's own "target" field gives the figure
# for names not listed.  Ratios are measured / baseline, higher is better; the reader's
# peak RSS is a ceiling in MiB.
TARGETS = {
    'reader_vs_cat': ('ratio', '>=', 0.5),
    'reader_peak_rss': ('value', '<=', 64),
    'spool_vs_cp_files': ('ratio', '>=', 1.0),
    'verify_vs_sha1sum': ('ratio', '>=', 1.0),
    'imap_vs_sequential': ('ratio', '>=', 5.0),
    'imap_vs_mailutil': ('ratio', '>=', 1.5),
}
REQUIRED = ('reader_vs_cat', 'spool_vs_cp_files', 'imap_vs_sequential', 'imap_vs_mailutil',
            'lmtp_messages_per_s', 'verify_vs_sha1sum', 'backout_vs_imaplib')


def num(x, width):
    if x is None:
        return '%*s' % (width, '-')
    if abs(x) >= 1000:
        return '%*.0f' % (width, x)
    if abs(x) >= 10:
        return '%*.1f' % (width, x)
    return '%*.2f' % (width, x)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else bench.RESULTS
    try:
        with open(path) as f:
            entries = json.load(f)
    except (OSError, ValueError) as e:
        print('bench: no results (%s)' % e)
        return 1
    scales = sorted({e.get('scale') or '?' for e in entries})
    print()
    print('bench results (%s; scale %s): ratio = measured / baseline, higher is faster'
          % (os.path.relpath(path), ', '.join(scales)))
    head = '%-32s %9s %-12s %9s %7s %9s %8s %8s  %s' % (
        'name', 'value', 'unit', 'baseline', 'ratio', 'msgs/s', 'MB/s', 'RSS MiB', 'target')
    print(head)
    print('-' * len(head))
    missed = []
    for e in entries:
        name = e.get('name')
        what, op, want = TARGETS.get(name, ('ratio', '>=', e.get('target'))) \
            if name in TARGETS or e.get('target') is not None else (None, None, None)
        verdict = ''
        if what:
            got = e.get(what)
            ok = got is not None and (got >= want if op == '>=' else got <= want)
            verdict = '%s %s %g %s' % (what, op, want, 'met' if ok else 'MISSED')
            if not ok:
                missed.append(name)
        rss = e.get('peak_rss_kib')
        print('%-32s %9s %-12s %9s %7s %9s %8s %8s  %s' % (
            name, num(e.get('value'), 9), (e.get('unit') or '')[:12], num(e.get('baseline_value'), 9),
            num(e.get('ratio'), 7), num(e.get('messages_per_s'), 9), num(e.get('mb_per_s'), 8),
            num(rss / 1024 if rss is not None else None, 8), verdict))
    names = {e.get('name'): e for e in entries}
    absent = [n for n in REQUIRED if n not in names or names[n].get('value') is None]
    print()
    if missed:
        print('targets missed: %s' % ', '.join(missed))
    else:
        print('targets: all met')
    for n in absent:
        e = names.get(n)
        print('REQUIRED ENTRY %s: %s' % (n, 'absent' if e is None else
                                         'no value (%s)' % e.get('note', 'see its bench above')))
    return 1 if absent else 0


if __name__ == '__main__':
    sys.exit(main())
