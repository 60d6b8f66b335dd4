/* SPDX-License-Identifier: MIT */
/* timezone.c - fixed offsets and IANA zones for --tz.
 *
 * An IANA zone is read from its TZif file (RFC 8536): the version 2 data
 * (64-bit transition times) when there is one, else version 1.  Times
 * after the last transition keep its offset: Debian's files list
 * transitions up to 2037; the POSIX rule at the end of the file is not read.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"
#include "timezone.h"

struct rf_tz {
	char name[128];
	int utc;              /* UTC itself */
	int32_t fixed;        /* the offset when ntrans == 0 and !types */
	size_t ntrans;
	int64_t *trans;       /* transition instants, ascending */
	int32_t *off_after;   /* the offset from each transition on */
	int32_t off_before;   /* before the first */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* +hh, +hhmm, +hh:mm (or -): 0 and the offset, else -1. */
static int parse_offset(const char *s, int32_t *off)
{
	if (*s != '+' && *s != '-')
		return -1;
	int sign = *s++ == '-' ? -1 : 1, hh = 0, mm = 0;
	if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	hh = (s[0] - '0') * 10 + (s[1] - '0');
	s += 2;
	if (*s == ':')
		s++;
	if (*s) {
		if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') || s[2])
			return -1;
		mm = (s[0] - '0') * 10 + (s[1] - '0');
	}
	if (hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The counts of a TZif header at p: isutcnt isstdcnt leapcnt timecnt
 * typecnt charcnt, and the size of the data block after it. */
static int tzif_header(const unsigned char *p, size_t left, uint32_t cnt[6], int tsize, size_t *block)
{
	if (left < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	for (int i = 0; i < 6; i++)
		cnt[i] = be32(p + 20 + 4 * i);
	if (cnt[4] == 0 || cnt[0] > cnt[4] || cnt[1] > cnt[4] || cnt[2] > 100000 || cnt[3] > 1000000 ||
	    cnt[4] > 256 || cnt[5] > 100000)
		return -1;
	*block = (size_t)cnt[3] * (size_t)tsize + cnt[3] + (size_t)cnt[4] * 6 + cnt[5] +
		 (size_t)cnt[2] * (size_t)(tsize + 4) + cnt[1] + cnt[0];
	return left - 44 < *block ? -1 : 0;
}

static int read_tzif(struct rf_tz *tz, const unsigned char *d, size_t n)
{
	uint32_t cnt[6];
	size_t block;
	int tsize = 4;
	if (tzif_header(d, n, cnt, 4, &block) < 0)
		return -1;
	if (d[4] >= '2') { /* skip version 1 to the 64-bit data */
		d += 44 + block;
		n -= 44 + block;
		tsize = 8;
		if (tzif_header(d, n, cnt, 8, &block) < 0)
			return -1;
	}
	const unsigned char *times = d + 44, *idx = times + (size_t)cnt[3] * (size_t)tsize,
			    *types = idx + cnt[3];
	uint32_t ntypes = cnt[4];
	tz->ntrans = cnt[3];
	tz->trans = malloc((tz->ntrans + 1) * sizeof *tz->trans);
	tz->off_after = malloc((tz->ntrans + 1) * sizeof *tz->off_after);
	if (!tz->trans || !tz->off_after)
		return -ENOMEM;
	for (size_t i = 0; i < tz->ntrans; i++) {
		tz->trans[i] = tsize == 8 ? be64(times + 8 * i) : (int64_t)(int32_t)be32(times + 4 * i);
		if (idx[i] >= ntypes || (i && tz->trans[i] <= tz->trans[i - 1]))
			return -1;
		tz->off_after[i] = (int32_t)be32(types + 6 * idx[i]);
	}
	tz->off_before = (int32_t)be32(types); /* type 0 (RFC 8536 3.2) */
	return 0;
}

void rf__tz_free(struct rf_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->off_after);
	free(tz);
}

int rf__tz_open(const char *name, struct rf_tz **out, char *err, size_t errlen)
{
	struct rf_tz *tz = calloc(1, sizeof *tz);
	if (!tz) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tz->name, sizeof tz->name, "%s", name);
	const char *s = name;
	if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0 || strcmp(s, "GMT") == 0 || strcmp(s, "utc") == 0 ||
	    strcmp(s, "Etc/UTC") == 0) {
		tz->utc = 1;
		*out = tz;
		return 0;
	}
	if (strncmp(s, "UTC", 3) == 0 && (s[3] == '+' || s[3] == '-'))
		s += 3;
	if (*s == '+' || *s == '-') {
		if (parse_offset(s, &tz->fixed) < 0) {
			snprintf(err, errlen, "bad time zone offset '%s' (expected +HH:MM, -HHMM or +HH)", name);
			rf__tz_free(tz);
			return -1;
		}
		*out = tz;
		return 0;
	}
	/* an IANA name: letters, digits, _ + - and /, no .. and not absolute */
	int ok = *s && *s != '/' && strlen(s) < 100 && !strstr(s, "..");
	for (const char *q = s; ok && *q; q++)
		ok = (*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
		     *q == '_' || *q == '+' || *q == '-' || *q == '/';
	const char *dir = getenv("TZDIR");
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", s);
	FILE *f = ok ? fopen(path, "rb") : NULL;
	if (!f) {
		snprintf(err, errlen,
			 "unknown time zone '%s' (an IANA name such as Europe/Berlin, in %s, or an offset such as +05:30)",
			 name, dir && *dir ? dir : "/usr/share/zoneinfo");
		rf__tz_free(tz);
		return -1;
	}
	size_t cap = 1 << 20, n;
	unsigned char *d = malloc(cap);
	n = d ? fread(d, 1, cap, f) : 0;
	fclose(f);
	if (!d || n == cap || read_tzif(tz, d, n) < 0) {
		snprintf(err, errlen, "time zone '%s': %s is no TZif file", name, path);
		free(d);
		rf__tz_free(tz);
		return -1;
	}
	free(d);
	*out = tz;
	return 0;
}

const char *rf__tz_name(const struct rf_tz *tz)
{
	return tz ? tz->name : "UTC";
}

int rf__tz_is_utc(const struct rf_tz *tz)
{
	return !tz || tz->utc;
}

/* The index of the last transition at or before t; -1 if none. */
static ptrdiff_t trans_index(const struct rf_tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->ntrans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

int32_t rf__tz_offset(const struct rf_tz *tz, int64_t t)
{
	if (!tz || tz->utc)
		return 0;
	if (!tz->trans)
		return tz->fixed;
	ptrdiff_t i = trans_index(tz, t);
	return i < 0 ? tz->off_before : tz->off_after[i];
}

/* As rf__tz_local_to_utc; `prefer`: of two instants, the one at this
 * offset if it is one of them (INT32_MIN: none). */
static int64_t local_to_utc(const struct rf_tz *tz, int64_t local, int64_t prefer)
{
	if (!tz || tz->utc)
		return local;
	if (!tz->trans)
		return local - tz->fixed;
	/* the pieces between transitions that may hold the instant: offsets
	 * are under 26 hours */
	const int64_t span = 30 * 3600;
	ptrdiff_t k = trans_index(tz, local - span);
	int have = 0;
	int64_t best = 0;
	for (;; k++) {
		int32_t o = k < 0 ? tz->off_before : tz->off_after[k];
		int64_t u = local - o;
		int in = (k < 0 || u >= tz->trans[k]) && ((size_t)(k + 1) >= tz->ntrans || u < tz->trans[k + 1]);
		if (in) {
			if (o == prefer)
				return u;
			if (!have)
				best = u, have = 1;
		}
		if ((size_t)(k + 1) >= tz->ntrans || tz->trans[k + 1] > local + span)
			break;
	}
	if (have)
		return best;
	/* a gap: the first transition after which the clock is past local */
	for (k = trans_index(tz, local - span) + 1; (size_t)k < tz->ntrans; k++)
		if (tz->trans[k] + tz->off_after[k] > local)
			return tz->trans[k];
	return local - rf__tz_offset(tz, local);
}

int64_t rf__tz_local_to_utc(const struct rf_tz *tz, int64_t local)
{
	return local_to_utc(tz, local, INT32_MIN);
}

int64_t rf__tz_floor(const struct rf_tz *tz, int64_t t, int64_t width)
{
	if (width <= 0)
		return t;
	if (rf__tz_is_utc(tz))
		return floor_div(t, width) * width;
	int32_t off = rf__tz_offset(tz, t);
	int64_t local = t + off, start;
	if (width % 86400 == 0)
		start = floor_div(floor_div(local, 86400), width / 86400) * width;
	else
		start = floor_div(local, width) * width;
	/* the same offset as t when that reading is a real one (the second
	 * 01:00 of a night the clock goes back is that one's hour) */
	int64_t u = local_to_utc(tz, start, off);
	return u > t ? floor_div(t, width) * width : u;
}

int rf_check_tz(const char *name, char *err, size_t errlen)
{
	struct rf_tz *tz;
	if (rf__tz_open(name, &tz, err, errlen) < 0)
		return -EINVAL;
	rf__tz_free(tz);
	return 0;
}
