/* Stream access (access/stream.c) on a real loop and unix sockets: the
 * re-entrancy contract of issue 8 item 1 (a send never calls back, `closed`
 * comes from the loop, exactly once, and the EV_WRITE path never reads a
 * freed conn: run under ASan/valgrind that last one is an error, not luck)
 * and the file-descriptor budget of item 5. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "access/stream.h"
#include "ppp/hdlc.h"
#include "util/log.h"

struct owner {
	struct access_conn *conn;
	unsigned frames, closed;
	bool in_send, in_frame_rx;
	bool closed_inside_send, closed_inside_frame_rx;
	unsigned sends_per_frame;       /* sends done from frame_rx */
	int send_results_failed;
};

static struct owner owners[8];
static unsigned n_owners;

static void o_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct owner *o = arg;
	uint8_t big[1400];
	memset(big, 0x7e, sizeof(big)); /* every octet escaped: twice the bytes */
	o->frames++;
	o->in_frame_rx = true;
	for (unsigned i = 0; i < o->sends_per_frame; i++) {
		o->in_send = true;
		if (access_conn_send(o->conn, big, sizeof(big)) < 0)
			o->send_results_failed++;
		o->in_send = false;
	}
	o->in_frame_rx = false;
}

static void o_closed(void *arg, const char *reason)
{
	struct owner *o = arg;
	o->closed++;
	if (o->in_send)
		o->closed_inside_send = true;
	if (o->in_frame_rx)
		o->closed_inside_frame_rx = true;
	o->conn = NULL;
}

static const struct access_conn_handlers handlers = { .frame_rx = o_frame, .closed = o_closed };
static unsigned sends_per_frame;

static void on_new(void *ctx, struct access_conn *conn)
{
	struct owner *o = &owners[n_owners++];
	memset(o, 0, sizeof(*o));
	o->conn = conn;
	o->sends_per_frame = sends_per_frame;
	access_conn_attach(conn, &handlers, o);
}

static char path[108];

static struct stream_access *listen_unix(struct ev_loop *loop)
{
	char err[128], spec[128];
	snprintf(path, sizeof(path), "/tmp/rlns-test-stream.%d", (int)getpid());
	snprintf(spec, sizeof(spec), "unix:%s", path);
	struct stream_access *sa = stream_access_create(loop, spec, 5, on_new, NULL, err, sizeof(err));
	cr_assert_not_null(sa, "%s", err);
	return sa;
}

static int client(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0, "%s", strerror(errno));
	return fd;
}

static void spin(struct ev_loop *loop, int n)
{
	for (int i = 0; i < n; i++)
		ev_loop_run_once(loop, 5);
}

static void send_lcp(int fd)
{
	static const uint8_t lcp[] = { 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04 };
	uint8_t out[64];
	ssize_t n = hdlc_encode(out, sizeof(out), lcp, sizeof(lcp), 0xffffffffu);
	cr_assert_gt(n, 0);
	cr_assert_eq(write(fd, out, (size_t)n), n);
}

static void init(void)
{
	n_owners = 0;
	sends_per_frame = 1;
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_ERROR);
}

TestSuite(stream, .init = init);

/* The hostile subscriber of issue 8: a burst, then it is gone before our
 * answer is written. The answer's write fails inside send: the owner must not
 * hear `closed` there (it is inside its own PPP code), but from the loop. */
Test(stream, write_error_in_send_reports_closed_from_the_loop_once)
{
	struct ev_loop *loop = ev_loop_create();
	struct stream_access *sa = listen_unix(loop);
	int fd = client();
	spin(loop, 2);
	cr_assert_eq(n_owners, 1);
	send_lcp(fd);
	close(fd); /* gone: our answer's write gets EPIPE */
	spin(loop, 5);
	struct owner *o = &owners[0];
	cr_expect_eq(o->frames, 1);
	cr_expect_eq(o->closed, 1, "closed exactly once");
	cr_expect(!o->closed_inside_send, "closed was reported from inside access_conn_send");
	cr_expect(!o->closed_inside_frame_rx, "closed was reported from inside frame_rx");
	cr_expect_eq(stream_access_n_conns(sa), 0);
	stream_access_destroy(sa);
	ev_loop_destroy(loop);
}

/* The output queue fills (the subscriber stops reading), then the TCP/unix
 * connection is reset: the EV_WRITE flush fails and must neither free the conn
 * under the read path nor report `closed` twice. */
