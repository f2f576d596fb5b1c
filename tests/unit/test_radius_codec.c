/* RADIUS codec against packets made by FreeRADIUS 3.2.1 and against the RFC
 * formulas, plus tag grouping and preference ordering on built replies.
 *
 * How the vectors were made (once; the bytes are committed below):
 *   . tests/tools/radius_fr_conf.sh
 *   radius_fr_conf /tmp/h7fr  127.0.0.1 18127 h7vector-secret yes 127.0.0.1   # signs replies
 *   radius_fr_conf /tmp/h7fru 127.0.0.1 18128 h7vector-secret no  127.0.0.1   # does not
 *   radius_fr_start /tmp/h7fr -; radius_fr_start /tmp/h7fru -
 *   dumpcap -i lo -f 'udp port 18127 or udp port 18128' -w vec.pcapng &
 *   echo 'User-Name = "tunnel@corp.example", User-Password = "secret1", Message-Authenticator = 0x00' \
 *     | radclient 127.0.0.1:18127 auth h7vector-secret
 *   echo 'User-Name = "local@local.example", CHAP-Password = "secret1", Message-Authenticator = 0x00' \
 *     | radclient 127.0.0.1:18127 auth h7vector-secret
 *   echo 'User-Name = "user@blocked.example", User-Password = "secret1", Message-Authenticator = 0x00' \
 *     | radclient 127.0.0.1:18127 auth h7vector-secret
 *   echo 'User-Name = "local@local.example", User-Password = "secret1", Message-Authenticator = 0x00' \
 *     | radclient 127.0.0.1:18128 auth h7vector-secret
 *   tshark -r vec.pcapng -d udp.port==18127,radius -d udp.port==18128,radius -T fields -e udp.payload
 * Accounting (fixture accounting listener on PORT+1, same secret):
 *   echo 'User-Name = "tunnel@corp.example", Acct-Status-Type = Start, Acct-Session-Id = "0000002a",
 *         NAS-Identifier = "lac1", Framed-IP-Address = 10.77.1.5, Message-Authenticator = 0x00' \
 *     | radclient 127.0.0.1:18128 acct h7vector-secret
 * The fixture users and their replies are in tests/tools/radius_fr_conf.sh. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "aaa/radius_codec.h"
#include "util/md5.h"

static const uint8_t secret[] = "h7vector-secret";
#define SECRET_LEN (sizeof(secret) - 1)

static const uint8_t vec_tunnel_req[] = {
	0x01, 0xfe, 0x00, 0x4d, 0x61, 0x43, 0xeb, 0xac, 0x12, 0xe9, 0x5d, 0x29,
	0xdf, 0xec, 0xe4, 0xe1, 0x98, 0x84, 0xe0, 0xf6, 0x01, 0x15, 0x74, 0x75,
	0x6e, 0x6e, 0x65, 0x6c, 0x40, 0x63, 0x6f, 0x72, 0x70, 0x2e, 0x65, 0x78,
	0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x12, 0x4b, 0x66, 0xc5, 0xd1, 0x8e,
	0xad, 0xe2, 0xc5, 0x5f, 0x0b, 0x13, 0x6b, 0x99, 0x71, 0x28, 0x35, 0x50,
	0x12, 0x2e, 0x9e, 0xeb, 0xe8, 0x5b, 0xbf, 0xa1, 0x61, 0x24, 0x73, 0x1c,
	0x02, 0xc8, 0xd0, 0x6c, 0xc0,
};
static const uint8_t vec_tunnel_acc[] = {
	0x02, 0xfe, 0x01, 0x10, 0xb4, 0x82, 0x59, 0x9a, 0xbf, 0x93, 0xf2, 0x00,
	0xfb, 0x80, 0x1a, 0x22, 0x64, 0x9b, 0xca, 0xa4, 0x50, 0x12, 0x28, 0x7d,
	0xfd, 0x98, 0x4b, 0x6c, 0xd0, 0x5c, 0xed, 0x1b, 0x7d, 0x31, 0xd9, 0x74,
	0x53, 0x27, 0x12, 0x1b, 0x74, 0x75, 0x6e, 0x6e, 0x65, 0x6c, 0x6c, 0x65,
	0x64, 0x20, 0x74, 0x6f, 0x20, 0x63, 0x6f, 0x72, 0x70, 0x2e, 0x65, 0x78,
	0x61, 0x6d, 0x70, 0x6c, 0x65, 0x40, 0x06, 0x01, 0x00, 0x00, 0x03, 0x41,
	0x06, 0x01, 0x00, 0x00, 0x01, 0x43, 0x0c, 0x01, 0x31, 0x30, 0x2e, 0x38,
	0x38, 0x2e, 0x32, 0x2e, 0x32, 0x45, 0x15, 0x01, 0x86, 0xdd, 0xab, 0x09,
	0xde, 0xd5, 0xb3, 0x45, 0xd3, 0x0d, 0xcc, 0xe7, 0xad, 0xbd, 0xa4, 0x4b,
	0x5a, 0x9a, 0x53, 0x06, 0x01, 0x00, 0x00, 0x02, 0x52, 0x0c, 0x01, 0x63,
	0x6f, 0x72, 0x70, 0x2d, 0x6c, 0x6e, 0x73, 0x31, 0x5a, 0x07, 0x01, 0x6c,
	0x61, 0x63, 0x31, 0x5b, 0x07, 0x01, 0x6c, 0x6e, 0x73, 0x31, 0x40, 0x06,
	0x02, 0x00, 0x00, 0x03, 0x41, 0x06, 0x02, 0x00, 0x00, 0x01, 0x43, 0x11,
	0x02, 0x31, 0x30, 0x2e, 0x38, 0x38, 0x2e, 0x33, 0x2e, 0x32, 0x3a, 0x31,
	0x37, 0x30, 0x31, 0x45, 0x35, 0x02, 0x8a, 0xd3, 0x0f, 0x63, 0xd8, 0x06,
	0x63, 0x9b, 0xd0, 0x57, 0xcb, 0xba, 0x9c, 0xcc, 0xb6, 0xec, 0x02, 0xa9,
	0x80, 0x71, 0xc8, 0x26, 0x7c, 0x11, 0xbe, 0x89, 0xbf, 0x01, 0xc6, 0x61,
	0x63, 0xcc, 0x5c, 0xae, 0xe2, 0x7e, 0xdb, 0x90, 0xc7, 0x5d, 0x63, 0x80,
	0xc5, 0x5d, 0x44, 0x6f, 0x0e, 0x74, 0xfd, 0xb5, 0x53, 0x06, 0x02, 0x00,
	0x00, 0x01, 0x52, 0x0c, 0x02, 0x63, 0x6f, 0x72, 0x70, 0x2d, 0x6c, 0x6e,
	0x73, 0x32, 0x40, 0x06, 0x03, 0x00, 0x00, 0x01, 0x41, 0x06, 0x03, 0x00,
	0x00, 0x01, 0x43, 0x0c, 0x03, 0x31, 0x30, 0x2e, 0x38, 0x38, 0x2e, 0x34,
	0x2e, 0x32, 0x53, 0x06, 0x03, 0x00, 0x00, 0x00,
};
static const uint8_t vec_chap_req[] = {
	0x01, 0xbd, 0x00, 0x4e, 0x8c, 0xe5, 0x11, 0x9b, 0x09, 0xc3, 0x1f, 0xe6,
	0x74, 0x7c, 0xb7, 0xe7, 0x33, 0xd6, 0x2e, 0x73, 0x01, 0x15, 0x6c, 0x6f,
	0x63, 0x61, 0x6c, 0x40, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x2e, 0x65, 0x78,
	0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x13, 0x49, 0x86, 0xf2, 0x16, 0x02,
	0xea, 0x89, 0xf1, 0x42, 0x3e, 0x4b, 0xec, 0x39, 0x90, 0x8d, 0x13, 0xfe,
	0x50, 0x12, 0xdc, 0x89, 0xa0, 0x25, 0x18, 0x50, 0x88, 0xae, 0xb7, 0xde,
	0x52, 0x9c, 0x19, 0xb7, 0x68, 0xdb,
};
static const uint8_t vec_chap_acc[] = {
	0x02, 0xbd, 0x00, 0x63, 0x2d, 0x55, 0x85, 0x7e, 0xdf, 0xa0, 0x3d, 0x6e,
	0x17, 0x9c, 0x0c, 0x31, 0xa9, 0x1b, 0xc6, 0xf5, 0x50, 0x12, 0x0c, 0xbf,
	0x12, 0xe7, 0xca, 0xdb, 0x0f, 0xf9, 0xf3, 0x5d, 0x26, 0x14, 0x80, 0x17,
	0x94, 0x93, 0x08, 0x06, 0x0a, 0x42, 0x00, 0x0a, 0x09, 0x06, 0xff, 0xff,
	0xff, 0xff, 0x1a, 0x0c, 0x00, 0x00, 0x01, 0x37, 0x1c, 0x06, 0x0a, 0x42,
	0x00, 0x35, 0x1a, 0x0c, 0x00, 0x00, 0x01, 0x37, 0x1d, 0x06, 0x0a, 0x42,
	0x00, 0x36, 0x1b, 0x06, 0x00, 0x00, 0x0e, 0x10, 0x55, 0x06, 0x00, 0x00,
	0x01, 0x2c, 0x19, 0x0d, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x2d, 0x63, 0x6c,
	0x61, 0x73, 0x73,
};
static const uint8_t vec_reject_req[] = {
	0x01, 0x47, 0x00, 0x4e, 0xee, 0x32, 0x6e, 0xad, 0xe9, 0xde, 0x0d, 0xaf,
	0x05, 0xee, 0xd6, 0xef, 0xb4, 0xca, 0x0f, 0xd9, 0x01, 0x16, 0x75, 0x73,
	0x65, 0x72, 0x40, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x65, 0x64, 0x2e, 0x65,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x12, 0xfd, 0x08, 0x17, 0xd2,
	0xf7, 0xbc, 0x49, 0xb8, 0x86, 0x9e, 0xf3, 0x67, 0x5f, 0x31, 0xf4, 0xab,
	0x50, 0x12, 0xeb, 0xfa, 0xa6, 0x39, 0xbb, 0x90, 0x34, 0xaa, 0xad, 0xb3,
	0xcb, 0xa8, 0x23, 0x4d, 0x39, 0x18,
};
static const uint8_t vec_reject_rej[] = {
	0x03, 0x47, 0x00, 0x48, 0xbf, 0x43, 0x80, 0xd6, 0x57, 0x05, 0xd1, 0xf2,
	0x41, 0xb9, 0x80, 0xbd, 0x43, 0x7c, 0x3e, 0x58, 0x50, 0x12, 0xed, 0x64,
	0x4a, 0xb6, 0x2c, 0xd2, 0xd8, 0xf6, 0x1d, 0xaf, 0x8b, 0xc3, 0xa9, 0xc6,
	0xbb, 0xa8, 0x12, 0x22, 0x72, 0x65, 0x61, 0x6c, 0x6d, 0x20, 0x62, 0x6c,
	0x6f, 0x63, 0x6b, 0x65, 0x64, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x20, 0x69, 0x73, 0x20, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x65, 0x64,
};
static const uint8_t vec_unsigned_req[] = {
	0x01, 0xde, 0x00, 0x4d, 0xfe, 0x0a, 0x55, 0xff, 0x95, 0x7b, 0x6e, 0xd2,
	0x10, 0x55, 0xa6, 0x7f, 0x6c, 0x79, 0x7c, 0x1e, 0x01, 0x15, 0x6c, 0x6f,
	0x63, 0x61, 0x6c, 0x40, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x2e, 0x65, 0x78,
	0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x12, 0x7e, 0x5b, 0x67, 0xe8, 0xae,
	0x9b, 0xe8, 0x1f, 0x79, 0x53, 0x0d, 0x4f, 0x37, 0x3a, 0xa3, 0xda, 0x50,
	0x12, 0x64, 0xb9, 0x5b, 0xb8, 0x81, 0xc5, 0x04, 0x89, 0x72, 0x68, 0x68,
	0xf0, 0x56, 0x43, 0x49, 0x1f,
};
static const uint8_t vec_unsigned_acc[] = {
	0x02, 0xde, 0x00, 0x51, 0xd6, 0x73, 0xb0, 0xe3, 0xd9, 0x8c, 0xcb, 0x80,
	0xee, 0xd7, 0x38, 0x31, 0xd9, 0x18, 0x68, 0xf4, 0x08, 0x06, 0x0a, 0x42,
	0x00, 0x0a, 0x09, 0x06, 0xff, 0xff, 0xff, 0xff, 0x1a, 0x0c, 0x00, 0x00,
	0x01, 0x37, 0x1c, 0x06, 0x0a, 0x42, 0x00, 0x35, 0x1a, 0x0c, 0x00, 0x00,
	0x01, 0x37, 0x1d, 0x06, 0x0a, 0x42, 0x00, 0x36, 0x1b, 0x06, 0x00, 0x00,
	0x0e, 0x10, 0x55, 0x06, 0x00, 0x00, 0x01, 0x2c, 0x19, 0x0d, 0x6c, 0x6f,
	0x63, 0x61, 0x6c, 0x2d, 0x63, 0x6c, 0x61, 0x73, 0x73,
};

static const uint8_t vec_acct_req[] = {
	0x04, 0x09, 0x00, 0x57, 0x93, 0xdf, 0x72, 0xd0, 0x19, 0x0c, 0x26, 0xf5,
	0xd6, 0x5d, 0x08, 0x5c, 0x50, 0x48, 0x4f, 0x19, 0x01, 0x15, 0x74, 0x75,
	0x6e, 0x6e, 0x65, 0x6c, 0x40, 0x63, 0x6f, 0x72, 0x70, 0x2e, 0x65, 0x78,
	0x61, 0x6d, 0x70, 0x6c, 0x65, 0x28, 0x06, 0x00, 0x00, 0x00, 0x01, 0x2c,
	0x0a, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x32, 0x61, 0x20, 0x06, 0x6c,
	0x61, 0x63, 0x31, 0x08, 0x06, 0x0a, 0x4d, 0x01, 0x05, 0x50, 0x12, 0xea,
	0x73, 0x74, 0xf5, 0xd5, 0x3c, 0x45, 0x00, 0xa5, 0x17, 0x65, 0x84, 0xb2,
	0x8a, 0x10, 0x93,
};
static const uint8_t vec_acct_resp[] = {
	0x05, 0x09, 0x00, 0x14, 0x73, 0x4f, 0x36, 0x94, 0x54, 0xc7, 0x41, 0xad,
	0x06, 0x22, 0xf4, 0x64, 0xc1, 0xef, 0xc5, 0x68,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The Request Authenticator of a captured request. */
