/* manifest-private.h -- what lib/manifest.c (reading), lib/manifest-write.c and
 * lib/manifest-validate.c share. */
#ifndef M2C_MANIFEST_PRIVATE_H
#define M2C_MANIFEST_PRIVATE_H

#include <glib.h>

/* The columns of a row, in order (manifest.c); a 9th, "server", is optional. */
extern const char *const manifest_columns[];
#define N_COLUMNS ((gsize)8)

/* `len` bytes of `bytes` for a message: escaped as tsv.h says (so no control
 * character reaches a terminal), cut after 100 bytes with "...".  New. */
char *manifest_quoted(const char *bytes, gsize len);

/* What is wrong with `len` bytes of `path` as a path mapnames writes: absolute, with
 * no empty, "." or ".." part ("/" itself only with `root_ok`).  A static phrase to
 * follow the path in a message ("has a \"..\" part"), or NULL when nothing is.  So
 * one file has one spelling, and equal files are equal strings. */
const char *manifest_path_problem(const char *path, gsize len, gboolean root_ok);

#endif
