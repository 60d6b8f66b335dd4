#!/bin/sh
# SPDX-License-Identifier: MIT
# mpi_slurm.sh - ringflow-mpi under a real Slurm (issue 20): a one-node
# cluster on this machine (munged, slurmctld and slurmd with a key, a
# slurm.conf and every state, spool, log and pid file under $T, on free
# ports), then the recipes a user would type:
#   srun -n 2 --mpi=pmix ringflow-mpi ...      (Slurm starts the ranks, PMIx)
#   salloc -n 2 mpirun ringflow-mpi ...        (mpirun inside an allocation)
#   sbatch --wait job.sh, job.sh runs mpirun   (the same from a batch job)
# each compared byte for byte with one serial ringflow run, and --stats
# showing 2 ranks.  The daemons run in a PID namespace of their own: when
# the test ends, however it ends, killing the namespace's first process
# kills the daemons and everything they started.
. "${SRCDIR:-.}/tests/lib.sh"

if [ ! -x "${RINGFLOW_MPI:-}" ]; then
	echo "ringflow-mpi not built (no Open MPI at configure time: libopenmpi-dev): skipped"
	exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: the test's slurmd runs jobs as root (SlurmUser=root): skipped"
	exit 77
fi
for tool in slurmctld slurmd srun salloc sbatch sinfo scontrol; do
	if ! command -v $tool > /dev/null 2>&1; then
		echo "$tool not found (slurm-wlm): skipped"
		exit 77
	fi
done
for tool in munged munge unmunge; do
	if ! command -v $tool > /dev/null 2>&1; then
		echo "$tool not found (munge): skipped"
		exit 77
	fi
done
for tool in mpirun unshare timeout python3; do
	if ! command -v $tool > /dev/null 2>&1; then
		echo "$tool not found (openmpi-bin, util-linux, coreutils, python3): skipped"
		exit 77
	fi
done
if ! unshare --pid --mount-proc --fork true 2> "$T/err"; then
	echo "cannot make a PID namespace here: $(head -c 300 "$T/err"): skipped"
	exit 77
