/* SPDX-License-Identifier: MIT */
// shim_bench.cc - `parse json | count, sum(bytes) by status` done with
// simdjson (Debian's libsimdjson-dev) in several ways, to decide whether
// ringflow should use it behind a C shim.  Run by bench/simdjson.sh.
//
//   shim_bench VARIANT FILE          the aggregate on stdout, the rate on stderr
//   shim_bench --check VARIANT FILE  one verdict a line: "ok STATUS BYTES" or "rej"
//
// Variants:
//   lines     splitting into lines only (memchr): the floor
//   stage1    On-Demand's iterate() on each line and nothing more: simdjson's
//             stage 1 (the structural index) with its per-document cost
//   dom       DOM parser, one line at a time, no copy (the bytes after a
//             line are its padding; a line near the file's end is copied)
//   dom-copy  the same letting simdjson copy every line (realloc_if_needed)
//   od        On-Demand, one line at a time, find_field_unordered
//   dom-many  parse_many over the whole file (a document stream)
//   od-many   iterate_many over the whole file
//   shim      the C loop calling sj_fields (strict: ringflow's rules)
//   shim-lazy the C loop calling sj_fields_lazy (skipped values unchecked)
#include <simdjson.h>
#include <algorithm>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vector>
#include "agg.h"
#include "sj_shim.h"

using namespace simdjson;

namespace {

constexpr size_t BATCH = 1 << 20; // the document streams' window

bool check_mode;

double now(clockid_t clock = CLOCK_MONOTONIC)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

[[noreturn]] void die(const char *what, const char *why)
{
	fprintf(stderr, "shim_bench: %s: %s\n", what, why);
	exit(2);
}

void add(agg &a, bool st_ok, int64_t status, bool by_ok, int64_t bytes)
{
	int g = st_ok && status >= 0 && status < AGG_OTHER ? (int)status : AGG_OTHER;
	a.records++;
	a.count[g]++;
	if (by_ok)
		a.sum[g] += bytes;
	else
		a.notnum++;
}

void verdict(const char *status, const char *bytes)
{
	if (check_mode)
		printf("ok %s %s\n", status, bytes);
}

void reject(agg &a)
{
	a.rejected++;
	if (check_mode)
		puts("rej");
}

// Calls fn(line, n, padded) for each non-empty line of buf[0 .. len);
// padded is false for a line with fewer than SIMDJSON_PADDING readable
// bytes after it: one near the end, unless pad_end says the buffer goes
// on past len.
bool pad_end;

template <typename F> void each_line(const char *buf, size_t len, F fn)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		if (n)
			fn(p, n, pad_end || (size_t)(end - le) >= SIMDJSON_PADDING);
		else if (check_mode)
			puts("empty");
		p = nl ? nl + 1 : end;
	}
}

std::string dom_text(dom::element e)
{
	int64_t i;
	if (!e.get_int64().get(i))
		return std::to_string(i);
	return simdjson::to_string(e);
}

void run_dom(const char *buf, size_t len, agg &a, bool copy)
{
	static dom::parser parser;
	padded_string tail;
	each_line(buf, len, [&](const char *p, size_t n, bool padded) {
		dom::element doc;
		dom::object obj;
		error_code err;
		if (copy) {
			err = parser.parse(p, n, true).get(doc);
		} else if (padded) {
			err = parser.parse(p, n, false).get(doc);
		} else {
			tail = padded_string(p, n);
			a.copies++;
			err = parser.parse(tail).get(doc);
		}
		if (err || doc.get_object().get(obj))
			return reject(a);
		// DOM's lookup gives the first of repeated keys
		dom::element st, by;
		int64_t status = 0, bytes = 0;
		bool st_ok = !obj["status"].get(st) && !st.get_int64().get(status);
		bool by_ok = !obj["bytes"].get(by) && !by.get_int64().get(bytes);
		add(a, st_ok, status, by_ok, bytes);
		if (check_mode)
			verdict(obj["status"].error() ? "-" : dom_text(st).c_str(),
				obj["bytes"].error() ? "-" : dom_text(by).c_str());
	});
}

std::string od_text(simdjson_result<ondemand::value> v)
{
	ondemand::value x;
	if (v.get(x))
		return "-";
	std::string_view t = x.raw_json_token();
	while (!t.empty() && strchr(" \t\r\n", t.back()))
		t.remove_suffix(1);
	return std::string(t);
}

// status and bytes of an On-Demand document (or a stream's reference to
// one); the fields may come in any order
template <typename D> bool od_fields(D &doc, agg &a)
{
	ondemand::object obj;
	if (doc.get_object().get(obj))
		return false;
	int64_t status = 0, bytes = 0;
	std::string st, by;
	if (check_mode) {
		// the fields' text, what a text-keeping engine would read; first,
		// since a lookup that fails on a malformed line may spoil the next
		st = od_text(obj.find_field_unordered("status"));
		by = od_text(obj.find_field_unordered("bytes"));
	}
	bool st_ok = !obj.find_field_unordered("status").get_int64().get(status);
	bool by_ok = !obj.find_field_unordered("bytes").get_int64().get(bytes);
	add(a, st_ok, status, by_ok, bytes);
	if (check_mode)
		verdict(st.c_str(), by.c_str());
	return true;
}

