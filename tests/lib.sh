# SPDX-License-Identifier: MIT
# lib.sh - helpers for the shell end-to-end tests (sourced).
# Exit codes follow the automake driver: 0 pass, 1 fail, 77 skip, 99 hard error.

: "${RINGFLOW:?RINGFLOW must point at the ringflow binary (make check sets it)}"
: "${LOGGEN:?LOGGEN must point at ringflow-loggen}"
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/rf-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
failures=0
checks=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# check_eq WHAT GOT WANT
check_eq() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		fail "$1: got '$2', want '$3'"
	fi
}

# check_same WHAT FILE_GOT FILE_WANT: byte-identical files
check_same() {
	checks=$((checks + 1))
	if ! cmp -s "$2" "$3"; then
		fail "$1: output differs ($(wc -c < "$2") vs $(wc -c < "$3") bytes)"
		cmp "$2" "$3" 2>&1 | head -2 >&2
	fi
}

# check_status WHAT STATUS WANT
check_status() {
	check_eq "$1 (exit status)" "$2" "$3"
}

# check_grep WHAT FILE PATTERN: FILE holds the fixed string PATTERN
check_grep() {
	checks=$((checks + 1))
	if ! grep -q -F -e "$3" "$2"; then
		fail "$1: '$3' not found in: $(head -c 400 "$2")"
	fi
}

# check_line WHAT FILE LINE: FILE has a line that is exactly LINE
check_line() {
	checks=$((checks + 1))
	if ! grep -q -x -F -e "$3" "$2"; then
		fail "$1: no line '$3' in: $(head -c 400 "$2")"
	fi
}

finish() {
	echo "$checks checks, $failures failures"
	[ "$failures" -eq 0 ]
	exit $?
}

# records FILE...: the oracle for count (awk counts a final unterminated line)
records() {
	total=0
	for f in "$@"; do
		n=$(awk 'END { print NR }' "$f")
		total=$((total + n))
	done
	echo "$total"
}

# signum NAME: the number of a signal (dash's kill -l does not map names)
signum() {
	case $1 in HUP) echo 1 ;; INT) echo 2 ;; KILL) echo 9 ;; TERM) echo 15 ;; *) echo 0 ;; esac
}

# py_checks: run the Python program on stdin, with tests/rftest.py at hand
# and $T and $RINGFLOW as its arguments, and add the checks and failures it
# counted (the line rftest.summary() prints) to this script's; no .pyc is
# written (the source tree may be read-only)
py_checks() {
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="${SRCDIR:-.}/tests${PYTHONPATH:+:$PYTHONPATH}" \
		python3 - "$T" "$RINGFLOW" > "$T/py.out"
	py_status=$?
	[ $py_status -eq 0 ] || fail "the Python checks stopped (status $py_status)"
	pychecks='' pyfailures=''
	read -r pychecks pyfailures < "$T/py.out"
	checks=$((checks + ${pychecks:-0}))
	failures=$((failures + ${pyfailures:-1}))
}

# vg_binary: a private copy of the ringflow binary for valgrind runs.  The
# trace tests attach uprobes to $RINGFLOW while the suite runs in parallel;
# a uprobe is an int3 written into the binary's text in the page cache, and
# valgrind, which translates the text itself, executes it as a real SIGTRAP.
# A copy is another inode, which no probe is attached to.
vg_binary() {
	if head -c 4 "$RINGFLOW" | grep -q ELF && cp "$RINGFLOW" "$T/ringflow-vg" 2> /dev/null; then
		echo "$T/ringflow-vg"
	else
		echo "$RINGFLOW"
	fi
}
