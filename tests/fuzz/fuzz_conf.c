/* libFuzzer harness: lac-core's configuration parser,
 * lac-core/src/conf/conf.c (lac_config_parse on arbitrary text).
 *
 * Input: the text; it is given NUL-terminated, as lac_config_load() does.
 * Checks: no crash or sanitizer report; the error is terminated within the
 * buffer (tried with a large and a tiny one); list counts stay within their
 * arrays; strings are terminated; parsing an accepted text twice over the
 * defaults gives the same configuration. */
#include "fuzz_common.h"

#include "conf/conf.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(s) (memchr((s), 0, sizeof(s)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lac_config cfg, cfg2;
	char err[256], tiny[4];
	char *text = malloc(size + 1);
	int r;

	if (!text)
		return 0;
	log_set_level(LOG_LVL_ERROR);
	memcpy(text, data, size);
	text[size] = '\0';

	lac_config_defaults(&cfg);
	memset(err, 0x55, sizeof(err));
	r = lac_config_parse(&cfg, "fuzz.conf", text, err, sizeof(err));
	if (r < 0)
		FUZZ_CHECK(TERMINATED(err) && err[0] != '\0', "error not terminated or empty");
	lac_config_defaults(&cfg2);
	memset(tiny, 0x55, sizeof(tiny));
	FUZZ_CHECK(lac_config_parse(&cfg2, "fuzz.conf", text, tiny, sizeof(tiny)) == r,
		   "result depends on the error buffer");
	if (r < 0)
		FUZZ_CHECK(TERMINATED(tiny), "tiny error buffer not terminated");
	if (r == 0) {
		FUZZ_CHECK(cfg.n_stream_listen <= CONF_MAX_LISTEN &&
			   cfg.n_pppoe_interface <= CONF_MAX_PPPOE_IF &&
			   cfg.n_pppoe_service_name <= CONF_MAX_SERVICES &&
			   cfg.n_dae_client <= CONF_MAX_DAE_CLIENTS &&
			   cfg.n_l2tp_bind <= CONF_MAX_L2TP_BIND, "a list overflows");
		FUZZ_CHECK(TERMINATED(cfg.host_name) && TERMINATED(cfg.nas_identifier) &&
			   TERMINATED(cfg.control_socket) && TERMINATED(cfg.ppp_auth) &&
			   TERMINATED(cfg.radius_config) && TERMINATED(cfg.dae_listen) &&
			   TERMINATED(cfg.l2tp_host_name) && TERMINATED(cfg.local_tun) &&
			   TERMINATED(cfg.pppoe_ac_name), "a string is not terminated");
		FUZZ_CHECK(memcmp(&cfg, &cfg2, sizeof(cfg)) == 0, "two parses differ");
	}
	free(text);
	return 0;
}
