/*
 * realmctl document model, JSON reader/writer and whole-document validation.
 * Pure: see doc.h. Field rules come from realm_schema (schema version 1).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "doc.h"

enum field_type {
	FT_STR = 0,
	FT_UINT,
	FT_BOOL,
};

struct field_def {
	const char     *name;
	enum field_type type;
	unsigned        seen;
};

/* RFC 2868 3 attributes the fields become; types as in policy/REDIS-SCHEMA.md. */
static const struct field_def realm_defs[] = {
	{ "mode",            FT_STR,  REALM_SEEN_MODE },
	{ "policy",          FT_STR,  REALM_SEEN_POLICY },
	{ "verify_password", FT_BOOL, REALM_SEEN_VERIFY_PASSWORD },
	{ "max_endpoints",   FT_UINT, REALM_SEEN_MAX_ENDPOINTS },
	{ "reply_message",   FT_STR,  REALM_SEEN_REPLY_MESSAGE },
	{ "client_auth_id",  FT_STR,  REALM_SEEN_CLIENT_AUTH_ID },
	{ "access_line_forwarding", FT_BOOL, REALM_SEEN_ACCESS_LINE_FWD },
	{ NULL, FT_STR, 0 },
};

static const struct field_def lns_defs[] = {
	{ "endpoint",        FT_STR,  REALM_SEEN_ENDPOINT },
	{ "preference",      FT_UINT, REALM_SEEN_PREFERENCE },
	{ "weight",          FT_UINT, REALM_SEEN_WEIGHT },
	{ "secret",          FT_STR,  REALM_SEEN_SECRET },
	{ "assignment_id",   FT_STR,  REALM_SEEN_ASSIGNMENT_ID },
	{ "server_auth_id",  FT_STR,  REALM_SEEN_SERVER_AUTH_ID },
	{ "max_sessions",    FT_UINT, REALM_SEEN_MAX_SESSIONS },
	{ "down",            FT_BOOL, REALM_SEEN_DOWN },
	{ "sessions",        FT_UINT, REALM_SEEN_SESSIONS },
	{ NULL, FT_STR, 0 },
};

const char *const realmctl_realm_fields[] = {
	"mode", "policy", "verify_password", "max_endpoints", "reply_message",
	"client_auth_id", "access_line_forwarding", NULL,
};

const char *const realmctl_lns_fields[] = {
	"endpoint", "preference", "weight", "secret", "assignment_id", "server_auth_id",
	"max_sessions", "down", NULL,
};

static const struct field_def *field_find(const struct field_def *defs, const char *name)
{
	for (; defs->name; defs++)
		if (strcmp(defs->name, name) == 0)
			return defs;
	return NULL;
}

int realmctl_errs_add(struct realmctl_errs *errs, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (!line)
		return -1;
	if (errs->n == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 16;
		char **m = realloc(errs->msg, cap * sizeof(*m));
		if (!m) {
			free(line);
			return -1;
		}
		errs->msg = m;
		errs->cap = cap;
	}
	errs->msg[errs->n++] = line;
	return -1;
}

void realmctl_errs_free(struct realmctl_errs *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	memset(errs, 0, sizeof(*errs));
}

void realmctl_doc_init(struct realmctl_doc *doc)
{
	memset(doc, 0, sizeof(*doc));
}

void realmctl_doc_free(struct realmctl_doc *doc)
{
	size_t i;

	for (i = 0; i < doc->n_realms; i++) {
		/* secrets should not linger in freed heap memory */
		if (doc->realms[i].lns)
			memset(doc->realms[i].lns, 0, doc->realms[i].cap_lns * sizeof(struct realmctl_lns));
		free(doc->realms[i].lns);
	}
	free(doc->realms);
	free(doc->dnis);
	memset(doc, 0, sizeof(*doc));
}

/* Grow an array of `size`-byte elements so one more fits. 0 or -1. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Copy with truncation and "..." so messages stay readable. */
static void copy_label(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(src);

	if (len < cap) {
		memcpy(dst, src, len + 1);
		return;
	}
	memcpy(dst, src, cap - 4);
	memcpy(dst + cap - 4, "...", 4);
}