Test(stream, write_error_on_the_ev_write_path_is_deferred_and_single)
{
	struct ev_loop *loop = ev_loop_create();
	struct stream_access *sa = listen_unix(loop);
	sends_per_frame = 200; /* ~560 KB asked, more than the socket and the queue hold */
	int fd = client();
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	spin(loop, 2);
	for (int i = 0; i < 3; i++)
		send_lcp(fd);
	spin(loop, 3);
	struct owner *o = &owners[0];
	cr_expect_gt(o->send_results_failed, 0, "the queue filled");
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	spin(loop, 10);
	cr_expect_eq(o->closed, 1);
	cr_expect(!o->closed_inside_send);
	cr_expect_eq(stream_access_n_conns(sa), 0);
	struct stream_access_counters c;
	stream_access_counters(sa, &c);
	cr_expect_eq(c.accepted, c.closed);
	stream_access_destroy(sa);
	ev_loop_destroy(loop);
}

/* The owner may close the conn from inside frame_rx; nothing follows. */
static void o_frame_close(void *arg, const uint8_t *frame, size_t len)
{
	struct owner *o = arg;
	o->frames++;
	access_conn_close(o->conn, "bye");
	o->conn = NULL;
}

static const struct access_conn_handlers close_handlers = { .frame_rx = o_frame_close, .closed = o_closed };

static void on_new_close(void *ctx, struct access_conn *conn)
{
	struct owner *o = &owners[n_owners++];
	memset(o, 0, sizeof(*o));
	o->conn = conn;
	access_conn_attach(conn, &close_handlers, o);
}

Test(stream, close_from_frame_rx_stops_the_frames_and_sends_no_closed)
{
	struct ev_loop *loop = ev_loop_create();
	char err[128], spec[128];
	snprintf(path, sizeof(path), "/tmp/rlns-test-stream.%d", (int)getpid());
	snprintf(spec, sizeof(spec), "unix:%s", path);
	struct stream_access *sa = stream_access_create(loop, spec, 5, on_new_close, NULL, err, sizeof(err));
	cr_assert_not_null(sa);
	int fd = client();
	spin(loop, 2);
	send_lcp(fd);
	send_lcp(fd);
	send_lcp(fd);
	spin(loop, 3);
	cr_expect_eq(owners[0].frames, 1, "no frame after close");
	cr_expect_eq(owners[0].closed, 0, "no closed after the owner's own close");
	cr_expect_eq(stream_access_n_conns(sa), 0);
	close(fd);
	stream_access_destroy(sa);
	ev_loop_destroy(loop);
}

Test(stream, max_total_pauses_accepting_until_a_connection_ends)
{
	struct ev_loop *loop = ev_loop_create();
	struct stream_access *sa = listen_unix(loop);
	struct stream_limits lim = { .max_total = 2 };
	stream_access_set_limits(sa, &lim);
	int a = client(), b = client(), c = client();
	spin(loop, 5);
	cr_expect_eq(stream_access_n_conns(sa), 2, "the third waits in the backlog");
	struct stream_access_counters ctr;
	stream_access_counters(sa, &ctr);
	cr_expect_eq(ctr.accept_paused, 1);
	close(a);
	spin(loop, 5);
	cr_expect_eq(n_owners, 3, "accepted once an fd came free");
	cr_expect_eq(stream_access_n_conns(sa), 2);
	close(b);
	close(c);
	spin(loop, 5);
	stream_access_destroy(sa);
	ev_loop_destroy(loop);
}

/* EMFILE: accept() cannot get an fd. The listener pauses (counted once)
 * instead of spinning on a readable listener, and resumes on its timer. */
Test(stream, emfile_pauses_without_spinning_and_resumes)
{
	struct ev_loop *loop = ev_loop_create();
	struct stream_access *sa = listen_unix(loop);
	struct stream_limits lim = { .pause_ms = 20 };
	stream_access_set_limits(sa, &lim);
	int a = client(), b = client();
	/* no fd left for accept() */
	int last = dup(0);
	struct rlimit old, tight;
	getrlimit(RLIMIT_NOFILE, &old);
	tight = old;
	tight.rlim_cur = (rlim_t)last;
	close(last);
	int filler = dup(0);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	for (int i = 0; i < 50; i++)
		ev_loop_run_once(loop, 0);
	struct stream_access_counters ctr;
	stream_access_counters(sa, &ctr);
	cr_expect_eq(ctr.accept_fd_exhausted, 1, "one EMFILE, not a spin: %llu",
		     (unsigned long long)ctr.accept_fd_exhausted);
	cr_expect_eq(n_owners, 0);
	setrlimit(RLIMIT_NOFILE, &old);
	close(filler);
	spin(loop, 20);
	cr_expect_eq(n_owners, 2, "resumed on the timer");
	close(a);
	close(b);
	spin(loop, 3);
	stream_access_destroy(sa);
	ev_loop_destroy(loop);
}

