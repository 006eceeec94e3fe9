#!/usr/bin/env python3
# Review of issue 10: a delivery that failed before storing anything is journaled
# "read -" (READ_NOTHING_STORED), and the next try journals a new "read" record -- which
# makes job_load_journal() forget the earlier checkpoints -- but deliver() in
# convert-deliver.c still hands the method the old ones (its in-memory s->checkpoints).
# The imap method sees the old "begin", resumes, and writes its parts without a begin of
# their own.  Any later run then reads parts with no begin: "damaged journal line", the
# user failed (65) -- after a run that said "done", or after a kill that the rerun must
# resume from.
#   (a) over quota (nothing stored), quota raised, rerun: done; one more rerun must say
#       "already converted" and exit 0;
#   (b) over quota, quota raised, rerun killed after its first APPEND command's part,
#       rerun: it must resume and finish, every message once.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import m2ctest as t

t.need_root()
import reviewlib as r

site = r.Site('rv2')
BIG = (b'q' * 70 + b'\n') * 200
ua = site.user('a', inbox=r.msg(b'big', BIG))
ub = site.user('b', inbox=r.msg(b'big', BIG) + b''.join(r.msg(b'm%d' % i) for i in range(2, 10)))

with t.Cyrus() as cy:
    adm = cy.admin()
    for u in (ua, ub):
        adm.create('user.' + u)
        adm.setquota('user.' + u, '(STORAGE 5)')
    adm.logout()

    def raise_quota(u):
        adm = cy.admin()
        adm.setquota('user.' + u, '(STORAGE 10000)')
        adm.logout()

    m = site.mapnames(cy, [ua], 'a.tsv')
    p = r.convert(cy, m)
    t.is_(p.returncode, 75, '(a) over quota: nothing stored (75)', r.tail(p))
    raise_quota(ua)
    p = r.convert(cy, m)
    t.is_(p.returncode, 0, '(a) quota raised: the rerun is done', r.tail(p))
    p = r.convert(cy, m, '-v')
    t.ok(p.returncode == 0 and b'already converted by an earlier run' in p.stderr,
         '(a) one more rerun: "already converted", exit 0 (not a damaged journal)',
         'exit %d' % p.returncode, r.tail(p))

    m = site.mapnames(cy, [ub], 'b.tsv')
    p = r.convert(cy, m, '--batch-messages', '3')
    t.is_(p.returncode, 75, '(b) over quota: nothing stored (75)', r.tail(p))
    raise_quota(ub)
    p = r.convert(cy, m, '--batch-messages', '3', fault='literal:5')
    t.is_(p.returncode, -9, '(b) the rerun is killed in its second APPEND command')
    p = r.convert(cy, m, '--batch-messages', '3')
    t.is_(p.returncode, 0, '(b) the next rerun resumes and finishes', r.tail(p))
    im = cy.as_user(ub)
    t.is_(r.subjects(im, 'INBOX'), [b'big'] + [b'm%d' % i for i in range(2, 10)],
          '(b) every message once, in order')
    im.logout()
t.done()