static const uint8_t *auth_of(const uint8_t *req)
{
	return req + 4;
}

static struct radius_reply reply;

Test(radius_vectors, freeradius_requests_carry_a_message_authenticator_we_verify)
{
	const uint8_t *reqs[] = { vec_tunnel_req, vec_chap_req, vec_reject_req, vec_unsigned_req };
	size_t lens[] = { sizeof(vec_tunnel_req), sizeof(vec_chap_req), sizeof(vec_reject_req),
			  sizeof(vec_unsigned_req) };
	for (size_t i = 0; i < N(reqs); i++) {
		struct radius_err err = { 0 };
		cr_expect_eq(radius_request_verify(reqs[i], lens[i], secret, SECRET_LEN, &err),
			     (ssize_t)lens[i], "request %zu: %s", i, err.msg ? err.msg : "");
	}
}

Test(radius_vectors, tunnel_accept_gives_two_l2tp_groups_by_preference_and_drops_pptp)
{
	struct radius_err err = { 0 };
	int r = radius_reply_decode(vec_tunnel_acc, sizeof(vec_tunnel_acc), auth_of(vec_tunnel_req),
				    secret, SECRET_LEN, NULL, NULL, &reply, &err);
	cr_assert_eq(r, 0, "%s at %zu", err.msg ? err.msg : "", err.offset);
	cr_expect_eq(reply.code, RADIUS_CODE_ACCESS_ACCEPT);
	cr_expect_str_eq(reply.reply_message, "tunnelled to corp.example");
	cr_assert_eq(reply.n_tunnels, 2);
	/* Tag 2 has Tunnel-Preference 1, tag 1 has 2: lower first. */
	const struct radius_tunnel *a = &reply.tunnels[0], *b = &reply.tunnels[1];
	cr_expect_eq(a->tag, 2);
	cr_expect_eq(a->preference, 1);
	cr_expect_str_eq(a->endpoint, "10.88.3.2:1701");
	cr_expect_eq(a->password_len, strlen("a-longer-lns2-secret-of-40-characters!!"));
	cr_expect(memcmp(a->password, "a-longer-lns2-secret-of-40-characters!!", a->password_len) == 0);
	cr_expect_str_eq(a->assignment_id, "corp-lns2");
	cr_expect_str_eq(a->client_auth_id, "");
	cr_expect_eq(a->medium, RADIUS_TUNNEL_MEDIUM_IPV4);
	cr_expect_eq(b->tag, 1);
	cr_expect_eq(b->preference, 2);
	cr_expect_str_eq(b->endpoint, "10.88.2.2");
	cr_expect_eq(b->password_len, 10);
	cr_expect(memcmp(b->password, "lns1secret", 10) == 0);
	cr_expect_str_eq(b->assignment_id, "corp-lns1");
	cr_expect_str_eq(b->client_auth_id, "lac1");
	cr_expect_str_eq(b->server_auth_id, "lns1");
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&b->addr;
	cr_expect_eq(sin->sin_family, AF_INET);
	cr_expect_eq(ntohs(sin->sin_port), 1701);
	cr_expect_eq(ntohl(sin->sin_addr.s_addr), 0x0a580202u);
	cr_assert_eq(reply.n_dropped, 1);
	cr_expect_eq(reply.dropped[0].tag, 3);
	cr_expect_str_eq(reply.dropped[0].reason, "tunnel-type is not L2TP");
}

