/* SPDX-License-Identifier: MIT */
/* expr_geo.c - the enrichment functions: geoip(ip[, what]), asn(ip) and
 * asn_org(ip) through libmaxminddb, and ua_family(), ua_os(), ua_class()
 * over useragent.c's table.
 *
 * A MaxMind database is opened once per process (rf_open_databases, which
 * the CLI calls after the query is parsed) and never closed: it is a
 * read-only mmap that every thread looks up at once (libmaxminddb's
 * lookups only read an MMDB_s) and that forked workers share.  Strings the
 * database holds are handed out in place, pointing into the map: no copy
 * per record. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#ifdef HAVE_MAXMINDDB
#include <maxminddb.h>
#endif
#include "enrich.h"
#include "expr.h"
#include "tval.h"

/* the two databases a query may need */
enum { DB_GEOIP, DB_ASN, DB_N };

/* What a call reads: from which database, at which path of the record. */
struct geo_item {
	const char *name;      /* geoip's second argument */
	int db;
	int city;              /* needs a City database */
	const char *path[4];
};

static const struct geo_item geo_items[] = {
	{ "country", DB_GEOIP, 0, { "country", "iso_code", NULL } },
	{ "country_name", DB_GEOIP, 0, { "country", "names", "en", NULL } },
	{ "continent", DB_GEOIP, 0, { "continent", "code", NULL } },
	{ "city", DB_GEOIP, 1, { "city", "names", "en", NULL } },
	{ "lat", DB_GEOIP, 1, { "location", "latitude", NULL } },
	{ "lon", DB_GEOIP, 1, { "location", "longitude", NULL } },
};
static const struct geo_item asn_number = { "asn", DB_ASN, 0, { "autonomous_system_number", NULL } };
static const struct geo_item asn_org = { "asn_org", DB_ASN, 0, { "autonomous_system_organization", NULL } };

/* Where Debian's geoipupdate and the MaxMind packages put the files; a
 * query asking for a city looks for a City database first. */
static const char *const db_dirs[] = { "/usr/share/GeoIP", "/var/lib/GeoIP", NULL };
static const char *const country_files[] = { "GeoLite2-Country.mmdb", "GeoIP2-Country.mmdb", "GeoLite2-City.mmdb",
					     "GeoIP2-City.mmdb", NULL };
static const char *const city_files[] = { "GeoLite2-City.mmdb", "GeoIP2-City.mmdb", NULL };
static const char *const asn_files[] = { "GeoLite2-ASN.mmdb", "GeoIP2-ISP.mmdb", NULL };

static struct geo_db {
	int wanted;            /* a parsed query calls for it */
	int city;              /* ... and asks for a city */
	int open;
#ifdef HAVE_MAXMINDDB
	MMDB_s mmdb;
#endif
} dbs[DB_N];

static const char *const db_function[DB_N] = { "geoip()", "asn()" };
static const char *const db_option[DB_N] = { "--geoip-db", "--asn-db" };

static int geo_prepare_item(struct rf_fn_call *call, const struct geo_item *it, struct rf_query_error *err, int column)
{
#ifndef HAVE_MAXMINDDB
	(void)it;
	return rf__fail(err, column, "%s needs libmaxminddb, which this ringflow was built without", call->def->name);
#else
	(void)err, (void)column;
	call->prepared = (void *)it;
	dbs[it->db].wanted = 1;
	dbs[it->db].city |= it->city;
	return 0;
#endif
}

static int geoip_prepare(struct rf_fn_call *call, const struct rf_tv *const *consts, const int *cols,
			 struct rf_query_error *err)
{
	const struct geo_item *it = &geo_items[0];
	if (call->argc > 1) {
		const struct rf_tv *w = consts[1];
		if (!w || w->type != RF_TV_STR)
			return rf__fail(err, cols[1], "geoip's second argument is a name in quotes, such as \"city\"");
		it = NULL;
		for (size_t i = 0; i < sizeof geo_items / sizeof geo_items[0]; i++)
			if (strlen(geo_items[i].name) == w->len && memcmp(geo_items[i].name, w->u.s, w->len) == 0)
				it = &geo_items[i];
		if (!it) {
			rf__fail(err, cols[1], "geoip() has no '%.*s'", (int)(w->len > 40 ? 40 : w->len), w->u.s);
			snprintf(err->hint, sizeof err->hint,
				 "one of: country, country_name, continent, city, lat, lon");
			return -EINVAL;
		}
	}
	return geo_prepare_item(call, it, err, cols[0]);
}

