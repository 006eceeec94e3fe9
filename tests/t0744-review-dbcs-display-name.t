#!/usr/bin/env python3
# Review of issue 10: message-fix's rule 2 leaves "a bare word with '@'" of an address
# field unencoded (it is an address).  is_encodable() (lib/message-fix-rfc2047.c)
# looks for '@' with memchr over the raw bytes, so in Big5, GBK or Shift_JIS, whose
# trail bytes include 0x40, a display-name word is taken for an address when one of its
# characters has the trail byte '@': Big5 "一" is A4 40, Shift_JIS "ァ" is 83 40.  The
# word goes to Cyrus raw and APPEND makes each 8-bit byte an 'X': "From: Dr. X@XGXT ..."
# -- the display name destroyed, and the field no longer parses as one address.
# Expected (with --header-charset given): the display name decodes back with
# Python's email package, as the To: field's quoted one does.
import email, email.policy, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rv4')
CASES = [('BIG5', '一二三 測試'), ('SHIFT_JIS', 'ファイル テスト'), ('GBK', '丂丄 测试')]
users = []
for i, (cs, text) in enumerate(CASES):
    name = text.encode(cs)
    assert b'@' in name, cs
    data = r.msg(b'dbcs', headers=b'From: ' + name + b' <a@example.org>\nTo: "' + name +
                 b'" <b@example.org>\n')
    users.append((site.user('%d' % i, inbox=data), cs, text))

with t.Cyrus() as cy:
    for u, cs, text in users:
        m = site.mapnames(cy, [u], '%s.tsv' % u)
        p = r.convert(cy, m, '--header-charset', cs)
        t.is_(p.returncode, 0, '%s: converted' % cs, r.tail(p))
        im = cy.as_user(u)
        got = r.messages(im, 'INBOX')
        im.logout()
        if not got:
            t.ok(False, '%s: the message is there' % cs)
            continue
        msg = email.message_from_bytes(got[0][2], policy=email.policy.default)
        t.is_(msg['To'].addresses[0].display_name, text, '%s: a quoted display name decodes back' % cs)
        t.is_([(a.display_name, a.addr_spec) for a in msg['From'].addresses], [(text, 'a@example.org')],
              '%s: an unquoted display name whose bytes hold 0x40 decodes back too' % cs,
              got[0][2].split(b'\r\n\r\n')[0])
t.done()