struct realmctl_realm *realmctl_doc_add_realm(struct realmctl_doc *doc, const char *name,
					      const char *where, struct realmctl_errs *errs)
{
	struct realmctl_realm *r;
	size_t len = strlen(name), i;

	if (len > REALM_NAME_MAX) {
		realmctl_errs_add(errs, "realm=%.40s... field=realm: longer than %d bytes (at %s)",
				  name, REALM_NAME_MAX, where);
		return NULL;
	}
	if (grow((void **)&doc->realms, &doc->cap_realms, doc->n_realms, sizeof(*r)) < 0) {
		realmctl_errs_add(errs, "out of memory");
		return NULL;
	}
	r = &doc->realms[doc->n_realms++];
	memset(r, 0, sizeof(*r));
	for (i = 0; i <= len; i++)
		r->name[i] = (char)tolower((unsigned char)name[i]);
	realm_schema_realm_init(&r->conf);
	copy_label(r->where, sizeof(r->where), where);
	return r;
}

struct realmctl_lns *realmctl_realm_add_lns(struct realmctl_realm *realm, const char *id,
					    const char *where, struct realmctl_errs *errs)
{
	struct realmctl_lns *l;

	if (strlen(id) > REALM_LNS_ID_MAX) {
		realmctl_errs_add(errs, "realm=%s lns=%.40s... field=lns: id longer than %d bytes (at %s)",
				  realm->name, id, REALM_LNS_ID_MAX, where);
		return NULL;
	}
	if (grow((void **)&realm->lns, &realm->cap_lns, realm->n_lns, sizeof(*l)) < 0) {
		realmctl_errs_add(errs, "out of memory");
		return NULL;
	}
	l = &realm->lns[realm->n_lns++];
	memset(l, 0, sizeof(*l));
	realm_schema_lns_init(&l->s);
	strcpy(l->s.id, id);
	copy_label(l->where, sizeof(l->where), where);
	return l;
}

struct realmctl_dnis *realmctl_doc_add_dnis(struct realmctl_doc *doc, const char *number,
					    const char *realm, const char *where,
					    struct realmctl_errs *errs)
{
	struct realmctl_dnis *d;
	size_t i, len = strlen(realm);

	if (strlen(number) > REALMCTL_DNIS_MAX) {
		realmctl_errs_add(errs, "dnis=%.40s... field=dnis: longer than %d bytes (at %s)",
				  number, REALMCTL_DNIS_MAX, where);
		return NULL;
	}
	if (len > REALM_NAME_MAX) {
		realmctl_errs_add(errs, "dnis=%s field=realm: realm name longer than %d bytes (at %s)",
				  number, REALM_NAME_MAX, where);
		return NULL;
	}
	if (grow((void **)&doc->dnis, &doc->cap_dnis, doc->n_dnis, sizeof(*d)) < 0) {
		realmctl_errs_add(errs, "out of memory");
		return NULL;
	}
	d = &doc->dnis[doc->n_dnis++];
	memset(d, 0, sizeof(*d));
	strcpy(d->number, number);
	for (i = 0; i <= len; i++)
		d->realm[i] = (char)tolower((unsigned char)realm[i]);
	copy_label(d->where, sizeof(d->where), where);
	return d;
}

int realmctl_realm_set(struct realmctl_realm *realm, const char *field, const char *value,
		       size_t len, const char *where, int unknown_is_error,
		       struct realmctl_errs *errs)
{
	char err[REALM_ERR_MAX];
	int unknown = 0;
	const struct field_def *def;

	if (realm_schema_realm_set(&realm->conf, field, value, len, &unknown, err, sizeof(err)) < 0) {
		def = field_find(realm_defs, field);
		if (def)
			realm->conf.seen |= def->seen;
		return realmctl_errs_add(errs, "realm=%s %s (at %s)", realm->name, err, where);
	}
	if (unknown && unknown_is_error)
		return realmctl_errs_add(errs, "realm=%s field=%s: unknown field (at %s)",
					 realm->name, field, where);
	return 0;
}

