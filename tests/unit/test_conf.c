/* lac-core configuration: defaults, every value type, and errors that name the
 * file, line and key. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"

static int parse(struct lac_config *cfg, const char *text, char *err)
{
	lac_config_defaults(cfg);
	return lac_config_parse(cfg, "lac.conf", text, err, 256);
}

Test(conf, full_file_parses_into_every_field)
{
	struct lac_config cfg;
	char err[256] = "";
	const char *text =
		"# comment\n"
		"[lac]\n host_name = lac1 # trailing comment\nnas_ip_address=10.88.1.2\nlog_level = debug\n"
		"[stream]\nlisten = tcp:10.88.0.1:2000\nlisten = unix:/run/x.sock\n"
		"[pppoe]\ninterface = pppoe-lac\nservice_name = a\nservice_name = b\n"
		"[ppp]\nauth = pap,chap\nmru = 1492\n"
		"[l2tp]\nbind = 10.88.2.1\nbind = 10.88.3.1\nhello_interval_s = 0\n"
		"[local]\npool = 10.66.0.0/24\ngateway = 10.66.0.1\ndns1 = 10.66.0.53\n";
	cr_assert_eq(parse(&cfg, text, err), 0, "%s", err);
	cr_expect_str_eq(cfg.host_name, "lac1");
	cr_expect_eq(cfg.nas_ip_address.s_addr, inet_addr("10.88.1.2"));
	cr_expect_eq(cfg.log_level, 0);
	cr_expect_eq(cfg.n_stream_listen, 2);
	cr_expect_str_eq(cfg.stream_listen[1], "unix:/run/x.sock");
	cr_expect_eq(cfg.n_pppoe_service_name, 2);
	cr_expect_str_eq(cfg.ppp_auth, "pap,chap");
	cr_expect_eq(cfg.ppp_mru, 1492);
	cr_expect_eq(cfg.n_l2tp_bind, 2);
	cr_expect_eq(cfg.l2tp_hello_interval_s, 0);
	cr_expect(cfg.local_enabled);
	cr_expect_eq(cfg.local_pool_prefix, 24);
	cr_expect_eq(cfg.l2tp_port, 1701, "default kept");
}

Test(conf, errors_name_file_line_and_key)
{
	struct lac_config cfg;
	char err[256];
	static const struct { const char *text, *want; } cases[] = {
		{ "[ppp]\n\nmru = 70000\n", "lac.conf:3: [ppp] mru: 70000 is out of range 128..65535" },
		{ "[ppp]\nmru = 12x\n", "lac.conf:2: [ppp] mru: '12x' is not a whole number" },
		{ "[ppp]\nauth = chap,chap\n", "lac.conf:2: [ppp] auth: 'chap,chap' is not a list of chap and pap (each once)" },
		{ "[lac]\nnas_ip_address = 300.1.1.1\n", "lac.conf:2: [lac] nas_ip_address: '300.1.1.1' is not an IPv4 address" },
		{ "[lac]\nbogus = 1\n", "lac.conf:2: [lac] bogus: unknown key" },
		{ "[nope]\n", "lac.conf:1: unknown section [nope]" },
		{ "host_name = x\n", "lac.conf:1: key 'host_name' before any [section]" },
		{ "[lac]\nhost_name\n", "lac.conf:2: expected 'key = value', got 'host_name'" },
		{ "[stream]\nlisten = tcp:1.2.3.4\n", "lac.conf:2: [stream] listen: 'tcp:1.2.3.4' is not tcp:IPV4:PORT or unix:/PATH" },
		{ "[local]\npool = 10.0.0.0/24\n", "lac.conf:2: [local] gateway: required when [local] pool is set" },
		{ "[lac]\nhost_name =\n", "lac.conf:2: [lac] host_name: empty value" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(&cfg, cases[i].text, err), -1, "case %zu accepted", i);
		cr_expect_str_eq(err, cases[i].want, "case %zu", i);
	}
}

Test(conf, repeatable_key_has_a_limit)
{
	struct lac_config cfg;
	char err[256];
	char text[2048] = "[l2tp]\n";
	for (int i = 0; i < CONF_MAX_L2TP_BIND + 1; i++)
		strcat(text, "bind = 10.0.0.1\n");
	cr_expect_eq(parse(&cfg, text, err), -1);
	cr_expect(strstr(err, "at most 8 values allowed") != NULL, "%s", err);
}

Test(conf, missing_file_is_reported_with_its_path)
{
	struct lac_config cfg;
	char err[256];
	cr_expect_eq(lac_config_load(&cfg, "/nonexistent/lac.conf", err, sizeof(err)), -1);
	cr_expect_str_eq(err, "/nonexistent/lac.conf: No such file or directory");
}

Test(conf, accounting_and_dae_sections_parse_with_defaults)
{
	struct lac_config cfg;
	char err[256] = "";
	lac_config_defaults(&cfg);
	cr_expect(cfg.radius_accounting, "accounting on by default");
	cr_expect(cfg.radius_acct_tunnel_reject, "Tunnel-Reject records on by default");
	/* unset: a Start and a Stop for every session admitted, at least 4096 */
	cr_expect_eq(cfg.radius_acct_queue_max, 0);
	cr_expect_eq(lac_config_acct_queue_max(&cfg), 200000, "2 x the default max_sessions of 100000");
	cfg.max_sessions = 100;
	cr_expect_eq(lac_config_acct_queue_max(&cfg), 4096);
	cfg.max_sessions = 100000;
	cr_expect_eq(cfg.radius_acct_interim_interval_s, 0);
	cr_expect_str_eq(cfg.dae_listen, "", "no DAE server by default");
	cr_expect(cfg.dae_require_message_authenticator);
	const char *text =
		"[radius]\nacct_interim_interval_s = 300\nacct_queue_max = 10\naccounting = no\n"
		"acct_tunnel_reject = no\n"
		"[dae]\nlisten = 10.88.1.2:3799\nclient = 10.88.1.1 testing123\nclient = 127.0.0.1   s3cr=t\n"
		"require_message_authenticator = off\n";
	cr_assert_eq(parse(&cfg, text, err), 0, "%s", err);
	cr_expect_eq(cfg.radius_acct_interim_interval_s, 300);
	cr_expect_eq(cfg.radius_acct_queue_max, 10);
	cr_expect_eq(lac_config_acct_queue_max(&cfg), 10, "set: as given");
	cr_expect(!cfg.radius_accounting);
	cr_expect(!cfg.radius_acct_tunnel_reject);
	cr_expect_str_eq(cfg.dae_listen, "10.88.1.2:3799");
	cr_assert_eq(cfg.n_dae_client, 2);
	cr_expect_eq(cfg.dae_client[0].addr.s_addr, inet_addr("10.88.1.1"));
	cr_expect_str_eq(cfg.dae_client[0].secret, "testing123");
	cr_expect_str_eq(cfg.dae_client[1].secret, "s3cr=t");
	cr_expect(!cfg.dae_require_message_authenticator);
}