// fields: false runs On-Demand's iterate() alone (stage 1), the stage1
// variant
void run_od(const char *buf, size_t len, agg &a, bool fields)
{
	static ondemand::parser parser;
	padded_string tail;
	each_line(buf, len, [&](const char *p, size_t n, bool padded) {
		ondemand::document doc;
		if (!padded) {
			tail = padded_string(p, n);
			a.copies++;
			p = tail.data();
		}
		if (parser.iterate(p, n, n + SIMDJSON_PADDING).get(doc))
			return reject(a);
		if (!fields)
			a.records++;
		else if (!od_fields(doc, a))
			reject(a);
	});
}

// In check mode the streams' documents are put back on their lines: the
// line a document starts on gets its verdict; a line no document starts
// on is "lost", a line two start on is "multi".
struct line_map {
	std::vector<size_t> start;
	std::vector<std::string> said;
	explicit line_map(const char *buf, size_t len)
	{
		for (size_t i = 0; i < len;) {
			start.push_back(i);
			const char *nl = (const char *)memchr(buf + i, '\n', len - i);
			i = nl ? (size_t)(nl - buf) + 1 : len;
		}
		said.resize(start.size());
	}
	std::string &at(size_t off)
	{
		size_t i = (size_t)(std::upper_bound(start.begin(), start.end(), off) - start.begin()) - 1;
		return said[i];
	}
	void print(const char *buf)
	{
		for (size_t i = 0; i < said.size(); i++) {
			if (said[i].empty())
				puts(buf[start[i]] == '\n' ? "empty" : "lost");
			else
				puts(said[i].c_str());
		}
	}
};

// Records one stream document's outcome in check mode.
void stream_said(line_map *map, size_t off, const char *what, const std::string &rest = "")
{
	if (!map)
		return;
	std::string &s = map->at(off);
	s = s.empty() ? std::string(what) + rest : "multi";
}

void run_od_many(const char *buf, size_t len, agg &a)
{
	static ondemand::parser parser;
	ondemand::document_stream stream;
	line_map *map = check_mode ? new line_map(buf, len) : nullptr;
	bool saved = check_mode;
	check_mode = false; // verdicts go through the line map
	if (parser.iterate_many(buf, len, BATCH).get(stream))
		die("iterate_many", "refused the input");
	for (auto it = stream.begin(); it != stream.end(); ++it) {
		auto doc = *it;
		size_t off = it.current_index();
		if (doc.error()) {
			a.rejected++;
			stream_said(map, off, "rej ", error_message(doc.error()));
			continue;
		}
		ondemand::document_reference ref = doc.value_unsafe();
		if (!map) {
			if (!od_fields(ref, a))
				a.rejected++;
			continue;
		}
		ondemand::object obj;
		if (ref.get_object().get(obj)) {
			a.rejected++;
			stream_said(map, off, "rej not an object");
			continue;
		}
		std::string st = od_text(obj.find_field_unordered("status"));
		std::string by = od_text(obj.find_field_unordered("bytes"));
		a.records++;
		stream_said(map, off, "ok ", st + " " + by);
	}
	if (stream.truncated_bytes())
		fprintf(stderr, "shim_bench: iterate_many left %zu bytes unread\n", stream.truncated_bytes());
	check_mode = saved;
	if (map)
		map->print(buf);
}

void run_dom_many(const char *buf, size_t len, agg &a)
{
	static dom::parser parser;
	dom::document_stream stream;
	line_map *map = check_mode ? new line_map(buf, len) : nullptr;
	if (parser.parse_many(buf, len, BATCH).get(stream))
		die("parse_many", "refused the input");
	for (auto it = stream.begin(); it != stream.end(); ++it) {
		auto doc = *it;
		size_t off = it.current_index();
		dom::object obj;
		if (doc.error()) {
			a.rejected++;
			stream_said(map, off, "rej ", error_message(doc.error()));
			continue;
		}
		if (doc.get_object().get(obj)) {
			a.rejected++;
			stream_said(map, off, "rej not an object");
			continue;
		}
		dom::element st, by;
		int64_t status = 0, bytes = 0;
		bool st_ok = !obj["status"].get(st) && !st.get_int64().get(status);
		bool by_ok = !obj["bytes"].get(by) && !by.get_int64().get(bytes);
		if (!map) {
			add(a, st_ok, status, by_ok, bytes);
			continue;
		}
		a.records++;
		stream_said(map, off, "ok ", (obj["status"].error() ? "-" : dom_text(st)) + " " +
					     (obj["bytes"].error() ? "-" : dom_text(by)));
	}
	if (map)
		map->print(buf);
}

void run_lines(const char *buf, size_t len, agg &a)
{
	each_line(buf, len, [&](const char *, size_t, bool) { a.records++; });
}

