#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/compressed.sh - compressed input (issue 14): `split | count by $9`
# over the generated log compressed with gzip -6 and zstd -3, against the
# pipes a user would write today, all in one hyperfine run, page cache warm:
#
#   ringflow Q big.gz              igzip -dc big.gz | ringflow Q
#                                  zcat big.gz | mawk ...
#   ringflow Q big.zst             zstd -dc big.zst | ringflow Q
#                                  zstd -dc big.zst | mawk ...
#   ringflow Q gen*.gz             taskset -c 0 ringflow Q gen*.gz   (one core)
#   ringflow Q gen*.zst            taskset -c 0 ringflow Q gen*.zst
#   ringflow Q big.log             (the plain log, for reference)
#
# gen*.gz are 14 rotated generations: the log cut into 14 parts on line
# boundaries, each compressed alone.  The compressed inputs are made once
# and kept in bench/data/compressed-<size>/ (BENCH_GZIP and BENCH_ZSTD name
# the compressors; by default gzip -6, as the issue says (pigz -6 also writes one member, but with an empty stored block every 128 KiB),
# and zstd -3 -T2, one frame).  Before timing, every command's output is
# checked against ringflow's over the plain log, and mawk's counts against
# ringflow's.
#
#   bench/compressed.sh           writes bench/results/compressed-<host>.md
#   bench/compressed.sh --quick   a smoke run over a 100 MB log (BENCH_SIZE),
#                                 results in bench/data/quick/ (BENCH_OUT)
#   BENCH_FORMATS=gz bench/compressed.sh   only the .gz half (default "gz zst")
set -eu
QUICK=
case ${1:-} in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: bench/compressed.sh [--quick]" >&2; exit 2 ;;
esac
if [ -n "$QUICK" ]; then
	BENCH_SIZE=${BENCH_SIZE:-100M}
	BENCH_OUT=${BENCH_OUT:-${BENCH_DATA:-$(cd "$(dirname "$0")" && pwd)/data}/quick}
	export BENCH_SIZE BENCH_OUT
	RUNS=${BENCH_RUNS:-2}
	WARMUP=0
else
	RUNS=${BENCH_RUNS:-3}
	WARMUP=1
fi
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
GZ_TOOL=${BENCH_GZIP:-gzip -6}
ZST_TOOL=${BENCH_ZSTD:-zstd -q -3 -T2}
need hyperfine mawk igzip zcat zstd taskset split "${GZ_TOOL%% *}" "${ZST_TOOL%% *}"
GENS=14
FORMATS=${BENCH_FORMATS:-gz zst}
for f in $FORMATS; do
	case $f in gz | zst) ;; *) echo "bench: BENCH_FORMATS: gz and zst, not $f" >&2; exit 2 ;; esac
done
# the decompressor of each format in the pipes: to ringflow, to mawk
pipe_rf() { case $1 in gz) echo "igzip -dc" ;; zst) echo "zstd -dc" ;; esac; }
pipe_awk() { case $1 in gz) echo "zcat" ;; zst) echo "zstd -dc" ;; esac; }
# shellcheck disable=SC2016 # ringflow's and mawk's $9
Q='split | count by $9'
# shellcheck disable=SC2016
MAWKP='{ c[$9]++ } END { for (k in c) printf "%s\t%d\n", k, c[k] }'
REPORT=$OUT/compressed-$HOST.md
[ -n "$QUICK" ] && REPORT=$OUT/compressed-quick-$HOST.md