static int asn_prepare(struct rf_fn_call *call, const struct rf_tv *const *consts, const int *cols,
		       struct rf_query_error *err)
{
	(void)consts;
	return geo_prepare_item(call, &asn_number, err, cols[0]);
}

static int asn_org_prepare(struct rf_fn_call *call, const struct rf_tv *const *consts, const int *cols,
			   struct rf_query_error *err)
{
	(void)consts;
	return geo_prepare_item(call, &asn_org, err, cols[0]);
}

static void fn_geo(const struct rf_fn_call *call, const struct rf_tv *a, struct rf_tv *out, struct rf_fn_env *env,
		   void *scratch)
{
	(void)env, (void)scratch;
	*out = rf_tv_null();
#ifdef HAVE_MAXMINDDB
	const struct geo_item *it = call->prepared;
	struct geo_db *db = &dbs[it->db];
	struct rf_tv ip;
	if (!db->open || rf__tv_to_ip(&a[0], &ip) < 0)
		return;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	const struct sockaddr *sa = (const struct sockaddr *)&s6;
	if (ip.len == 4) {
		memcpy(&s4.sin_addr, ip.u.ip + 12, 4);
		sa = (const struct sockaddr *)&s4;
	} else {
		memcpy(&s6.sin6_addr, ip.u.ip, 16);
	}
	int mmdb_err;
	/* an IPv6 address in an IPv4-only database is an error here: null */
	MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&db->mmdb, sa, &mmdb_err);
	if (mmdb_err != MMDB_SUCCESS || !res.found_entry)
		return;
	MMDB_entry_data_s d;
	if (MMDB_aget_value(&res.entry, &d, it->path) != MMDB_SUCCESS || !d.has_data)
		return;
	switch (d.type) {
	case MMDB_DATA_TYPE_UTF8_STRING: *out = rf_tv_str(d.utf8_string, d.data_size); break;
	case MMDB_DATA_TYPE_DOUBLE: *out = rf_tv_float(d.double_value); break;
	case MMDB_DATA_TYPE_FLOAT: *out = rf_tv_float(d.float_value); break;
	case MMDB_DATA_TYPE_UINT16: *out = rf_tv_int(d.uint16); break;
	case MMDB_DATA_TYPE_UINT32: *out = rf_tv_int(d.uint32); break;
	case MMDB_DATA_TYPE_INT32: *out = rf_tv_int(d.int32); break;
	case MMDB_DATA_TYPE_UINT64: if (d.uint64 <= INT64_MAX) *out = rf_tv_int((int64_t)d.uint64); break;
	case MMDB_DATA_TYPE_BOOLEAN: *out = rf_tv_bool(d.boolean); break;
	default: break; /* maps, arrays, bytes: not a value */
	}
#else
	(void)call, (void)a;
#endif
}

/* Open path as db's database; 0, or a negative errno with the reason in
 * err: the file's own error, -EINVAL for a file that is not a database,
 * -ENOTSUP without libmaxminddb. */
static int open_db(int db, const char *path, char *err, size_t errlen)
{
#ifdef HAVE_MAXMINDDB
	errno = 0;
	int st = MMDB_open(path, MMDB_MODE_MMAP, &dbs[db].mmdb);
	int e = errno;
	if (st == MMDB_FILE_OPEN_ERROR && e) {
		snprintf(err, errlen, "%s %s: %s", db_option[db], path, strerror(e));
		return -e;
	}
	if (st != MMDB_SUCCESS) {
		/* an empty file or a directory cannot be mapped: an I/O error */
		snprintf(err, errlen, "%s %s: not a MaxMind database it can read: %s%s%s%s", db_option[db], path,
			 MMDB_strerror(st), st == MMDB_IO_ERROR && e ? " (" : "", st == MMDB_IO_ERROR && e ? strerror(e) : "",
			 st == MMDB_IO_ERROR && e ? ")" : "");
		return -EINVAL;
	}
	dbs[db].open = 1;
	return 0;
#else
	(void)path;
	snprintf(err, errlen, "%s needs libmaxminddb, which this ringflow was built without", db_function[db]);
	return -ENOTSUP;
#endif
}

