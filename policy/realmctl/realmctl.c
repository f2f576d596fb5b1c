/*
 * realmctl: the operators' provisioning CLI for realm-lns (schema version 1 in
 * Redis, see policy/REDIS-SCHEMA.md). This file is the command line only:
 * validation is in doc.c (through rlm_realm_lns/realm_schema.h), Redis I/O in
 * store.c.
 *
 * Exit codes: 0 ok, 1 validation or data error (or the object does not
 * exist), 2 usage, 3 Redis unreachable or failing.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "doc.h"
#include "realm_sentinel.h"
#include "redis_url.h"
#include "store.h"

#define EXIT_DATA   1
#define EXIT_USAGE  2
#define EXIT_REDIS  3

#define IMPORT_MAX_BYTES (16u << 20)   /* a document of 16 MiB is ~50k realms */
#define REDIS_TIMEOUT_MS 5000
#define SENTINEL_TIMEOUT_MS 1000     /* per sentinel asked */
#define SENTINEL_ATTEMPTS   10       /* 500 ms apart: rides out a failover in progress */

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

struct ctx {
	const char   *redis_url;
	redisContext *redis;
};

struct command {
	const char *word;       /* "realm" */
	const char *sub;        /* "add", or NULL */
	const char *usage;      /* arguments and options */
	const char *help;       /* one line */
	int (*run)(struct ctx *ctx, int argc, char **argv);
};

static int cmd_realm_add(struct ctx *ctx, int argc, char **argv);
static int cmd_realm_del(struct ctx *ctx, int argc, char **argv);
static int cmd_realm_show(struct ctx *ctx, int argc, char **argv);
static int cmd_realm_list(struct ctx *ctx, int argc, char **argv);
static int cmd_lns_add(struct ctx *ctx, int argc, char **argv);
static int cmd_lns_del(struct ctx *ctx, int argc, char **argv);
static int cmd_lns_set(struct ctx *ctx, int argc, char **argv);
static int cmd_dnis_map(struct ctx *ctx, int argc, char **argv);
static int cmd_dnis_unmap(struct ctx *ctx, int argc, char **argv);
static int cmd_import(struct ctx *ctx, int argc, char **argv);
static int cmd_export(struct ctx *ctx, int argc, char **argv);
static int cmd_check(struct ctx *ctx, int argc, char **argv);
static int cmd_reconcile(struct ctx *ctx, int argc, char **argv);

static const struct command commands[] = {
	{ "realm", "add",
	  "NAME --mode tunnel|local|reject [--policy preference|weighted|round-robin]\n"
	  "        [--verify-password] [--max-endpoints N] [--reply-message TEXT] [--client-auth-id ID]"
	  "\n        [--access-line-forwarding]",
	  "create or replace a realm's settings (fields not given take the defaults; its LNS are kept)",
	  cmd_realm_add },
	{ "realm", "del", "NAME", "delete a realm and its LNS (refused while a DNIS maps to it)",
	  cmd_realm_del },
	{ "realm", "show", "NAME", "print a realm and its LNS (secrets as their length)", cmd_realm_show },
	{ "realm", "list", "", "print every realm name", cmd_realm_list },
	{ "lns", "add",
	  "REALM ID --endpoint ADDR[:PORT]|[V6]:PORT --secret S|- [--preference N] [--weight N]\n"
	  "        [--assignment-id ID] [--server-auth-id ID] [--max-sessions N]",
	  "create or replace an LNS of a realm (its session counter is kept; --secret - reads stdin)",
	  cmd_lns_add },
	{ "lns", "del", "REALM ID", "delete an LNS of a realm", cmd_lns_del },
	{ "lns", "set", "REALM ID --down|--up", "take an LNS out of / back into service", cmd_lns_set },
	{ "dnis", "map", "NUMBER REALM", "map a Called-Station-Id to a realm", cmd_dnis_map },
	{ "dnis", "unmap", "NUMBER", "remove a DNIS map", cmd_dnis_unmap },
	{ "import", NULL, "[--replace-all] [--dry-run] FILE|URL|-",
	  "validate a JSON document in full, then apply it atomically: each realm in it replaces\n"
	  "      that realm (hash, LNS set, LNS), each DNIS map in it is set; --replace-all also\n"
	  "      deletes realms and DNIS maps the document does not name",
	  cmd_import },
	{ "export", NULL, "", "print every realm, LNS and DNIS map as a JSON document", cmd_export },
	{ "check", NULL, "",
	  "validate everything in Redis (fields, dangling and orphan keys); exit 1 listing each problem",
	  cmd_check },
	{ "reconcile", NULL, "[--fix]",
	  "recount each LNS's sessions from the accounting's session keys; print the drift (exit 1\n"
	  "      if any), with --fix repair the session sets and `sessions` (e.g. after a failover)",
	  cmd_reconcile },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void usage_of(FILE *f, const struct command *c)
{
	fprintf(f, "usage: realmctl [--redis URL] %s%s%s %s\n       %s\n", c->word,
		c->sub ? " " : "", c->sub ? c->sub : "", c->usage, c->help);
}

static void usage_all(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: realmctl [--redis URL] COMMAND ...\n\n"
		"Provision realm-lns realms, their LNS and DNIS maps in Redis.\n"
		"--redis URL: redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N],\n"
		"or the master named by Redis Sentinel:\n"
		"sentinel://[[user]:password@]host[:port][,host[:port]...]/master-name[/db];\n"
		"default $%s, else %s.\n\ncommands:\n", REDIS_URL_ENV, REDIS_URL_DEFAULT);
	for (c = commands; c->word; c++)
		fprintf(f, "  %s%s%s %s\n      %s\n", c->word, c->sub ? " " : "", c->sub ? c->sub : "",
			c->usage, c->help);
	fprintf(f, "\nexit codes: 0 ok, 1 validation/data error, 2 usage, 3 Redis unreachable\n");
}