int realmctl_lns_set(struct realmctl_realm *realm, struct realmctl_lns *lns, const char *field,
		     const char *value, size_t len, const char *where, int unknown_is_error,
		     struct realmctl_errs *errs)
{
	char err[REALM_ERR_MAX];
	int unknown = 0;
	const struct field_def *def;

	if (realm_schema_lns_set(&lns->s, field, value, len, &unknown, err, sizeof(err)) < 0) {
		def = field_find(lns_defs, field);
		if (def)
			lns->s.seen |= def->seen;
		return realmctl_errs_add(errs, "realm=%s lns=%s %s (at %s)", realm->name,
					 lns->s.id, err, where);
	}
	if (unknown && unknown_is_error)
		return realmctl_errs_add(errs, "realm=%s lns=%s field=%s: unknown field (at %s)",
					 realm->name, lns->s.id, field, where);
	return 0;
}

struct realmctl_realm *realmctl_doc_find_realm(const struct realmctl_doc *doc, const char *name)
{
	size_t i;

	for (i = 0; i < doc->n_realms; i++)
		if (strcasecmp(doc->realms[i].name, name) == 0)
			return &doc->realms[i];
	return NULL;
}

struct realmctl_lns *realmctl_realm_find_lns(const struct realmctl_realm *realm, const char *id)
{
	size_t i;

	for (i = 0; i < realm->n_lns; i++)
		if (strcmp(realm->lns[i].s.id, id) == 0)
			return &realm->lns[i];
	return NULL;
}