Test(radius_vectors, local_accept_gives_address_dns_timeouts_and_class)
{
	struct radius_err err = { 0 };
	int r = radius_reply_decode(vec_chap_acc, sizeof(vec_chap_acc), auth_of(vec_chap_req),
				    secret, SECRET_LEN, NULL, NULL, &reply, &err);
	cr_assert_eq(r, 0, "%s", err.msg ? err.msg : "");
	cr_expect_eq(reply.code, RADIUS_CODE_ACCESS_ACCEPT);
	cr_expect_eq(reply.n_tunnels, 0);
	cr_expect_eq(reply.n_dropped, 0);
	cr_expect(reply.has_framed_ip);
	cr_expect_eq(ntohl(reply.framed_ip.s_addr), 0x0a42000au);
	cr_expect(reply.has_framed_netmask);
	cr_expect_eq(reply.framed_netmask.s_addr, 0xffffffffu);
	cr_assert_eq(reply.n_dns, 2);
	cr_expect_eq(ntohl(reply.dns[0].s_addr), 0x0a420035u);
	cr_expect_eq(ntohl(reply.dns[1].s_addr), 0x0a420036u);
	cr_expect(reply.has_session_timeout);
	cr_expect_eq(reply.session_timeout, 3600);
	cr_expect(reply.has_acct_interim_interval);
	cr_expect_eq(reply.acct_interim_interval, 300);
	cr_assert_eq(reply.n_class, 1);
	cr_expect_eq(reply.class_len[0], 11);
	cr_expect(memcmp(reply.class_val[0], "local-class", 11) == 0);
}

Test(radius_vectors, reject_carries_its_reply_message)
{
	struct radius_err err = { 0 };
	int r = radius_reply_decode(vec_reject_rej, sizeof(vec_reject_rej), auth_of(vec_reject_req),
				    secret, SECRET_LEN, NULL, NULL, &reply, &err);
	cr_assert_eq(r, 0, "%s", err.msg ? err.msg : "");
	cr_expect_eq(reply.code, RADIUS_CODE_ACCESS_REJECT);
	cr_expect_str_eq(reply.reply_message, "realm blocked.example is blocked");
}

