# SPDX-License-Identifier: MIT
# mpilib.sh - sourced by the ringflow-mpi tests after lib.sh: skips (exit
# 77) where ringflow-mpi was not built or mpirun is missing or cannot start
# a job here, and sets MPIRUN.
if [ ! -x "${RINGFLOW_MPI:-}" ]; then
	echo "ringflow-mpi not built (no Open MPI at configure time: libopenmpi-dev): skipped"
	exit 77
fi
if ! command -v mpirun > /dev/null 2>&1; then
	echo "mpirun not found (openmpi-bin): skipped"
	exit 77
fi
# under the sanitizers, Open MPI's own allocations still held at exit are
# not ringflow's leaks: the other checks stay on
if [ "${SANITIZED:-}" = yes ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi
# root here; more ranks than cores; no network interfaces needed but loopback
MPIRUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader"
$MPIRUN -np 1 true > "$T/err" 2>&1 || {
	echo "mpirun cannot start a job here: $(head -c 300 "$T/err"): skipped"
	exit 77
}
