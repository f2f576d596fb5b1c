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
