/* SPDX-License-Identifier: MIT */
/* check_parsers.c - the csv and tsv parser on records as a quote-aware
 * framer hands them over: a newline inside a quoted field is data, and a
 * record that ends inside an open quote keeps what it has.  The wanted
 * values are what Python's csv module reads from the same bytes (each is
 * written next to its case). */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "engine.h"

struct parsed {
	rf_query *q;
	struct rf_stage st;
	struct rf_stage_env env;
	struct rf_batch b;
};

/* Run `query` (a parse stage first) over the records given, each a whole
 * record without its final newline; the first is the header. */
static void parse_records(struct parsed *x, const char *query, const char *const *rec, int n)
{
	struct rf_query_error err;
	memset(x, 0, sizeof *x);
	ck_assert_msg(rf_query_parse(query, &x->q, &err) == 0, "%s", err.message);
	static char data[4096];
	size_t len = 0;
	ck_assert_int_eq(rf__batch_reserve(&x->b, (size_t)n), 0);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(rec[i]);
		ck_assert(len + l + 1 < sizeof data);
		memcpy(data + len, rec[i], l);
		x->b.sel[i] = (struct rf_span){ (uint32_t)len, (uint32_t)l };
		len += l;
		data[len++] = '\n';
	}
	x->b.data = data;
	x->b.len = len;
	x->b.nsel = (uint32_t)n;
	x->b.input_start = 1;
	x->b.input = "test";
	ck_assert_int_eq(rf__stage_open(&x->st, x->q, 0, rf__kernels(RF_SIMD_AUTO), &x->env), 0);
	ck_assert_int_eq(x->st.verb->process(&x->st, &x->b), 0);
}

static void parsed_free(struct parsed *x)
{
	x->st.verb->close(&x->st);
	rf__batch_free(&x->b);
	rf_query_free(x->q);
}

/* The value of field `name` in row `row`, as a C string ("<missing>") */
static const char *field(struct parsed *x, uint32_t row, const char *name)
{
	static char buf[4][256];
	static int turn;
	char *out = buf[turn++ & 3];
	ck_assert_uint_lt(row, x->b.nsel);
	for (int s = 0; s < x->q->schema.nslots; s++)
		if (strcmp(x->q->schema.slot_name[s], name) == 0) {
			struct rf_value v = x->b.vals[(size_t)row * x->b.nslots + (size_t)s];
			if (v.len < 0)
				return "<missing>";
			ck_assert_int_lt(v.len, 256);
			memcpy(out, v.p, (size_t)v.len);
			out[v.len] = 0;
			return out;
		}
	ck_abort_msg("no slot %s", name);
	return NULL;
}

START_TEST(test_csv_quoted_newlines)
{
	/* python3: list(csv.reader(io.StringIO(TEXT, newline=''))) */
	static const char *const rec[] = {
		"a,\"b\nb\",c",             /* header: a, 'b\nb', c */
		"1,\"x\ny\",3",             /* 1, 'x\ny', 3 */
		"\"p\"\"\nq\",\"\",",       /* 'p"\nq', '', '' */
		"2,\"x\r\ny\"\r",           /* 2, 'x\r\ny' (the CR before the newline ends the line) */
		"\"\n\",\"a\"\"\"\"\nb\"z",  /* '\n', 'a""\nbz' */
		"3,,\"\"\"\n\"\"\"",        /* 3, '', '"\n"' */
	};
	struct parsed x;
	parse_records(&x, "parse csv | select a, \"b\nb\", c", rec, 6);
	ck_assert_uint_eq(x.b.nsel, 5);
	ck_assert_str_eq(field(&x, 0, "a"), "1");
	ck_assert_str_eq(field(&x, 0, "b\nb"), "x\ny");
	ck_assert_str_eq(field(&x, 0, "c"), "3");
	ck_assert_str_eq(field(&x, 1, "a"), "p\"\nq");
	ck_assert_str_eq(field(&x, 1, "b\nb"), "");
	ck_assert_str_eq(field(&x, 1, "c"), "");
	ck_assert_str_eq(field(&x, 2, "a"), "2");
	ck_assert_str_eq(field(&x, 2, "b\nb"), "x\r\ny");
	ck_assert_str_eq(field(&x, 2, "c"), "<missing>");
	ck_assert_str_eq(field(&x, 3, "a"), "\n");
	ck_assert_str_eq(field(&x, 3, "b\nb"), "a\"\"\nbz");
	ck_assert_str_eq(field(&x, 4, "a"), "3");
	ck_assert_str_eq(field(&x, 4, "b\nb"), "");
	ck_assert_str_eq(field(&x, 4, "c"), "\"\n\"");
	ck_assert_uint_eq(x.env.rejected, 0);
	ck_assert_uint_eq(x.env.cut_off, 0);
	parsed_free(&x);
}
END_TEST

