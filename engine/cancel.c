/* SPDX-License-Identifier: MIT */
/* cancel.c - stopping runs: rf_cancel() for the runs in progress, a
 * cancel token for one run (or a group), and rf_follow_stop().
 *
 * A run reads rf__cancel_gen when it begins and is cancelled once the
 * counter moved on (rf_cancel) or its token fired; so nothing stays set for
 * the runs after it.  A reader waiting on a quiet stream also polls an
 * eventfd of its run, which both write to, to wake it.  The runs' eventfds
 * are found through a table of slots that a signal handler can walk: the
 * slots are never freed, and a run that closes its eventfd first waits for
 * the writers that may have read it.  All sequentially consistent atomics,
 * which are lock-free here and so async-signal-safe. */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "run.h"
#include "../io/follow.h"

_Atomic unsigned rf__cancel_gen;                  /* io/source.h */
_Thread_local const struct rf_cancel_watch *rf__cancel_this; /* io/source.h */
volatile sig_atomic_t rf__follow_stop;            /* io/follow.h */
int rf__follow_stop_fd = -1;                      /* io/follow.h */
static pid_t follow_pid; /* the process the follow eventfd was made for */

struct rf_cancel_token {
	atomic_int fired;
};

/* A run's entry in the table, while it runs. */
#define SLOTS 32
#define NOT_STARTED 0u /* gen + 1 is kept: 0 means "not read yet" */
struct rf_cancel_slot {
	atomic_int used;
	atomic_int pid;      /* the process whose run it is (not a forked worker's copy) */
	atomic_uint gen1;    /* the run's start generation + 1, or NOT_STARTED */
	_Atomic(const struct rf_cancel_token *) token;
	atomic_int fd1;      /* its eventfd + 1; 0: none */
	atomic_int writers;  /* rf_cancel or a token writing to the eventfd now */
};
struct slot_block {
	struct rf_cancel_slot slot[SLOTS];
	_Atomic(struct slot_block *) next;
};
static struct slot_block first_block;

static void wake_slot(struct rf_cancel_slot *s, const struct rf_cancel_token *token, unsigned gen)
{
	atomic_fetch_add(&s->writers, 1);
	int fd1 = atomic_load(&s->fd1);
	int mine = fd1 && atomic_load(&s->pid) == (int)getpid();
	if (mine && token) {
		mine = atomic_load(&s->token) == token;
	} else if (mine) {
		/* only a run that began before this rf_cancel: one that
		 * began after it is not cancelled and must not be woken */
		unsigned g1 = atomic_load(&s->gen1);
		mine = g1 != NOT_STARTED && (int)(gen - (g1 - 1)) > 0;
	}
	if (mine) {
		int saved = errno;
		uint64_t one = 1;
		ssize_t w = write(fd1 - 1, &one, sizeof one);
		(void)w;
		errno = saved;
	}
	atomic_fetch_sub(&s->writers, 1);
}

static void wake_runs(const struct rf_cancel_token *token, unsigned gen)
{
	for (struct slot_block *b = &first_block; b; b = atomic_load(&b->next))
		for (int i = 0; i < SLOTS; i++)
			if (atomic_load(&b->slot[i].used))
				wake_slot(&b->slot[i], token, gen);
}

void rf_cancel(void)
{
	unsigned gen = atomic_fetch_add(&rf__cancel_gen, 1) + 1;
	wake_runs(NULL, gen);
}

int rf_cancel_token_new(rf_cancel_token **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -ENOMEM;
}

void rf_cancel_token_fire(rf_cancel_token *token)
{
	if (!token)
		return;
	atomic_store(&token->fired, 1);
	wake_runs(token, 0);
}

int rf_cancel_token_fired(const rf_cancel_token *token)
{
	return token && atomic_load(&token->fired);
}

void rf_cancel_token_reset(rf_cancel_token *token)
{
	if (token)
		atomic_store(&token->fired, 0);
}

