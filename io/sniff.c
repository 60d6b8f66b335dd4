/* SPDX-License-Identifier: MIT */
/* sniff.c - what an input is, from its first bytes, without consuming
 * them (rf__input_codec in source.h).
 *
 * A regular file is read with pread.  A pipe is looked at with tee(2),
 * which copies what the pipe holds into a scratch pipe and leaves it in
 * place: the reader then reads the input from its first byte as if nothing
 * had looked.  A socket is peeked with MSG_PEEK.  A terminal or other
 * device is plain: nothing compressed is typed.
 *
 * A live pipe may hold fewer bytes than a magic number has.  As long as
 * the bytes seen could still begin one, we wait for more (a short sleep:
 * the pipe is readable all along, so poll cannot say "more came"); any
 * other start is plain at once, so a text stream's first line is never
 * held back.
 */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "source.h"
#include "codec.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds to the deadline for poll (-1: none), or -ETIME once it
 * passed. */
static int left_ms(uint64_t deadline_ns)
{
	if (!deadline_ns)
		return -1;
	uint64_t now = mono_ns();
	if (now >= deadline_ns)
		return -ETIME;
	uint64_t ms = (deadline_ns - now + 999999) / 1000000;
	return ms > 1000000 ? 1000000 : (int)ms;
}

static int wait_pipe(int fd, uint64_t deadline_ns)
{
	if (rf__cancelled())
		return -EINTR;
	int ms = left_ms(deadline_ns);
	if (ms == -ETIME)
		return ms;
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = rf__cancel_fd(), .events = POLLIN } };
	int r = poll(pfd, 2, ms);
	if (rf__cancelled())
		return -EINTR;
	if (r < 0 && errno != EINTR)
		return -errno;
	return 0;
}

/* Has the other end gone (a pipe without writers, a socket shut for
 * writing)?  What it holds now is then all there will be. */
static int hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLRDHUP));
}

static int nap(int *ms, uint64_t deadline_ns)
{
	int left = left_ms(deadline_ns);
	if (left == -ETIME)
		return left;
	int t = left >= 0 && left < *ms ? left : *ms;
	struct timespec ts = { 0, (long)t * 1000000L };
	nanosleep(&ts, NULL);
	if (*ms < 50)
		*ms *= 2;
	return 0;
}

static int sniff_pipe(int fd, uint64_t deadline_ns)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return 0; /* cannot look: read it as it is */
	unsigned char buf[RF_CODEC_MAGIC_MAX];
	int result = 0, ms = 1;
	for (;;) {
		/* first: a writer gone now left in the pipe all it will see */
		int hup = hung_up(fd);
		ssize_t n = tee(fd, p[1], sizeof buf, SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EAGAIN) {
			int w = wait_pipe(fd, deadline_ns);
			if (w < 0) {
				result = w;
				break;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			result = 0; /* not a pipe tee can look into: plain */
			break;
		}
		size_t got = 0;
		while (got < (size_t)n) {
			ssize_t r = read(p[0], buf + got, (size_t)n - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		/* n == 0: the writer closed an empty pipe */
		int at_end = n == 0 || got >= sizeof buf || hup;
		int c = rf__codec_detect(buf, got, at_end);
		if (c >= 0) {
			result = c;
			break;
		}
		if (rf__cancelled()) {
			result = -EINTR;
			break;
		}
		/* fewer bytes than a magic, and they begin one */
		if ((result = nap(&ms, deadline_ns)) < 0)
			break;
	}
	close(p[0]);
	close(p[1]);
	return result;
}

static int sniff_socket(int fd, uint64_t deadline_ns)
{
	unsigned char buf[RF_CODEC_MAGIC_MAX];
	int ms = 1;
	for (;;) {
		int hup = hung_up(fd);
		ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int w = wait_pipe(fd, deadline_ns);
			if (w < 0)
				return w;
			continue;
		}
		if (n < 0)
			return 0;
		int c = rf__codec_detect(buf, (size_t)n, n == 0 || (size_t)n >= sizeof buf || hup);
		if (c >= 0)
			return c;
		if (rf__cancelled())
			return -EINTR;
		int w = nap(&ms, deadline_ns);
		if (w < 0)
			return w;
	}
}

int rf__input_codec(const struct rf_input_desc *in)
{
	return rf__input_codec_until(in, 0);
}

int rf__input_codec_until(const struct rf_input_desc *in, uint64_t deadline_ns)
{
	struct stat st;
	if (fstat(in->fd, &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode)) {
		unsigned char buf[RF_CODEC_MAGIC_MAX];
		ssize_t n = pread(in->fd, buf, sizeof buf, (off_t)in->start);
		if (n <= 0)
			return 0;
		int c = rf__codec_detect(buf, (size_t)n, 1);
		return c > 0 ? c : 0;
	}
	if (S_ISFIFO(st.st_mode))
		return sniff_pipe(in->fd, deadline_ns);
	if (S_ISSOCK(st.st_mode))
		return sniff_socket(in->fd, deadline_ns);
	return 0;
}