static int cmp_realm_ptr(const void *a, const void *b)
{
	const struct realmctl_realm *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static int cmp_lns_ptr(const void *a, const void *b)
{
	const struct realmctl_lns *const *x = a, *const *y = b;
	return strcmp((*x)->s.id, (*y)->s.id);
}

static int cmp_dnis_ptr(const void *a, const void *b)
{
	const struct realmctl_dnis *const *x = a, *const *y = b;
	return strcmp((*x)->number, (*y)->number);
}

static int cmp_str_ptr(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	return strcmp(*x, *y);
}

static int cmp_realm(const void *a, const void *b)
{
	return strcmp(((const struct realmctl_realm *)a)->name, ((const struct realmctl_realm *)b)->name);
}

static int cmp_lns(const void *a, const void *b)
{
	return strcmp(((const struct realmctl_lns *)a)->s.id, ((const struct realmctl_lns *)b)->s.id);
}

static int cmp_dnis(const void *a, const void *b)
{
	return strcmp(((const struct realmctl_dnis *)a)->number,
		      ((const struct realmctl_dnis *)b)->number);
}

void realmctl_doc_sort(struct realmctl_doc *doc)
{
	size_t i;

	if (doc->n_realms)
		qsort(doc->realms, doc->n_realms, sizeof(*doc->realms), cmp_realm);
	for (i = 0; i < doc->n_realms; i++)
		if (doc->realms[i].n_lns)
			qsort(doc->realms[i].lns, doc->realms[i].n_lns, sizeof(struct realmctl_lns),
			      cmp_lns);
	if (doc->n_dnis)
		qsort(doc->dnis, doc->n_dnis, sizeof(*doc->dnis), cmp_dnis);
}

/* 1 if `name` is in the sorted array `names`. */
static int name_known(const char *const *names, size_t n, const char *name)
{
	return n && bsearch(&name, names, n, sizeof(*names), cmp_str_ptr) != NULL;
}

/* Checks of one realm and its LNS (names, duplicates, required fields). */
static int check_realm(const struct realmctl_realm *r, struct realmctl_errs *errs)
{
	char err[REALM_ERR_MAX];
	const struct realmctl_lns **sorted = NULL;
	size_t i;
	int rc = 0;

	if (realm_schema_check_realm_name(r->name, err, sizeof(err)) < 0)
		rc = realmctl_errs_add(errs, "realm=%s %s (at %s)", r->name, err, r->where);
	if (realm_schema_realm_check(&r->conf, err, sizeof(err)) < 0)
		rc = realmctl_errs_add(errs, "realm=%s %s (at %s)", r->name, err, r->where);
	if (r->conf.mode == REALM_MODE_TUNNEL && (r->conf.seen & REALM_SEEN_MODE) && r->n_lns == 0)
		rc = realmctl_errs_add(errs, "realm=%s field=lns: mode tunnel needs at least one LNS (at %s)",
				       r->name, r->where);
	for (i = 0; i < r->n_lns; i++) {
		const struct realmctl_lns *l = &r->lns[i];
		if (realm_schema_check_lns_id(l->s.id, err, sizeof(err)) < 0)
			rc = realmctl_errs_add(errs, "realm=%s lns=%s %s (at %s)", r->name, l->s.id,
					       err, l->where);
		if (realm_schema_lns_check(&l->s, err, sizeof(err)) < 0)
			rc = realmctl_errs_add(errs, "realm=%s lns=%s %s (at %s)", r->name, l->s.id,
					       err, l->where);
	}
	if (r->n_lns < 2)
		return rc;
	sorted = malloc(r->n_lns * sizeof(*sorted));
	if (!sorted)
		return realmctl_errs_add(errs, "out of memory");
	for (i = 0; i < r->n_lns; i++)
		sorted[i] = &r->lns[i];
	qsort(sorted, r->n_lns, sizeof(*sorted), cmp_lns_ptr);
	for (i = 1; i < r->n_lns; i++)
		if (strcmp(sorted[i]->s.id, sorted[i - 1]->s.id) == 0)
			rc = realmctl_errs_add(errs, "realm=%s lns=%s field=id: duplicate LNS id (at %s and %s)",
					       r->name, sorted[i]->s.id, sorted[i - 1]->where,
					       sorted[i]->where);
	free(sorted);
	return rc;
}

int realmctl_doc_check(const struct realmctl_doc *doc, const char *const *known, size_t n_known,
		       struct realmctl_errs *errs)
{
	const struct realmctl_realm **realms = NULL;
	const struct realmctl_dnis **dnis = NULL;
	const char **names = NULL;
	const char **known_sorted = NULL;
	char err[REALM_ERR_MAX];
	size_t i;
	int rc = 0;

	realms = malloc((doc->n_realms + 1) * sizeof(*realms));
	names = malloc((doc->n_realms + 1) * sizeof(*names));
	dnis = malloc((doc->n_dnis + 1) * sizeof(*dnis));
	known_sorted = malloc((n_known + 1) * sizeof(*known_sorted));
	if (!realms || !names || !dnis || !known_sorted) {
		rc = realmctl_errs_add(errs, "out of memory");
		goto fail;
	}
	for (i = 0; i < doc->n_realms; i++) {
		realms[i] = &doc->realms[i];
		names[i] = doc->realms[i].name;
		if (check_realm(&doc->realms[i], errs) < 0)
			rc = -1;
	}
	if (doc->n_realms) {
		qsort(realms, doc->n_realms, sizeof(*realms), cmp_realm_ptr);
		qsort(names, doc->n_realms, sizeof(*names), cmp_str_ptr);
	}
	for (i = 1; i < doc->n_realms; i++)
		if (strcmp(realms[i]->name, realms[i - 1]->name) == 0)
			rc = realmctl_errs_add(errs, "realm=%s field=name: duplicate realm (at %s and %s)",
					       realms[i]->name, realms[i - 1]->where, realms[i]->where);
	for (i = 0; i < n_known; i++)
		known_sorted[i] = known[i];
	if (n_known)
		qsort(known_sorted, n_known, sizeof(*known_sorted), cmp_str_ptr);

	for (i = 0; i < doc->n_dnis; i++) {
		const struct realmctl_dnis *d = &doc->dnis[i];
		dnis[i] = d;
		if (realm_schema_check_dnis(d->number, err, sizeof(err)) < 0)
			rc = realmctl_errs_add(errs, "dnis=%s %s (at %s)", d->number, err, d->where);
		if (!name_known(names, doc->n_realms, d->realm) &&
		    !name_known(known_sorted, n_known, d->realm))
			rc = realmctl_errs_add(errs, "dnis=%s field=realm value=\"%s\": no such realm (at %s)",
					       d->number, d->realm, d->where);
	}
	if (doc->n_dnis)
		qsort(dnis, doc->n_dnis, sizeof(*dnis), cmp_dnis_ptr);
	for (i = 1; i < doc->n_dnis; i++)
		if (strcmp(dnis[i]->number, dnis[i - 1]->number) == 0)
			rc = realmctl_errs_add(errs, "dnis=%s field=number: duplicate DNIS (at %s and %s)",
					       dnis[i]->number, dnis[i - 1]->where, dnis[i]->where);
fail:
	free(realms);
	free(names);
	free(dnis);
	free(known_sorted);
	return rc;
}

/* ---- JSON in ---- */

/*
 * Convert a JSON value to the string form realm_schema parses, checking its
 * JSON type against the field's. Returns 0 with out and len set (pointing into
 * the JSON value or into buf), -1 with `why` naming the wanted type.
 */
static int json_field_value(const json_t *v, enum field_type type, char *buf, size_t buflen,
			    const char **out, size_t *len, const char **why)
{
	switch (type) {
	case FT_STR:
		if (!json_is_string(v)) {
			*why = "want a string";
			return -1;
		}
		*out = json_string_value(v);
		*len = json_string_length(v);
		return 0;
	case FT_UINT:
		if (!json_is_integer(v)) {
			*why = "want an integer";
			return -1;
		}
		snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case FT_BOOL:
		if (json_is_true(v) || (json_is_integer(v) && json_integer_value(v) == 1))
			snprintf(buf, buflen, "1");
		else if (json_is_false(v) || (json_is_integer(v) && json_integer_value(v) == 0))
			snprintf(buf, buflen, "0");
		else {
			*why = "want true or false";
			return -1;
		}
		break;
	}
	*out = buf;
	*len = strlen(buf);
	return 0;
}

/* A short printable rendering of a JSON value for messages. */
static void json_brief(const json_t *v, char *buf, size_t buflen)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (!s) {
		snprintf(buf, buflen, "?");
		return;
	}
	copy_label(buf, buflen, s);
	free(s);
}