struct vec {
	const uint8_t *req, *resp;
	size_t resp_len;
};

static const struct vec signed_vecs[] = {
	{ vec_tunnel_req, vec_tunnel_acc, sizeof(vec_tunnel_acc) },
	{ vec_chap_req, vec_chap_acc, sizeof(vec_chap_acc) },
	{ vec_reject_req, vec_reject_rej, sizeof(vec_reject_rej) },
};

Test(radius_vectors, every_truncated_prefix_is_rejected)
{
	for (size_t v = 0; v < N(signed_vecs); v++) {
		for (size_t n = 0; n < signed_vecs[v].resp_len; n++) {
			struct radius_err err = { 0 };
			int r = radius_reply_decode(signed_vecs[v].resp, n, auth_of(signed_vecs[v].req),
						    secret, SECRET_LEN, NULL, NULL, &reply, &err);
			cr_expect_eq(r, -1, "vector %zu prefix %zu accepted", v, n);
			cr_expect_not_null(err.msg);
		}
	}
	const uint8_t *reqs[] = { vec_tunnel_req, vec_chap_req };
	size_t lens[] = { sizeof(vec_tunnel_req), sizeof(vec_chap_req) };
	for (size_t v = 0; v < N(reqs); v++)
		for (size_t n = 0; n < lens[v]; n++)
			cr_expect_eq(radius_request_verify(reqs[v], n, secret, SECRET_LEN, NULL), -1,
				     "request %zu prefix %zu accepted", v, n);
}

Test(radius_vectors, trailing_padding_past_length_is_ignored)
{
	uint8_t buf[sizeof(vec_reject_rej) + 7];
	memcpy(buf, vec_reject_rej, sizeof(vec_reject_rej));
	memset(buf + sizeof(vec_reject_rej), 0xee, 7);
	struct radius_err err = { 0 };
	cr_expect_eq(radius_reply_decode(buf, sizeof(buf), auth_of(vec_reject_req), secret, SECRET_LEN,
					 NULL, NULL, &reply, &err), 0, "%s", err.msg ? err.msg : "");
}

Test(radius_vectors, wrong_secret_is_rejected)
{
	static const uint8_t wrong[] = "h7vector-secreT";
	for (size_t v = 0; v < N(signed_vecs); v++) {
		struct radius_err err = { 0 };
		cr_expect_eq(radius_reply_decode(signed_vecs[v].resp, signed_vecs[v].resp_len,
						 auth_of(signed_vecs[v].req), wrong, sizeof(wrong) - 1,
						 NULL, NULL, &reply, &err), -1);
		cr_expect_str_eq(err.msg, "response authenticator mismatch (wrong secret or not our request)");
	}
}

Test(radius_vectors, reply_to_another_request_is_rejected)
{
	struct radius_err err = { 0 };
	cr_expect_eq(radius_reply_decode(vec_tunnel_acc, sizeof(vec_tunnel_acc), auth_of(vec_chap_req),
					 secret, SECRET_LEN, NULL, NULL, &reply, &err), -1);
}

Test(radius_vectors, unsigned_reply_is_rejected_blastradius)
{
	struct radius_err err = { 0 };
	/* Its Response Authenticator is right: only the missing signature fails it. */
	cr_expect_eq(radius_reply_decode(vec_unsigned_acc, sizeof(vec_unsigned_acc),
					 auth_of(vec_unsigned_req), secret, SECRET_LEN, NULL, NULL,
					 &reply, &err), -1);
	cr_expect_str_eq(err.msg, "no message-authenticator in the response");
}

/* Recomputes the Response Authenticator (RFC 2865 3) of a modified reply. */
static void resign_response(uint8_t *pkt, size_t len, const uint8_t *req_auth)
{
	struct md5_ctx ctx;
	md5_init(&ctx);
	md5_update(&ctx, pkt, 4);
	md5_update(&ctx, req_auth, 16);
	md5_update(&ctx, pkt + 20, len - 20);
	md5_update(&ctx, secret, SECRET_LEN);
	md5_final(&ctx, pkt + 4);
}

Test(radius_vectors, bad_message_authenticator_is_rejected)
{
	uint8_t buf[sizeof(vec_tunnel_acc)];
	memcpy(buf, vec_tunnel_acc, sizeof(buf));
	cr_assert_eq(buf[20], RADIUS_ATTR_MESSAGE_AUTHENTICATOR);
	buf[22 + 5] ^= 0x01;
	resign_response(buf, sizeof(buf), auth_of(vec_tunnel_req));
	struct radius_err err = { 0 };
	cr_expect_eq(radius_reply_decode(buf, sizeof(buf), auth_of(vec_tunnel_req), secret, SECRET_LEN,
					 NULL, NULL, &reply, &err), -1);
	cr_expect_str_eq(err.msg, "message-authenticator mismatch");
}

Test(radius_vectors, freeradius_user_password_matches_rfc2865_formula_and_ours)
{
	/* vec_tunnel_req: User-Name (21 octets) at 20, then User-Password. */
	const uint8_t *attr = vec_tunnel_req + 20 + vec_tunnel_req[21];
	cr_assert_eq(attr[0], RADIUS_ATTR_USER_PASSWORD);
	cr_assert_eq(attr[1], 18);
	/* RFC 2865 5.2 by hand: c1 = p1 xor MD5(S + RA), one block. */
	uint8_t p[16] = "secret1", b[16], hand[16], ours[RADIUS_MAX_PASSWORD];
	struct md5_ctx ctx;
	md5_init(&ctx);
	md5_update(&ctx, secret, SECRET_LEN);
	md5_update(&ctx, auth_of(vec_tunnel_req), 16);
	md5_final(&ctx, b);
	for (int i = 0; i < 16; i++)
		hand[i] = p[i] ^ b[i];
	cr_expect(memcmp(hand, attr + 2, 16) == 0);
	cr_expect_eq(radius_user_password_hide((const uint8_t *)"secret1", 7, auth_of(vec_tunnel_req),
					       secret, SECRET_LEN, ours), 16);
	cr_expect(memcmp(ours, attr + 2, 16) == 0);
}

