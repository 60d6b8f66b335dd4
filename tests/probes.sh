#!/bin/sh
# SPDX-License-Identifier: MIT
# probes.sh - the USDT probes: all there, every argument in a form libbpf
# 1.1 can read (a constant, a register, or register + offset), and - as root
# with bpftrace - firing once per batch and stage, as many times as --stats
# counts.
. "${SRCDIR:-.}/tests/lib.sh"

command -v readelf > /dev/null || { echo "skip: readelf not installed"; exit 77; }
readelf -n "$RINGFLOW" > "$T/notes"
if ! grep -q stapsdt "$T/notes"; then
	echo "skip: built without sys/sdt.h (install systemtap-sdt-dev)"
	exit 77
fi
for probe in run__start run__end stage__name stage__begin stage__end queue__wait__begin \
	queue__wait__end io__submit io__complete decode__chunk; do
	checks=$((checks + 1))
	grep -q "Name: $probe\$" "$T/notes" || fail "probe $probe missing"
done
# every argument: SIZE@%reg, SIZE@$const, SIZE@off(%reg) or SIZE@(%reg)
awk '/Provider: ringflow/ { p = 1 } /Arguments:/ && p {
	for (i = 2; i <= NF; i++)
		if ($i !~ /^-?[0-9]+@(%[a-z0-9]+|\$-?[0-9]+|-?[0-9]*\(%[a-z0-9]+\))$/) print $i
	p = 0 }' "$T/notes" > "$T/bad"
check_eq "probe arguments libbpf 1.1 can read" "$(cat "$T/bad" | tr '\n' ' ')" ""

if [ "$(id -u)" != 0 ] || ! command -v bpftrace > /dev/null; then
	echo "skip: tracing the probes needs root and bpftrace"
	finish
fi
"$LOGGEN" --size 20M --seed 12 > "$T/log"
# uprobes need tracefs; a fresh machine may not have it mounted yet
[ -e /sys/kernel/tracing/uprobe_events ] || mount -t tracefs nodev /sys/kernel/tracing 2> /dev/null
for mode in serial pipeline; do
	# ringflow waits on its pipe until bpftrace has attached to it by pid
	{ sleep 3; cat "$T/log"; } | "$RINGFLOW" --mode=$mode --stats=json 'grep GET | split | count by $9' \
		> /dev/null 2> "$T/stats" &
	sleep 0.5
	pid=$(pgrep -n -f "ringflow --mode=$mode --stats=json")
	# shellcheck disable=SC2016 # bpftrace's own @ and arg0
	timeout 30 bpftrace -q -p "$pid" -e '
		usdt:'"$RINGFLOW"':ringflow:stage__end { @ends[arg0] = count(); }
		usdt:'"$RINGFLOW"':ringflow:run__end { exit(); }' > "$T/trace" 2> "$T/bpferr"
	wait
	if ! grep -q '@ends' "$T/trace"; then
		echo "skip: bpftrace could not attach here: $(grep -v RLIMIT_MEMLOCK "$T/bpferr" | head -c 300)"
		finish
	fi
	for stage in 0 1 2; do
		traced=$(awk -v s="@ends[$stage]:" '$1 == s { print $2 }' "$T/trace")
		counted=$(sed 's/.*"stages":\[//' "$T/stats" | tr '}' '\n' | sed -n "$((stage + 1))p" |
			sed 's/.*"batches":\([0-9]*\).*/\1/')
		check_eq "$mode: stage $stage end probes = --stats batches" "$traced" "$counted"
	done
done

finish
