/*
 * realm_name: User-Name / DNIS to candidate Redis keys (see realm_name.h).
 * Name forms follow RFC 2809 section 3 (user@domain as the tunnel selector)
 * and RFC 7542 section 2 (NAI realm part: case-insensitive DNS labels).
 */
#include <stdio.h>
#include <string.h>

#include "realm_name.h"

static const char *const order_names[] = {
	[REALM_SEARCH_DOMAIN_FIRST] = "domain-first",
	[REALM_SEARCH_DNIS_FIRST]   = "dnis-first",
	[REALM_SEARCH_DOMAIN_ONLY]  = "domain-only",
	[REALM_SEARCH_DNIS_ONLY]    = "dnis-only",
};

static const char *const kind_names[] = {
	[REALM_CANDIDATE_EXACT]    = "exact",
	[REALM_CANDIDATE_WILDCARD] = "wildcard",
	[REALM_CANDIDATE_DNIS]     = "dnis",
};

const char *realm_search_order_str(enum realm_search_order order)
{
	if ((unsigned)order < sizeof(order_names) / sizeof(order_names[0]))
		return order_names[order];
	return "invalid";
}

int realm_search_order_parse(const char *s, enum realm_search_order *out)
{
	unsigned i;

	for (i = 0; i < sizeof(order_names) / sizeof(order_names[0]); i++) {
		if (strcmp(s, order_names[i]) == 0) {
			*out = (enum realm_search_order)i;
			return 0;
		}
	}
	return -1;
}

const char *realm_candidate_kind_str(enum realm_candidate_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "invalid";
}

static int is_delim(const char *delims, char c)
{
	return delims && c != '\0' && strchr(delims, c) != NULL;
}

/*
 * Split user/ulen into realm and user part. Returns 1 and sets *roff, *rlen
 * (the realm bytes) and the user part in out, or 0 if no usable delimiter.
 */
static int split_name(const struct realm_name_opts *opts, const char *user, size_t ulen,
		      size_t *roff, size_t *rlen, struct realm_name *out)
{
	size_t i;

	if (opts->suffix_delimiters && opts->suffix_delimiters[0]) {
		for (i = ulen; i > 0; i--) {
			if (is_delim(opts->suffix_delimiters, user[i - 1])) {
				/* "@realm" has no user part: not a subscriber name */
				if (i - 1 == 0)
					return 0;
				out->user_off = 0;
				out->user_len = i - 1;
				*roff = i;
				*rlen = ulen - i;
				return 1;
			}
		}
	}
	if (opts->prefix_delimiters && opts->prefix_delimiters[0]) {
		for (i = 0; i < ulen; i++) {
			if (is_delim(opts->prefix_delimiters, user[i])) {
				if (i + 1 == ulen)
					return 0;
				out->user_off = i + 1;
				out->user_len = ulen - i - 1;
				*roff = 0;
				*rlen = i;
				return 1;
			}
		}
	}
	return 0;
}

/* Lower-case and validate the realm into out->realm; 0 on success, -1 if malformed. */
static int take_realm(const char *src, size_t len, struct realm_name *out)
{
	size_t i;

	if (len == 0 || len > REALM_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out->realm[i] = (char)c;
	}
	out->realm[len] = '\0';
	/* the wildcard form is for stored realms only; a subscriber cannot ask for "*.x" */
	if (out->realm[0] == '*' || realm_schema_check_realm_name(out->realm, NULL, 0) < 0) {
		out->realm[0] = '\0';
		return -1;
	}
	return 0;
}

static int take_dnis(const char *src, size_t len, struct realm_name *out)
{
	if (len == 0 || len >= sizeof(out->dnis) || memchr(src, '\0', len))
		return -1;
	memcpy(out->dnis, src, len);
	out->dnis[len] = '\0';
	if (realm_schema_check_dnis(out->dnis, NULL, 0) < 0) {
		out->dnis[0] = '\0';
		return -1;
	}
	return 0;
}

static void add_domain(const struct realm_name_opts *opts, struct realm_name *out)
{
	size_t i;

	if (out->realm[0] == '\0')
		return;
	out->cand[out->n].kind = REALM_CANDIDATE_EXACT;
	out->cand[out->n].off = 0;
	out->n++;
	if (!opts->wildcard)
		return;
	/* every parent that still has at least one label: a.b.c -> *.b.c, *.c */
	for (i = 0; out->realm[i] && out->n < REALM_CANDIDATES_MAX - 1; i++) {
		if (out->realm[i] == '.') {
			out->cand[out->n].kind = REALM_CANDIDATE_WILDCARD;
			out->cand[out->n].off = i + 1;
			out->n++;
		}
	}
}

static void add_dnis(struct realm_name *out)
{
	if (out->dnis[0] == '\0')
		return;
	out->cand[out->n].kind = REALM_CANDIDATE_DNIS;
	out->cand[out->n].off = 0;
	out->n++;
}

unsigned realm_name_parse(const struct realm_name_opts *opts, const char *user, size_t ulen,
			  const char *dnis, size_t dlen, struct realm_name *out)
{
	size_t roff = 0, rlen = 0;

	memset(out, 0, sizeof(*out));
	out->user_len = ulen;
	if (user && ulen && !memchr(user, '\0', ulen) &&
	    split_name(opts, user, ulen, &roff, &rlen, out))
		take_realm(user + roff, rlen, out);
	if (dnis && dlen)
		take_dnis(dnis, dlen, out);

	switch (opts->order) {
	case REALM_SEARCH_DNIS_FIRST:
		add_dnis(out);
		add_domain(opts, out);
		break;
	case REALM_SEARCH_DOMAIN_ONLY:
		add_domain(opts, out);
		break;
	case REALM_SEARCH_DNIS_ONLY:
		add_dnis(out);
		break;
	case REALM_SEARCH_DOMAIN_FIRST:
	default:
		add_domain(opts, out);
		add_dnis(out);
		break;
	}
	return out->n;
}

int realm_name_key(const struct realm_name *rn, unsigned i, char *buf, size_t len)
{
	int n;

	if (i >= rn->n)
		return -1;
	switch (rn->cand[i].kind) {
	case REALM_CANDIDATE_EXACT:
		n = snprintf(buf, len, "realm:%s", rn->realm);
		break;
	case REALM_CANDIDATE_WILDCARD:
		n = snprintf(buf, len, "realm:*.%s", rn->realm + rn->cand[i].off);
		break;
	case REALM_CANDIDATE_DNIS:
		n = snprintf(buf, len, "dnis:%s", rn->dnis);
		break;
	default:
		return -1;
	}
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