Test(radius_codec, user_password_hiding_chains_blocks)
{
	/* 20 octets: two blocks, the second keyed on the first ciphertext block. */
	const uint8_t pw[20] = "0123456789abcdefghij";
	const uint8_t ra[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t out[RADIUS_MAX_PASSWORD], b[16], padded[32] = { 0 };
	struct md5_ctx ctx;
	memcpy(padded, pw, 20);
	cr_assert_eq(radius_user_password_hide(pw, 20, ra, secret, SECRET_LEN, out), 32);
	md5_init(&ctx);
	md5_update(&ctx, secret, SECRET_LEN);
	md5_update(&ctx, ra, 16);
	md5_final(&ctx, b);
	for (int i = 0; i < 16; i++)
		cr_expect_eq(out[i], padded[i] ^ b[i]);
	md5_init(&ctx);
	md5_update(&ctx, secret, SECRET_LEN);
	md5_update(&ctx, out, 16);
	md5_final(&ctx, b);
	for (int i = 0; i < 16; i++)
		cr_expect_eq(out[16 + i], padded[16 + i] ^ b[i]);
	cr_expect_eq(radius_user_password_hide(pw, 129, ra, secret, SECRET_LEN, out), -1);
}

Test(radius_codec, access_request_has_message_authenticator_first_and_verifies)
{
	const uint8_t ra[16] = { 0xa5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	const uint8_t chal[16] = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 };
	const uint8_t resp[16] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };
	struct radius_auth_params p = {
		.user_name = "alice@corp.example",
		.chap_response = resp, .chap_id = 42, .chap_challenge = chal, .chap_challenge_len = 16,
		.has_nas_ip = true, .nas_identifier = "lac1", .has_nas_port = true, .nas_port = 7,
		.nas_port_id = "stream/7", .has_nas_port_type = true,
		.nas_port_type = RADIUS_NAS_PORT_TYPE_VIRTUAL, .framed_ppp = true,
		.calling_station_id = "10.88.0.2", .called_station_id = "corp",
		.acct_session_id = "0000002a",
	};
	p.nas_ip.s_addr = htonl(0x0a580102);
	uint8_t buf[RADIUS_MAX_PACKET];
	ssize_t n = radius_access_request_encode(buf, sizeof(buf), 17, ra, &p, secret, SECRET_LEN);
	cr_assert_gt(n, 0);
	cr_expect_eq(buf[0], RADIUS_CODE_ACCESS_REQUEST);
	cr_expect_eq(buf[1], 17);
	cr_expect_eq((size_t)(buf[2] << 8 | buf[3]), (size_t)n);
	cr_expect(memcmp(buf + 4, ra, 16) == 0);
	cr_expect_eq(buf[20], RADIUS_ATTR_MESSAGE_AUTHENTICATOR);
	struct radius_err err = { 0 };
	cr_expect_eq(radius_request_verify(buf, (size_t)n, secret, SECRET_LEN, &err), n);
	/* Walk: every expected type once, CHAP-Password = id + response. */
	struct radius_attr_iter it;
	uint8_t type;
	const uint8_t *val;
	size_t len;
	unsigned seen[256] = { 0 };
	radius_attr_iter_init(&it, buf, (size_t)n);
	while (radius_attr_next(&it, &type, &val, &len, &err) > 0) {
		seen[type]++;
		if (type == RADIUS_ATTR_CHAP_PASSWORD) {
			cr_expect_eq(len, 17);
			cr_expect_eq(val[0], 42);
			cr_expect(memcmp(val + 1, resp, 16) == 0);
		}
		if (type == RADIUS_ATTR_SERVICE_TYPE)
			cr_expect_eq(val[3], RADIUS_SERVICE_TYPE_FRAMED);
	}
	const uint8_t want[] = { 80, 1, 3, 60, 4, 32, 5, 87, 61, 6, 7, 31, 30, 44 };
	for (size_t i = 0; i < sizeof(want); i++)
		cr_expect_eq(seen[want[i]], 1, "attribute %u", want[i]);
	cr_expect_eq(seen[RADIUS_ATTR_USER_PASSWORD], 0);
	/* Too small a buffer fails cleanly. */
	for (size_t cap = 0; cap < (size_t)n; cap++)
		cr_expect_eq(radius_access_request_encode(buf, cap, 17, ra, &p, secret, SECRET_LEN), -1);
}

Test(radius_codec, accounting_request_authenticator_follows_rfc2866)
{
	uint8_t buf[256];
	struct radius_builder b;
	cr_assert_eq(radius_builder_init(&b, buf, sizeof(buf), RADIUS_CODE_ACCOUNTING_REQUEST, 3, NULL), 0);
	radius_builder_add_u32(&b, RADIUS_ATTR_ACCT_STATUS_TYPE, RADIUS_ACCT_STATUS_START);
	radius_builder_add_str(&b, RADIUS_ATTR_ACCT_SESSION_ID, "abc");
	ssize_t n = radius_builder_finish(&b, secret, SECRET_LEN);
	cr_assert_gt(n, 0);
	uint8_t copy[256], digest[16];
	memcpy(copy, buf, (size_t)n);
	memset(copy + 4, 0, 16);
	struct md5_ctx ctx;
	md5_init(&ctx);
	md5_update(&ctx, copy, (size_t)n);
	md5_update(&ctx, secret, SECRET_LEN);
	md5_final(&ctx, digest);
	cr_expect(memcmp(digest, buf + 4, 16) == 0);
	cr_expect_eq(radius_request_verify(buf, (size_t)n, secret, SECRET_LEN, NULL), n);
}

/* ---- built replies: grouping, validation, ordering ---- */

static const uint8_t req_auth[16] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
				      0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

static struct radius_builder rb;
static uint8_t rbuf[RADIUS_MAX_PACKET];

static void reply_begin(void)
{
	cr_assert_eq(radius_builder_init(&rb, rbuf, sizeof(rbuf), RADIUS_CODE_ACCESS_ACCEPT, 1,
					 req_auth), 0);
}

/* Finishes as a response: the builder's HMAC over a packet holding the
 * Request Authenticator is exactly RFC 3579's rule for responses. */
static size_t reply_end(void)
{
	ssize_t n = radius_builder_finish(&rb, secret, SECRET_LEN);
	cr_assert_gt(n, 0);
	resign_response(rbuf, (size_t)n, req_auth);
	return (size_t)n;
}

static void add_tagged_int(uint8_t type, uint8_t tag, uint32_t v)
{
	uint8_t x[4] = { tag, (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	radius_builder_add(&rb, type, x, 4);
}

static void add_tagged_str(uint8_t type, int tag, const char *s)
{
	uint8_t x[RADIUS_MAX_ATTR_VALUE];
	size_t n = 0;
	if (tag >= 0)
		x[n++] = (uint8_t)tag;
	memcpy(x + n, s, strlen(s));
	radius_builder_add(&rb, type, x, n + strlen(s));
}

/* RFC 2868 3.5 encryption with a chosen length octet (to test its check). */
static void add_tunnel_password(uint8_t tag, const char *pw, int len_octet)
{
	uint8_t plain[64] = { 0 }, v[3 + 64];
	size_t n = strlen(pw), blocks = (1 + n + 15) / 16 * 16;
	plain[0] = (uint8_t)(len_octet < 0 ? (int)n : len_octet);
	memcpy(plain + 1, pw, n);
	v[0] = tag;
	v[1] = 0x85;
	v[2] = 0x21;
	const uint8_t *prev = NULL;
	for (size_t off = 0; off < blocks; off += 16) {
		struct md5_ctx ctx;
		uint8_t b[16];
		md5_init(&ctx);
		md5_update(&ctx, secret, SECRET_LEN);
		if (!prev) {
			md5_update(&ctx, req_auth, 16);
			md5_update(&ctx, v + 1, 2);
		} else {
			md5_update(&ctx, prev, 16);
		}
		md5_final(&ctx, b);
		for (size_t i = 0; i < 16; i++)
			v[3 + off + i] = plain[off + i] ^ b[i];
		prev = v + 3 + off;
	}
	radius_builder_add(&rb, RADIUS_ATTR_TUNNEL_PASSWORD, v, 3 + blocks);
}

static void add_group(uint8_t tag, const char *ep, uint32_t pref)
{
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, tag, RADIUS_TUNNEL_TYPE_L2TP);
	add_tagged_int(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, tag, RADIUS_TUNNEL_MEDIUM_IPV4);
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, tag, ep);
	add_tagged_int(RADIUS_ATTR_TUNNEL_PREFERENCE, tag, pref);
	add_tunnel_password(tag, "pw", -1);
}

