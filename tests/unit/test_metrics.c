/* core/metrics.c: the table renderers and the histogram, on fixed values. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/metrics.h"

struct demo {
	uint64_t a, b;
};
static const struct metric_field demo_tab[] = {
	METRIC_C(struct demo, a, "The a's."),
	METRIC_G(struct demo, b, "B now.\nSecond line \\ backslash"),
};

Test(metrics, kv_line_in_table_order)
{
	struct strbuf sb;
	struct demo d = { 7, 42 };
	strbuf_init(&sb);
	metrics_kv(&sb, "demo ", demo_tab, METRIC_N(demo_tab), &d);
	cr_assert_eq(sb.len, strlen("demo a=7 b=42\n"));
	cr_assert(memcmp(sb.data, "demo a=7 b=42\n", sb.len) == 0);
	strbuf_free(&sb);
}

Test(metrics, prom_table_counter_total_gauge_plain_help_escaped)
{
	struct strbuf sb;
	struct demo d = { 7, 42 };
	strbuf_init(&sb);
	metrics_prom_table(&sb, "x_", demo_tab, METRIC_N(demo_tab), &d);
	strbuf_append(&sb, "", 1);
	cr_assert_str_eq(sb.data, "# HELP x_a_total The a's.\n# TYPE x_a_total counter\nx_a_total 7\n"
				  "# HELP x_b B now.\\nSecond line \\\\ backslash\n# TYPE x_b gauge\nx_b 42\n");
	strbuf_free(&sb);
}

Test(metrics, label_values_escaped)
{
	struct strbuf sb;
	const char *labels[] = { "lns", "a\"b\\c\nd", "k", "v", NULL };
	strbuf_init(&sb);
	metrics_prom_sample(&sb, "m", labels, 3);
	strbuf_append(&sb, "", 1);
	cr_assert_str_eq(sb.data, "m{lns=\"a\\\"b\\\\c\\nd\",k=\"v\"} 3\n");
	strbuf_free(&sb);
}

Test(metrics, histogram_cumulative_buckets)
{
	struct metrics_histogram h;
	struct strbuf sb;
	memset(&h, 0, sizeof(h));
	metrics_histogram_observe(&h, 10);    /* le 0.010: bound is inclusive */
	metrics_histogram_observe(&h, 11);    /* le 0.025 */
	metrics_histogram_observe(&h, 60000); /* +Inf only */
	strbuf_init(&sb);
	metrics_prom_histogram(&sb, "s", "Setup.", &h);
	strbuf_append(&sb, "", 1);
	cr_assert(strstr(sb.data, "# TYPE s histogram\n"));
	cr_assert(strstr(sb.data, "s_bucket{le=\"0.010\"} 1\n"));
	cr_assert(strstr(sb.data, "s_bucket{le=\"0.025\"} 2\n"));
	cr_assert(strstr(sb.data, "s_bucket{le=\"10.000\"} 2\n"));
	cr_assert(strstr(sb.data, "s_bucket{le=\"+Inf\"} 3\n"));
	cr_assert(strstr(sb.data, "s_sum 60.021\ns_count 3\n"));
	strbuf_free(&sb);
}