static const char *json_type_str(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "an object";
	case JSON_ARRAY:   return "an array";
	case JSON_STRING:  return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL:    return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:   return "a boolean";
	case JSON_NULL:    return "null";
	}
	return "?";
}

/* Build a JSON path for messages; long keys are simply cut. */
__attribute__((format(printf, 3, 4)))
static void path_fmt(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

static int json_read_lns(struct realmctl_realm *r, const json_t *obj, const char *path,
			 struct realmctl_errs *errs)
{
	struct realmctl_lns *l;
	const json_t *id, *v;
	const char *key;
	char where[160];
	int rc = 0;

	if (!json_is_object(obj))
		return realmctl_errs_add(errs, "realm=%s field=lns: want an object, got %s (at %s)",
					 r->name, json_type_str(obj), path);
	id = json_object_get(obj, "id");
	if (!id || !json_is_string(id))
		return realmctl_errs_add(errs, "realm=%s field=id: %s (at %s.id)", r->name,
					 id ? "want a string" : "missing", path);
	l = realmctl_realm_add_lns(r, json_string_value(id), path, errs);
	if (!l)
		return -1;
	json_object_foreach((json_t *)obj, key, v) {
		const struct field_def *def;
		char buf[32], brief[80];
		const char *val, *why;
		size_t len;

		if (strcmp(key, "id") == 0)
			continue;
		path_fmt(where, sizeof(where), "%s.%s", path, key);
		def = field_find(lns_defs, key);
		if (def && def->seen == REALM_SEEN_SESSIONS) {
			rc = realmctl_errs_add(errs, "realm=%s lns=%s field=sessions: a runtime counter "
					       "kept by accounting, not provisioned (at %s)",
					       r->name, l->s.id, where);
			continue;
		}
		if (!def) {
			rc = realmctl_errs_add(errs, "realm=%s lns=%s field=%s: unknown field (at %s)",
					       r->name, l->s.id, key, where);
			continue;
		}
		if (json_field_value(v, def->type, buf, sizeof(buf), &val, &len, &why) < 0) {
			json_brief(v, brief, sizeof(brief));
			l->s.seen |= def->seen;
			rc = realmctl_errs_add(errs, "realm=%s lns=%s field=%s value=%s: %s (at %s)",
					       r->name, l->s.id, key, brief, why, where);
			continue;
		}
		if (realmctl_lns_set(r, l, key, val, len, where, 1, errs) < 0)
			rc = -1;
	}
	return rc;
}

static int json_read_realm(struct realmctl_doc *doc, const json_t *obj, const char *path,
			   struct realmctl_errs *errs)
{
	struct realmctl_realm *r;
	const json_t *name, *v;
	const char *key;
	char where[160];
	int rc = 0;

	if (!json_is_object(obj))
		return realmctl_errs_add(errs, "field=realms: want an object, got %s (at %s)",
					 json_type_str(obj), path);
	name = json_object_get(obj, "name");
	if (!name || !json_is_string(name))
		return realmctl_errs_add(errs, "field=name: %s (at %s.name)",
					 name ? "want a string" : "missing", path);
	r = realmctl_doc_add_realm(doc, json_string_value(name), path, errs);
	if (!r)
		return -1;
	json_object_foreach((json_t *)obj, key, v) {
		const struct field_def *def;
		char buf[32], brief[80];
		const char *val, *why;
		size_t len, i;

		if (strcmp(key, "name") == 0)
			continue;
		path_fmt(where, sizeof(where), "%s.%s", path, key);
		if (strcmp(key, "lns") == 0) {
			if (!json_is_array(v)) {
				rc = realmctl_errs_add(errs, "realm=%s field=lns: want an array, got %s (at %s)",
						       r->name, json_type_str(v), where);
				continue;
			}
			for (i = 0; i < json_array_size(v); i++) {
				char lpath[sizeof(where) + 24];
				path_fmt(lpath, sizeof(lpath), "%s[%zu]", where, i);
				if (json_read_lns(r, json_array_get(v, i), lpath, errs) < 0)
					rc = -1;
			}
			continue;
		}
		def = field_find(realm_defs, key);
		if (!def) {
			rc = realmctl_errs_add(errs, "realm=%s field=%s: unknown field (at %s)",
					       r->name, key, where);
			continue;
		}
		if (json_field_value(v, def->type, buf, sizeof(buf), &val, &len, &why) < 0) {
			json_brief(v, brief, sizeof(brief));
			r->conf.seen |= def->seen;
			rc = realmctl_errs_add(errs, "realm=%s field=%s value=%s: %s (at %s)",
					       r->name, key, brief, why, where);
			continue;
		}
		if (realmctl_realm_set(r, key, val, len, where, 1, errs) < 0)
			rc = -1;
	}
	return rc;
}

static int json_read_dnis(struct realmctl_doc *doc, const json_t *obj, const char *path,
			  struct realmctl_errs *errs)
{
	const json_t *num, *realm, *v;
	const char *key;
	int rc = 0;

	if (!json_is_object(obj))
		return realmctl_errs_add(errs, "field=dnis: want an object, got %s (at %s)",
					 json_type_str(obj), path);
	num = json_object_get(obj, "number");
	realm = json_object_get(obj, "realm");
	/* a number as JSON integer would lose leading zeros: strings only */
	if (!num || !json_is_string(num))
		return realmctl_errs_add(errs, "field=number: %s (at %s.number)",
					 num ? "want a string (leading zeros matter)" : "missing", path);
	if (!realm || !json_is_string(realm))
		return realmctl_errs_add(errs, "dnis=%s field=realm: %s (at %s.realm)",
					 json_string_value(num), realm ? "want a string" : "missing",
					 path);
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "number") && strcmp(key, "realm"))
			rc = realmctl_errs_add(errs, "dnis=%s field=%s: unknown field (at %s.%s)",
					       json_string_value(num), key, path, key);
	}
	if (!realmctl_doc_add_dnis(doc, json_string_value(num), json_string_value(realm), path, errs))
		return -1;
	return rc;
}