Test(conf, dae_errors_name_file_line_and_key)
{
	struct lac_config cfg;
	char err[256];
	static const struct { const char *text, *want; } cases[] = {
		{ "[dae]\nlisten = 10.0.0.1\n", "lac.conf:2: [dae] listen: '10.0.0.1' is not IPV4:PORT" },
		{ "[dae]\nlisten = 10.0.0.1:0\n", "lac.conf:2: [dae] listen: '10.0.0.1:0' is not IPV4:PORT" },
		{ "[dae]\nclient = 10.0.0.1\n", "lac.conf:2: [dae] client: expected 'IPV4 SECRET'" },
		{ "[dae]\nclient = 10.0.0.1 a b\n", "lac.conf:2: [dae] client: expected 'IPV4 SECRET'" },
		{ "[dae]\nclient = host x\n", "lac.conf:2: [dae] client: 'host' is not an IPv4 address" },
		{ "[dae]\nrequire_message_authenticator = maybe\n",
		  "lac.conf:2: [dae] require_message_authenticator: 'maybe' is not yes or no" },
		{ "[dae]\nlisten = 10.0.0.1:3799\n",
		  "lac.conf:2: [dae] client: at least one client is required when [dae] listen is set" },
		{ "[radius]\nacct_interim_interval_s = 90000\n",
		  "lac.conf:2: [radius] acct_interim_interval_s: 90000 is out of range 0..86400" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(parse(&cfg, cases[i].text, err), -1, "case %zu accepted", i);
		cr_expect_str_eq(err, cases[i].want, "case %zu", i);
	}
}

/* issue 8 item 11: '#' never cuts a value silently. */
Test(conf, hash_inside_a_value_is_an_error_naming_the_line)
{
	struct lac_config cfg;
	char err[256] = "";
	cr_assert_eq(parse(&cfg, "[dae]\nlisten = 10.0.0.1:3799\nclient = 10.0.0.2 se#cret\n", err), -1);
	cr_expect(strstr(err, "lac.conf:3:") && strstr(err, "'#' inside a value"), "%s", err);
}

Test(conf, quoted_value_keeps_hash_and_blanks)
{
	struct lac_config cfg;
	char err[256] = "";
	cr_assert_eq(parse(&cfg, "[lac]\nhost_name = \"lac #1 \\\"a\\\"\" # the comment\n", err), 0, "%s", err);
	cr_expect_str_eq(cfg.host_name, "lac #1 \"a\"");
	cr_assert_eq(parse(&cfg, "[lac]\nhost_name = \"open\n", err), -1);
	cr_expect(strstr(err, "lac.conf:2: [lac] host_name: unterminated"), "%s", err);
}

Test(conf, stream_budget_and_privilege_keys)
{
	struct lac_config cfg;
	char err[256] = "";
	cr_assert_eq(parse(&cfg, "[lac]\nuser = nobody\ngroup = nogroup\ncontrol_socket_group = adm\n"
				 "[stream]\nmax_connections = 500\nmax_connections_per_source = 8\n", err), 0, "%s", err);
	cr_expect_str_eq(cfg.user, "nobody");
	cr_expect_str_eq(cfg.group, "nogroup");
	cr_expect_str_eq(cfg.control_socket_group, "adm");
	cr_expect_eq(cfg.stream_max_connections, 500);
	cr_expect_eq(cfg.stream_max_connections_per_source, 8);
}

/* ---- the table, the reload classes and lac.conf(5) ---- */

static char *read_man_page(void)
{
	static char buf[128 * 1024];
	FILE *f = fopen(TOP_SRCDIR "/man/lac.conf.5", "r");
	cr_assert(f, "cannot open %s/man/lac.conf.5", TOP_SRCDIR);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	cr_assert_lt(n, sizeof(buf) - 1, "lac.conf.5 outgrew the test's buffer");
	buf[n] = '\0';
	return buf;
}

/* Whether word occurs in text[0..len) between separators (space, comma,
 * parentheses, line ends). */
static bool has_word(const char *text, size_t len, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = text; p + wl <= text + len; p++) {
		if (memcmp(p, word, wl) != 0)
			continue;
		bool left = p == text || strchr(" ,(\n", p[-1]);
		bool right = p + wl == text + len || strchr(" ,)\n", p[wl]);
		if (left && right)
			return true;
	}
	return false;
}

