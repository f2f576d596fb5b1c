/* libFuzzer harness: realmctl's JSON document parser, policy/realmctl/doc.c
 * (realmctl import reads operator files; the parser must refuse, never crash).
 *
 * Input: the JSON text (not NUL-terminated). The first octet, if it is one of
 * 0x01..0x03, picks the list of realms "known" elsewhere (none, one, two) and
 * is skipped; anything else is part of the text.
 *
 * Checks: no crash, leak or sanitizer report; a rejected document has at least
 * one error line; an accepted one passes realmctl_doc_check() again, serialises
 * with realmctl_doc_to_json(), and that output parses back as valid with the
 * same number of realms, LNS and DNIS entries. */
#include "fuzz_common.h"

#include "doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lns(const struct realmctl_doc *doc)
{
	size_t n = 0;

	for (size_t i = 0; i < doc->n_realms; i++)
		n += doc->realms[i].n_lns;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[2] = { "corp.example", "isp.example" };
	struct realmctl_doc doc, back;
	struct realmctl_errs errs = { 0 }, errs2 = { 0 };
	size_t n_known = 0;
	char *text, *json;

	if (size >= 1 && data[0] >= 1 && data[0] <= 3) {
		n_known = data[0] - 1u;
		data++;
		size--;
	}
	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	realmctl_doc_init(&doc);
	if (realmctl_doc_parse_json(text, size, &doc, n_known ? known : NULL, n_known, &errs) < 0) {
		FUZZ_CHECK(errs.n > 0, "rejected without an error line");
		for (size_t i = 0; i < errs.n; i++)
			FUZZ_CHECK(errs.msg[i] != NULL, "empty error line");
		goto out;
	}
	FUZZ_CHECK(errs.n == 0, "accepted with %zu error lines (first: %s)", errs.n, errs.msg[0]);
	FUZZ_CHECK(realmctl_doc_check(&doc, n_known ? known : NULL, n_known, &errs) == 0,
		   "accepted document fails the check: %s", errs.n ? errs.msg[0] : "?");
	realmctl_doc_sort(&doc);
	json = realmctl_doc_to_json(&doc, &errs);
	FUZZ_CHECK(json != NULL, "accepted document does not serialise");
	realmctl_doc_init(&back);
	FUZZ_CHECK(realmctl_doc_parse_json(json, strlen(json), &back, n_known ? known : NULL,
					   n_known, &errs2) == 0,
		   "own output does not parse: %s\n%s", errs2.n ? errs2.msg[0] : "?", json);
	FUZZ_CHECK(back.n_realms == doc.n_realms && back.n_dnis == doc.n_dnis &&
		   count_lns(&back) == count_lns(&doc), "round trip changed the counts\n%s", json);
	realmctl_doc_free(&back);
	free(json);
out:
	realmctl_doc_free(&doc);
	realmctl_errs_free(&errs);
	realmctl_errs_free(&errs2);
	free(text);
	return 0;
}