int realmctl_doc_parse_json(const char *text, size_t len, struct realmctl_doc *doc,
			    const char *const *known, size_t n_known, struct realmctl_errs *errs)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	size_t i;
	int rc = 0;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return realmctl_errs_add(errs, "json: line %d column %d: %s", jerr.line, jerr.column,
					 jerr.text);
	if (!json_is_object(root)) {
		rc = realmctl_errs_add(errs, "json: the document must be an object, got %s (at $)",
				       json_type_str(root));
		goto out;
	}
	json_object_foreach(root, key, v) {
		char path[64];
		if (strcmp(key, "schema") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) != 1)
				rc = realmctl_errs_add(errs, "field=schema: want 1 (the only schema version "
						       "this realmctl knows) (at $.schema)");
		} else if (strcmp(key, "realms") == 0) {
			if (!json_is_array(v)) {
				rc = realmctl_errs_add(errs, "field=realms: want an array, got %s (at $.realms)",
						       json_type_str(v));
				continue;
			}
			for (i = 0; i < json_array_size(v); i++) {
				path_fmt(path, sizeof(path), "$.realms[%zu]", i);
				if (json_read_realm(doc, json_array_get(v, i), path, errs) < 0)
					rc = -1;
			}
		} else if (strcmp(key, "dnis") == 0) {
			if (!json_is_array(v)) {
				rc = realmctl_errs_add(errs, "field=dnis: want an array, got %s (at $.dnis)",
						       json_type_str(v));
				continue;
			}
			for (i = 0; i < json_array_size(v); i++) {
				path_fmt(path, sizeof(path), "$.dnis[%zu]", i);
				if (json_read_dnis(doc, json_array_get(v, i), path, errs) < 0)
					rc = -1;
			}
		} else {
			rc = realmctl_errs_add(errs, "field=%s: unknown top-level key (want schema, realms, "
					       "dnis) (at $.%s)", key, key);
		}
	}
	if (realmctl_doc_check(doc, known, n_known, errs) < 0)
		rc = -1;
