"""mboxparse.py -- an mbox parser for the tests, written apart from lib/mbox-reader.c
(never the project's own reader) to read what backout writes: UW-IMAP's form.

parse(data, tz) -> (folder, messages)
  folder    dict from the "FOLDER INTERNAL DATA" message (uidvalidity, last_uid,
            keywords) or None
  messages  list of dicts: sender, epoch (the From_ date read in `tz`), flags (set),
            uid (X-UID or None), raw_headers (the internal ones as written), content
            (the message as Cyrus stores it, but with LF: headers without Status,
            X-Status, X-Keywords, X-UID, X-IMAP, X-IMAPbase, Content-Length and
            backout's X-Mbox2cyrus-SHA1; mboxrd quoting undone), mark (that header's
            value or None), and ok_separator (an empty line before the next From_)
"""
import calendar, datetime, re

INTERNAL = (b'status', b'x-status', b'x-keywords', b'x-uid', b'x-imap', b'x-imapbase',
            b'content-length', b'x-mbox2cyrus-sha1')
FROM_RE = re.compile(rb'^From (\S+) +(\w{3}) (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})$')
MONTHS = [b'Jan', b'Feb', b'Mar', b'Apr', b'May', b'Jun', b'Jul', b'Aug', b'Sep', b'Oct', b'Nov', b'Dec']


def _epoch(m, tz):
    mon = MONTHS.index(m.group(3)) + 1
    local = datetime.datetime(int(m.group(8)), mon, int(m.group(4)), int(m.group(5)),
                              int(m.group(6)), int(m.group(7)))
    if tz is None:
        return calendar.timegm(local.timetuple())
    return int(local.replace(tzinfo=tz).timestamp())


def split(data, strict=True, valid_only=False):
    """The raw messages: lists of lines (without LF), From_ line first.  `strict`: every
    From_ line must be as backout writes it (else any "From " line after an empty one).
    `valid_only` (with strict False): a "From " line after an empty one starts a message
    only when it has FROM_RE's form; any other is body text, as c-client (its VALID())
    and mbox2cyrus's reader (lib/from-line.h: no date, no separator) read it.
    bench/gen-mbox.py's "From this line, ..." can follow a header's empty line."""
    lines = data.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    msgs, cur = [], None
    for i, line in enumerate(lines):
        if (line.startswith(b'From ') and (i == 0 or lines[i - 1] == b'')
                and (not valid_only or FROM_RE.match(line))):
            if strict and FROM_RE.match(line) is None:
                raise ValueError('line %d: not a From_ line backout would write: %r' % (i + 1, line))
            cur = [line]
            msgs.append(cur)
        elif cur is None:
            raise ValueError('line %d: text before the first From_ line' % (i + 1))
        else:
            cur.append(line)
    return msgs


def parse(data, tz=None, strict=True, valid_only=False):
    """See the top.  Not `strict`: other From_ lines too (an old file merged into);
    their sender and epoch are None.  `valid_only`: as for split()."""
    folder, out = None, []
    for lines in split(data, strict, valid_only):
        m = FROM_RE.match(lines[0])
        ok_sep = len(lines) >= 2 and lines[-1] == b''
        body_lines = lines[1:-1] if ok_sep else lines[1:]
        try:
            blank = body_lines.index(b'')
        except ValueError:
            blank = len(body_lines)
        head, body = body_lines[:blank], body_lines[blank + 1:]
        kept, internal, skipping = [], {}, False
        for h in head:
            if h[:1] in (b' ', b'\t') and skipping:
                continue
            name = h.split(b':', 1)[0].strip().lower()
            if name in INTERNAL and b':' in h:
                internal.setdefault(name, h.split(b':', 1)[1].strip())
                skipping = True
                continue
            skipping = False
            kept.append(h)
        unquoted = [l[1:] if re.match(rb'^>+From ', l) else l for l in body]
        content = b''.join(l + b'\n' for l in kept)
        if blank < len(body_lines):
            content += b'\n' + b''.join(l + b'\n' for l in unquoted)
        subject = [h for h in head if h.lower().startswith(b'subject:')]
        if subject and b'FOLDER INTERNAL DATA' in subject[0] and b'x-imap' in internal:
            f = internal[b'x-imap'].split()
            folder = {'uidvalidity': int(f[0]), 'last_uid': int(f[1]),
                      'keywords': [k.decode() for k in f[2:]]}
            continue
        flags = set()
        if b'R' in internal.get(b'status', b''):
            flags.add('\\Seen')
        for c, flag in ((b'A', '\\Answered'), (b'F', '\\Flagged'), (b'T', '\\Draft'), (b'D', '\\Deleted')):
            if c in internal.get(b'x-status', b''):
                flags.add(flag)
        flags |= set(k.decode() for k in internal.get(b'x-keywords', b'').split())
        uid = internal.get(b'x-uid')
        out.append({'sender': m.group(1).decode() if m else None,
                    'epoch': _epoch(m, tz) if m else None, 'flags': flags,
                    'uid': int(uid) if uid is not None else None, 'internal': internal,
                    'mark': internal.get(b'x-mbox2cyrus-sha1', b'').decode() or None,
                    'content': content, 'ok_separator': ok_sep})
    return folder, out
