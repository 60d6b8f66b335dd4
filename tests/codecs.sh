# SPDX-License-Identifier: MIT
# codecs.sh - sourced by the compressed-input tests (after lib.sh): the
# formats' own tools as oracles, and which formats this build decodes.
command -v python3 > /dev/null || exit 77
for tool in gzip zstd xz bzip2 lz4; do
	command -v $tool > /dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

FORMATS="gz zst xz bz2 lz4"
# comp EXT: compress stdin to stdout in that format (xz -0: fast enough)
comp() {
	case $1 in
	gz) gzip -c ;; zst) zstd -q -c ;; xz) xz -0 -T1 -c ;; bz2) bzip2 -c ;; lz4) lz4 -q -c ;;
	esac
}
# uncomp EXT: the format's own tool, stdin to stdout
uncomp() {
	case $1 in
	gz) gzip -dc ;; zst) zstd -q -dc ;; xz) xz -dc ;; bz2) bzip2 -dc ;; lz4) lz4 -q -dc ;;
	esac
}
# pkg EXT: the Debian package ringflow names when a format is not built in
pkg() {
	case $1 in gz) echo zlib1g-dev ;; zst) echo libzstd-dev ;; xz) echo liblzma-dev ;;
	bz2) echo libbz2-dev ;; lz4) echo liblz4-dev ;; esac
}
# built_in FILE EXT: 0 when ringflow decodes FILE; a format this build lacks
# is refused by name (exit 2, the package named): said as a skip, 1
built_in() {
	"$RINGFLOW" count "$1" > /dev/null 2> "$T/built_in.err"
	if [ $? -eq 2 ] && grep -q -F "$(pkg $2)" "$T/built_in.err"; then
		echo "SKIP: .$2: not built in ($(head -c 200 "$T/built_in.err"))"
		return 1
	fi
	return 0
}
