/* Least privilege for lac-core (issue 8 item 6): once every socket, the TUN
 * device and the control socket are open, the daemon leaves root for the
 * configured user/group and keeps only the capabilities it still uses
 * (none today: no socket that needs one is reopened after start-up).
 * Done with prctl/setgroups/setgid/setuid/capset, no libcap. */
#ifndef CORE_PRIVDROP_H
#define CORE_PRIVDROP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Resolves a group name (or decimal gid) now, before the drop. 0 or -1. */
int priv_lookup_group(const char *name, gid_t *out);

/* Switches to user (name or decimal uid) and group (name, decimal gid, or ""
 * for the user's primary group), with no supplementary groups, keeping the
 * capabilities in keep_caps (a bit mask of CAP_* numbers, 0 for none) in the
 * permitted and effective sets and nothing in the bounding set beyond them;
 * sets no_new_privs. user "" does nothing. Returns 0, or -1 with err set
 * (the caller refuses to run: a daemon that meant to drop root must not
 * carry on as root). */
int priv_drop(const char *user, const char *group, uint64_t keep_caps, char *err, size_t errlen);

#endif
