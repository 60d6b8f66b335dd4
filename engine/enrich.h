/* SPDX-License-Identifier: MIT */
/* enrich.h - the enrichment functions of the expression language: geoip()
 * and asn() over MaxMind DB files (expr_geo.c), and the user-agent
 * classifier (useragent.c) behind ua_family(), ua_os() and ua_class(). */
#ifndef RF_ENRICH_H
#define RF_ENRICH_H

#include <stddef.h>

struct rf_fn_def;

/* expr_funcs.c's look-up asks this table after its own; NULL: unknown. */
const struct rf_fn_def *rf__enrich_function(const char *name);

/* A user agent's browser or program family, its operating system and its
 * class (browser, bot, crawler, tool, other); "Other" when no token of
 * the built-in table is in it.  Static strings, never NULL. */
const char *rf__ua_family(const char *ua, size_t n);
const char *rf__ua_os(const char *ua, size_t n);
const char *rf__ua_class(const char *ua, size_t n);

/* rf_open_databases (structsize.c checks the options' size): the files
 * given for geoip() and asn(), NULL for the usual places */
int rf__open_databases(const char *geoip_db, const char *asn_db, char *err, size_t errlen);

#endif
