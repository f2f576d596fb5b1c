/* See privdrop.h. */
#include "core/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned long *out)
{
	char *end;
	if (!*s)
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int priv_lookup_group(const char *name, gid_t *out)
{
	unsigned long id;
	if (parse_id(name, &id) == 0) {
		*out = (gid_t)id;
		return 0;
	}
	struct group *g = getgrnam(name);
	if (!g)
		return -1;
	*out = g->gr_gid;
	return 0;
}

int priv_drop(const char *user, const char *group, uint64_t keep_caps, char *err, size_t errlen)
{
	if (!user || !*user)
		return 0;
	uid_t uid;
	gid_t gid;
	unsigned long id;
	struct passwd *pw = NULL;
	if (parse_id(user, &id) == 0) {
		uid = (uid_t)id;
		pw = getpwuid(uid);
	} else {
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "[lac] user: no such user '%s'", user);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (group && *group) {
		if (priv_lookup_group(group, &gid) < 0) {
			snprintf(err, errlen, "[lac] group: no such group '%s'", group);
			return -1;
		}
	} else if (pw) {
		gid = pw->pw_gid;
	} else {
		snprintf(err, errlen, "[lac] group: required with a numeric user");
		return -1;
	}
	if (uid == 0) {
		snprintf(err, errlen, "[lac] user: '%s' is root", user);
		return -1;
	}
	/* keep the permitted set across setuid, then trim it to keep_caps */
	if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		goto fail_errno;
	for (unsigned long cap = 0; cap <= 63; cap++) {
		if (keep_caps & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			goto fail_errno;
	}
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		goto fail_errno;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (uint32_t)keep_caps;
	data[1].permitted = data[1].effective = (uint32_t)(keep_caps >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		goto fail_errno;
	if (keep_caps)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail_errno;
	/* must not be able to come back */
	if (setuid(0) == 0) {
		snprintf(err, errlen, "privilege drop did not hold");
		return -1;
	}
	return 0;
fail_errno:
	snprintf(err, errlen, "privilege drop to %s: %s", user, strerror(errno));
	return -1;
}
