/* compat: fallbacks for what some POSIX systems lack; see compat.h. */
#define _GNU_SOURCE     /* accept4, pipe2 and getrandom's header on glibc */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
#include <sys/random.h>
#define USE_GETRANDOM 1
#endif

#include "compat.h"

/* ---- random bytes ---- */

int
compat_random_bytes_fallback(void *buf, size_t n)
{
	unsigned char *p = buf;
	int fd, e;

	do
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : EIO;        /* 0: the device ended (not a real urandom) */
			close(fd);
			errno = e;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	close(fd);
	return 0;
}

int
compat_random_bytes(void *buf, size_t n)
{
#if defined(USE_GETRANDOM)
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ENOSYS)   /* a kernel older than 3.17 */
			return compat_random_bytes_fallback(p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
#elif defined(HAVE_ARC4RANDOM_BUF)
	arc4random_buf(buf, n);
	return 0;
#else
	return compat_random_bytes_fallback(buf, n);
#endif
}

/* ---- descriptors created close-on-exec ---- */

/* FD_CLOEXEC on, O_NONBLOCK as asked (set or cleared: a BSD accept inherits the listening
 * socket's). On failure fd is closed and errno kept. */
static int
fd_flags(int fd, int nonblock)
{
	int fl = fcntl(fd, F_GETFD), e;

	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		goto fail;
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
compat_socket_fallback(int domain, int type, int protocol, int nonblock)
{
	int fd = socket(domain, type, protocol);

	return fd < 0 ? -1 : fd_flags(fd, nonblock);
}

int
compat_socket(int domain, int type, int protocol, int nonblock)
{
#if HAVE_DECL_SOCK_CLOEXEC && HAVE_DECL_SOCK_NONBLOCK
	return socket(domain, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), protocol);
#else
	return compat_socket_fallback(domain, type, protocol, nonblock);
#endif
}

int
compat_accept_fallback(int fd, int nonblock)
{
	int c = accept(fd, NULL, NULL);

	return c < 0 ? -1 : fd_flags(c, nonblock);
}

int
compat_accept(int fd, int nonblock)
{
#if defined(HAVE_ACCEPT4) && HAVE_DECL_SOCK_CLOEXEC && HAVE_DECL_SOCK_NONBLOCK
	return accept4(fd, NULL, NULL, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
#else
	return compat_accept_fallback(fd, nonblock);
#endif
}

int
compat_pipe_fallback(int fds[2], int nonblock)
{
	int p[2], e;

	if (pipe(p) != 0)
		return -1;
	if (fd_flags(p[0], nonblock) < 0) {
		e = errno;
		close(p[1]);
		errno = e;
		return -1;
	}
	if (fd_flags(p[1], nonblock) < 0) {
		e = errno;
		close(p[0]);
		errno = e;
		return -1;
	}
	fds[0] = p[0];
	fds[1] = p[1];
	return 0;
}

int
compat_pipe(int fds[2], int nonblock)
{
#if defined(HAVE_PIPE2)
	return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
#else
	return compat_pipe_fallback(fds, nonblock);
#endif
}

/* ---- condition variables on the monotonic clock ---- */

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec
ms_to_ts(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	return ts;
}

int
compat_cond_init_mono_fallback(pthread_cond_t *cv)
{
	return pthread_cond_init(cv, NULL);
}

int
compat_cond_wait_until_fallback(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t mono_ms)
{
	struct timespec mono, real, ts;
	int64_t left, at;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	left = mono_ms * 1000000 - ((int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec);
	if (left <= 0)
		return ETIMEDOUT;
	/* The same span from now, in nanoseconds, on the clock this cv waits on. */
	at = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec + left;
	ts.tv_sec = (time_t)(at / 1000000000);
	ts.tv_nsec = (long)(at % 1000000000);
	rc = pthread_cond_timedwait(cv, mu, &ts);
	/* Timed out by the wall clock but not yet by the monotonic one (the wall clock was set
	 * forward, or the two readings were apart): a wakeup, the caller waits again. A wall
	 * clock set back makes this wait longer than asked, once. */
	if (rc == ETIMEDOUT && clock_ms(CLOCK_MONOTONIC) < mono_ms)
		rc = 0;
	return rc;
}

int
compat_cond_init_mono(pthread_cond_t *cv)
{
#if defined(HAVE_PTHREAD_CONDATTR_SETCLOCK)
	pthread_condattr_t ca;
	int rc;

	if ((rc = pthread_condattr_init(&ca)) != 0)
		return rc;
	if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) == 0)
		rc = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return rc;
#else
	return compat_cond_init_mono_fallback(cv);
#endif
}