static int decode(size_t n, radius_rng_fn rng, void *arg)
{
	struct radius_err err = { 0 };
	int r = radius_reply_decode(rbuf, n, req_auth, secret, SECRET_LEN, rng, arg, &reply, &err);
	if (r < 0)
		cr_log_info("decode: %s at %zu", err.msg, err.offset);
	return r;
}

static uint32_t rng_zero(void *arg)
{
	(void)arg;
	return 0;
}

Test(radius_tunnels, equal_preferences_keep_tag_order_without_rng_and_shuffle_with_it)
{
	reply_begin();
	add_group(3, "192.0.2.3", 5);
	add_group(1, "192.0.2.1", 5);
	add_group(2, "192.0.2.2", 5);
	add_group(4, "192.0.2.4", 1);
	size_t n = reply_end();
	cr_assert_eq(decode(n, NULL, NULL), 0);
	cr_assert_eq(reply.n_tunnels, 4);
	uint8_t want_plain[] = { 4, 1, 2, 3 };
	for (int i = 0; i < 4; i++)
		cr_expect_eq(reply.tunnels[i].tag, want_plain[i]);
	/* rng always 0: Fisher-Yates over [1,2,3] swaps i=2 with 0 -> [3,2,1],
	 * then i=1 with 0 -> [2,3,1]; the preferred one stays first. */
	cr_assert_eq(decode(n, rng_zero, NULL), 0);
	uint8_t want_shuffled[] = { 4, 2, 3, 1 };
	for (int i = 0; i < 4; i++)
		cr_expect_eq(reply.tunnels[i].tag, want_shuffled[i]);
}

Test(radius_tunnels, untagged_attributes_form_one_group)
{
	reply_begin();
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 0, RADIUS_TUNNEL_TYPE_L2TP);
	add_tagged_int(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, 0, RADIUS_TUNNEL_MEDIUM_IPV4);
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, -1, "198.51.100.7");
	add_tagged_str(RADIUS_ATTR_TUNNEL_CLIENT_AUTH_ID, -1, "lac-x");
	add_tunnel_password(0, "untagged-secret", -1);
	size_t n = reply_end();
	cr_assert_eq(decode(n, NULL, NULL), 0);
	cr_assert_eq(reply.n_tunnels, 1);
	cr_expect_eq(reply.tunnels[0].tag, 0);
	cr_expect_str_eq(reply.tunnels[0].endpoint, "198.51.100.7");
	cr_expect_str_eq(reply.tunnels[0].client_auth_id, "lac-x");
	cr_expect_eq(reply.tunnels[0].password_len, 15);
	cr_expect_eq(reply.tunnels[0].preference, UINT32_MAX);
}

Test(radius_tunnels, inconsistent_untagged_group_is_dropped)
{
	reply_begin();
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 0, RADIUS_TUNNEL_TYPE_L2TP);
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, -1, "198.51.100.7");
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, -1, "198.51.100.8");
	add_group(1, "192.0.2.1", 1);
	size_t n = reply_end();
	cr_assert_eq(decode(n, NULL, NULL), 0);
	cr_expect_eq(reply.n_tunnels, 1);
	cr_expect_eq(reply.tunnels[0].tag, 1);
	cr_assert_eq(reply.n_dropped, 1);
	cr_expect_eq(reply.dropped[0].tag, 0);
	cr_expect_str_eq(reply.dropped[0].reason, "attribute repeated within the group");
}

Test(radius_tunnels, invalid_groups_are_dropped_with_a_reason)
{
	reply_begin();
	/* 1: medium says IPv6, endpoint is IPv4 */
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 1, RADIUS_TUNNEL_TYPE_L2TP);
	add_tagged_int(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, 1, RADIUS_TUNNEL_MEDIUM_IPV6);
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, 1, "192.0.2.1");
	/* 2: host name */
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 2, RADIUS_TUNNEL_TYPE_L2TP);
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, 2, "lns.example.com");
	/* 3: no endpoint */
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 3, RADIUS_TUNNEL_TYPE_L2TP);
	/* 4: password length octet larger than the data */
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 4, RADIUS_TUNNEL_TYPE_L2TP);
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, 4, "192.0.2.4");
	add_tunnel_password(4, "short", 40);
	/* 5: IPv6 with port, valid */
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 5, RADIUS_TUNNEL_TYPE_L2TP);
	add_tagged_int(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, 5, RADIUS_TUNNEL_MEDIUM_IPV6);
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, 5, "[2001:db8::5]:1702");
	/* 6: Tunnel-Type with a 2-octet value */
	radius_builder_add(&rb, RADIUS_ATTR_TUNNEL_TYPE, "\x06\x00\x03", 3);
	size_t n = reply_end();
	cr_assert_eq(decode(n, NULL, NULL), 0);
	cr_assert_eq(reply.n_tunnels, 1);
	cr_expect_eq(reply.tunnels[0].tag, 5);
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&reply.tunnels[0].addr;
	cr_expect_eq(s6->sin6_family, AF_INET6);
	cr_expect_eq(ntohs(s6->sin6_port), 1702);
	cr_assert_eq(reply.n_dropped, 5);
	const char *want[] = {
		"tunnel-medium-type does not match the endpoint's address family",
		"tunnel-server-endpoint is not an IP literal (host names are not resolved)",
		"no tunnel-server-endpoint",
		"tunnel-password length octet exceeds its data",
		"tunnel integer attribute is not 3 octets after its tag",
	};
	uint8_t want_tag[] = { 1, 2, 3, 4, 6 };
	for (int i = 0; i < 5; i++) {
		cr_expect_eq(reply.dropped[i].tag, want_tag[i]);
		cr_expect_str_eq(reply.dropped[i].reason, want[i]);
	}
}

