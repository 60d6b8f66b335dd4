# SPDX-License-Identifier: MIT
# common.sh - sourced by the bench scripts: where things are, the generated
# log every script reads, and numbers read back from hyperfine's CSV.
# BENCH_DATA, BENCH_SIZE and BENCH_OUT move the inputs, their size and the
# results elsewhere.
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
RINGFLOW=${RINGFLOW:-$TOP/ringflow}
LOGGEN=${LOGGEN:-$TOP/ringflow-loggen}
DATA=${BENCH_DATA:-$HERE/data}
SIZE=${BENCH_SIZE:-1600M}
OUT=${BENCH_OUT:-$HERE/results}
# shellcheck disable=SC2034 # used by the scripts that source this
HOST=$(hostname -s 2>/dev/null || echo host)
export LC_ALL=C

# need TOOL...: stop with a message when one is missing
need() {
	for tool in "$@"; do
		command -v "$tool" > /dev/null || { echo "bench: $tool not found" >&2; exit 2; }
	done
}
need "$RINGFLOW" "$LOGGEN"
mkdir -p "$DATA" "$OUT"
LOG=$DATA/access-$SIZE.log
if [ ! -s "$LOG" ]; then
	echo "bench: generating $LOG ($SIZE, seed 42)"
	"$LOGGEN" --size "$SIZE" --seed 42 > "$LOG.tmp" && mv "$LOG.tmp" "$LOG"
fi

# stats_of CSV PREFIX: "median user system" in seconds of the first row
# whose command starts with PREFIX.  The command may hold commas; the seven
# numbers after it (mean stddev median user system min max) never do.
stats_of() {
	awk -F, -v want="$2" 'NR > 1 { c = $0; sub(/^"/, "", c) }
		NR > 1 && index(c, want) == 1 { printf "%.3f %.3f %.3f", $(NF - 4), $(NF - 3), $(NF - 2); exit }' "$1"
}
median_of() { stats_of "$1" "$2" | cut -d' ' -f1; }
# ratio A B [DIGITS]: A / B
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b > 0) printf "%.*f", d, a / b; else printf "?" }'; }

# machine_lines: the report's first lines, the CPU and the generated input
machine_lines() {
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
	echo "- Input: \`ringflow-loggen --size $SIZE --seed 42\` ($(wc -c < "$LOG") bytes, $(wc -l < "$LOG") lines), page cache warm"
}
# exported_tables NAME...: hyperfine's markdown tables, paths shortened
exported_tables() {
	for f in "$@"; do
		echo
		echo "### $f"
		echo
		sed "s|$DATA/||g; s|$RINGFLOW|ringflow|g" "$OUT/$f.md"
	done
}
