/* fault.h -- crash points for the resume tests (tests/t0510, t0610).
 *
 * With M2C_FAULT=NAME:N in the environment, the N-th pass through the point NAME
 * kills the whole process group with SIGKILL -- what kill -9 of a run does, a running
 * reconstruct included.  Points: "create" (a mailbox created), "write" (an N. file
 * linked), "reconstruct-running" (reconstruct started, still running), "reconstruct"
 * (it ran, not yet recorded), "store" (a flag group stored);
 * backout: "backout-message" (a message written to the temporary file), "backout-backup"
 * (--in-place: the backup linked, the file not yet replaced), "backout-commit" (the
 * file replaced, not yet journaled).  Without M2C_FAULT a point costs an atomic load.
 */
#ifndef M2C_FAULT_H
#define M2C_FAULT_H

void fault_point(const char *name);

#endif