# ---- the inputs, made once (a stamp names the compressors they came from) ----
Z=$DATA/compressed-$SIZE
STAMP="$GZ_TOOL / $ZST_TOOL / $GENS generations of $(wc -c < "$LOG") bytes"
if [ "$(cat "$Z/stamp" 2> /dev/null)" != "$STAMP" ]; then
	echo "bench: compressing $LOG into $Z ($GZ_TOOL, $ZST_TOOL)"
	rm -rf "$Z"
	mkdir -p "$Z/parts"
	# shellcheck disable=SC2086 # the tools' words
	$GZ_TOOL -c < "$LOG" > "$Z/big.gz"
	# shellcheck disable=SC2086
	$ZST_TOOL -c < "$LOG" > "$Z/big.zst"
	split -n l/$GENS -d -a 2 "$LOG" "$Z/parts/gen"
	for p in "$Z"/parts/gen*; do
		# shellcheck disable=SC2086
		$GZ_TOOL -c < "$p" > "$Z/${p##*/}.gz"
		# shellcheck disable=SC2086
		$ZST_TOOL -c < "$p" > "$Z/${p##*/}.zst"
		rm "$p"
	done
	rmdir "$Z/parts"
	echo "$STAMP" > "$Z/stamp"
fi
GZ=$Z/big.gz
ZST=$Z/big.zst
# the generations in order, as a shell would list them
GENGZ=$(printf '%s ' "$Z"/gen*.gz)
GENZST=$(printf '%s ' "$Z"/gen*.zst)
gens() { case $1 in gz) echo "$GENGZ" ;; zst) echo "$GENZST" ;; esac; }
if [ "$(ls "$Z"/gen*.gz | wc -l)" != $GENS ] || [ "$(ls "$Z"/gen*.zst | wc -l)" != $GENS ]; then
	echo "bench: $Z lacks generations: remove it and run again" >&2
	exit 2
fi