fi
if [ "${SANITIZED:-}" = yes ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi

# nothing from a Slurm job this test may itself be running in
for v in $(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
SLURM_CONF=$T/slurm.conf
export SLURM_CONF
# Open MPI as root, shared memory between the ranks (srun passes these on)
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_btl

daemons=
cleanup() {
	# unshare --kill-child: when unshare dies, the namespace's first
	# process gets SIGKILL, and the kernel kills every other process in the
	# namespace with it (unshare ignores SIGTERM while it waits)
	if [ -n "$daemons" ]; then
		kill -KILL "$daemons" 2> /dev/null
		wait "$daemons" 2> /dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# skip_log WHY: skip, with the tail of the daemons' logs
skip_log() {
	echo "$1: skipped"
	for f in "$T/munged.log" "$T/slurmctld.log" "$T/slurmd.log" "$T/init.err"; do
		[ -s "$f" ] && { echo "--- ${f##*/}"; tail -n 5 "$f"; }
	done
	exit 77
}

# two TCP ports nothing listens on (slurmctld's and slurmd's)
ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("", 0))
print(*[x.getsockname()[1] for x in s])
') || exit 99
# shellcheck disable=SC2086 # one port a word
set -- $ports
ctld_port=$1 slurmd_port=$2
node=$(hostname -s)

# munge: a fresh key; socket, pid, log and seed files of its own, so a
# munged the munge package started (/run/munge) is neither used nor disturbed
mkdir -p "$T/munge" "$T/ctld" "$T/spool" || exit 99
chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/key" bs=1024 count=1 2> /dev/null || exit 99
chmod 400 "$T/munge/key"
sock=$T/munge/socket

cat > "$T/slurm.conf" << EOF
ClusterName=ringflowtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$T/ctld
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$T/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# a small MinJobAge keeps sbatch --wait polling every 2 s (with the
# default it polls after 2 s, then 8 s later)
MinJobAge=4
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=10 State=UP
EOF
: > "$T/plugstack.conf"

# the namespace's first process: munged, then slurmctld and slurmd, each
# in the foreground of a background job; it ends (and the namespace with
# it) when either Slurm daemon does
cat > "$T/init" << EOF
#!/bin/sh
munged -F --force --socket="$sock" --key-file="$T/munge/key" --pid-file="$T/munged.pid" \
	--log-file="$T/munged.log" --seed-file="$T/munge/seed" &
i=0
until munge -S "$sock" -n < /dev/null | unmunge -S "$sock" > /dev/null 2>&1; do
	i=\$((i + 1))
	[ \$i -lt 100 ] || { echo "munged did not answer" >&2; exit 1; }
	sleep 0.1
done
slurmctld -D -c -f "$T/slurm.conf" &
ctld=\$!
slurmd -D -f "$T/slurm.conf" &
d=\$!
while kill -0 \$ctld && kill -0 \$d; do
	sleep 0.2
done 2> /dev/null
echo "a Slurm daemon stopped" >&2
EOF
chmod +x "$T/init"
unshare --pid --mount-proc --kill-child sh "$T/init" > "$T/init.out" 2> "$T/init.err" &
daemons=$!

# up: the node idle in sinfo (30 s at most)
until=$(($(date +%s) + 30)) state=
while [ "$(date +%s)" -lt $until ]; do
	kill -0 $daemons 2> /dev/null || skip_log "the Slurm daemons stopped"
	state=$(timeout 3 sinfo -h -N -o %T 2> /dev/null)
	[ "$state" = idle ] && break
	sleep 0.2
done
[ "$state" = idle ] || skip_log "the test's Slurm did not come up in 30 s (node: '$state')"
timeout 5 scontrol ping > "$T/ping" 2>&1
check_grep "scontrol ping" "$T/ping" "is UP"

"$LOGGEN" --size 2M --seed 7 > "$T/log" || exit 99
awk 'NR % 400 == 0 { print "garbage line" } { print }' "$T/log" > "$T/mixed" || exit 99
agg='parse combined | count, sum(bytes), p99(bytes) by status'
# shellcheck disable=SC2016 # a ringflow field, not a shell variable
rec='split | where $9 == "404"'
"$RINGFLOW" --mode=serial "$agg" "$T/log" "$T/mixed" > "$T/want.agg" 2> /dev/null
"$RINGFLOW" --mode=serial "$rec" "$T/log" "$T/mixed" > "$T/want.rec" || exit 99
check_eq "records: some" "$([ "$(wc -c < "$T/want.rec")" -gt 10000 ] && echo yes)" yes

# run_status WHAT STATUS: check the exit status; on a failure, show
# stderr; past its time limit, stop here (the next runs would wait too)
run_status() {
	check_status "$1" "$2" 0
	[ "$2" -eq 0 ] || head -c 1500 "$T/err" >&2
	if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
		fail "$1: still running after its time limit"
		finish
	fi
}

# a. srun starts the 2 ranks itself; MPI_Init reaches the PMIx server in
# slurmstepd (Slurm's pmix plugin loads pmix2/lib/libpmix.so, which
# libpmix-dev ships: the libpmix Open MPI's ext3x component uses)
timeout -k 5 20 srun -n 2 --mpi=pmix "$RINGFLOW_MPI" --stats "$agg" "$T/log" "$T/mixed" \
	> "$T/got" 2> "$T/err"
run_status "srun --mpi=pmix" $?
check_same "srun --mpi=pmix: the serial run's bytes" "$T/got" "$T/want.agg"
check_line "srun --mpi=pmix: --stats shows 2 ranks" "$T/err" "  ranks       2"
timeout -k 5 20 srun -n 2 --mpi=pmix "$RINGFLOW_MPI" "$rec" "$T/log" "$T/mixed" > "$T/got" 2> "$T/err"
run_status "srun --mpi=pmix, records" $?
check_same "srun --mpi=pmix, records: the serial run's bytes" "$T/got" "$T/want.rec"

# b. mpirun inside an allocation salloc made: Open MPI reads the job's
# 2 slots from Slurm (no -np, no hostfile)
timeout -k 5 20 salloc -Q -n 2 mpirun "$RINGFLOW_MPI" --stats "$agg" "$T/log" "$T/mixed" \
	> "$T/got" 2> "$T/err"
run_status "salloc mpirun" $?
check_same "salloc mpirun: the serial run's bytes" "$T/got" "$T/want.agg"
check_line "salloc mpirun: --stats shows 2 ranks" "$T/err" "  ranks       2"
# the rank count is the allocation's, not this machine's cores
"$RINGFLOW" --mode=serial count "$T/log" > "$T/want" || exit 99
timeout -k 5 20 salloc -Q -n 1 mpirun "$RINGFLOW_MPI" --stats count "$T/log" > "$T/got" 2> "$T/err"
run_status "salloc -n 1 mpirun" $?
check_same "salloc -n 1 mpirun: the serial run's bytes" "$T/got" "$T/want"
check_line "salloc -n 1 mpirun: --stats shows 1 rank" "$T/err" "  ranks       1"

# c. a batch job calling mpirun; sbatch --wait returns the job's status
cat > "$T/job.sh" << 'EOF'
#!/bin/sh
exec mpirun "$@"
EOF
timeout -k 5 30 sbatch -Q --wait -n 2 -o "$T/job.out" -e "$T/job.err" "$T/job.sh" \
	"$RINGFLOW_MPI" "$rec" "$T/log" "$T/mixed" > "$T/err" 2>&1
status=$?
cat "$T/job.err" >> "$T/err" 2> /dev/null
run_status "sbatch --wait mpirun" $status
check_same "sbatch --wait mpirun, records: the serial run's bytes" "$T/job.out" "$T/want.rec"

finish
