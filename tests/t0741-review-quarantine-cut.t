#!/usr/bin/env python3
# Review of issue 10: the quarantine is one file per user, and a rerun that resumes a
# source cuts it back to the size that source's last checkpoint recorded
# (imap-deliver.c resume_check -> quarantine_truncate).  When that source had failed
# (over quota: "other mailboxes go on") and a later source of the same user then put
# messages into the quarantine, the cut removes the later source's messages -- while
# the report (and the journal's problem records) still say they are "kept in" the file.
#   INBOX: an empty message (quarantined), then one over the quota: the mailbox fails;
#   folder f: an empty message (quarantined), a small one (stored): done.
#   quota raised, rerun.
# Expected: the quarantine holds both empty messages (stored 2 + quarantined 2 = 4).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import mboxparse
import reviewlib as r

site = r.Site('rv1')
EMPTY = b'From empty-%s@example.org ' + r.D + b'\n\n'
u = site.user('q', inbox=EMPTY % b'inbox' + r.msg(b'big', (b'q' * 70 + b'\n') * 200),
              folders={'f': EMPTY % b'folder' + r.msg(b'small')})

with t.Cyrus() as cy:
    adm = cy.admin()
    adm.create('user.' + u)
    adm.setquota('user.' + u, '(STORAGE 5)')
    adm.logout()
    m = site.mapnames(cy, [u])
    q = os.path.join(m + '.state', 'quarantine', u + '.mbox')

    def senders():
        if not os.path.exists(q):
            return []
        return sorted(x['sender'] for x in mboxparse.parse(open(q, 'rb').read(), None)[1])

    p = r.convert(cy, m)
    t.is_(p.returncode, 75, 'the INBOX is over quota (75), the folder goes on', r.tail(p))
    t.is_(senders(), ['empty-folder@example.org', 'empty-inbox@example.org'],
          'after the first run the quarantine holds both empty messages')
    adm = cy.admin()
    adm.setquota('user.' + u, '(STORAGE 10000)')
    adm.logout()
    p = r.convert(cy, m)
    t.is_(p.returncode, 1, 'the rerun finishes (1: messages in quarantine)', r.tail(p))
    err = p.stderr.decode(errors='replace')
    t.ok('Mail/f: msg 1' in err and 'kept in ' + q in err,
         'the rerun\'s report says the folder\'s empty message is kept in the quarantine', err[-1500:])
    t.is_(senders(), ['empty-folder@example.org', 'empty-inbox@example.org'],
          'and the quarantine still holds it: both empty messages, once each')
    im = cy.as_user(u)
    t.is_((r.subjects(im, 'INBOX'), r.subjects(im, 'INBOX.f')), ([b'big'], [b'small']),
          'the stored messages are there once')
    im.logout()
t.done()
