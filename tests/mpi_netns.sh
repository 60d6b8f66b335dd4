#!/bin/sh
# SPDX-License-Identifier: MIT
# mpi_netns.sh - ringflow-mpi across three "hosts" on this machine (issue
# 20): each host is a network namespace with its own address, hostname and
# link to a bridge; Open MPI starts its daemons in them through its rsh
# launcher, whose agent here is a script that enters the host's namespace
# instead of logging in over ssh (no sshd, no keys: the same launch path,
# minus the login).  The ranks' data goes over Open MPI's TCP BTL alone
# (btl tcp,self, pml ob1, restricted to the test's subnet), and the bytes
# counted on each host's link show it went over the veths.  Checks: a
# group-by over a generated log gives the bytes of one serial run; a rank
# killed on one host fails the run loudly, naming that host, with nothing
# printed and no process left behind on any host.
#
# Nothing is made in this machine's own namespace: every link is created
# inside the test's namespaces, which are removed (their processes killed
# first) whatever way the test ends.
. "${SRCDIR:-.}/tests/lib.sh"

if [ ! -x "${RINGFLOW_MPI:-}" ]; then
	echo "ringflow-mpi not built (no Open MPI at configure time: libopenmpi-dev): skipped"
	exit 77
fi
for tool in mpirun ip unshare timeout; do
	if ! command -v $tool > /dev/null 2>&1; then
		echo "$tool not found (openmpi-bin, iproute2, util-linux, coreutils): skipped"
		exit 77
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN: skipped"
	exit 77