/* rf_open_databases with the two options it reads (structsize.c takes
 * them from the caller's struct) */
int rf__open_databases(const char *geoip_db, const char *asn_db, char *err, size_t errlen)
{
	for (int db = 0; db < DB_N; db++) {
		if (!dbs[db].wanted || dbs[db].open)
			continue;
		const char *given = db == DB_GEOIP ? geoip_db : asn_db;
		int r;
		if (given) {
			if ((r = open_db(db, given, err, errlen)) < 0)
				return r;
			continue;
		}
		const char *const *files = db == DB_ASN ? asn_files : dbs[db].city ? city_files : country_files;
		char path[512];
		for (int f = 0; files[f] && !dbs[db].open; f++)
			for (int d = 0; db_dirs[d] && !dbs[db].open; d++) {
				snprintf(path, sizeof path, "%s/%s", db_dirs[d], files[f]);
				if (access(path, F_OK) == 0 && (r = open_db(db, path, err, errlen)) < 0)
					return r;
			}
		if (!dbs[db].open) {
			char names[200] = "";
			for (int f = 0; files[f]; f++)
				snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", f ? ", " : "", files[f]);
			snprintf(err, errlen, "%s needs a MaxMind database: %s FILE (none in %s or %s: %s)",
				 db_function[db], db_option[db], db_dirs[0], db_dirs[1], names);
			return -ENOENT;
		}
	}
	return 0;
}

/* ---- user agents (useragent.c) ---- */

static void ua_apply(const struct rf_tv *a, struct rf_tv *out, struct rf_fn_env *env,
		     const char *(*classify)(const char *, size_t))
{
	struct rf_tv t;
	if (a->type == RF_TV_NULL || rf__tv_to_text(a, env, &t) < 0) {
		*out = rf_tv_null();
		return;
	}
	const char *s = classify(t.u.s, t.len);
	*out = rf_tv_str(s, strlen(s));
}

#define UA_FN(name) \
	static void fn_##name(const struct rf_fn_call *call, const struct rf_tv *a, struct rf_tv *out, \
			      struct rf_fn_env *env, void *scratch) \
	{ \
		(void)call, (void)scratch; \
		ua_apply(&a[0], out, env, rf__##name); \
	}
UA_FN(ua_family)
UA_FN(ua_os)
UA_FN(ua_class)

static const struct rf_fn_def def_geoip = { "geoip", 1, 2,
					    "geoip(ip[, \"country|country_name|continent|city|lat|lon\"])",
					    geoip_prepare, NULL, fn_geo, NULL, NULL };
static const struct rf_fn_def def_asn = { "asn", 1, 1, "asn(ip): the AS number", asn_prepare, NULL, fn_geo,
					  NULL, NULL };
static const struct rf_fn_def def_asn_org = { "asn_org", 1, 1, "asn_org(ip): the AS organisation", asn_org_prepare,
					      NULL, fn_geo, NULL, NULL };
static const struct rf_fn_def def_ua_family = { "ua_family", 1, 1, "ua_family(agent): Chrome, Firefox, curl, ...",
						NULL, NULL, fn_ua_family, NULL, NULL };
static const struct rf_fn_def def_ua_os = { "ua_os", 1, 1, "ua_os(agent): Windows, macOS, iOS, Android, Linux, ...",
					    NULL, NULL, fn_ua_os, NULL, NULL };
static const struct rf_fn_def def_ua_class = { "ua_class", 1, 1, "ua_class(agent): browser, bot, crawler, tool, other",
					       NULL, NULL, fn_ua_class, NULL, NULL };

static const struct rf_fn_def *const enrich_functions[] = {
	&def_geoip, &def_asn, &def_asn_org, &def_ua_family, &def_ua_os, &def_ua_class, NULL,
};

const struct rf_fn_def *rf__enrich_function(const char *name)
{
	for (int i = 0; enrich_functions[i]; i++)
		if (strcmp(enrich_functions[i]->name, name) == 0)
			return enrich_functions[i];
	return NULL;
}