# ---- the same answers before any timing ----
cat "$LOG" "$Z"/* > /dev/null
"$RINGFLOW" "$Q" "$LOG" > "$DATA/compressed-want.txt"
# same_as WHAT COMMAND: COMMAND prints what ringflow prints over the plain log
same_as() {
	sh -c "$2" > "$DATA/compressed-got.txt" ||
		{ echo "bench: $1 failed ($2)" >&2; exit 2; }
	cmp -s "$DATA/compressed-got.txt" "$DATA/compressed-want.txt" ||
		{ echo "bench: $1 gives another answer than ringflow over the plain log ($2)" >&2; exit 2; }
}
for f in $FORMATS; do
	same_as "ringflow over big.$f" "$RINGFLOW '$Q' $Z/big.$f"
	same_as "$(pipe_rf $f) | ringflow" "$(pipe_rf $f) $Z/big.$f | $RINGFLOW '$Q'"
	same_as "ringflow over the .$f generations" "$RINGFLOW '$Q' $(gens $f)"
done
# mawk counts the same: ringflow's TSV less its header, both sorted
"$RINGFLOW" --format=tsv "$Q" "$LOG" | tail -n +2 | sort > "$DATA/compressed-want.txt"
for f in $FORMATS; do
	sh -c "$(pipe_awk $f) $Z/big.$f | mawk '$MAWKP'" | sort > "$DATA/compressed-got.txt"
	cmp -s "$DATA/compressed-got.txt" "$DATA/compressed-want.txt" ||
		{ echo "bench: $(pipe_awk $f) | mawk counts differ from ringflow's" >&2; exit 2; }
done
rm -f "$DATA/compressed-got.txt" "$DATA/compressed-want.txt"

# ---- one hyperfine run: name, command ----
set --
for f in $FORMATS; do
	set -- "$@" \
		-n "ringflow .$f" "$RINGFLOW '$Q' $Z/big.$f" \
		-n "$(pipe_rf $f) | ringflow" "$(pipe_rf $f) $Z/big.$f | $RINGFLOW '$Q'" \
		-n "$(pipe_awk $f) | mawk" "$(pipe_awk $f) $Z/big.$f | mawk '$MAWKP'" \
		-n "ringflow 14 .$f, 2 cores" "$RINGFLOW '$Q' $(gens $f)" \
		-n "ringflow 14 .$f, 1 core" "taskset -c 0 $RINGFLOW '$Q' $(gens $f)"
done
set -- "$@" -n "ringflow plain" "$RINGFLOW '$Q' $LOG"
NAME=compressed
[ -n "$QUICK" ] && NAME=compressed-quick
cat "$LOG" "$Z"/* > /dev/null
hyperfine --style basic --output=pipe -w $WARMUP -r "$RUNS" --export-csv "$OUT/$NAME.csv" \
	--export-markdown "$OUT/$NAME.md" "$@" > /dev/null

med() { median_of "$OUT/$NAME.csv" "$1"; }
# row WHAT A B TARGET OP: the ratio A / B of two medians, its target and
# whether it is met (OP: le or ge; TARGET -: none)
row() {
	r=$(ratio "$2" "$3")
	if [ "$4" = - ]; then
		echo "| $1 | $2 s / $3 s | ${r}x | | |"
		return
	fi
	met=$(awk -v r="$r" -v t="$4" -v op="$5" 'BEGIN { if (r == "?") print "?"
		else print ((op == "le" ? r <= t : r >= t) ? "met" : "MISSED") }')
	echo "| $1 | $2 s / $3 s | ${r}x | $([ "$5" = le ] && echo "<=" || echo ">=") ${4}x | $met |"
}
{
	echo "# ringflow over compressed input"
	echo
	echo "Generated by \`bench/compressed.sh${QUICK:+ --quick}\` on $(date -u +%Y-%m-%d)."
	echo
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
	echo "- Input: \`ringflow-loggen --size $SIZE --seed 42\` ($(wc -c < "$LOG") bytes); big.gz by \`$GZ_TOOL\`"
	echo "  ($(wc -c < "$GZ") bytes), big.zst by \`$ZST_TOOL\` ($(wc -c < "$ZST") bytes); $GENS generations"
	echo "  (\`split -n l/$GENS\`, each compressed alone: $(cat "$Z"/gen*.gz | wc -c) bytes .gz, $(cat "$Z"/gen*.zst | wc -c) bytes .zst)"
	echo "- Query \`$Q\`; page cache warm; $RUNS runs each, medians; every output checked first"
	echo "  against ringflow's over the plain log, mawk's counts against ringflow's"
	printf '%s\n' "- mawk program: \`$MAWKP\`"
	echo
	echo "| | medians | ratio | target | |"
	echo "|---|---|---|---|---|"
	for f in $FORMATS; do
		pr=$(pipe_rf $f) pa=$(pipe_awk $f)
		row "ringflow .$f vs $pr \\| ringflow" "$(med "ringflow .$f")" "$(med "$pr | ringflow")" 0.6 le
		row "$pa \\| mawk vs ringflow .$f" "$(med "$pa | mawk")" "$(med "ringflow .$f")" 5 ge
		row "14 .$f on 1 core vs 2 cores" "$(med "ringflow 14 .$f, 1 core")" "$(med "ringflow 14 .$f, 2 cores")" 1.8 ge
	done
	for f in $FORMATS; do
		row "ringflow .$f vs the plain log" "$(med "ringflow .$f")" "$(med "ringflow plain")" - -
	done
	echo
	echo "The rows without a target say what decoding costs over reading the plain log."
	echo
	echo "### hyperfine"
	echo
	cat "$OUT/$NAME.md"
	echo
	echo "### Commands"
	echo
	echo '```'
	shift=0
	for a in "$@"; do
		# the names and commands in pairs: "-n", name, command
		case $shift in 1) printf '%-28s ' "$a" ;; 2) printf '%s\n' "$a" ;; esac
		shift=$(((shift + 1) % 3))
	done | sed "s|$GENGZ|$Z/gen*.gz|; s|$GENZST|$Z/gen*.zst|"
	echo '```'
} > "$REPORT"
sed -n '/^| |/,/^$/p' "$REPORT"
echo "bench: wrote $REPORT"
