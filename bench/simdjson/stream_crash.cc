/* SPDX-License-Identifier: MIT */
// stream_crash.cc - the smallest input found on which simdjson 3.0.1's
// On-Demand document stream (iterate_many) crashes: a form feed between
// two fields (not JSON whitespace) makes a lookup fail inside the second
// document, and moving on to the third dereferences a null pointer.
// bench/simdjson.sh builds and runs it: exit 0 means no crash.
#include <simdjson.h>
#include <stdio.h>

using namespace simdjson;

int main()
{
	auto json = "{\"a\":1}\n{\"status\":200,\f\"bytes\":5}\n{\"a\":1}\n"_padded;
	ondemand::parser parser;
	ondemand::document_stream stream;
	if (parser.iterate_many(json).get(stream))
		return 1;
	int docs = 0;
	for (auto it = stream.begin(); it != stream.end(); ++it) {
		auto doc = *it;
		ondemand::object obj;
		int64_t v;
		docs++;
		if (doc.error() || doc.get_object().get(obj))
			continue;
		// the results do not matter, only that the lookups ran
		error_code e = obj.find_field_unordered("status").get_int64().get(v);
		e = obj.find_field_unordered("bytes").get_int64().get(v);
		(void)e;
	}
	printf("%d documents, no crash\n", docs);
	return 0;
}
