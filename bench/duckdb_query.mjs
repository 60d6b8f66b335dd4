// SPDX-License-Identifier: MIT
// duckdb_query.mjs - run one SQL statement in DuckDB (the npm package
// @duckdb/node-api, installed in bench/node_modules by bench/parsers.sh) and
// print its result as tab-separated rows under a header line, so the
// benchmark can compare DuckDB's answers with ringflow's.
//
//   node duckdb_query.mjs [--threads N] SQL
//   node duckdb_query.mjs --version
//
// --threads sets DuckDB's worker threads (SET threads=N; default 2, the
// cores the benchmark compares on).  Exits 2 on a bad argument or a failed
// query, with DuckDB's message.
import { DuckDBInstance, version } from '@duckdb/node-api';

function usage() {
	process.stderr.write('usage: node duckdb_query.mjs [--threads N] SQL | --version\n');
	process.exit(2);
}

let threads = 2;
let sql = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	if (a === '--version') {
		console.log(version());
		process.exit(0);
	} else if (a === '--threads' && i + 1 < args.length) {
		threads = Number(args[++i]);
	} else if (a.startsWith('--threads=')) {
		threads = Number(a.slice('--threads='.length));
	} else if (sql === null) {
		sql = a;
	} else {
		usage();
	}
}
if (sql === null || !Number.isInteger(threads) || threads < 1)
	usage();

// a value as text: NULL as \N (ringflow's table output), numbers in their
// shortest round-trip form, everything else through DuckDB's own toString
function cell(v) {
	if (v === null || v === undefined)
		return '\\N';
	return String(v);
}

try {
	const instance = await DuckDBInstance.create(':memory:');
	const connection = await instance.connect();
	await connection.run(`SET threads=${threads}`);
	const reader = await connection.runAndReadAll(sql);
	const lines = [reader.columnNames().join('\t')];
	for (const row of reader.getRows())
		lines.push(row.map(cell).join('\t'));
	process.stdout.write(lines.join('\n') + '\n');
	connection.closeSync();
	instance.closeSync();
} catch (e) {
	process.stderr.write(`duckdb_query: ${e.message}\n`);
	process.exit(2);
}