Test(radius_tunnels, string_whose_first_octet_is_above_0x1f_is_untagged)
{
	reply_begin();
	add_tagged_int(RADIUS_ATTR_TUNNEL_TYPE, 0x20, RADIUS_TUNNEL_TYPE_L2TP);   /* > 0x1F: no tag */
	add_tagged_str(RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, -1, " 192.0.2.9");
	size_t n = reply_end();
	cr_assert_eq(decode(n, NULL, NULL), 0);
	/* The leading space is part of the string, and is not an IP literal. */
	cr_expect_eq(reply.n_tunnels, 0);
	cr_assert_eq(reply.n_dropped, 1);
	cr_expect_eq(reply.dropped[0].tag, 0);
}

Test(radius_tunnels, malformed_standard_attributes_fail_the_reply)
{
	reply_begin();
	radius_builder_add(&rb, RADIUS_ATTR_FRAMED_IP_ADDRESS, "\x0a\x00\x00", 3);
	size_t n = reply_end();
	cr_expect_eq(decode(n, NULL, NULL), -1);
	reply_begin();
	radius_builder_add_vsa(&rb, RADIUS_VENDOR_MICROSOFT, RADIUS_MS_PRIMARY_DNS_SERVER, "\x01\x02", 2);
	n = reply_end();
	cr_expect_eq(decode(n, NULL, NULL), -1);
}

Test(radius_codec, attribute_with_length_below_two_is_malformed)
{
	uint8_t pkt[24] = { 2, 1, 0, 24 };
	pkt[20] = 18;
	pkt[21] = 1;
	struct radius_err err = { 0 };
	cr_expect_eq(radius_packet_check(pkt, sizeof(pkt), &err), -1);
	cr_expect_str_eq(err.msg, "attribute length below 2");
	pkt[21] = 5;
	cr_expect_eq(radius_packet_check(pkt, sizeof(pkt), &err), -1);
	cr_expect_str_eq(err.msg, "attribute overruns packet");
	pkt[3] = 19;
	cr_expect_eq(radius_packet_check(pkt, sizeof(pkt), &err), -1);
	cr_expect_str_eq(err.msg, "length field out of range");
}

Test(radius_codec, endpoint_literals_parse_and_host_names_do_not)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	cr_expect_eq(radius_endpoint_parse("10.0.0.1", 1701, &ss, &sl), AF_INET);
	cr_expect_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 1701);
	cr_expect_eq(radius_endpoint_parse("10.0.0.1:1812", 1701, &ss, &sl), AF_INET);
	cr_expect_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 1812);
	cr_expect_eq(radius_endpoint_parse("2001:db8::1", 1701, &ss, &sl), AF_INET6);
	cr_expect_eq(radius_endpoint_parse("[2001:db8::1]:99", 1701, &ss, &sl), AF_INET6);
	cr_expect_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 99);
	const char *bad[] = { "", "lns.example", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536",
			      "10.0.0.1:12x", "[2001:db8::1", "[2001:db8::1]x", "[]:1", "10.0.0.256" };
	for (size_t i = 0; i < N(bad); i++)
		cr_expect_eq(radius_endpoint_parse(bad[i], 1701, &ss, &sl), -1, "%s", bad[i]);
}

Test(radius_vectors, freeradius_accounting_exchange_verifies)
{
	struct radius_err err = { 0 };
	cr_expect_eq(radius_request_verify(vec_acct_req, sizeof(vec_acct_req), secret, SECRET_LEN, &err),
		     (ssize_t)sizeof(vec_acct_req), "%s", err.msg ? err.msg : "");
	/* FreeRADIUS 3.2 does not sign Accounting-Responses: accepted unsigned. */
	cr_expect_eq(radius_accounting_response_verify(vec_acct_resp, sizeof(vec_acct_resp),
						       auth_of(vec_acct_req), secret, SECRET_LEN, &err),
		     (ssize_t)sizeof(vec_acct_resp), "%s", err.msg ? err.msg : "");
	for (size_t n = 0; n < sizeof(vec_acct_resp); n++)
		cr_expect_eq(radius_accounting_response_verify(vec_acct_resp, n, auth_of(vec_acct_req),
							       secret, SECRET_LEN, NULL), -1);
	uint8_t bad[sizeof(vec_acct_req)];
	memcpy(bad, vec_acct_req, sizeof(bad));
	bad[sizeof(bad) - 20] ^= 1;     /* inside Framed-IP-Address */
	cr_expect_eq(radius_request_verify(bad, sizeof(bad), secret, SECRET_LEN, &err), -1);
	cr_expect_str_eq(err.msg, "request authenticator mismatch");
}

Test(radius_codec, accounting_request_encodes_counters_with_gigawords)
{
	static const uint8_t cls[] = "local-class";
	struct radius_acct_params p = {
		.status_type = RADIUS_ACCT_STATUS_STOP, .user_name = "bob@local.example",
		.acct_session_id = "0000002b", .nas_identifier = "lac1", .has_counters = true,
		.session_time = 61, .input_octets = (5ull << 32) + 7, .output_octets = 9,
		.input_packets = 3, .output_packets = 4,
		.terminate_cause = 1, .n_class = 1, .class_val = { cls }, .class_len = { 11 },
	};
	uint8_t buf[512];
	ssize_t n = radius_accounting_request_encode(buf, sizeof(buf), 9, &p, secret, SECRET_LEN);
	cr_assert_gt(n, 0);
	cr_expect_eq(buf[20], RADIUS_ATTR_MESSAGE_AUTHENTICATOR);
	struct radius_err err = { 0 };
	cr_expect_eq(radius_request_verify(buf, (size_t)n, secret, SECRET_LEN, &err), n,
		     "%s", err.msg ? err.msg : "");
	struct radius_attr_iter it;
	uint8_t type;
	const uint8_t *val;
	size_t len;
	uint32_t gw = 0, in = 0;
	bool has_out_gw = false;
	radius_attr_iter_init(&it, buf, (size_t)n);
	while (radius_attr_next(&it, &type, &val, &len, &err) > 0) {
		if (type == RADIUS_ATTR_ACCT_INPUT_GIGAWORDS)
			gw = (uint32_t)val[3];
		if (type == RADIUS_ATTR_ACCT_INPUT_OCTETS)
			in = (uint32_t)val[3];
		if (type == RADIUS_ATTR_ACCT_OUTPUT_GIGAWORDS)
			has_out_gw = true;
	}
	cr_expect_eq(gw, 5);
	cr_expect_eq(in, 7);
	cr_expect(!has_out_gw);
}

/* Signs a (possibly mutated) reply properly, so decoding goes past the
 * authenticators into the attribute parsers. Returns false when the mutation
 * broke the Message-Authenticator's own header. */
