/* SPDX-License-Identifier: MIT */
/* options.c - struct rf_options: the defaults (--group-memory's too), the name
 * tables of its enums, sizes on the command line, and the error messages. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run.h"
#include "expr.h"
#include "../io/codec.h"

/* The defaults in a struct of this library's own size (rf_options_init_size,
 * structsize.c, gives the caller's share of them). */
void rf__options_defaults(struct rf_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->size = sizeof *opt;
	opt->mode = RF_MODE_AUTO;
	opt->io = RF_IO_AUTO;
	opt->simd = RF_SIMD_AUTO;
	opt->memory = 64 * MiB;
	opt->max_record = 256 * MiB;
	opt->out_fd = 1;
	opt->rejects_fd = -1;
}

/* The name tables, made from the lists in ringflow.h: a name's index is
 * its value. */
#define RF_ENUM_NAME(value, name) [value] = name,
static const char *const io_names[] = { RF_IO_LIST(RF_ENUM_NAME) };
static const char *const simd_names[] = { RF_SIMD_LIST(RF_ENUM_NAME) };
static const char *const mode_names[] = { RF_MODE_LIST(RF_ENUM_NAME) };
static const char *const numa_names[] = { RF_NUMA_LIST(RF_ENUM_NAME) };
static const char *const format_names[] = { RF_FORMAT_LIST(RF_ENUM_NAME) };
static const char *const regex_engine_names[] = { RF_REGEX_ENGINE_LIST(RF_ENUM_NAME) };
#define NNAMES(t) (sizeof t / sizeof t[0])

static const char *name_of(const char *const *names, size_t n, unsigned value)
{
	return value < n && names[value] ? names[value] : "?";
}

/* The value of `name` in the table, or -EINVAL. */
static int value_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(name, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *rf_io_name(enum rf_io io)
{
	return name_of(io_names, NNAMES(io_names), io);
}

const char *rf_simd_name(enum rf_simd level)
{
	return name_of(simd_names, NNAMES(simd_names), level);
}

const char *rf_mode_name(enum rf_mode mode)
{
	return name_of(mode_names, NNAMES(mode_names), mode);
}

const char *rf_numa_name(enum rf_numa_mode numa)
{
	return name_of(numa_names, NNAMES(numa_names), numa);
}

const char *rf_format_name(enum rf_out_format format)
{
	return name_of(format_names, NNAMES(format_names), format);
}

const char *rf_regex_engine_name(enum rf_regex_engine engine)
{
	return name_of(regex_engine_names, NNAMES(regex_engine_names), engine);
}

/* One parse per enum, all alike: the value, or -EINVAL and *out untouched. */
#define PARSE(fn, type, table)                                          \
	int fn(const char *name, type *out)                             \
	{                                                               \
		int v = value_of(table, NNAMES(table), name);           \
		if (v < 0)                                              \
			return v;                                       \
		*out = (type)v;                                         \
		return 0;                                               \
	}
PARSE(rf_io_parse, enum rf_io, io_names)
PARSE(rf_simd_parse, enum rf_simd, simd_names)
PARSE(rf_mode_parse, enum rf_mode, mode_names)
PARSE(rf_numa_parse, enum rf_numa_mode, numa_names)
PARSE(rf_format_parse, enum rf_out_format, format_names)
PARSE(rf_regex_engine_parse, enum rf_regex_engine, regex_engine_names)

/* A size: digits and an optional K, M, G or T (powers of 1024), then an
 * optional "B" or "iB".  0, or -EINVAL for anything else, -ERANGE for a
 * number too large for any range. */
int rf_parse_size(const char *s, size_t *out)
{
	char *end;
	if (*s < '0' || *s > '9') /* strtoull would take " -1" as a huge number */
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s)
		return -EINVAL;
	int range = errno == ERANGE;
	unsigned long long mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case 't': case 'T': mul = 1ULL << 40; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (mul > 1 && (*end == 'i' || *end == 'B'))
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end)
		return -EINVAL;
	if (range || v > (~0ULL) / mul || v * mul > SIZE_MAX)
		return -ERANGE;
	*out = (size_t)(v * mul);
	return 0;
}

const char *rf_strerror(int err)
{
	switch (err) {
	case -EOVERFLOW:
		return "the group-by outgrew --group-memory: raise it, or group by fewer or coarser keys";
	case -ENOTSUP:
		return "the requested SIMD level is not supported by this CPU";
	case -E2BIG:
		return "record longer than --max-record";
	case -EBADMSG:
		return "a record could not be parsed (--strict)";
	case -EDOM: /* RF_HIST_MAX in aggregate.h */
		return "a histogram has more than 1000 buckets in a group: use a wider bucket";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* --group-memory, or by default half of what this process may use: the
 * RAM, or a cgroup limit below it. */
uint64_t group_memory(const struct rf_options *opt)
{
	if (opt->group_memory)
		return opt->group_memory;
	uint64_t ram = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/sys/fs/cgroup/memory.max", "r");
	unsigned long long cg;
	if (f && fscanf(f, "%llu", &cg) == 1 && cg < ram)
		ram = cg;
	if (f)
		fclose(f);
	return ram / 2;
}

const char *rf_compression_name(int format)
{
	return format > 0 && format < RF_CODEC_COUNT ? rf__codec_name((enum rf_codec)format) : NULL;
}

const char *rf_compression_library(int format)
{
	return format > 0 && format < RF_CODEC_COUNT ? rf__codec_library((enum rf_codec)format) : NULL;
}

const char *rf_compression_package(int format)
{
	return format > 0 && format < RF_CODEC_COUNT ? rf__codec_package((enum rf_codec)format) : NULL;
}

/* rf_check_multiline on options of this library's size (structsize.c) */
int rf__check_multiline(const struct rf_options *opt, const rf_query *q, struct rf_query_error *err)
{
	memset(err, 0, sizeof *err);
	if (!opt->record_start && !opt->multiline)
		return 0;
	if (opt->record_start && opt->multiline) {
		snprintf(err->message, sizeof err->message, "--record-start and --multiline are one rule: give one");
		return -EINVAL;
	}
	if (q && rf__parse_csv_sep(q)) {
		snprintf(err->message, sizeof err->message,
			 "parse csv and tsv frame their own records (quoted newlines): no --record-start or --multiline");
		return -EINVAL;
	}
	struct rf_ml ml;
	if (rf__ml_init(&ml, opt->multiline, opt->record_start, err) < 0) {
		if (opt->multiline)
			snprintf(err->message, sizeof err->message,
				 "--multiline: '%s' is not a rule (java, python, go, indent)", opt->multiline);
		return -EINVAL;
	}
	rf__ml_free(&ml);
	return 0;
}

int rf_check_regex_engine(enum rf_regex_engine engine, char *err, size_t errlen)
{
	if ((unsigned)engine > RF_REGEX_PCRE2) {
		snprintf(err, errlen, "unknown regex engine");
		return -EINVAL;
	}
	return engine == RF_REGEX_HYPERSCAN && !rf__hs_usable(err, errlen) ? -ENOTSUP : 0;
}
