#!/usr/bin/env python3
# Review of issue 10: "each fix reported per message (file, message number, offset)".
# A fix (and a keyword left off) is a problem of a *stored* message, which the journal
# does not keep (convert-deliver.c journals only the messages not stored); the report
# of a run killed with -9 is never written.  So when a run is killed after a message
# was fixed and stored, no report ever names that fix: the rerun takes the message as
# stored and says nothing of it, and its report -- the only one there is -- shows the
# message as if stored unchanged.
#   folder: m1, m2 with a NUL byte (removed), m3 with a colonless header line (rewritten),
#   m4, m5; --batch-messages 3; killed after the first command's part is journaled
#   (the 4th literal), rerun with --report.
# Expected: the rerun's report names messages 2 and 3 as fixed (stored).
# (a) passes since check_claimed() says the fixes again; (b) the same folder delivered
# whole before the kill, which came in the user's next folder: the rerun recalls the
# delivered source from the journal without reading it, and nothing says its fixes --
# they would have to be journaled (a record for a stored message's problem).
import json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rv8')
FOLDER = (r.msg(b'm1') + r.msg(b'm2 nul', b'a NUL \x00 here\n') +
          r.msg(b'm3 colonless', headers=b'this line has no colon\n') + r.msg(b'm4') + r.msg(b'm5'))
u = site.user('a', inbox=FOLDER)
ub = site.user('b', inbox=FOLDER, folders={'later': r.msg(b'l1') + r.msg(b'l2') + r.msg(b'l3') + r.msg(b'l4')})

with t.Cyrus() as cy:
    m = site.mapnames(cy, [u])
    p = r.convert(cy, m, '--batch-messages', '3', fault='literal:4')
    t.is_(p.returncode, -9, 'killed in the second APPEND command')
    report = os.path.join(site.tmp, 'r.json')
    p = r.convert(cy, m, '--batch-messages', '3', '--report', report)
    t.is_(p.returncode, 0, 'the rerun finishes', r.tail(p))
    im = cy.as_user(u)
    t.is_(r.subjects(im, 'INBOX'), [b'm1', b'm2 nul', b'm3 colonless', b'm4', b'm5'], 'every message once')
    im.logout()
    rep = json.load(open(report))
    probs = [(pr['msg'], pr['skipped']) for us in rep['users'] for mb in us['mailboxes'] for pr in mb['problems']]
    t.ok((2, False) in probs and (3, False) in probs,
         '(a) the report of the run that finished names the two fixed messages', probs, r.tail(p))

    # (b) the folder delivered whole, the kill in the next one (its second command)
    m = site.mapnames(cy, [ub], 'b.tsv')
    p = r.convert(cy, m, '--batch-messages', '3', fault='literal:9')
    t.is_(p.returncode, -9, '(b) killed in the next folder')
    p = r.convert(cy, m, '--batch-messages', '3', '--report', report)
    t.is_(p.returncode, 0, '(b) the rerun finishes', r.tail(p))
    rep = json.load(open(report))
    probs = [(pr['msg'], pr['skipped']) for us in rep['users'] for mb in us['mailboxes']
             if mb['mailbox'] == 'user.' + ub for pr in mb['problems']]
    t.ok((2, False) in probs and (3, False) in probs,
         '(b) the report of the run that finished names the fixes of the folder delivered before the kill',
         probs, r.tail(p))
t.done()
