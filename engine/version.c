/* SPDX-License-Identifier: MIT */
/* version.c - what the library is: its version, which may differ from the
 * header a program was compiled with, and what this build of it can do. */
#include "config.h"
#include "ringflow.h"

const char *rf_version(void)
{
	return RF_VERSION_STRING;
}

unsigned rf_version_number(void)
{
	return RF_VERSION_NUMBER;
}

/* One word per optional part that configure found (config.h), so a bug
 * report or a script can tell builds apart; io_uring and libnuma are
 * required, so always there.  tests/version.sh holds the same map from
 * config.h's HAVE_ symbols to these words. */
#ifdef HAVE_SYS_SDT_H
#define FEATURE_PROBES " ebpf-probes"
#else
#define FEATURE_PROBES ""
#endif
#if defined(HAVE_ISAL)
#define FEATURE_GZIP " gzip(isal)"
#elif defined(HAVE_ZLIB)
#define FEATURE_GZIP " gzip(zlib)"
#else
#define FEATURE_GZIP ""
#endif
#ifdef HAVE_ZSTD
#define FEATURE_ZSTD " zstd"
#else
#define FEATURE_ZSTD ""
#endif
#ifdef HAVE_LZMA
#define FEATURE_XZ " xz"
#else
#define FEATURE_XZ ""
#endif
#ifdef HAVE_BZ2
#define FEATURE_BZIP2 " bzip2"
#else
#define FEATURE_BZIP2 ""
#endif
#ifdef HAVE_LZ4
#define FEATURE_LZ4 " lz4"
#else
#define FEATURE_LZ4 ""
#endif
#ifdef HAVE_HYPERSCAN
#define FEATURE_HYPERSCAN " hyperscan"
#else
#define FEATURE_HYPERSCAN ""
#endif
#ifdef HAVE_MAXMINDDB
#define FEATURE_MAXMINDDB " maxminddb"
#else
#define FEATURE_MAXMINDDB ""
#endif

/* Every level of RF_SIMD_LIST but auto is compiled in (the run-time choice
 * is --stats' to tell); a new level must be added to the words below too. */
#define COUNT_ONE(value, name) +1
_Static_assert(0 RF_SIMD_LIST(COUNT_ONE) == 5, "a SIMD level was added: name it in rf_features()");

const char *rf_features(void)
{
	return "io_uring numa" FEATURE_PROBES " simd=scalar,sse2,avx2,avx512" FEATURE_GZIP FEATURE_ZSTD
	       FEATURE_XZ FEATURE_BZIP2 FEATURE_LZ4 FEATURE_HYPERSCAN FEATURE_MAXMINDDB;
}