static int usage_error(const struct command *c, const char *what)
{
	if (what)
		fprintf(stderr, "realmctl: %s\n", what);
	usage_of(stderr, c);
	return EXIT_USAGE;
}

static void print_errs(FILE *f, const struct realmctl_errs *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(f, "%s\n", errs->msg[i]);
}

/* Report errors and map a store result to an exit code. */
static int finish(const char *what, int rc, struct realmctl_errs *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "realmctl: %s: %s\n", what, errs->msg[i]);
	realmctl_errs_free(errs);
	return rc;
}

/*
 * --redis sentinel://...: ask the sentinels for the master, connect to it as
 * the URL says (AUTH, SELECT) and check with ROLE that it is the master.
 * While a failover is under way (the old master gone or still named, the
 * new one not yet promoted) it asks again, 500 ms apart, a few seconds in
 * all, so a command run right after a failover goes to the new master.
 */
static int connect_sentinel(struct ctx *ctx)
{
	struct realm_sentinel_conf sc;
	struct realm_sentinel *s;
	struct realmctl_errs errs = { 0 };
	struct redis_url url;
	char err[256], why[600] = "";
	int attempt;

	if (realm_sentinel_parse(ctx->redis_url, &sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "realmctl: %s\n", err);
		return EXIT_USAGE;
	}
	s = realm_sentinel_new(&sc, SENTINEL_TIMEOUT_MS, NULL, NULL);
	if (!s) {
		fprintf(stderr, "realmctl: out of memory\n");
		return EXIT_REDIS;
	}
	memset(&url, 0, sizeof(url));
	url.kind = REDIS_URL_TCP;
	snprintf(url.user, sizeof(url.user), "%s", sc.user);
	snprintf(url.password, sizeof(url.password), "%s", sc.password);
	url.has_password = sc.has_password;
	url.db = sc.db;
	for (attempt = 0; attempt < SENTINEL_ATTEMPTS; attempt++) {
		if (attempt)
			usleep(500 * 1000);
		if (realm_sentinel_get(s, SENTINEL_TIMEOUT_MS * sc.n, 1, url.host, sizeof(url.host),
				       &url.port, NULL, why, sizeof(why)) < 0)
			continue;
		realmctl_errs_free(&errs);
		ctx->redis = store_connect(&url, REDIS_TIMEOUT_MS, &errs);
		if (!ctx->redis) {
			snprintf(why, sizeof(why), "%s", errs.n ? errs.msg[errs.n - 1] : "cannot connect");
			continue;
		}
		if (realm_sentinel_check_master(ctx->redis, err, sizeof(err)) == 1)
			break;
		snprintf(why, sizeof(why), "%s:%d: %s", url.host, url.port, err);
		redisFree(ctx->redis);
		ctx->redis = NULL;
	}
	memset(&url, 0, sizeof(url));
	realm_sentinel_free(s);
	realmctl_errs_free(&errs);
	if (!ctx->redis) {
		fprintf(stderr, "realmctl: connect: redis: sentinel master %s: %s\n", sc.master, why);
		memset(&sc, 0, sizeof(sc));
		return EXIT_REDIS;
	}
	memset(&sc, 0, sizeof(sc));
	return 0;
}

