#!/bin/sh
# dev.sh - from a fresh Debian 12 machine to a running ringflow.
#
#   ./dev.sh demo   install the dependencies, build, and run the main job on
#                   a generated sample access log
#   ./dev.sh test   install whatever is missing, build, and run the whole
#                   test suite through make distcheck (the suite from the
#                   tarball, in a separate build tree, then installcheck:
#                   an in-tree make check before it ran the same tests), then the
#                   runs from four threads built with ThreadSanitizer, then
#                   the suite again built with ASan and UBSan
#   ./dev.sh deb    install debhelper and lintian, build the Debian packages
#                   (ringflow, libringflow0, libringflow-dev) into ./deb and
#                   check them with lintian (tools/build-deb.sh)
#
# Packages are installed with apt-get as root, or through sudo.
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential autoconf automake libtool pkg-config linux-libc-dev
liburing-dev libnuma-dev numactl libbpf-dev check libpcre2-dev systemtap-sdt-dev
clang llvm bpftool bpftrace ripgrep mawk gawk datamash hyperfine time valgrind
python3 libisal-dev zlib1g-dev libzstd-dev liblzma-dev libbz2-dev liblz4-dev
pigz isal zstd xz-utils bzip2 lz4 gzip tzdata miller sqlite3
libmaxminddb-dev mmdb-bin logrotate g++ abigail-tools
man-db bash zsh fish"
# ringflow-mpi and its tests (issue 20): Open MPI, and GNU parallel for the
# partial-results recipe
PACKAGES="$PACKAGES openmpi-bin libopenmpi-dev parallel"
# tests/html.sh loads the --format=html page in headless Chromium (issue 21)
PACKAGES="$PACKAGES chromium"
# Hyperscan is built for amd64 only: elsewhere regex runs on PCRE2 alone
if [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ]; then
	PACKAGES="$PACKAGES libhyperscan-dev"
fi
# tests/mpi_netns.sh: ip netns, veth pairs and a bridge for its "hosts"
PACKAGES="$PACKAGES iproute2"
# tests/mpi_slurm.sh: slurmctld, slurmd, srun/salloc/sbatch and munged, run
# by the test on its own config, ports and socket (srun --mpi=pmix loads
# libpmix-dev's libpmix.so, which libopenmpi-dev brings)
PACKAGES="$PACKAGES slurm-wlm munge"

install_deps() {
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing:$missing"
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	elif command -v sudo > /dev/null; then
		SUDO="sudo"
	else
		echo "dev.sh: need root or sudo to install:$missing" >&2
		exit 2
	fi
	# shellcheck disable=SC2086
	$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
}

build() {
	[ -x configure ] || autoreconf -fi
	[ -f Makefile ] || ./configure
	make -j"$(nproc)"
}

# The whole suite once more, from the tarball distcheck made, built with
# AddressSanitizer and UndefinedBehaviorSanitizer: any report fails it.
sanitized() {
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	chmod 755 "$dir" # some tests run ringflow as nobody
	tar -xzf "$(ls -t ringflow-*.tar.gz | head -1)" -C "$dir"
	(cd "$dir"/ringflow-* && ./configure -q --enable-sanitizers && make -j"$(nproc)" &&
		make check || { cat test-suite.log; exit 1; })
}

# Four runs at once from four threads (tests/threads.sh), from the same
# tarball, built with ThreadSanitizer: any report fails it.  Only the
# library, the two programs and the test are built (make check-threads).
threads_tsan() {
	tdir=$(mktemp -d)
	trap 'rm -rf "$tdir"' EXIT
	tar -xzf "$(ls -t ringflow-*.tar.gz | head -1)" -C "$tdir"
	(cd "$tdir"/ringflow-* && ./configure -q --enable-sanitizers=thread && make -j"$(nproc)" check-threads)
	rm -rf "$tdir"
}

case "${1:-}" in
demo)
	install_deps
	build
	make demo
	;;
test)
	install_deps
	build
	make distcheck
	threads_tsan
	sanitized
	;;
deb)
	PACKAGES="$PACKAGES dpkg-dev debhelper lintian"
	install_deps
	tools/build-deb.sh deb
	;;
*)
	echo "usage: ./dev.sh demo | test | deb" >&2
	exit 2
	;;
esac
