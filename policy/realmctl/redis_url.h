/*
 * redis_url: parsing of realmctl's Redis address (pure: no sockets, no
 * allocation). Accepted forms:
 *   redis://[[user]:password@]host[:port][/db]   host may be [IPv6]
 *   unix://[[user]:password@]/path/to/socket[?db=N]
 * The password may be percent-encoded (%40 for '@'). Defaults: port 6379, db 0.
 */
#ifndef REALMCTL_REDIS_URL_H
#define REALMCTL_REDIS_URL_H

#include <stddef.h>

#define REDIS_URL_DEFAULT           "redis://127.0.0.1:6379"
#define REDIS_URL_ENV               "REALM_LNS_REDIS"
#define REDIS_URL_HOST_MAX          255
#define REDIS_URL_PATH_MAX          107   /* sun_path minus its NUL */
#define REDIS_URL_SECRET_MAX        255

enum redis_url_kind {
	REDIS_URL_TCP = 0,
	REDIS_URL_UNIX,
};

struct redis_url {
	enum redis_url_kind kind;
	char host[REDIS_URL_HOST_MAX + 1];      /* TCP: literal or name, no brackets */
	int  port;                              /* TCP: 1..65535 */
	char path[REDIS_URL_PATH_MAX + 1];      /* UNIX: socket path */
	char user[REDIS_URL_SECRET_MAX + 1];    /* "" unless given (Redis 6 ACL user) */
	char password[REDIS_URL_SECRET_MAX + 1];/* "" when no AUTH is wanted */
	int  has_password;
	int  db;                                /* 0..INT_MAX, SELECTed when not 0 */
};

/*
 * Parse url into out. Returns 0, or -1 with one line in err naming what is
 * wrong (the password is never echoed into err).
 */
int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen);

/* Write a printable form without the password ("redis://host:port/db",
 * "unix:///path") into buf, for messages. */
void redis_url_describe(const struct redis_url *url, char *buf, size_t buflen);

#endif