void run_shim_check(const char *buf, size_t len, agg &a, bool lazy)
{
	static const char *const paths[] = { "status", "bytes" };
	each_line(buf, len, [&](const char *p, size_t n, bool padded) {
		std::string copy;
		if (!padded) {
			copy.assign(p, n);
			copy.resize(n + SJ_PADDING);
			p = copy.data();
		}
		struct span v[2];
		if ((lazy ? sj_fields_lazy : sj_fields)(p, n, paths, 2, v) < 0)
			return reject(a);
		a.records++;
		std::string st = v[0].p ? std::string(v[0].p, v[0].n) : "-";
		std::string by = v[1].p ? std::string(v[1].p, v[1].n) : "-";
		verdict(st.c_str(), by.c_str());
	});
}

// One piece of input: whole lines, buf[len] on readable.
bool run(const std::string &v, const char *buf, size_t len, agg &a)
{
	if (v == "lines")
		run_lines(buf, len, a);
	else if (v == "stage1")
		run_od(buf, len, a, false);
	else if (v == "dom")
		run_dom(buf, len, a, false);
	else if (v == "dom-copy")
		run_dom(buf, len, a, true);
	else if (v == "od")
		run_od(buf, len, a, true);
	else if (v == "dom-many")
		run_dom_many(buf, len, a);
	else if (v == "od-many")
		run_od_many(buf, len, a);
	else if ((v == "shim" || v == "shim-lazy") && check_mode)
		run_shim_check(buf, len, a, v == "shim-lazy");
	else if (v == "shim" || v == "shim-lazy")
		shim_loop(buf, len, pad_end, v == "shim-lazy", &a);
	else
		return false;
	return true;
}

// The whole file mapped over a reservation a page longer, so that the
// streams (which need padding after all their input) may read past its
// end: zeros, never a fault.  The per-line variants ignore that and copy
// a line that ends near the end of the file.
void run_mmap(const std::string &v, int fd, size_t len, agg &a, double *t1, double *c1)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span_len = (len + SIMDJSON_PADDING + page - 1) / page * page;
	char *res = (char *)mmap(nullptr, span_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		die("mmap", strerror(errno));
	if (len && mmap(res, len, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED)
		die("mmap", strerror(errno));
	*t1 = now();
	*c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	if (!run(v, res, len, a))
		die(v.c_str(), "unknown variant");
}

// read() into one buffer of READ_BUF bytes with SIMDJSON_PADDING to
// spare, as an engine's buffer pool would be allocated: every line has
// padding after it, nothing is copied but the partial line carried from
// one read to the next.
void run_read(const std::string &v, int fd, agg &a)
{
	constexpr size_t READ_BUF = 4 << 20;
	static char buf[READ_BUF + SIMDJSON_PADDING];
	size_t have = 0;
	pad_end = true;
	for (;;) {
		ssize_t got = read(fd, buf + have, READ_BUF - have);
		if (got < 0)
			die("read", strerror(errno));
		have += (size_t)got;
		const char *nl = got ? (const char *)memrchr(buf, '\n', have) : buf + have - 1;
		if (have && !nl) {
			if (have == READ_BUF)
				die("read", "a line longer than the buffer");
			continue;
		}
		size_t whole = have ? (size_t)(nl - buf) + 1 : 0;
		if (whole && !run(v, buf, whole, a))
			die(v.c_str(), "unknown variant");
		memmove(buf, buf + whole, have - whole);
		have -= whole;
		if (!got)
			break;
	}
}

} // namespace

int main(int argc, char **argv)
{
	int i = 1;
	bool use_read = false;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--check"))
			check_mode = true;
		else if (!strcmp(argv[i], "--io=read"))
			use_read = true;
		else if (strcmp(argv[i], "--io=mmap"))
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: shim_bench [--check] [--io=mmap|read] VARIANT FILE\n");
		return 2;
	}
	std::string variant = argv[i];
	const char *path = argv[i + 1];
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die(path, strerror(errno));
	size_t len = (size_t)st.st_size;
	static agg a;
	double t0 = now(), t1 = t0, c1 = now(CLOCK_PROCESS_CPUTIME_ID);
	if (use_read && !check_mode)
		run_read(variant, fd, a);
	else
		run_mmap(variant, fd, len, a, &t1, &c1);
	double t2 = now(), c2 = now(CLOCK_PROCESS_CPUTIME_ID);

	if (!check_mode) {
		puts("status count sum(bytes)");
		for (int g = 0; g <= AGG_OTHER; g++)
			if (a.count[g]) {
				if (g == AGG_OTHER)
					printf("other %llu %lld\n", a.count[g], a.sum[g]);
				else
					printf("%d %llu %lld\n", g, a.count[g], a.sum[g]);
			}
	}
	fprintf(stderr,
		"shim_bench: %s (%s, %s): %zu bytes, map %.3f s, parse %.3f s = %.2f GB/s, CPU %.3f s = %.2f GB/s; "
		"%llu records, %llu rejected, %llu bytes not integers, %llu lines copied\n",
		variant.c_str(), sj_implementation(), use_read ? "read" : "mmap", len, t1 - t0, t2 - t1,
		(double)len / (t2 - t1) / 1e9, c2 - c1, (double)len / (c2 - c1) / 1e9, a.records, a.rejected,
		a.notnum, a.copies);
	return 0;
}