int
compat_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t mono_ms)
{
#if defined(HAVE_PTHREAD_CONDATTR_SETCLOCK)
	struct timespec ts = ms_to_ts(mono_ms);

	return pthread_cond_timedwait(cv, mu, &ts);
#else
	return compat_cond_wait_until_fallback(cv, mu, mono_ms);
#endif
}

/* ---- waiting for a signal with a time limit ---- */

#ifdef NSIG
#define COMPAT_NSIG NSIG
#else
#define COMPAT_NSIG 65
#endif

int
compat_sigwait_ms_fallback(const sigset_t *set, int64_t timeout_ms)
{
	int64_t end = clock_ms(CLOCK_MONOTONIC) + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		sigset_t pend;
		int64_t left;
		int s, sig;

		if (sigpending(&pend) != 0)
			return -1;
		for (s = 1; s < COMPAT_NSIG; s++) {
			if (sigismember(set, s) == 1 && sigismember(&pend, s) == 1) {
				/* Pending and blocked: sigwait takes it without blocking. */
				if ((errno = sigwait(set, &sig)) != 0)
					return -1;
				return sig;
			}
		}
		left = end - clock_ms(CLOCK_MONOTONIC);
		if (left <= 0) {
			errno = EAGAIN;
			return -1;
		}
		{
			struct timespec ts = ms_to_ts(left < COMPAT_SIGPOLL_MS ? left : COMPAT_SIGPOLL_MS);

			if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
				return -1;
		}
	}
}

int
compat_sigwait_ms(const sigset_t *set, int64_t timeout_ms)
{
#if defined(HAVE_SIGTIMEDWAIT)
	struct timespec ts;

	if (timeout_ms < 0)
		timeout_ms = 0;
	ts = ms_to_ts(timeout_ms);
	return sigtimedwait(set, NULL, &ts);
#else
	return compat_sigwait_ms_fallback(set, timeout_ms);
#endif
}

/* ---- file times ---- */

struct timespec
compat_stat_mtime_fallback(const struct stat *st)
{
	struct timespec ts;

	ts.tv_sec = st->st_mtime;
	ts.tv_nsec = 0;
	return ts;
}

struct timespec
compat_stat_mtime(const struct stat *st)
{
#if defined(HAVE_STRUCT_STAT_ST_MTIM)
	return st->st_mtim;
#elif defined(HAVE_STRUCT_STAT_ST_MTIMESPEC)
	return st->st_mtimespec;
#else
	return compat_stat_mtime_fallback(st);
#endif
}

/* ---- strings ---- */

void *
compat_memmem(const void *hay, size_t hn, const void *needle, size_t nn)
{
	const unsigned char *h = hay, *n = needle, *p, *last;

	if (nn == 0)
		return (void *)hay;
	if (nn > hn)
		return NULL;
	last = h + (hn - nn);
	for (p = h; p <= last; p++) {
		p = memchr(p, n[0], (size_t)(last - p) + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, n, nn) == 0)
			return (void *)p;
	}
	return NULL;
}

char *
compat_strcasestr(const char *hay, const char *needle)
{
	size_t nn = strlen(needle), i;

	for (; ; hay++) {
		for (i = 0; i < nn && hay[i] != '\0' &&
		    tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]); i++)
			;
		if (i == nn)
			return (char *)hay;
		if (*hay == '\0')
			return NULL;
	}
}
