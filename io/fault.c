/* SPDX-License-Identifier: MIT */
/* fault.c - the faults of fault.h. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fault.h"

int rf__faults;

static struct {
	int shorten, setup, write_short;
	unsigned eintr, eagain, submit, write_eio;
	uint64_t eio_at;
	int eio;
	unsigned reads, submits; /* one reader thread per source: counts need no lock */
	unsigned writes;         /* the writer is one thread too */
} f;

static void parse(void)
{
	const char *v = rf__test_hooks()->fault;
	if (!v)
		return;
	char *copy = strdup(v), *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		char *arg = strchr(t, ':');
		unsigned long long n = 1;
		if (arg) {
			*arg++ = 0;
			n = strtoull(arg, NULL, 10);
		}
		if (!strcmp(t, "short"))
			f.shorten = 1;
		else if (!strcmp(t, "eintr"))
			f.eintr = (unsigned)(n ? n : 1);
		else if (!strcmp(t, "eagain"))
			f.eagain = (unsigned)(n ? n : 1);
		else if (!strcmp(t, "eio"))
			f.eio = 1, f.eio_at = n;
		else if (!strcmp(t, "submit"))
			f.submit = (unsigned)(n ? n : 1);
		else if (!strcmp(t, "setup"))
			f.setup = 1;
		else if (!strcmp(t, "write-eio"))
			f.write_eio = (unsigned)(n ? n : 1);
		else if (!strcmp(t, "write-short"))
			f.write_short = 1;
	}
	free(copy);
	rf__faults = 1;
}

void rf__fault_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, parse);
}

/* the fault due on this read, as a negative errno, or 0 */
static int due(uint64_t off, size_t len)
{
	unsigned n = ++f.reads;
	/* after every N reads one fails; the retry (read n + 1) goes through */
	if (f.eintr && n % (f.eintr + 1) == 0)
		return -EINTR;
	if (f.eagain && n % (f.eagain + 1) == 0)
		return -EAGAIN;
	if (f.eio && off != (uint64_t)-1 && off + len > f.eio_at)
		return -EIO;
	return 0;
}

ssize_t rf__fault_read(int fd, void *buf, size_t len, uint64_t off)
{
	int e = due(off, len);
	if (e) {
		errno = -e;
		return -1;
	}
	if (f.shorten && len > 3)
		len /= 3;
	return read(fd, buf, len);
}

int rf__fault_result(int res, uint64_t off)
{
	if (res < 0)
		return res;
	int e = due(off, (size_t)res);
	if (e)
		return e;
	/* the rest of the bytes are in the buffer, but unaccounted for: the
	 * reader must ask for them again */
	if (f.shorten && res > 3)
		res /= 3;
	return res;
}

ssize_t rf__fault_write(int fd, const void *buf, size_t len)
{
	if (f.write_eio && ++f.writes >= f.write_eio) {
		errno = EIO;
		return -1;
	}
	if (f.write_short && len > 3)
		len /= 3;
	return write(fd, buf, len);
}

void rf__fault_no_writes(void)
{
	f.write_eio = 0;
	f.write_short = 0;
}

int rf__fault_submit(void)
{
	return f.submit && ++f.submits == f.submit ? -ENOMEM : 0;
}

int rf__fault_setup(void)
{
	return f.setup ? -ENOMEM : 0;
}
