/* MD5 and HMAC-MD5 against the RFC 1321 and RFC 2104 test vectors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "util/md5.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

Test(md5, rfc1321_suite_vectors_match)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t d[16];
		char h[33];
		md5(v[i].in, strlen(v[i].in), d);
		hex(d, 16, h);
		cr_expect_str_eq(h, v[i].out, "md5(\"%s\")", v[i].in);
	}
}

Test(md5, split_updates_equal_one_shot)
{
	const char *msg = "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
	uint8_t one[16], split[16];
	md5(msg, strlen(msg), one);
	for (size_t cut = 0; cut <= strlen(msg); cut++) {
		struct md5_ctx ctx;
		md5_init(&ctx);
		md5_update(&ctx, msg, cut);
		md5_update(&ctx, msg + cut, strlen(msg) - cut);
		md5_final(&ctx, split);
		cr_assert(memcmp(one, split, 16) == 0, "cut at %zu", cut);
	}
}

Test(hmac_md5, rfc2104_vectors_match)
{
	uint8_t d[16];
	char h[33];
	uint8_t key1[16];
	memset(key1, 0x0b, sizeof(key1));
	hmac_md5(key1, 16, (const uint8_t *)"Hi There", 8, d);
	hex(d, 16, h);
	cr_expect_str_eq(h, "9294727a3638bb1c13f48ef8158bfc9d");

	hmac_md5((const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28, d);
	hex(d, 16, h);
	cr_expect_str_eq(h, "750c783e6ab0b503eaa86e310a5db738");

	uint8_t key3[16], data3[50];
	memset(key3, 0xaa, sizeof(key3));
	memset(data3, 0xdd, sizeof(data3));
	hmac_md5(key3, 16, data3, 50, d);
	hex(d, 16, h);
	cr_expect_str_eq(h, "56be34521d144c88dbb8c733f0e8b3f6");
}

#include "util/be.h"
#include "util/escape.h"
#include "util/random.h"

Test(be, loads_and_stores_are_network_order)
{
	uint8_t b[4];
	be16_put(b, 0x1234);
	cr_expect(b[0] == 0x12 && b[1] == 0x34);
	cr_expect_eq(be16_get(b), 0x1234);
	be32_put(b, 0xdeadbeef);
	cr_expect(b[0] == 0xde && b[3] == 0xef);
	cr_expect_eq(be32_get(b), 0xdeadbeefu);
}

Test(escape, printable_text_is_copied_and_the_rest_is_hex_escaped)
{
	char out[64];
	cr_expect_str_eq(escape_str(out, sizeof(out), "alice@corp.example"), "alice@corp.example");
	cr_expect_str_eq(escape_str(out, sizeof(out), "a b\nc=d\"\\"), "a\\x20b\\x0ac\\x3dd\\x22\\x5c");
	cr_expect_str_eq(escape_bytes(out, sizeof(out), "x\0y\xff", 4), "x\\x00y\\xff");
	cr_expect_str_eq(escape_str(out, sizeof(out), ""), "");
	cr_expect_str_eq(escape_str(out, sizeof(out), NULL), "");
}

Test(escape, a_forged_log_line_stays_on_one_line)
{
	char out[ESCAPE_FIELD_MAX];
	escape_str(out, sizeof(out), "bob\n2026-01-01 lac-core: event=admin-login user=root");
	cr_expect_null(strchr(out, '\n'));
	cr_expect_null(strchr(out, ' '));
	cr_expect_null(strchr(out, '='));
}

Test(escape, long_values_are_cut_with_dots_and_never_overflow)
{
	char in[100];
	memset(in, 'a', sizeof(in));
	for (size_t size = 1; size < 40; size++) {
		char out[48];
		memset(out, 'Z', sizeof(out));
		escape_bytes(out, size, in, sizeof(in));
		cr_expect(strlen(out) <= size - 1, "size %zu", size);
		cr_expect_eq(out[size], 'Z', "no write past out_size %zu", size);
		if (size >= 4)
			cr_expect(strcmp(out + strlen(out) - 3, "...") == 0, "size %zu: %s", size, out);
	}
	/* An escape sequence is never cut in half. */
	char out[9];
	escape_bytes(out, sizeof(out), "\n\n\n", 3);
	cr_expect_str_eq(out, "\\x0a...");
}

Test(random, bytes_fill_and_range_stays_in_bounds)
{
	cr_assert_eq(random_init(), 0);
	uint8_t a[32] = { 0 }, b[32] = { 0 };
	cr_assert_eq(random_bytes(a, sizeof(a)), 0);
	cr_assert_eq(random_bytes(b, sizeof(b)), 0);
	cr_expect(memcmp(a, b, sizeof(a)) != 0);
	for (int i = 0; i < 1000; i++) {
		uint32_t v;
		cr_assert_eq(random_range(1, 6, &v), 0);
		cr_expect(v >= 1 && v <= 6);
	}
	uint32_t v;
	cr_expect_eq(random_range(0, UINT32_MAX, &v), 0);
	cr_expect_eq(random_range(7, 7, &v), 0);
	cr_expect_eq(v, 7u);
	cr_expect_eq(random_range(8, 7, &v), -1);
}

/* Values are served from a pool refilled 512 bytes at a time: across many
 * refills no two 16-byte values repeat and every byte value turns up (a pool
 * served twice, or not refilled, would show), large requests bypass it. */
