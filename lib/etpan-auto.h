/* etpan-auto.h -- g_autoptr() cleanups for the libetpan types we hold.
 *
 * libetpan memory is freed only by libetpan's own *_free functions: never g_free a
 * libetpan object, and never hand libetpan memory from g_malloc.  The typedefs give
 * names to the struct types so that G_DEFINE_AUTOPTR_CLEANUP_FUNC accepts them.
 */
#ifndef M2C_ETPAN_AUTO_H
#define M2C_ETPAN_AUTO_H

#include <glib.h>
#include <libetpan/libetpan.h>

typedef struct mailimap_flag_list EtpanFlagList;
typedef struct mailimap_date_time EtpanDateTime;
typedef struct mailimap_set EtpanSet;
typedef struct mailimap_fetch_type EtpanFetchType;
typedef clist EtpanFetchResult;   /* a clist of struct mailimap_msg_att, from FETCH */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(mailimap, mailimap_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EtpanFlagList, mailimap_flag_list_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EtpanDateTime, mailimap_date_time_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EtpanSet, mailimap_set_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EtpanFetchType, mailimap_fetch_type_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EtpanFetchResult, mailimap_fetch_list_free)

#endif