static bool resign_full(uint8_t *pkt, size_t len, const uint8_t *req_auth_)
{
	if (len < 38 || pkt[20] != RADIUS_ATTR_MESSAGE_AUTHENTICATOR || pkt[21] != 18)
		return false;
	uint8_t mac[16];
	memcpy(pkt + 4, req_auth_, 16);
	memset(pkt + 22, 0, 16);
	hmac_md5(secret, SECRET_LEN, pkt, len, mac);
	memcpy(pkt + 22, mac, 16);
	resign_response(pkt, len, req_auth_);
	return true;
}

Test(radius_vectors, resigned_mutations_never_crash_and_stay_consistent)
{
	/* Every attribute octet of each FreeRADIUS reply, xor-ed with a few
	 * patterns and re-signed: the decoder must either refuse the packet or
	 * produce a reply whose counts stay within bounds. Run under ASan/valgrind
	 * for memory errors. */
	static const uint8_t pats[] = { 0x01, 0x80, 0xff, 0x1f, 0x20 };
	for (size_t v = 0; v < N(signed_vecs); v++) {
		size_t len = signed_vecs[v].resp_len;
		for (size_t pos = 38; pos < len; pos++) {
			for (size_t k = 0; k < sizeof(pats); k++) {
				uint8_t buf[RADIUS_MAX_PACKET];
				memcpy(buf, signed_vecs[v].resp, len);
				buf[pos] ^= pats[k];
				if (!resign_full(buf, len, auth_of(signed_vecs[v].req)))
					continue;
				int r = radius_reply_decode(buf, len, auth_of(signed_vecs[v].req), secret,
							    SECRET_LEN, NULL, NULL, &reply, NULL);
				if (r == 0) {
					cr_expect_leq(reply.n_tunnels + reply.n_dropped, RADIUS_MAX_TUNNELS);
					cr_expect_lt(strlen(reply.reply_message), sizeof(reply.reply_message));
				}
			}
		}
	}
}

Test(radius_codec, accept_limits_and_interim_interval_decode)
{
	struct radius_reply r;
	struct radius_err err = { 0 };
	reply_begin();
	radius_builder_add_u32(&rb, RADIUS_ATTR_SESSION_TIMEOUT, 7200);
	radius_builder_add_u32(&rb, RADIUS_ATTR_IDLE_TIMEOUT, 600);
	radius_builder_add_u32(&rb, RADIUS_ATTR_ACCT_INTERIM_INTERVAL, 300);
	size_t n = reply_end();
	cr_assert_eq(radius_reply_decode(rbuf, n, req_auth, secret, SECRET_LEN, NULL, NULL, &r, &err), 0,
		     "%s", err.msg);
	cr_expect(r.has_session_timeout && r.session_timeout == 7200);
	cr_expect(r.has_idle_timeout && r.idle_timeout == 600);
	cr_expect(r.has_acct_interim_interval && r.acct_interim_interval == 300);
	reply_begin();
	radius_builder_add(&rb, RADIUS_ATTR_IDLE_TIMEOUT, "\x00\x01", 2);
	n = reply_end();
	cr_expect_eq(radius_reply_decode(rbuf, n, req_auth, secret, SECRET_LEN, NULL, NULL, &r, &err), -1,
		     "a 2-octet Idle-Timeout is malformed");
}

/* Issue 11: the broker's per-realm access-line switch, a Cisco-AVPair
 * (RFC 2865 5.26 layout: type 26, length, vendor 9, sub-type 1, sub-length). */
Test(radius_codec, cisco_avpair_line_info_forwarding_switch)
{
	static const uint8_t vsa_on[] = {
		0x00, 0x00, 0x00, 0x09, 0x01, 0x21,
		'v', 'p', 'd', 'n', ':', 'd', 's', 'l', '-', 'l', 'i', 'n', 'e', '-', 'i', 'n', 'f', 'o',
		'-', 'f', 'o', 'r', 'w', 'a', 'r', 'd', 'i', 'n', 'g', '=', '1',
	};
	struct radius_reply r;
	struct radius_err err = { 0 };

	reply_begin();
	radius_builder_add(&rb, RADIUS_ATTR_VENDOR_SPECIFIC, vsa_on, sizeof(vsa_on));
	size_t n = reply_end();
	cr_assert_eq(radius_reply_decode(rbuf, n, req_auth, secret, SECRET_LEN, NULL, NULL, &r, &err), 0,
		     "%s", err.msg);
	cr_expect(r.line_info_forwarding);

	/* "=0" after "=1" switches it off again; other pairs are not ours */
	reply_begin();
	radius_builder_add(&rb, RADIUS_ATTR_VENDOR_SPECIFIC, vsa_on, sizeof(vsa_on));
	radius_builder_add_vsa(&rb, RADIUS_VENDOR_CISCO, RADIUS_CISCO_AVPAIR, "vpdn:tunnel-id=x", 16);
	radius_builder_add_vsa(&rb, RADIUS_VENDOR_CISCO, RADIUS_CISCO_AVPAIR,
			       "vpdn:dsl-line-info-forwarding=0", 31);
	n = reply_end();
	cr_assert_eq(radius_reply_decode(rbuf, n, req_auth, secret, SECRET_LEN, NULL, NULL, &r, &err), 0);
	cr_expect(!r.line_info_forwarding);

	/* a prefix of the name, an empty or unknown value: no switch */
	const char *not_it[] = { "vpdn:dsl-line-info-forwarding", "vpdn:dsl-line-info-forwarding=",
				 "vpdn:dsl-line-info-forwarding=2", "vpdn:dsl-line-info=1",
				 "vpdn:dsl-line-info-forwarding=11" };
	for (size_t i = 0; i < N(not_it); i++) {
		reply_begin();
		radius_builder_add_vsa(&rb, RADIUS_VENDOR_CISCO, RADIUS_CISCO_AVPAIR, not_it[i],
				       strlen(not_it[i]));
		n = reply_end();
		cr_assert_eq(radius_reply_decode(rbuf, n, req_auth, secret, SECRET_LEN, NULL, NULL, &r,
						 &err), 0);
		cr_expect(!r.line_info_forwarding, "%s", not_it[i]);
	}

	/* every truncation of the sub-attribute inside a well-formed VSA is
	 * ignored, never read past and never fatal to the Accept */
	for (size_t cut = 4; cut < sizeof(vsa_on); cut++) {
		uint8_t v[sizeof(vsa_on)];
		memcpy(v, vsa_on, cut);
		reply_begin();
		radius_builder_add(&rb, RADIUS_ATTR_VENDOR_SPECIFIC, v, cut);
		n = reply_end();
		cr_assert_eq(radius_reply_decode(rbuf, n, req_auth, secret, SECRET_LEN, NULL, NULL, &r,
						 &err), 0, "cut %zu", cut);
		cr_expect(!r.line_info_forwarding, "cut %zu", cut);
	}
}
