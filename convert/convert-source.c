/* convert-source.c -- convert's way to the sources: manifest-source.h with the run's
 * settings (verify opens them the same way, through the same functions). */
#include "convert-user.h"

#include "manifest-source.h"

UserAccess *
convert_user_access(const ConvertContext *ctx, const char *user, GError **error)
{
	return manifest_source_user_access(ctx->manifest, user, error);
}

MboxReader *
convert_open_source(const ConvertContext *ctx, const UserAccess *access, const char *path,
                    char **identity_out, GError **error)
{
	return manifest_source_open(ctx->manifest, &ctx->server->reader, access, path, identity_out, error);
}
