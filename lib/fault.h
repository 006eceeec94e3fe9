/* fault.h -- crash points for the resume tests (tests/t0510, t0610).
 *
 * With M2C_FAULT=NAME:N in the environment, the N-th pass through the point NAME
 * kills the whole process group with SIGKILL -- what kill -9 of a run does, a running
 * reconstruct included.  Points: "create" (a mailbox created), "write" (an N. file
 * linked), "reconstruct-running" (reconstruct started, still running), "reconstruct"
 * (it ran, not yet recorded), "store" (a flag group stored), "flagged" (a source's
 * flags recorded, its subscription not yet); imap: "literal" (half of a literal
 * sent), "appended" (an APPEND answered OK, its UIDs not yet journaled);
 * backout: "backout-message" (a message written to the temporary file), "backout-backup"
 * (--in-place: the backup linked, the file not yet replaced), "backout-commit" (the
 * file replaced, not yet journaled); lmtp: "lmtp-sent" (a message's data sent, its
 * reply not read), "lmtp-acked" (its 250 read, the part not yet journaled).  Without M2C_FAULT a point costs an atomic load.
 */
#ifndef M2C_FAULT_H
#define M2C_FAULT_H

void fault_point(const char *name);

/* With M2C_PAUSE=NAME in the environment, the first pass through the point NAME prints
 * "m2c: paused at NAME" on stderr and waits until a byte can be read from standard
 * input (or it is closed): a test does what must happen just then (a flag changed by
 * another session between backout's listing and its fetch: "backout-listed"; a
 * folder's rights changed after convert --method lmtp checked them: "lmtp-begun"), then
 * writes the byte -- a readiness handshake, never a sleep. */
void fault_pause(const char *name);

#endif
