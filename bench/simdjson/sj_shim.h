/* SPDX-License-Identifier: MIT */
/* sj_shim.h - the C face a simdjson shim would show the engine: the
 * values of a few fields of one JSON line, as spans.  Benchmark code for
 * bench/simdjson.sh, not part of the library. */
#ifndef SJ_SHIM_H
#define SJ_SHIM_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes the caller guarantees readable (any content) after p + n: what
 * simdjson reads past a document's end.  Equal to SIMDJSON_PADDING. */
#define SJ_PADDING 64

/* A field's value: numbers, booleans and objects as their JSON text,
 * strings unescaped; p == NULL when the field is missing or null.  A span
 * may point into the line or into the shim's per-thread buffer, which the
 * next call reuses. */
struct span {
	const char *p;
	size_t n;
};

/* Fill out[0 .. npaths) with the values at the dotted paths ("a.b") of
 * the object on the line p[0 .. n).  Returns 0, or -1 when the line is
 * to be rejected.  p[n .. n + SJ_PADDING) must be readable.
 *
 * sj_fields checks the whole line as ringflow's own parser does (every
 * value's syntax, depth at most 64, the last of repeated keys wins, NaN
 * and Infinity and any number's text accepted as Python's json does);
 * sj_fields_lazy looks only at what it returns and skips the rest by
 * depth counting, as simdjson's On-Demand API does by design. */
int sj_fields(const char *p, size_t n, const char *const *paths, int npaths, struct span *out);
int sj_fields_lazy(const char *p, size_t n, const char *const *paths, int npaths, struct span *out);

/* The name of the simdjson kernel chosen at run time ("icelake", ...). */
const char *sj_implementation(void);

#ifdef __cplusplus
}
#endif
#endif