START_TEST(test_csv_open_quote_at_end)
{
	/* A quote left open runs to the end of the input: a quote-aware framer
	 * hands the rest of the file over as one record.  Python (not strict)
	 * reads it as the field's text; so does ringflow, and counts it. */
	static const char *const rec[] = {
		"a\tb",
		"1\tok",
		"2\t\"open\n3\tnext\n\"\"4",   /* 2, 'open\n3\tnext\n"4' */
	};
	struct parsed x;
	parse_records(&x, "parse tsv | select a, b", rec, 3);
	ck_assert_uint_eq(x.b.nsel, 2);
	ck_assert_str_eq(field(&x, 0, "b"), "ok");
	ck_assert_str_eq(field(&x, 1, "a"), "2");
	ck_assert_str_eq(field(&x, 1, "b"), "open\n3\tnext\n\"4");
	ck_assert_uint_eq(x.env.rejected, 0);
	ck_assert_uint_eq(x.env.cut_off, 1);
	parsed_free(&x);
}
END_TEST

START_TEST(test_csv_record_end)
{
	/* python3: csv.reader(io.StringIO(TEXT, newline='')) reads these
	 * seven records from it, in chunks of any size */
	static const char text[] = "a,\"b\nc\",d\ne\"f,g\n\"h\"\"\n\"\"i\"j\nk\n\"x\"y\"\nz\n,\"\n\"\n";
	static const char *const want[] = { "a,\"b\nc\",d", "e\"f,g", "\"h\"\"\n\"\"i\"j", "k", "\"x\"y\"", "z",
					    ",\"\n\"" };
	size_t len = sizeof text - 1;
	for (size_t chunk = 1; chunk <= len; chunk++) {
		int state = 0, n = 0;
		size_t start = 0;
		for (size_t at = 0; at < len; at += chunk) {
			const char *p = text + at, *end = text + (at + chunk < len ? at + chunk : len);
			const char *nl;
			while ((nl = rf__csv_find_end(p, (size_t)(end - p), ',', &state))) {
				ck_assert_int_lt(n, 7);
				size_t l = (size_t)(nl - text) - start;
				ck_assert_msg(l == strlen(want[n]) && !memcmp(text + start, want[n], l),
					      "chunk %zu record %d", chunk, n);
				n++;
				start = (size_t)(nl - text) + 1;
				p = nl + 1;
			}
		}
		ck_assert_int_eq(n, 7);
		ck_assert_int_eq(state, 0);
	}
	/* a tab separates tsv fields: the quote after it opens one */
	int state = 0;
	const char tsv[] = "a\t\"b\nc\"\n";
	ck_assert_ptr_eq(rf__csv_find_end(tsv, sizeof tsv - 1, '\t', &state), tsv + sizeof tsv - 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parsers");
	TCase *tc = tcase_create("csv");
	tcase_add_test(tc, test_csv_quoted_newlines);
	tcase_add_test(tc, test_csv_open_quote_at_end);
	tcase_add_test(tc, test_csv_record_end);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