static int connect_redis(struct ctx *ctx)
{
	struct realmctl_errs errs = { 0 };
	struct redis_url url;
	char err[256];

	if (realm_sentinel_is_url(ctx->redis_url))
		return connect_sentinel(ctx);
	if (redis_url_parse(ctx->redis_url, &url, err, sizeof(err)) < 0) {
		fprintf(stderr, "realmctl: %s\n", err);
		return EXIT_USAGE;
	}
	ctx->redis = store_connect(&url, REDIS_TIMEOUT_MS, &errs);
	if (!ctx->redis)
		return finish("connect", EXIT_REDIS, &errs);
	return 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Print a value in the key=value log style, quoted when it needs to be. */
static void put_value(const char *key, const char *v)
{
	const char *p;
	int quote = *v == '\0';

	for (p = v; *p && !quote; p++)
		quote = *p == ' ' || *p == '"' || *p == '\\' || !isprint((unsigned char)*p);
	if (!quote) {
		printf(" %s=%s", key, v);
		return;
	}
	printf(" %s=\"", key);
	for (p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (isprint(c))
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	putchar('"');
}

/* ---- realm ---- */

/* Longest option name of realm add / lns add, plus its NUL. */
#define OPTION_FIELD_MAX 32

/* The schema field a long option of `realm add` or `lns add` sets: the
 * options are named after the fields, with '-' for '_'. Copies it into field;
 * -1 when o is no option of opts (getopt's '?') or the name does not fit. */
static int option_field(const struct option *opts, int o, char *field, size_t cap)
{
	const struct option *opt;
	size_t i;

	for (opt = opts; opt->name; opt++)
		if (opt->val == o)
			break;
	if (!opt->name || strlen(opt->name) >= cap)
		return -1;
	for (i = 0; opt->name[i]; i++)
		field[i] = opt->name[i] == '-' ? '_' : opt->name[i];
	field[i] = '\0';
	return 0;
}

/* The first of the two getopt passes of `realm add` and `lns add`: skips the
 * options (the second pass applies them once the operands are known, so that
 * messages can name the realm) and returns how many operands follow them,
 * leaving optind at the first. */
static int operand_count(int argc, char **argv, const struct option *opts)
{
	optind = 0;
	while (getopt_long(argc, argv, "", opts, NULL) != -1)
		;
	return argc - optind;
}

static int cmd_realm_add(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode",            required_argument, NULL, 'm' },
		{ "policy",          required_argument, NULL, 'p' },
		{ "verify-password", no_argument,       NULL, 'v' },
		{ "max-endpoints",   required_argument, NULL, 'e' },
		{ "reply-message",   required_argument, NULL, 'r' },
		{ "client-auth-id",  required_argument, NULL, 'c' },
		{ "access-line-forwarding", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *self = &commands[0];
	struct realmctl_errs errs = { 0 };
	struct realmctl_doc doc;
	struct realmctl_realm *realm;
	char err[REALM_ERR_MAX];
	const char *where = "command line";
	int o, rc;

	realmctl_doc_init(&doc);
	/* first pass: the name, so messages can carry it */
	if (operand_count(argc, argv, opts) != 1)
		return usage_error(self, "realm add wants exactly one NAME");
	realm = realmctl_doc_add_realm(&doc, argv[optind], where, &errs);
	if (!realm)
		goto bad;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char field[OPTION_FIELD_MAX];
		const char *val = optarg ? optarg : "1";
		if (option_field(opts, o, field, sizeof(field)) < 0) {
			realmctl_doc_free(&doc);
			return usage_error(self, NULL);
		}
		realmctl_realm_set(realm, field, val, strlen(val), where, 1, &errs);
	}
	if (realm_schema_check_realm_name(realm->name, err, sizeof(err)) < 0)
		realmctl_errs_add(&errs, "realm=%s %s", realm->name, err);
	if (realm_schema_realm_check(&realm->conf, err, sizeof(err)) < 0)
		realmctl_errs_add(&errs, "realm=%s %s (--mode tunnel|local|reject)", realm->name, err);
	if (errs.n)
		goto bad;
	if ((rc = connect_redis(ctx)) != 0)
		goto out;
	rc = store_realm_put(ctx->redis, realm, &errs);
	if (rc == STORE_OK && realm->conf.mode == REALM_MODE_TUNNEL)
		printf("realm=%s saved; add its LNS with: realmctl lns add %s ID --endpoint ADDR --secret S\n",
		       realm->name, realm->name);
	else if (rc == STORE_OK)
		printf("realm=%s saved\n", realm->name);
	rc = finish("realm add", rc, &errs);
out:
	realmctl_doc_free(&doc);
	return rc;
bad:
	realmctl_doc_free(&doc);
	return finish("realm add", EXIT_DATA, &errs);
}

/* Commands with exactly `n` positional arguments and no options. */
static int positional(const struct command *self, int argc, char **argv, int n)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };

	optind = 0;
	if (getopt_long(argc, argv, "", none, NULL) != -1)
		return usage_error(self, NULL);
	if (argc - optind != n)
		return usage_error(self, "wrong number of arguments");
	return 0;
}

