/* Control socket server: non-blocking accept, read one line, run the handler,
 * write the reply out as the socket drains, close. */
#include "core/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"

#define CTL_MAX_LINE 1024
#define CTL_MAX_ARGS 16

struct ctl_client {
	struct ctl_server *srv;
	int fd;
	char line[CTL_MAX_LINE];
	size_t line_len;
	struct strbuf out;
	struct ctl_client *next, *prev;
};

struct ctl_server {
	struct ev_loop *loop;
	int fd;
	char path[108];
	ctl_handler handler;
	void *ctx;
	struct ctl_client *clients;
	bool has_group;                 /* (subscriber helper, issue 8 item 6) */
	gid_t group;                    /* peers of this gid may connect too */
	uint64_t refused;
};

static void ctl_client_destroy(struct ctl_client *c)
{
	struct ctl_server *srv = c->srv;
	ev_io_del(srv->loop, c->fd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	strbuf_free(&c->out);
	free(c);
}

static void ctl_client_flush(struct ctl_client *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return; /* wait for EV_WRITE */
			ctl_client_destroy(c);
			return;
		}
		strbuf_consume(&c->out, (size_t)n);
	}
	ctl_client_destroy(c);
}

static void ctl_client_run(struct ctl_client *c)
{
	char *argv[CTL_MAX_ARGS];
	int argc = 0;
	char *save = NULL;
	for (char *tok = strtok_r(c->line, " \t\r", &save); tok && argc < CTL_MAX_ARGS;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (argc == 0)
		strbuf_printf(&c->out, "error: empty command\n");
	else
		c->srv->handler(c->srv->ctx, argc, argv, &c->out);
	if (c->out.failed) {
		strbuf_free(&c->out);
		strbuf_printf(&c->out, "error: out of memory\n");
	}
	ev_io_mod(c->srv->loop, c->fd, EV_WRITE);
	ctl_client_flush(c);
}

static void ctl_client_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct ctl_client *c = arg;
	if (events & EV_WRITE) {
		ctl_client_flush(c);
		return;
	}
	ssize_t n = recv(fd, c->line + c->line_len, sizeof(c->line) - 1 - c->line_len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		ctl_client_destroy(c);
		return;
	}
	c->line_len += (size_t)n;
	c->line[c->line_len] = '\0';
	char *nl = strchr(c->line, '\n');
	if (!nl) {
		if (c->line_len == sizeof(c->line) - 1) {
			strbuf_printf(&c->out, "error: command line too long\n");
			ev_io_mod(loop, fd, EV_WRITE);
			ctl_client_flush(c);
		}
		return;
	}
	*nl = '\0';
	ctl_client_run(c);
}

static void ctl_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct ctl_server *srv = arg;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("event=ctl_accept_failed errno=%d", errno);
			return;
		}
		/* SO_PEERCRED: root, our own uid, or the configured group only */
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
		    !(cred.uid == 0 || cred.uid == geteuid() || (srv->has_group && cred.gid == srv->group))) {
			srv->refused++;
			log_peer("event=ctl_refused uid=%d gid=%d", cl == sizeof(cred) ? (int)cred.uid : -1,
				 cl == sizeof(cred) ? (int)cred.gid : -1);
			close(cfd);
			continue;
		}
		struct ctl_client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->srv = srv;
		c->fd = cfd;
		strbuf_init(&c->out);
		if (ev_io_add(loop, cfd, EV_READ, ctl_client_io, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		c->next = srv->clients;
		if (srv->clients)
			srv->clients->prev = c;
		srv->clients = c;
	}
}

struct ctl_server *ctl_server_create(struct ev_loop *loop, const char *path, ctl_handler handler, void *ctx)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->loop = loop;
	srv->handler = handler;
	srv->ctx = ctx;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		goto fail;
	unlink(path);
	mode_t old_mask = umask(0117); /* the socket file is created 0660 */
	int b = bind(srv->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (b < 0 || listen(srv->fd, 16) < 0 ||
	    ev_io_add(loop, srv->fd, EV_READ, ctl_accept, srv) < 0)
		goto fail;
	return srv;
fail:;
	int saved = errno;
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv);
	errno = saved;
	return NULL;
}

int ctl_server_set_group(struct ctl_server *srv, gid_t gid)
{
	srv->has_group = true;
	srv->group = gid;
	return chown(srv->path, (uid_t)-1, gid);
}

void ctl_server_destroy(struct ctl_server *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		ctl_client_destroy(srv->clients);
	ev_io_del(srv->loop, srv->fd);
	close(srv->fd);
	unlink(srv->path);
	free(srv);
}