/* The text of man section `.SH name` up to the next .SH (NULL: none). */
static const char *man_section(const char *man, const char *name, size_t *len)
{
	char head[64];
	snprintf(head, sizeof(head), "\n.SH %s\n", name);
	const char *s = strstr(man, head);
	if (!s)
		return NULL;
	s += strlen(head);
	const char *e = strstr(s, "\n.SH ");
	*len = e ? (size_t)(e - s) : strlen(s);
	return s;
}

Test(conf, every_key_is_documented_in_its_section_of_lac_conf_5)
{
	const char *man = read_man_page(), *sec;
	const char *key;
	for (size_t i = 0; (key = lac_config_key_at(i, &sec, NULL)); i++) {
		char name[32];
		size_t len;
		snprintf(name, sizeof(name), "[%s]", sec);
		const char *text = man_section(man, name, &len);
		cr_assert(text, "lac.conf.5 has no section .SH %s", name);
		bool found = false;
		/* a key is documented on a .B line of its section */
		for (const char *l = text; l && l < text + len && !found; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
			const char *end = memchr(l, '\n', (size_t)(text + len - l));
			size_t ll = end ? (size_t)(end - l) : (size_t)(text + len - l);
			found = ll > 3 && strncmp(l, ".B ", 3) == 0 && has_word(l + 3, ll - 3, key);
		}
		cr_expect(found, "[%s] %s is not documented in man/lac.conf.5", sec, key);
	}
}