static const struct command *find_command(const char *word, const char *sub)
{
	const struct command *c;

	for (c = commands; c->word; c++)
		if (strcmp(c->word, word) == 0 && (!c->sub || (sub && strcmp(c->sub, sub) == 0)))
			return c;
	return NULL;
}

static int cmd_realm_del(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	int rc = positional(find_command("realm", "del"), argc, argv, 1);
	char *name;

	if (rc)
		return rc;
	name = argv[optind];
	lower(name);
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	rc = store_realm_del(ctx->redis, name, &errs);
	if (rc == STORE_OK)
		printf("realm=%s deleted with its LNS\n", name);
	return finish("realm del", rc, &errs);
}

/* health: the LNS health key (REDIS-SCHEMA.md "LNS health"): 0 healthy, else until (unix s). */
static void show_lns(const struct realm_lns *l, long long until, const char *reason)
{
	char buf[REALM_STRING_MAX + 1];
	long long now = (long long)time(NULL);
	size_t i;

	printf("lns=%s", l->id);
	for (i = 0; realmctl_lns_fields[i]; i++) {
		const char *f = realmctl_lns_fields[i];
		if (strcmp(f, "secret") == 0) {
			printf(" secret=(%zu bytes)", l->secret_len);
			continue;
		}
		if (realmctl_lns_field_str(l, f, buf, sizeof(buf)))
			put_value(f, buf);
	}
	printf(" sessions=%u available=%s", (unsigned)l->sessions,
	       realm_lns_available(l) && until <= now ? "yes" : "no");
	if (until > now)
		printf(" health=unhealthy reason=%s hold_down_left=%llds\n", reason, until - now);
	else
		printf(" health=ok\n");
}

static int cmd_realm_show(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	struct realmctl_doc doc;
	struct realmctl_realm *realm;
	char buf[REALM_REPLY_MESSAGE_MAX + 1];
	int rc = positional(find_command("realm", "show"), argc, argv, 1);
	char *name;
	size_t i;

	if (rc)
		return rc;
	name = argv[optind];
	lower(name);
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	realmctl_doc_init(&doc);
	rc = store_load_realm(ctx->redis, name, &doc, &errs);
	realm = realmctl_doc_find_realm(&doc, name);
	if (realm) {
		realmctl_doc_sort(&doc);
		realm = realmctl_doc_find_realm(&doc, name);
		/* every field, with the schema default when it is not stored */
		printf("realm=%s mode=%s policy=%s verify_password=%d max_endpoints=%u"
		       " access_line_forwarding=%d", realm->name,
		       realm_mode_str(realm->conf.mode), realm_policy_str(realm->conf.policy),
		       realm->conf.verify_password, realm->conf.max_endpoints,
		       realm->conf.access_line_forwarding);
		if (realmctl_realm_field_str(&realm->conf, "reply_message", buf, sizeof(buf)))
			put_value("reply_message", buf);
		if (realmctl_realm_field_str(&realm->conf, "client_auth_id", buf, sizeof(buf)))
			put_value("client_auth_id", buf);
		printf(" lns_count=%zu\n", realm->n_lns);
		for (i = 0; i < realm->n_lns; i++) {
			char reason[32];
			long long until = store_lns_health(ctx->redis, realm->name, realm->lns[i].s.id,
							   reason, sizeof(reason));
			show_lns(&realm->lns[i].s, until, reason);
		}
	}
	realmctl_doc_free(&doc);
	return finish("realm show", rc, &errs);
}

