/* libFuzzer harness: User-Name / DNIS to Redis lookup candidates,
 * rlm_realm_lns/realm_name.c (RFC 2809 realms, RFC 7542 NAI syntax).
 *
 * Input: an options octet (bits 0-1 search order, bit 2 wildcard parents,
 * bits 3-4 suffix delimiters, bits 5-6 prefix delimiters), a split octet
 * (how many of the remaining bytes are the User-Name; the rest is the DNIS),
 * then the bytes. Both values are raw attribute bytes (NULs allowed).
 *
 * Checks: the candidate count is bounded, the user part lies in the
 * User-Name, the realm is lower case and terminated, every key builds into
 * REALM_KEY_MAX octets and a too small buffer is refused without overflow. */
#include "fuzz_common.h"

#include <ctype.h>

#include "realm_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const suffix[4] = { "@", NULL, "@%", "" };
	static const char *const prefix[4] = { NULL, "/\\", "/", "" };
	static struct realm_name rn;
	struct realm_name_opts opts;
	struct fz f = { data, size };
	uint8_t o, split;
	size_t ulen, dlen;
	char *user, *dnis;
	unsigned n;

	if (size < 2)
		return 0;
	o = fz_u8(&f);
	split = fz_u8(&f);
	ulen = split <= f.n ? split : f.n;
	dlen = f.n - ulen;
	/* Exact-size copies without NUL: the parser gets lengths. */
	user = malloc(ulen ? ulen : 1);
	dnis = malloc(dlen ? dlen : 1);
	if (!user || !dnis)
		goto out;
	memcpy(user, f.p, ulen);
	memcpy(dnis, f.p + ulen, dlen);

	memset(&opts, 0, sizeof(opts));
	opts.order = (enum realm_search_order)(o & 3);
	opts.wildcard = (o >> 2) & 1;
	opts.suffix_delimiters = suffix[(o >> 3) & 3];
	opts.prefix_delimiters = prefix[(o >> 5) & 3];
	(void)realm_search_order_str(opts.order);

	n = realm_name_parse(&opts, (o & 128) && ulen == 0 ? NULL : user, ulen,
			     (o & 128) && dlen == 0 ? NULL : dnis, dlen, &rn);
	FUZZ_CHECK(n <= REALM_CANDIDATES_MAX && n == rn.n, "%u candidates (n=%u)", n, rn.n);
	FUZZ_CHECK(memchr(rn.realm, 0, sizeof(rn.realm)) != NULL, "realm not terminated");
	FUZZ_CHECK(memchr(rn.dnis, 0, sizeof(rn.dnis)) != NULL, "dnis not terminated");
	for (const char *c = rn.realm; *c; c++)
		FUZZ_CHECK(!isupper((unsigned char)*c), "realm \"%s\" not lower case", rn.realm);
	if (rn.realm[0] || n)
		FUZZ_CHECK(rn.user_off + rn.user_len <= ulen, "user part %zu+%zu of %zu", rn.user_off,
			   rn.user_len, ulen);
	for (unsigned i = 0; i < n; i++) {
		char key[REALM_KEY_MAX];
		int k = realm_name_key(&rn, i, key, sizeof(key));

		(void)realm_candidate_kind_str(rn.cand[i].kind);
		FUZZ_CHECK(k > 0 && (size_t)k < sizeof(key) && key[k] == '\0', "key %u: %d", i, k);
		FUZZ_CHECK(strncmp(key, "realm:", 6) == 0 || strncmp(key, "dnis:", 5) == 0,
			   "key \"%s\"", key);
		if (rn.cand[i].kind == REALM_CANDIDATE_WILDCARD)
			FUZZ_CHECK(rn.cand[i].off < strlen(rn.realm), "wildcard offset %zu",
				   rn.cand[i].off);
		/* The same key into a buffer one octet too small: refused, in bounds. */
		char *small = malloc((size_t)k);
		if (small) {
			FUZZ_CHECK(realm_name_key(&rn, i, small, (size_t)k) < 0,
				   "key of %d fit %d octets", k, k);
			free(small);
		}
	}
	FUZZ_CHECK(realm_name_key(&rn, n, (char[REALM_KEY_MAX]){ 0 }, REALM_KEY_MAX) < 0,
		   "key beyond the candidates");
out:
	free(user);
	free(dnis);
	return 0;
}
