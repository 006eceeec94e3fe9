#!/usr/bin/env python3
# Review of issue 10: the quarantine is one file per user, and a rerun that resumes a
# source cuts it back to the size that source's last checkpoint recorded
# (imap-deliver.c resume_check -> quarantine_truncate).  When that source had failed
# (over quota: "other mailboxes go on") and a later source of the same user then put
# messages into the quarantine, the cut removes the later source's messages -- while
# the report (and the journal's problem records) still say they are "kept in" the file.
#   user a: INBOX: an empty message (quarantined), then one over the quota: the mailbox
#           fails with nothing stored;
#   user b: INBOX: a small message (stored and journaled), an empty one, one over the
#           quota: the mailbox fails after a part;
#   each:   folder f: an empty message (quarantined), a small one (stored): done.
#   quota raised, rerun.
# Expected: each quarantine holds both empty messages, once each.
# (a) passes since the fix of t0742 (a failed delivery cuts the quarantine back to its
# last record at once, and a try that stored nothing starts afresh); (b) needs the
# quarantine's tail cut once per user before any source writes, to the largest size
# any record of the user's journal holds -- or one quarantine file per source.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mboxparse
import reviewlib as r

site = r.Site('rv1')
EMPTY = b'From empty-%s@example.org ' + r.D + b'\n\n'
BIG = r.msg(b'big', (b'q' * 70 + b'\n') * 200)
FOLDER = {'f': EMPTY % b'folder' + r.msg(b'small')}
users = {'a': site.user('a', inbox=EMPTY % b'inbox' + BIG, folders=FOLDER),
         'b': site.user('b', inbox=r.msg(b'first') + EMPTY % b'inbox' + BIG, folders=FOLDER)}
WANT_INBOX = {'a': [b'big'], 'b': [b'first', b'big']}

with t.Cyrus() as cy:
    for case, u in sorted(users.items()):
        adm = cy.admin()
        adm.create('user.' + u)
        adm.setquota('user.' + u, '(STORAGE 5)')
        adm.logout()
        m = site.mapnames(cy, [u], '%s.tsv' % u)
        q = os.path.join(m + '.state', 'quarantine', u + '.mbox')

        def senders():
            if not os.path.exists(q):
                return []
            return sorted(x['sender'] for x in mboxparse.parse(open(q, 'rb').read(), None)[1])

        p = r.convert(cy, m, '--batch-messages', '1')
        t.is_(p.returncode, 75, '(%s) the INBOX is over quota (75), the folder goes on' % case, r.tail(p))
        adm = cy.admin()
        adm.setquota('user.' + u, '(STORAGE 10000)')
        adm.logout()
        p = r.convert(cy, m, '--batch-messages', '1')
        t.is_(p.returncode, 1, '(%s) the rerun finishes (1: messages in quarantine)' % case, r.tail(p))
        err = p.stderr.decode(errors='replace')
        t.ok('Mail/f: msg 1' in err and 'kept in ' + q in err,
             '(%s) the rerun\'s report says the folder\'s empty message is kept in the quarantine' % case,
             err[-1500:])
        t.is_(senders(), ['empty-folder@example.org', 'empty-inbox@example.org'],
              '(%s) and the quarantine holds it: both empty messages, once each' % case)
        im = cy.as_user(u)
        t.is_((r.subjects(im, 'INBOX'), r.subjects(im, 'INBOX.f')), (WANT_INBOX[case], [b'small']),
              '(%s) the stored messages are there once' % case)
        im.logout()
t.done()