static int cmd_realm_list(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	char **names;
	size_t n, i;
	int rc = positional(find_command("realm", "list"), argc, argv, 0);

	if (rc)
		return rc;
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	rc = store_realm_names(ctx->redis, &names, &n, &errs);
	if (rc == STORE_OK) {
		for (i = 0; i < n; i++)
			printf("%s\n", names[i]);
		store_names_free(names, n);
	}
	return finish("realm list", rc, &errs);
}

/* ---- lns ---- */

/* "--secret -": read one line from stdin, so the secret stays out of `ps`. */
static int read_secret_stdin(char *buf, size_t cap)
{
	size_t len;

	if (!fgets(buf, (int)cap, stdin))
		return -1;
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return 0;
}

static int cmd_lns_add(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "endpoint",       required_argument, NULL, 'e' },
		{ "secret",         required_argument, NULL, 's' },
		{ "preference",     required_argument, NULL, 'p' },
		{ "weight",         required_argument, NULL, 'w' },
		{ "assignment-id",  required_argument, NULL, 'a' },
		{ "server-auth-id", required_argument, NULL, 'i' },
		{ "max-sessions",   required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *self = find_command("lns", "add");
	struct realmctl_errs errs = { 0 };
	struct realmctl_doc doc;
	struct realmctl_realm *realm;
	struct realmctl_lns *lns;
	char err[REALM_ERR_MAX], secret[REALM_SECRET_MAX + 2];
	const char *where = "command line";
	int o, rc;

	realmctl_doc_init(&doc);
	if (operand_count(argc, argv, opts) != 2)
		return usage_error(self, "lns add wants REALM and ID");
	lower(argv[optind]);
	realm = realmctl_doc_add_realm(&doc, argv[optind], where, &errs);
	lns = realm ? realmctl_realm_add_lns(realm, argv[optind + 1], where, &errs) : NULL;
	if (!lns)
		goto bad;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char field[OPTION_FIELD_MAX];
		const char *val = optarg;
		if (option_field(opts, o, field, sizeof(field)) < 0) {
			realmctl_doc_free(&doc);
			return usage_error(self, NULL);
		}
		if (o == 's' && strcmp(val, "-") == 0) {
			if (read_secret_stdin(secret, sizeof(secret)) < 0) {
				realmctl_errs_add(&errs, "realm=%s lns=%s field=secret: nothing on stdin",
						  realm->name, lns->s.id);
				continue;
			}
			val = secret;
		}
		realmctl_lns_set(realm, lns, field, val, strlen(val), where, 1, &errs);
	}
	memset(secret, 0, sizeof(secret));
	if (realm_schema_check_realm_name(realm->name, err, sizeof(err)) < 0)
		realmctl_errs_add(&errs, "realm=%s %s", realm->name, err);
	if (realm_schema_check_lns_id(lns->s.id, err, sizeof(err)) < 0)
		realmctl_errs_add(&errs, "realm=%s lns=%s %s", realm->name, lns->s.id, err);
	if (realm_schema_lns_check(&lns->s, err, sizeof(err)) < 0)
		realmctl_errs_add(&errs, "realm=%s lns=%s %s", realm->name, lns->s.id, err);
	if (errs.n)
		goto bad;
	if ((rc = connect_redis(ctx)) != 0)
		goto out;
	rc = store_lns_put(ctx->redis, realm->name, &lns->s, &errs);
	if (rc == STORE_OK)
		printf("realm=%s lns=%s saved\n", realm->name, lns->s.id);
	rc = finish("lns add", rc, &errs);
out:
	realmctl_doc_free(&doc);
	return rc;