out:
	json_decref(root);
	return rc;
}

/* ---- string forms and JSON out ---- */

static void render_endpoint(const struct realm_endpoint *ep, char *buf, size_t buflen)
{
	if (ep->port == 0)
		snprintf(buf, buflen, "%s", ep->host);
	else if (ep->family == AF_INET6)
		snprintf(buf, buflen, "[%s]:%u", ep->host, ep->port);
	else
		snprintf(buf, buflen, "%s:%u", ep->host, ep->port);
}

int realmctl_realm_field_str(const struct realm_conf *conf, const char *field, char *buf,
			     size_t buflen)
{
	const struct field_def *def = field_find(realm_defs, field);

	if (!def || !(conf->seen & def->seen))
		return 0;
	switch (def->seen) {
	case REALM_SEEN_MODE:
		snprintf(buf, buflen, "%s", realm_mode_str(conf->mode));
		break;
	case REALM_SEEN_POLICY:
		snprintf(buf, buflen, "%s", realm_policy_str(conf->policy));
		break;
	case REALM_SEEN_VERIFY_PASSWORD:
		snprintf(buf, buflen, "%d", conf->verify_password ? 1 : 0);
		break;
	case REALM_SEEN_MAX_ENDPOINTS:
		snprintf(buf, buflen, "%u", conf->max_endpoints);
		break;
	case REALM_SEEN_REPLY_MESSAGE:
		snprintf(buf, buflen, "%s", conf->reply_message);
		break;
	case REALM_SEEN_ACCESS_LINE_FWD:
		snprintf(buf, buflen, "%d", conf->access_line_forwarding ? 1 : 0);
		break;
	default:
		snprintf(buf, buflen, "%s", conf->client_auth_id);
		break;
	}
	return 1;
}

int realmctl_lns_field_str(const struct realm_lns *lns, const char *field, char *buf,
			   size_t buflen)
{
	const struct field_def *def = field_find(lns_defs, field);

	if (!def || !(lns->seen & def->seen))
		return 0;
	switch (def->seen) {
	case REALM_SEEN_ENDPOINT:
		render_endpoint(&lns->endpoint, buf, buflen);
		break;
	case REALM_SEEN_PREFERENCE:
		snprintf(buf, buflen, "%u", lns->preference);
		break;
	case REALM_SEEN_WEIGHT:
		snprintf(buf, buflen, "%u", lns->weight);
		break;
	case REALM_SEEN_SECRET:
		snprintf(buf, buflen, "%s", lns->secret);
		break;
	case REALM_SEEN_ASSIGNMENT_ID:
		snprintf(buf, buflen, "%s", lns->assignment_id);
		break;
	case REALM_SEEN_SERVER_AUTH_ID:
		snprintf(buf, buflen, "%s", lns->server_auth_id);
		break;
	case REALM_SEEN_MAX_SESSIONS:
		snprintf(buf, buflen, "%u", (unsigned)lns->max_sessions);
		break;
	case REALM_SEEN_SESSIONS:
		snprintf(buf, buflen, "%u", (unsigned)lns->sessions);
		break;
	default:
		snprintf(buf, buflen, "%d", lns->down ? 1 : 0);
		break;
	}
	return 1;
}