void rf_cancel_token_free(rf_cancel_token *token)
{
	free(token);
}

int rf__cancelled(void)
{
	const struct rf_cancel_watch *w = rf__cancel_this;
	if (!w)
		return 0;
	if (atomic_load(&rf__cancel_gen) != w->gen || (w->token && atomic_load(&w->token->fired)))
		return 1;
	/* A forked multiprocess worker has its own copy of the counter and
	 * the token, which the parent's cancel does not change; but the run's
	 * eventfd is the parent's, shared across the fork, and the parent's
	 * cancel writes to it (nothing in the worker does, and nothing reads
	 * it while the workers run).  One poll a chunk or batch. */
	if (w->fd >= 0 && w->pid != getpid()) {
		struct pollfd pf = { .fd = w->fd, .events = POLLIN };
		return poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN);
	}
	return 0;
}

int rf__cancel_fd(void)
{
	const struct rf_cancel_watch *w = rf__cancel_this;
	return w ? w->fd : -1;
}

/* A free slot, claimed; a new block of them when all are taken (blocks
 * stay: a signal handler may be walking them).  NULL without memory. */
static struct rf_cancel_slot *claim_slot(void)
{
	struct slot_block *b = &first_block;
	for (;;) {
		for (int i = 0; i < SLOTS; i++) {
			int zero = 0;
			if (atomic_compare_exchange_strong(&b->slot[i].used, &zero, 1))
				return &b->slot[i];
		}
		struct slot_block *next = atomic_load(&b->next);
		if (!next) {
			struct slot_block *nb = calloc(1, sizeof *nb);
			if (!nb)
				return NULL;
			if (!atomic_compare_exchange_strong(&b->next, &next, nb))
				free(nb); /* another run added one: use that */
			else
				next = nb;
		}
		b = next;
	}
}

void rf__cancel_begin(struct rf_cancel_watch *w, const struct rf_cancel_token *token)
{
	w->token = token;
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->pid = getpid();
	w->slot = claim_slot();
	struct rf_cancel_slot *s = w->slot;
	if (s) {
		atomic_store(&s->gen1, NOT_STARTED);
		atomic_store(&s->pid, (int)getpid());
		atomic_store(&s->token, token);
		atomic_store(&s->fd1, w->fd + 1);
	}
	/* after the slot is in the table: an rf_cancel whose count this
	 * misses writes to the eventfd, one whose count it sees does not */
	w->gen = atomic_load(&rf__cancel_gen);
	if (s)
		atomic_store(&s->gen1, w->gen + 1);
	w->prev = rf__cancel_this;
	rf__cancel_this = w;
}

void rf__cancel_end(struct rf_cancel_watch *w)
{
	rf__cancel_this = w->prev;
	struct rf_cancel_slot *s = w->slot;
	if (s) {
		atomic_store(&s->fd1, 0);
		/* a writer that read the descriptor is done with it before it
		 * is closed (and its number given to someone else) */
		while (atomic_load(&s->writers))
			sched_yield();
		atomic_store(&s->token, NULL);
		atomic_store(&s->gen1, NOT_STARTED);
		atomic_store(&s->used, 0);
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* An eventfd of its own, polled by the following reader only.  Not
 * written from a forked multiprocess worker, which shares it with its
 * parent.  Async-signal-safe. */
void rf_follow_stop(void)
{
	rf__follow_stop = 1;
	int fd = rf__follow_stop_fd;
	if (fd >= 0 && getpid() == follow_pid) {
		int saved = errno;
		uint64_t one = 1;
		ssize_t w = write(fd, &one, sizeof one);
		(void)w;
		errno = saved;
	}
}

static void follow_fd_once(void)
{
	follow_pid = getpid();
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0)
		rf__follow_stop_fd = fd;
	if (rf__follow_stop)
		rf_follow_stop(); /* a signal came first: leave the eventfd readable too */
}

/* The follow eventfd, made once per process (runs may start together). */
void follow_fd_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, follow_fd_once);
}