bad:
	realmctl_doc_free(&doc);
	return finish("lns add", EXIT_DATA, &errs);
}

static int cmd_lns_del(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	long long left = -1;
	int rc = positional(find_command("lns", "del"), argc, argv, 2);

	if (rc)
		return rc;
	lower(argv[optind]);
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	rc = store_lns_del(ctx->redis, argv[optind], argv[optind + 1], &left, &errs);
	if (rc == STORE_OK) {
		printf("realm=%s lns=%s deleted\n", argv[optind], argv[optind + 1]);
		if (left == 0)
			fprintf(stderr, "realmctl: warning: realm=%s has no LNS left (a tunnel realm "
				"then answers like an unknown realm; realmctl check reports it)\n",
				argv[optind]);
	}
	return finish("lns del", rc, &errs);
}

static int cmd_lns_set(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "down", no_argument, NULL, 'd' },
		{ "up",   no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *self = find_command("lns", "set");
	struct realmctl_errs errs = { 0 };
	int o, down = -1, rc;

	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'd' || o == 'u') {
			if (down != -1)
				return usage_error(self, "give one of --down or --up");
			down = o == 'd';
		} else {
			return usage_error(self, NULL);
		}
	}
	if (down == -1)
		return usage_error(self, "give --down or --up");
	if (argc - optind != 2)
		return usage_error(self, "lns set wants REALM and ID");
	lower(argv[optind]);
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	rc = store_lns_set_down(ctx->redis, argv[optind], argv[optind + 1], down, &errs);
	if (rc == STORE_OK)
		printf("realm=%s lns=%s down=%d\n", argv[optind], argv[optind + 1], down);
	return finish("lns set", rc, &errs);
}

/* ---- dnis ---- */

static int cmd_dnis_map(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	char err[REALM_ERR_MAX];
	int rc = positional(find_command("dnis", "map"), argc, argv, 2);

	if (rc)
		return rc;
	lower(argv[optind + 1]);
	if (realm_schema_check_dnis(argv[optind], err, sizeof(err)) < 0) {
		realmctl_errs_add(&errs, "dnis=%s %s", argv[optind], err);
		return finish("dnis map", EXIT_DATA, &errs);
	}
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	rc = store_dnis_map(ctx->redis, argv[optind], argv[optind + 1], &errs);
	if (rc == STORE_OK)
		printf("dnis=%s realm=%s\n", argv[optind], argv[optind + 1]);
	return finish("dnis map", rc, &errs);
}

static int cmd_dnis_unmap(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	int rc = positional(find_command("dnis", "unmap"), argc, argv, 1);

	if (rc)
		return rc;
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	rc = store_dnis_unmap(ctx->redis, argv[optind], &errs);
	if (rc == STORE_OK)
		printf("dnis=%s unmapped\n", argv[optind]);
	return finish("dnis unmap", rc, &errs);
}

/* ---- import / export / check ---- */

struct buf {
	char  *data;
	size_t len;
	size_t cap;
	int    too_big;
};

static int buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > IMPORT_MAX_BYTES) {
		b->too_big = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static size_t curl_sink(char *p, size_t size, size_t n, void *arg)
{
	return buf_append(arg, p, size * n) < 0 ? 0 : size * n;
}

/* Fetch an http(s) URL (10 s limit, redirects followed, HTTP errors fail). */
static int read_url(const char *url, struct buf *b, struct realmctl_errs *errs)
{
	CURL *curl;
	CURLcode res;
	long code = 0;
	int rc = -1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(curl = curl_easy_init())) {
		realmctl_errs_add(errs, "source=%s: cannot initialise libcurl", url);
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	/* a document fetched over https must not be downgraded by a redirect to
	 * plain http (it carries tunnel secrets): https stays https */
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
			 strncasecmp(url, "https:", 6) == 0 ? "https" : "http,https");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "realmctl/" PACKAGE_VERSION);
	res = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (b->too_big)
		realmctl_errs_add(errs, "source=%s: larger than %u bytes", url, IMPORT_MAX_BYTES);
	else if (res != CURLE_OK)
		realmctl_errs_add(errs, "source=%s: %s (HTTP status %ld)", url, curl_easy_strerror(res), code);
	else
		rc = 0;
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return rc;
}