fi
if [ "${SANITIZED:-}" = yes ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi

# namespaces: NSsw holds the bridge, NSh1..3 are the hosts rfh1..3; those
# of an earlier run that was killed outright (no trap ran) go first
NS=ringflow-test-$$-
for ns in /run/netns/ringflow-test-*; do
	pid=${ns#/run/netns/ringflow-test-}
	pid=${pid%%-*}
	if [ ! -e "$ns" ] || kill -0 "$pid" 2> /dev/null; then
		continue
	fi
	# shellcheck disable=SC2046 # one pid a word
	kill -KILL $(ip netns pids "${ns##*/}" 2> /dev/null) 2> /dev/null
	ip netns del "${ns##*/}" 2> /dev/null
done
HOSTS="1 2 3"
NET=10.231.0
cleanup() {
	for ns in ${NS}h1 ${NS}h2 ${NS}h3 ${NS}sw; do
		[ -e "/run/netns/$ns" ] || continue
		# shellcheck disable=SC2046 # one pid a word
		kill -KILL $(ip netns pids "$ns" 2> /dev/null) 2> /dev/null
		ip netns del "$ns" 2> /dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! ip netns add ${NS}sw 2> "$T/err"; then
	echo "cannot make a network namespace here: $(head -c 300 "$T/err"): skipped"
	exit 77
fi
if ! ip -n ${NS}sw link add br0 type bridge 2> "$T/err"; then
	echo "cannot make a bridge here: $(head -c 300 "$T/err"): skipped"
	exit 77
fi
ip -n ${NS}sw link set br0 up || exit 99
for h in $HOSTS; do
	# the veth is made with each end already in its namespace: it never
	# appears among this machine's own interfaces
	ip netns add "${NS}h$h" || exit 99
	if ! ip link add eth0 netns "${NS}h$h" type veth peer name "v$h" netns ${NS}sw 2> "$T/err"; then
		echo "cannot make a veth pair here: $(head -c 300 "$T/err"): skipped"
		exit 77
	fi
	ip -n ${NS}sw link set "v$h" master br0 up &&
		ip -n "${NS}h$h" link set lo up &&
		ip -n "${NS}h$h" addr add "$NET.$h/24" dev eth0 &&
		ip -n "${NS}h$h" link set eth0 up || exit 99
done

# Open MPI's rsh agent: called as AGENT HOST COMMAND..., it runs the
# command (a shell command line, as ssh would pass it) in the host's
# namespace, under the host's own hostname
cat > "$T/agent" << EOF
#!/bin/sh
h=\$1
shift
exec ip netns exec ${NS}h\${h#rfh} unshare --uts sh -c 'hostname "\$0" && exec sh -c "\$*"' "\$h" "\$@"
EOF
chmod +x "$T/agent"

# on_host H COMMAND...: COMMAND on host rfhH (under a time limit: a hang fails)
on_host() {
	h=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout -k 5 60 ip netns exec "${NS}h$h" unshare --uts sh -c 'hostname "$0" && exec "$@"' "rfh$h" "$@"
}
# (odls_base_sigkill_timeout: after a rank dies, the others are killed at
# once, not after the grace of seconds a real job gets to clean up)
MPIRUN="mpirun --allow-run-as-root --mca plm rsh --mca plm_rsh_agent $T/agent --mca pml ob1
	--mca btl tcp,self --mca btl_tcp_if_include $NET.0/24 --mca oob_tcp_if_include $NET.0/24
	--mca odls_base_sigkill_timeout 0"

# sent H: the bytes host rfhH has sent on its link so far
sent() {
	ip netns exec "${NS}h$1" cat /sys/class/net/eth0/statistics/tx_bytes
}

"$LOGGEN" --size 2M --seed 7 > "$T/log" || exit 99

# 3 hosts x 2 ranks: ranks 0,1 on rfh1, 2,3 on rfh2, 4,5 on rfh3.  The
# tree: 1, 3 and 5 send to 0, 2 and 4 on their own host; then 2 (the
# middle third of the log) and 4 (the last third) send over the network.
printf 'rfh1 slots=2\nrfh2 slots=2\nrfh3 slots=2\n' > "$T/hosts"
q='parse combined | count, sum(bytes), p50(bytes), distinct(ip) by path'
"$RINGFLOW" --mode=serial "$q" "$T/log" > "$T/want" 2> /dev/null
s2=$(sent 2) s3=$(sent 3)
# shellcheck disable=SC2086 # MPIRUN is meant to split
on_host 1 $MPIRUN --hostfile "$T/hosts" -np 6 "$RINGFLOW_MPI" "$q" "$T/log" > "$T/got" 2> "$T/err"
status=$?
check_status "3 hosts x 2 ranks" $status 0
[ $status -eq 0 ] || head -c 1000 "$T/err" >&2
check_same "3 hosts x 2 ranks: the serial run's bytes" "$T/got" "$T/want"
# the states went over the veths: each of rfh2 and rfh3 sent at least its
# third's group keys (the distinct paths, as awk counts them: a state holds
# each key's text).  Open MPI's own start-up messages are ~4 KB a host, a
# third's keys ~18 KB.
(cd "$T" && split -n l/3 log third.) || exit 99
keys() {
	awk '!seen[$7]++ { n += length($7) } END { print n }' "$1"
}
k2=$(keys "$T/third.ab") k3=$(keys "$T/third.ac")
d2=$(($(sent 2) - s2)) d3=$(($(sent 3) - s3))
echo "sent on their links: rfh2 $d2 bytes (its keys $k2), rfh3 $d3 bytes (its keys $k3)"
check_eq "rfh2 sent its state on its link ($d2 bytes, its keys $k2)" "$([ "$d2" -ge "$k2" ] && echo yes)" yes
check_eq "rfh3 sent its state on its link ($d3 bytes, its keys $k3)" "$([ "$d3" -ge "$k3" ] && echo yes)" yes

# 2 hosts x 1 rank; rfh3's rank is killed while it works on its share (it
# sleeps a minute in its first stage, its input open, so it is surely
# running): the run fails, mpirun names the host, nothing is printed
printf 'rfh1 slots=1\nrfh3 slots=1\n' > "$T/hosts"
# shellcheck disable=SC2016,SC2086 # expanded by the ranks' shell; MPIRUN splits
on_host 1 $MPIRUN --hostfile "$T/hosts" -np 2 sh -c \
	'[ "$(hostname)" = rfh3 ] && RINGFLOW_TEST_SLOW_STAGE=0:60000000 && export RINGFLOW_TEST_SLOW_STAGE; exec "$0" "$@"' \
	"$RINGFLOW_MPI" --io=read "$q" "$T/log" > "$T/got" 2> "$T/err" &
job=$!
# the input as the kernel names it in /proc (TMPDIR may be a link)
input=$(readlink -f "$T/log")
victim=
tries=0
while [ -z "$victim" ] && [ $tries -lt 300 ] && kill -0 $job 2> /dev/null; do
	for p in $(ip netns pids "${NS}h3"); do
		[ "$(cat "/proc/$p/comm" 2> /dev/null)" = ringflow-mpi ] || continue
		# its input open or mapped (ringflow-mpi maps its share): past
		# MPI_Init, in its first stage's sleep
		for fd in /proc/"$p"/fd/*; do
			[ "$(readlink "$fd")" = "$input" ] && victim=$p
		done
		grep -q -F -e " $input" "/proc/$p/maps" 2> /dev/null && victim=$p
	done
	[ -n "$victim" ] || sleep 0.1
	tries=$((tries + 1))
done
check_eq "rfh3's rank found at work" "$([ -n "$victim" ] && echo yes)" yes
[ -n "$victim" ] && kill -KILL "$victim"
wait $job
status=$?
check_eq "a rank killed on rfh3: the run fails" "$([ $status -ne 0 ] && [ $status -ne 124 ] && echo yes)" yes
check_eq "a rank killed on rfh3: nothing printed" "$(wc -c < "$T/got")" 0
check_grep "a rank killed on rfh3: the host named" "$T/err" "on node rfh3"
check_grep "a rank killed on rfh3: the signal named" "$T/err" "signal 9"
# the daemons may still be on their way out for a moment
tries=0
while :; do
	left=
	for h in $HOSTS; do
		left="$left$(ip netns pids "${NS}h$h")"
	done
	[ -z "$left" ] || [ $tries -ge 50 ] && break
	sleep 0.1
	tries=$((tries + 1))
done
check_eq "a rank killed on rfh3: no process left on any host" "$left" ""

finish