/* Add field `def` of an object as its JSON type; 0 or -1 (not UTF-8, OOM). */
static int json_put(json_t *obj, const struct field_def *def, const char *s)
{
	json_t *v;

	switch (def->type) {
	case FT_UINT:
		v = json_integer(strtoll(s, NULL, 10));
		break;
	case FT_BOOL:
		v = json_boolean(strcmp(s, "1") == 0);
		break;
	default:
		v = json_string(s);
		break;
	}
	if (!v)
		return -1;
	return json_object_set_new(obj, def->name, v);
}

char *realmctl_doc_to_json(const struct realmctl_doc *doc, struct realmctl_errs *errs)
{
	json_t *root = NULL, *realms, *dnis;
	char buf[512];
	char *out = NULL;
	size_t i, j;
	const struct field_def *def;

	root = json_object();
	realms = json_array();
	dnis = json_array();
	if (!root || !realms || !dnis) {
		json_decref(realms);
		json_decref(dnis);
		goto fail;
	}
	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(root, "realms", realms);
	json_object_set_new(root, "dnis", dnis);
	for (i = 0; i < doc->n_realms; i++) {
		const struct realmctl_realm *r = &doc->realms[i];
		json_t *jr = json_object(), *jl = json_array();

		if (!jr || !jl || json_array_append_new(realms, jr) < 0 ||
		    json_object_set_new(jr, "name", json_string(r->name)) < 0) {
			json_decref(jl);
			goto fail;
		}
		for (def = realm_defs; def->name; def++)
			if (realmctl_realm_field_str(&r->conf, def->name, buf, sizeof(buf)) &&
			    json_put(jr, def, buf) < 0) {
				json_decref(jl);
				realmctl_errs_add(errs, "realm=%s field=%s: cannot be written as JSON "
						  "(not UTF-8?)", r->name, def->name);
				goto fail;
			}
		if (json_object_set_new(jr, "lns", jl) < 0)
			goto fail;
		for (j = 0; j < r->n_lns; j++) {
			const struct realm_lns *l = &r->lns[j].s;
			json_t *o = json_object();

			if (!o || json_array_append_new(jl, o) < 0 ||
			    json_object_set_new(o, "id", json_string(l->id)) < 0)
				goto fail;
			for (def = lns_defs; def->name; def++) {
				if (def->seen == REALM_SEEN_SESSIONS)
					continue;
				if (realmctl_lns_field_str(l, def->name, buf, sizeof(buf)) &&
				    json_put(o, def, buf) < 0) {
					realmctl_errs_add(errs, "realm=%s lns=%s field=%s: cannot be "
							  "written as JSON (not UTF-8?)", r->name,
							  l->id, def->name);
					goto fail;
				}
			}
		}
	}
	for (i = 0; i < doc->n_dnis; i++) {
		json_t *o = json_object();
		if (!o || json_array_append_new(dnis, o) < 0 ||
		    json_object_set_new(o, "number", json_string(doc->dnis[i].number)) < 0 ||
		    json_object_set_new(o, "realm", json_string(doc->dnis[i].realm)) < 0) {
			realmctl_errs_add(errs, "dnis=%s: cannot be written as JSON", doc->dnis[i].number);
			goto fail;
		}
	}
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!out)
		realmctl_errs_add(errs, "out of memory rendering JSON");
	json_decref(root);
	return out;
fail:
	if (errs->n == 0)
		realmctl_errs_add(errs, "cannot render JSON (out of memory or a value that is not UTF-8)");
	json_decref(root);
	return NULL;
}
