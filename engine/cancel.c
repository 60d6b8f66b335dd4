/* SPDX-License-Identifier: MIT */
/* cancel.c - rf_cancel(): the flag the readers and the framer test, and
 * the eventfd that wakes a reader waiting on a quiet stream. */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "run.h"
#include "../io/follow.h"

volatile sig_atomic_t rf__io_cancel;
volatile sig_atomic_t rf__follow_stop; /* io/follow.h */
int rf__follow_stop_fd = -1;           /* io/follow.h */
int rf__cancel_fd = -1;
static pid_t cancel_pid; /* the process the eventfd was made for */

/* Wake a poll() on a stream or a followed file; not from a forked
 * multiprocess worker, which shares the descriptor with its parent.
 * Async-signal-safe. */
static void wake(int fd)
{
	if (fd >= 0 && getpid() == cancel_pid) {
		int saved = errno;
		uint64_t one = 1;
		ssize_t w = write(fd, &one, sizeof one);
		(void)w;
		errno = saved;
	}
}

void rf_cancel(void)
{
	rf__io_cancel = 1;
	wake(rf__cancel_fd);
}

/* An eventfd of its own, polled by the following reader only: the cancel
 * eventfd stays readable once written, and the readers that poll it take
 * that for a cancel. */
void rf_follow_stop(void)
{
	rf__follow_stop = 1;
	wake(rf__follow_stop_fd);
}

/* The eventfd behind rf_cancel(), made once per process. */
void cancel_fd_init(void)
{
	if (rf__cancel_fd >= 0)
		return;
	cancel_pid = getpid();
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0)
		rf__cancel_fd = fd;
	if (rf__io_cancel && fd >= 0)
		rf_cancel(); /* a signal came first: leave the eventfd readable too */
	if ((fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0)
		rf__follow_stop_fd = fd;
	if (rf__follow_stop)
		rf_follow_stop();
}

