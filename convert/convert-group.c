/* convert-group.c -- a group of users through convert (convert --batch-users): each
 * user's steps as convert-user.c orders them, with what costs more per call than per
 * user done once for the group.  On a site of small users the cost of a user is
 * mostly process start-up: an mbpath and a reconstruct each cost more than a small
 * mailbox (DESIGN.md: Cyrus's tools per call), and an admin login one round trip
 * more.  So, for the group:
 *
 *   1. every user: steps 0-1 (journal, CREATE), on one admin session;
 *   2. the method's prepare_many() over every mailbox the group created (spool: one
 *      mbpath);
 *   3. every user: steps 2-3 (the method started, the sources delivered);
 *   4. the method's finish_many() over the users whose mailboxes are all ready, by
 *      user (spool: one reconstruct -u), and the ready mailboxes of the others;
 *      when it fails, each user's finish() on its own, so that one bad mailbox costs
 *      only its user;
 *   5. every user: steps 4-7 (counted, flags, subscriptions, DONE).
 *
 * Each user's journal records its own steps as before, so a kill anywhere resumes each
 * user where its journal says: a mailbox delivered but not FINISHED is finished (and
 * counted) again by the rerun, alone or in its new group.  The journals are synced
 * before step 4 (method.h: visible_at_finish).  No user keeps an IMAP session while
 * the others of its group go on.
 */
#include "convert-user-private.h"

#include <gio/gio.h>

#include "fault.h"

void
convert_group(ConvertContext *ctx, ManifestUser *const *users, guint n)
{
	const ConvertMethod *method = ctx->method;
	g_autofree Job *jobs = g_new0(Job, n);
	g_autofree gboolean *alive = g_new0(gboolean, n);
	ImapSession *admin = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	gboolean finished = FALSE;

	for (guint i = 0; i < n; i++) {
		if (g_atomic_int_get(&ctx->stopped)) {
			convert_results_user(ctx->results, users[i]->user, USER_NOT_STARTED,
			                     "the run stopped before this user (see the run's failure)");
			progress_user_done(ctx->progress);
			continue;
		}
		/* a group of one keeps the admin's session its own, as before groups */
		alive[i] = job_begin(&jobs[i], ctx, users[i]->user, users[i]->rows,
		                     n > 1 ? &admin : NULL);
		/* a user that ended here may have lost the session: the next makes a new one */
		if (!alive[i])
			g_clear_pointer(&admin, imap_session_free);
		/* no idle session per user while the group goes on (a server's maxchild, its
		 * idle timeout): steps 4-7 log in again */
		else if (n > 1)
			g_clear_pointer(&jobs[i].owner, imap_session_free);
	}
	g_clear_pointer(&admin, imap_session_free);   /* steps 0-1 are the admin's */

	if (method->prepare_many != NULL) {
		for (guint i = 0; i < n; i++)
			if (alive[i])
				job_created_mailboxes(&jobs[i], names);
		g_ptr_array_add(names, NULL);
		method->prepare_many(ctx->method_run, (const char *const *)names->pdata);
		g_ptr_array_set_size(names, 0);
	}
	for (guint i = 0; i < n; i++)
		if (alive[i])
			alive[i] = job_deliver(&jobs[i]);

	if (method->finish_many != NULL) {
		g_autoptr(GPtrArray) whole = g_ptr_array_new();
		/* what was delivered becomes visible: the journals that record it first */
		for (guint i = 0; i < n; i++) {
			if (alive[i] && !job_sync(&jobs[i], &jobs[i].error))
				alive[i] = job_end(&jobs[i], FALSE);
			if (!alive[i])
				continue;
			if (jobs[i].user[0] != '-' && job_is_whole(&jobs[i]))
				g_ptr_array_add(whole, (gpointer)jobs[i].user);
			else
				job_ready_mailboxes(&jobs[i], names);
		}
		g_ptr_array_add(whole, NULL);
		g_ptr_array_add(names, NULL);
		gint64 t0 = g_get_monotonic_time();
		finished = method->finish_many(ctx->method_run, (const char *const *)whole->pdata,
		                               (const char *const *)names->pdata, &error);
		convert_results_add_finish_time(ctx->results,
		                                (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
		if (!finished)
			report_msg(ctx->report, REPORT_WARNING, "%u users at once: %s; each user's "
			           "mailboxes again on their own", n, error->message);
	}
	for (guint i = 0; i < n; i++)
		if (alive[i])
			job_end(&jobs[i], finished);
}