static int read_stream(FILE *f, const char *name, struct buf *b, struct realmctl_errs *errs)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) < 0) {
			realmctl_errs_add(errs, "source=%s: %s", name,
					  b->too_big ? "larger than 16 MiB" : "out of memory");
			return -1;
		}
	if (ferror(f)) {
		realmctl_errs_add(errs, "source=%s: read error", name);
		return -1;
	}
	return 0;
}

static int read_source(const char *src, struct buf *b, struct realmctl_errs *errs)
{
	FILE *f;
	int rc;

	if (strcmp(src, "-") == 0)
		return read_stream(stdin, "stdin", b, errs);
	if (strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0)
		return read_url(src, b, errs);
	f = fopen(src, "r");
	if (!f) {
		realmctl_errs_add(errs, "source=%s: cannot open: %m", src);
		return -1;
	}
	rc = read_stream(f, src, b, errs);
	fclose(f);
	return rc;
}

static void doc_counts(const struct realmctl_doc *doc, size_t *n_lns)
{
	size_t i;

	*n_lns = 0;
	for (i = 0; i < doc->n_realms; i++)
		*n_lns += doc->realms[i].n_lns;
}

static int cmd_import(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "replace-all", no_argument, NULL, 'R' },
		{ "dry-run",     no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *self = find_command("import", NULL);
	struct realmctl_errs errs = { 0 };
	struct realmctl_doc doc;
	struct buf b = { 0 };
	char **known = NULL;
	size_t n_known = 0, n_lns;
	int o, replace_all = 0, dry_run = 0, rc;

	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'R')
			replace_all = 1;
		else if (o == 'n')
			dry_run = 1;
		else
			return usage_error(self, NULL);
	}
	if (argc - optind != 1)
		return usage_error(self, "import wants one FILE, URL or -");
	realmctl_doc_init(&doc);
	if (read_source(argv[optind], &b, &errs) < 0) {
		rc = EXIT_DATA;
		goto out;
	}
	if ((rc = connect_redis(ctx)) != 0)
		goto out;
	/* DNIS maps may name realms that are already in Redis, unless the
	 * document is to replace everything */
	if (!replace_all) {
		rc = store_realm_names(ctx->redis, &known, &n_known, &errs);
		if (rc != STORE_OK)
			goto out;
	}
	if (realmctl_doc_parse_json(b.data ? b.data : "", b.len, &doc, (const char *const *)known,
				    n_known, &errs) < 0) {
		fprintf(stderr, "realmctl: import: %s: %zu error(s), nothing written:\n",
			argv[optind], errs.n);
		print_errs(stderr, &errs);
		realmctl_errs_free(&errs);
		rc = EXIT_DATA;
		goto out;
	}
	doc_counts(&doc, &n_lns);
	if (dry_run) {
		printf("import: %s is valid: %zu realm(s), %zu LNS, %zu DNIS map(s); dry run, nothing written\n",
		       argv[optind], doc.n_realms, n_lns, doc.n_dnis);
		rc = 0;
		goto out;
	}
	rc = store_apply_doc(ctx->redis, &doc, replace_all, &errs);
	if (rc == STORE_OK)
		printf("import: applied %zu realm(s), %zu LNS, %zu DNIS map(s)%s\n", doc.n_realms, n_lns,
		       doc.n_dnis, replace_all ? "; everything else removed" : "");
out:
	rc = finish("import", rc, &errs);
	store_names_free(known, n_known);
	realmctl_doc_free(&doc);
	free(b.data);
	return rc;
}

static int cmd_export(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	struct realmctl_doc doc;
	char *json;
	int rc = positional(find_command("export", NULL), argc, argv, 0);

	if (rc)
		return rc;
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	realmctl_doc_init(&doc);
	rc = store_load(ctx->redis, &doc, 0, &errs);
	if (rc != STORE_OK) {
		if (rc == STORE_DATA)
			realmctl_errs_add(&errs, "refusing to export data that would not import; "
					  "see realmctl check");
		goto out;
	}
	realmctl_doc_sort(&doc);
	json = realmctl_doc_to_json(&doc, &errs);
	if (!json) {
		rc = EXIT_DATA;
		goto out;
	}
	printf("%s\n", json);
	memset(json, 0, strlen(json));
	free(json);
out:
	realmctl_doc_free(&doc);
	return finish("export", rc, &errs);
}