Test(conf, the_reload_section_of_lac_conf_5_lists_exactly_the_live_keys)
{
	const char *man = read_man_page(), *sec, *key;
	size_t rlen;
	const char *reload = man_section(man, "RELOAD", &rlen);
	cr_assert(reload, "lac.conf.5 has no RELOAD section");
	enum conf_reload r;
	size_t n_live = 0;
	for (size_t i = 0; (key = lac_config_key_at(i, &sec, &r)); i++) {
		char head[40];
		snprintf(head, sizeof(head), ".B [%s]\n", sec);
		const char *list = strstr(reload, head);
		bool listed = false;
		if (list && list < reload + rlen) {
			list += strlen(head);
			/* the list runs to the next request line (.TP, .PP) */
			const char *end = strstr(list, "\n.");
			listed = has_word(list, end ? (size_t)(end - list) : strlen(list), key);
		}
		n_live += r == CONF_LIVE;
		if (r == CONF_LIVE)
			cr_expect(listed, "[%s] %s is applied by a reload but RELOAD in lac.conf.5 does not say so",
				  sec, key);
		else
			cr_expect(!listed, "[%s] %s needs a restart but RELOAD in lac.conf.5 lists it", sec, key);
	}
	cr_expect_gt(n_live, 20, "the table marks some keys live");
}

Test(conf, a_reload_keeps_the_restart_keys_that_changed_and_names_them)
{
	struct lac_config cur, next;
	char err[256] = "", names[256];
	cr_assert_eq(parse(&cur, "[pppoe]\nac_name = a\n[l2tp]\ntunnels_per_lns = 2\nhello_interval_s = 30\n", err),
		     0, "%s", err);
	cr_assert_eq(parse(&next, "[stream]\nlisten = tcp:10.0.0.1:2000\n[pppoe]\nac_name = b\n"
				  "[l2tp]\ntunnels_per_lns = 5\nhello_interval_s = 30\n[ppp]\nmru = 1400\n", err),
		     0, "%s", err);
	size_t n = lac_config_keep_restart_keys(&cur, &next, names, sizeof(names));
	cr_expect_eq(n, 2);
	cr_expect_str_eq(names, "[stream]listen,[pppoe]ac_name");
	cr_expect_eq(next.n_stream_listen, 0, "the count of a repeated key comes back too");
	cr_expect_str_eq(next.stream_listen[0], "");
	cr_expect_str_eq(next.pppoe_ac_name, "a");
	cr_expect_eq(next.l2tp_tunnels_per_lns, 5, "live: the new value stays");
	cr_expect_eq(next.ppp_mru, 1400, "live: the new value stays");
	cr_expect_eq(lac_config_keep_restart_keys(&cur, &next, names, sizeof(names)), 0, "nothing left to keep");
	cr_expect_str_eq(names, "");
}

Test(conf, the_names_of_kept_keys_are_cut_to_the_buffer_and_terminated)
{
	struct lac_config cur, next;
	char err[256] = "", names[8];
	cr_assert_eq(parse(&cur, "[pppoe]\nac_name = a\n[local]\ntun = t1\n", err), 0, "%s", err);
	cr_assert_eq(parse(&next, "[pppoe]\nac_name = b\n[local]\ntun = t2\n", err), 0, "%s", err);
	cr_expect_eq(lac_config_keep_restart_keys(&cur, &next, names, sizeof(names)), 2);
	cr_expect_eq(strlen(names), sizeof(names) - 1);
	cr_expect_str_eq(next.local_tun, "t1");
}