Test(random, pooled_values_do_not_repeat_across_refills)
{
	enum { N = 2000 };
	static uint8_t v[N][16];
	unsigned seen[256] = { 0 };
	cr_assert_eq(random_init(), 0);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(random_bytes(v[i], (i % 3) ? 16 : 5), 0);
		if (i % 3 == 0)
			memset(v[i] + 5, (uint8_t)i, 11);   /* short ones: unique tail */
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 16; j++)
			seen[v[i][j]]++;
	for (int i = 1; i < N; i++)
		for (int j = 0; j < i; j++)
			cr_assert(memcmp(v[i], v[j], 16) != 0,
				  "values %d and %d repeat", i, j);
	for (int b = 0; b < 256; b++)
		cr_expect_gt(seen[b], 0u, "byte %d never seen", b);
	uint8_t big[300] = { 0 }, zero[300] = { 0 };
	cr_assert_eq(random_bytes(big, sizeof(big)), 0);
	cr_expect(memcmp(big, zero, sizeof(big)) != 0);
}

Test(random, constant_time_compare_tells_equal_from_different)
{
	cr_expect(bytes_equal_ct("abcd", "abcd", 4));
	cr_expect(!bytes_equal_ct("abcd", "abce", 4));
	cr_expect(bytes_equal_ct("", "", 0));
}

/* ---- held log lines ---- */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

static unsigned log_wakes;
static void count_wake(void *arg) { (void)arg; log_wakes++; }

/* stderr into a datagram socket: each write() arrives as one datagram. */
static int stderr_to_datagrams(void)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	int one = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	cr_assert_geq(dup2(sv[1], STDERR_FILENO), 0);
	close(sv[1]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	return sv[0];
}

Test(log, held_lines_wait_for_the_flush_and_a_warning_writes_them_first)
{
	int rd = stderr_to_datagrams();
	char buf[8192];
	log_batch_start(count_wake, NULL);
	log_info("event=one");
	log_info("event=two");
	cr_expect_eq(log_wakes, 1, "woken once, when the first line was held");
	cr_expect_eq(recv(rd, buf, sizeof(buf), 0), -1, "nothing written yet");
	log_warn("event=three");
	ssize_t n = recv(rd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_expect(strstr(buf, "event=one") && strstr(buf, "event=two"), "the held lines, in one write");
	cr_expect_null(strstr(buf, "event=three"));
	n = recv(rd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_expect(strstr(buf, "level=warn event=three"), "then the warning");
	log_info("event=four");
	cr_expect_eq(log_wakes, 2);
	log_flush();
	n = recv(rd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_expect(strstr(buf, "event=four"));
	cr_expect_eq(recv(rd, buf, sizeof(buf), 0), -1);
}

Test(log, a_batch_goes_in_writes_of_whole_lines_of_at_most_4_kib)
{
	int rd = stderr_to_datagrams();
	char buf[8192];
	unsigned lines = 0, writes = 0;
	log_batch_start(count_wake, NULL);
	for (int i = 0; i < 300; i++)
		log_info("event=filler i=%03d pad=%080d", i, 0);
	log_flush();
	for (;;) {
		ssize_t n = recv(rd, buf, sizeof(buf), 0);
		if (n < 0)
			break;
		writes++;
		cr_expect_leq(n, 4096);
		cr_expect_eq(buf[n - 1], '\n', "a write ends with a whole line");
		for (ssize_t k = 0; k < n; k++)
			lines += buf[k] == '\n';
	}
	cr_expect_eq(lines, 300);
	cr_expect_lt(writes, 20, "about 30 lines per write, not one each");
}

Test(log, a_fatal_signal_writes_the_held_lines_and_still_kills)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		log_batch_start(count_wake, NULL);
		log_info("event=last_words");
		abort();
	}
	close(p[1]);
	char buf[4096];
	ssize_t n, got = 0;
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "the signal still ends the process");
	cr_expect(strstr(buf, "event=last_words"), "the held line was written: %s", buf);
}

/* ---- sock_drops: what the kernel dropped at a full socket ---- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "util/sock_drops.h"

Test(sock_drops, datagrams_a_full_receive_buffer_refused_are_counted)
{
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(rx >= 0 && tx >= 0);
	int small = 4096;       /* the kernel doubles it and keeps a floor: a few datagrams fit */
	cr_assert_eq(setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	cr_assert_eq(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(rx, (struct sockaddr *)&a, &alen), 0);
	uint64_t drops = 0;
	cr_assert_eq(sock_rx_drops(rx, &drops), 0);
	cr_expect_eq(drops, 0, "nothing dropped yet");
	char buf[1000] = { 0 };
	for (int i = 0; i < 200; i++)
		cr_assert_eq(sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)sizeof(buf));
	cr_assert_eq(sock_rx_drops(rx, &drops), 0);
	cr_expect_gt(drops, 150, "most of 200 datagrams of 1000 octets did not fit: %llu", (unsigned long long)drops);
	cr_expect_lt(drops, 200, "some did");
	uint64_t again = 0;
	cr_assert_eq(sock_rx_drops(rx, &again), 0);
	cr_expect_eq(again, drops, "the count is since the socket was opened, not since the last read");
	cr_expect_eq(sock_rx_drops(-1, &again), -1);
	close(rx);
	close(tx);
}