static int cmd_check(struct ctx *ctx, int argc, char **argv)
{
	struct realmctl_errs errs = { 0 };
	struct realmctl_doc doc;
	size_t n_lns;
	int rc = positional(find_command("check", NULL), argc, argv, 0);

	if (rc)
		return rc;
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	realmctl_doc_init(&doc);
	rc = store_load(ctx->redis, &doc, 1, &errs);
	doc_counts(&doc, &n_lns);
	if (rc == STORE_OK) {
		printf("check: ok: %zu realm(s), %zu LNS, %zu DNIS map(s)\n", doc.n_realms, n_lns,
		       doc.n_dnis);
	} else if (rc == STORE_DATA) {
		print_errs(stdout, &errs);
		printf("check: %zu problem(s)\n", errs.n);
		realmctl_errs_free(&errs);
	}
	realmctl_doc_free(&doc);
	return finish("check", rc, &errs);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "redis", required_argument, NULL, 'r' },
		{ "help",  no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx ctx = { 0 };
	const struct command *c;
	const char *sub;
	int o, rc, first;

	ctx.redis_url = getenv(REDIS_URL_ENV);
	if (!ctx.redis_url || !*ctx.redis_url)
		ctx.redis_url = REDIS_URL_DEFAULT;
	/* "+": stop at the command word; its options are parsed by the command */
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			ctx.redis_url = optarg;
			break;
		case 'h':
			usage_all(stdout);
			return 0;
		default:
			usage_all(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_all(stderr);
		return EXIT_USAGE;
	}
	first = optind;
	sub = first + 1 < argc ? argv[first + 1] : NULL;
	c = find_command(argv[first], sub);
	if (!c) {
		const struct command *k;
		int known_word = 0;
		for (k = commands; k->word; k++)
			if (strcmp(k->word, argv[first]) == 0) {
				if (!known_word)
					fprintf(stderr, "realmctl: %s: want one of:\n", argv[first]);
				known_word = 1;
				usage_of(stderr, k);
			}
		if (!known_word) {
			fprintf(stderr, "realmctl: unknown command \"%s\"\n", argv[first]);
			usage_all(stderr);
		}
		return EXIT_USAGE;
	}
	/* the command sees argv[0] = its last word, then its own arguments */
	if (c->sub)
		first++;
	if (first + 1 < argc && (strcmp(argv[first + 1], "--help") == 0 ||
				 strcmp(argv[first + 1], "-h") == 0)) {
		usage_of(stdout, c);
		return 0;
	}
	rc = c->run(&ctx, argc - first, argv + first);
	if (ctx.redis)
		redisFree(ctx.redis);
	return rc;
}

struct reconcile_tally {
	size_t lns, drift;
	long long added, removed;
	int fix;
};

static void reconcile_row(void *arg, const struct store_reconcile_row *row)
{
	struct reconcile_tally *t = arg;
	int drift = row->added || row->removed || row->field != row->live;

	t->lns++;
	t->added += row->added;
	t->removed += row->removed;
	if (!drift)
		return;
	t->drift++;
	printf("lns=%s sessions=%lld live=%lld missing=%lld stale=%lld %s\n", row->lns,
	       row->field < 0 ? 0 : row->field, row->live, row->added, row->removed,
	       t->fix ? "fixed" : "drift");
}

/* realmctl reconcile [--fix]: see store_reconcile (store.h). */
static int cmd_reconcile(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fix", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *self = find_command("reconcile", NULL);
	struct realmctl_errs errs = { 0 };
	struct reconcile_tally t = { 0 };
	int o, rc;

	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'f')
			return usage_error(self, "unknown option");
		t.fix = 1;
	}
	if (optind != argc)
		return usage_error(self, "no operands");
	if ((rc = connect_redis(ctx)) != 0)
		return rc;
	rc = store_reconcile(ctx->redis, t.fix, reconcile_row, &t, &errs);
	if (rc != STORE_OK)
		return finish("reconcile", rc, &errs);
	printf("reconcile: %zu LNS, %zu with drift (%lld missing, %lld stale session(s))%s\n", t.lns,
	       t.drift, t.added, t.removed, t.fix && t.drift ? ": fixed" : "");
	return t.drift && !t.fix ? EXIT_DATA : 0;
}
