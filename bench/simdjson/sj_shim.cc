/* SPDX-License-Identifier: MIT */
// sj_shim.cc - sj_fields() over simdjson's On-Demand API: what a thin C
// shim in front of simdjson would cost the engine, and what it takes to
// give simdjson ringflow's rules (see sj_shim.h).  Benchmark code for
// bench/simdjson.sh.
//
// simdjson checks UTF-8, string termination and control characters in its
// stage 1 over the whole line; everything else (a value's syntax, depth,
// escapes) it checks only for what the caller reads.  The strict walk
// below therefore reads every value, and checks scalars' text itself so
// that NaN, Infinity and 1e400 are kept as text the way Python's json
// module and ringflow accept them (simdjson's own number parser refuses
// them).
#include <simdjson.h>
#include <string.h>
#include "sj_shim.h"

using namespace simdjson;

namespace {

constexpr int MAX_DEPTH = 64;      // ringflow's limit (Python's is about 1000)
constexpr size_t MAX_PATH = 256;   // longer key paths name no wanted field

// One parser per thread: it keeps its buffers between lines.
thread_local ondemand::parser parser;

struct walk {
	const char *const *paths;
	size_t plen[8];
	int npaths;
	const char *end; // the line's end
	struct span *out;
	bool strict;
	char path[MAX_PATH];
	size_t path_len;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259's number grammar, any length and exponent.
bool number_text(std::string_view t)
{
	size_t i = 0, n = t.size();
	if (i < n && t[i] == '-')
		i++;
	if (i == n)
		return false;
	if (t[i] == '0')
		i++;
	else if (is_digit(t[i]))
		while (i < n && is_digit(t[i]))
			i++;
	else
		return false;
	if (i < n && t[i] == '.') {
		size_t d = ++i;
		while (i < n && is_digit(t[i]))
			i++;
		if (i == d)
			return false;
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && is_digit(t[i]))
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

// A scalar token as Python's json module reads it.
bool scalar_text(std::string_view t)
{
	if (t.empty())
		return false;
	switch (t[0]) {
	case 't': return t == "true";
	case 'f': return t == "false";
	case 'n': return t == "null";
	case 'N': return t == "NaN";
	case 'I': return t == "Infinity";
	default: return t == "-Infinity" || number_text(t);
	}
}

// raw_json_token() runs up to the next structural character: drop the
// whitespace before it.
std::string_view trim(std::string_view t)
{
	size_t n = t.size();
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r' || t[n - 1] == '\n'))
		n--;
	return t.substr(0, n);
}

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The body of a string token ("..." with trailing space) when its escapes
// are well formed; *esc says whether it has any.  Stage 1 has already
// checked that it closes and holds no control characters.
bool string_body(std::string_view t, std::string_view *body, bool *esc)
{
	t = trim(t);
	if (t.size() < 2 || t.back() != '"')
		return false;
	const char *p = t.data() + 1, *end = t.data() + t.size() - 1;
	*esc = false;
	for (const char *q = p; (q = (const char *)memchr(q, '\\', (size_t)(end - q))); q++) {
		*esc = true;
		if (++q >= end || !strchr("\"\\/bfnrtu", *q))
			return false;
		if (*q == 'u') {
			if (end - q < 5 || !is_hex(q[1]) || !is_hex(q[2]) || !is_hex(q[3]) || !is_hex(q[4]))
				return false;
			q += 4;
		}
	}
	*body = std::string_view(p, (size_t)(end - p));
	return true;
}

int check_value(ondemand::value v, int depth);

// Read every value of a container, depth counted as ringflow does (the
// line's object is depth 1).
int check_object(ondemand::object obj, int depth)
{
	if (depth > MAX_DEPTH)
		return -1;
	for (auto fr : obj) {
		ondemand::field f;
		std::string_view key;
		if (std::move(fr).get(f) || f.unescaped_key().get(key) || check_value(f.value(), depth))
			return -1;
	}
	return 0;
}

int check_array(ondemand::array arr, int depth)
{
	if (depth > MAX_DEPTH)
		return -1;
	for (auto er : arr) {
		ondemand::value e;
		if (std::move(er).get(e) || check_value(e, depth))
			return -1;
	}
	return 0;
}

// A value inside a container at depth `depth`.
int check_value(ondemand::value v, int depth)
{
	ondemand::json_type type;
	if (v.type().get(type)) // N, I: not JSON, but Python's words
		return scalar_text(trim(v.raw_json_token())) ? 0 : -1;
	switch (type) {
	case ondemand::json_type::object: {
		ondemand::object obj;
		return v.get_object().get(obj) ? -1 : check_object(obj, depth + 1);
	}
	case ondemand::json_type::array: {
		ondemand::array arr;
		return v.get_array().get(arr) ? -1 : check_array(arr, depth + 1);
	}
	case ondemand::json_type::string: {
		std::string_view body;
		bool esc;
		return string_body(v.raw_json_token(), &body, &esc) ? 0 : -1;
	}
	default:
		return scalar_text(trim(v.raw_json_token())) ? 0 : -1;
	}
}

// The slot named by exactly the current path (or -1), and whether a slot
// lies under it; those slots are cleared, as a repeated key replaces all
// an earlier one gave.
int want(walk &w, bool *below)
{
	int slot = -1;
	*below = false;
	for (int i = 0; i < w.npaths; i++) {
		const char *name = w.paths[i];
		if (w.plen[i] < w.path_len || (w.path_len && name[0] != w.path[0]) ||
		    memcmp(name, w.path, w.path_len) != 0)
			continue;
		if (w.plen[i] == w.path_len)
			slot = i;
		else if (name[w.path_len] == '.')
			*below = true;
		else
			continue;
		w.out[i] = span{ nullptr, 0 };
	}
	return slot;
}

// The value of a wanted field.
int capture(walk &w, ondemand::value v, int depth, int slot)
{
	std::string_view tok = v.raw_json_token();
	ondemand::json_type type;
	if (v.type().get(type))
		type = ondemand::json_type::number; // NaN, Infinity: checked as text below
	switch (type) {
	case ondemand::json_type::string: {
		std::string_view body;
		bool esc;
		if (!string_body(tok, &body, &esc))
			return -1;
		if (esc && v.get_string().get(body))
			return -1;
		w.out[slot] = span{ body.data(), body.size() };
		return 0;
	}
	case ondemand::json_type::object:
	case ondemand::json_type::array: {
		// as its text; the strict walk reads it through first
		const char *start = tok.data();
		if (!w.strict) {
			std::string_view raw;
			if (type == ondemand::json_type::object) {
				ondemand::object o;
				if (v.get_object().get(o) || o.raw_json().get(raw))
					return -1;
			} else {
				ondemand::array a;
				if (v.get_array().get(a) || a.raw_json().get(raw))
					return -1;
			}
			w.out[slot] = span{ raw.data(), trim(raw).size() };
			return 0;
		}
		const char *end;
		if (check_value(v, depth) || v.current_location().get(end))
			return -1;
		w.out[slot] = span{ start, trim(std::string_view(start, (size_t)(end - start))).size() };
		return 0;
	}
	case ondemand::json_type::null:
		if (trim(tok) != "null")
			return -1;
		w.out[slot] = span{ nullptr, 0 };
		return 0;
	default:
		tok = trim(tok);
		if (!scalar_text(tok))
			return -1;
		w.out[slot] = span{ tok.data(), tok.size() };
		return 0;
	}
}

// A key's text: as it stands in the line when it has no escapes (the
// usual case, no copy), else unescaped by simdjson.
int key_text(walk &w, ondemand::field &f, std::string_view *key)
{
	const char *k = (const char *)f.key().raw();
	const char *q = (const char *)memchr(k, '"', (size_t)(w.end - k));
	if (q && !memchr(k, '\\', (size_t)(q - k))) {
		*key = std::string_view(k, (size_t)(q - k));
		return 0;
	}
	return f.unescaped_key().get(*key) ? -1 : 0;
}

int walk_object(walk &w, ondemand::object obj, int depth)
{
	if (depth > MAX_DEPTH)
		return -1;
	size_t base = w.path_len;
	for (auto fr : obj) {
		ondemand::field f;
		std::string_view key;
		if (std::move(fr).get(f) || key_text(w, f, &key))
			return -1;
		size_t dot = depth > 1;
		size_t need = base + dot + key.size();
		int slot = -1;
		bool below = false;
		if (need < MAX_PATH) {
			if (dot)
				w.path[base] = '.';
			memcpy(w.path + base + dot, key.data(), key.size());
			w.path_len = need;
			w.path[need] = '\0';
			slot = want(w, &below);
		}
		ondemand::value v = f.value();
		ondemand::json_type type;
		int rc = 0;
		if (below && !v.type().get(type) && type == ondemand::json_type::object && slot < 0) {
			ondemand::object sub;
			rc = v.get_object().get(sub) ? -1 : walk_object(w, sub, depth + 1);
		} else if (slot >= 0) {
			// (a path wanted both as an object's text and inside it
			// gets the text only: enough for a benchmark)
			rc = capture(w, v, depth, slot);
		} else if (w.strict) {
			rc = check_value(v, depth);
		}
		if (rc)
			return -1;
		w.path_len = base;
	}
	return 0;
}

int fields(const char *p, size_t n, const char *const *paths, int npaths, struct span *out, bool strict)
{
	walk w;
	if (npaths > (int)(sizeof(w.plen) / sizeof(w.plen[0])))
		return -1;
	w.paths = paths;
	w.npaths = npaths;
	w.end = p + n;
	for (int i = 0; i < npaths; i++)
		w.plen[i] = strlen(paths[i]);
	w.out = out;
	w.strict = strict;
	w.path_len = 0;
	for (int i = 0; i < npaths; i++)
		out[i] = span{ nullptr, 0 };
	ondemand::document doc;
	ondemand::object obj;
	if (parser.iterate(p, n, n + SIMDJSON_PADDING).get(doc) || doc.get_object().get(obj))
		return -1;
	if (walk_object(w, obj, 1))
		return -1;
	// nothing after the object (the lazy walk may not have reached its
	// end: only the strict one can say); at the end the location is out
	// of bounds
	const char *loc;
	return strict && doc.current_location().get(loc) != OUT_OF_BOUNDS ? -1 : 0;
}

} // namespace

static_assert(SJ_PADDING == SIMDJSON_PADDING, "sj_shim.h's padding is simdjson's");

extern "C" int sj_fields(const char *p, size_t n, const char *const *paths, int npaths, struct span *out)
{
	return fields(p, n, paths, npaths, out, true);
}

extern "C" int sj_fields_lazy(const char *p, size_t n, const char *const *paths, int npaths, struct span *out)
{
	return fields(p, n, paths, npaths, out, false);
}

extern "C" const char *sj_implementation(void)
{
	return get_active_implementation()->name().c_str();
}