/* max_per_source with thousands of sources: the per-source table grows past
 * its first 1,024 buckets (issue 12: fixed tables walked long chains at
 * scale), and every source is still found, counted and forgotten. */
#include <arpa/inet.h>
#include <netinet/in.h>

static unsigned tcp_accepted;
static void count_frame(void *arg, const uint8_t *frame, size_t len) { }
static void count_closed(void *arg, const char *reason) { }
static const struct access_conn_handlers count_handlers = { .frame_rx = count_frame,
							    .closed = count_closed };
static void on_new_count(void *ctx, struct access_conn *conn)
{
	tcp_accepted++;
	access_conn_attach(conn, &count_handlers, NULL);
}

static int tcp_client_from(uint32_t src_host_order, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(src_host_order) };
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "%s", strerror(errno));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int r = connect(fd, (struct sockaddr *)&to, sizeof(to));
	cr_assert(r == 0 || errno == EINPROGRESS, "%s", strerror(errno));
	return fd;
}

Test(stream, thousands_of_sources_are_each_limited_and_forgotten)
{
	enum { N = 3000 };
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * N + 64)
		cr_skip_test("needs %d file descriptors", 2 * N + 64);
	rl.rlim_cur = 2 * N + 64;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in pa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t pl = sizeof(pa);
	cr_assert_eq(bind(probe, (struct sockaddr *)&pa, sizeof(pa)), 0);
	getsockname(probe, (struct sockaddr *)&pa, &pl);
	uint16_t port = ntohs(pa.sin_port);
	close(probe);
	char spec[64], err[128];
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", port);
	struct ev_loop *loop = ev_loop_create();
	struct stream_access *sa = stream_access_create(loop, spec, 5, on_new_count, NULL, err,
							sizeof(err));
	cr_assert_not_null(sa, "%s", err);
	struct stream_limits lim = { .max_per_source = 1 };
	stream_access_set_limits(sa, &lim);
	static int fds[N + 1];
	const uint32_t base = 0x7f010000;       /* 127.1.0.0: a source address each */
	for (int i = 0; i < N; i++) {
		fds[i] = tcp_client_from(base + (uint32_t)i, port);
		if (i % 100 == 99)
			for (int k = 0; k < 50 && stream_access_n_conns(sa) < (uint32_t)i + 1; k++)
				ev_loop_run_once(loop, 2);
	}
	for (int k = 0; k < 500 && stream_access_n_conns(sa) < N; k++)
		ev_loop_run_once(loop, 2);
	cr_expect_eq(stream_access_n_conns(sa), N, "one connection from each of %d sources", N);
	/* A second one from the first source (entered before the table grew). */
	fds[N] = tcp_client_from(base, port);
	struct stream_access_counters ctr;
	for (int k = 0; k < 200; k++) {
		ev_loop_run_once(loop, 2);
		stream_access_counters(sa, &ctr);
		if (ctr.refused_per_source)
			break;
	}
	cr_expect_eq(ctr.refused_per_source, 1);
	cr_expect_eq(stream_access_n_conns(sa), N);
	for (int i = 0; i <= N; i++)
		close(fds[i]);
	for (int k = 0; k < 500 && stream_access_n_conns(sa) > 0; k++)
		ev_loop_run_once(loop, 2);
	cr_expect_eq(stream_access_n_conns(sa), 0);
	/* Forgotten: the first source may connect again. */
	int again = tcp_client_from(base, port);
	for (int k = 0; k < 200 && stream_access_n_conns(sa) < 1; k++)
		ev_loop_run_once(loop, 2);
	cr_expect_eq(stream_access_n_conns(sa), 1);
	stream_access_counters(sa, &ctr);
	cr_expect_eq(ctr.refused_per_source, 1);
	close(again);
	stream_access_destroy(sa);
	ev_loop_destroy(loop);
}
