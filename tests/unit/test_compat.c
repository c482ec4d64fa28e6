/* compat: every fallback (compat_*_fallback, built everywhere) and the names the code calls
 * (native where configure found the call; the fallback in .ci/run's forced "compat" build). */
#define _GNU_SOURCE     /* memmem, strcasestr as src/ui uses them */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "util.h"
#include "tap.h"

static int
has_fd(int fd, int cmd, int flag)
{
	int fl = fcntl(fd, cmd);

	return fl >= 0 && (fl & flag) != 0;
}

/* ---- random bytes ---- */

static void
test_random(const char *name, int (*fn)(void *, size_t))
{
	unsigned char a[1000], b[1000];
	size_t i, zero = 0, same = 0;
	int seen[256] = { 0 }, distinct = 0;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	is_int(fn(a, sizeof a), 0, "%s: 1000 bytes (more than one getrandom block)", name);
	is_int(fn(b, sizeof b), 0, "%s: again", name);
	for (i = 0; i < sizeof a; i++) {
		zero += a[i] == 0;
		same += a[i] == b[i];
		if (!seen[a[i]]++)
			distinct++;
	}
	/* 1000 uniform bytes: about 4 zeros, 4 equal places, 250 distinct values. */
	ok(zero < 30, "%s: filled, not left zero (%zu zero bytes)", name, zero);
	ok(same < 30, "%s: two draws differ (%zu places equal)", name, same);
	ok(distinct > 150, "%s: spread over the byte values (%d distinct)", name, distinct);
	is_int(fn(a, 0), 0, "%s: zero bytes asked is fine", name);
}

/* ---- descriptors ---- */

static void
test_pipe(const char *name, int (*fn)(int[2], int))
{
	int nb, fds[2];

	for (nb = 0; nb <= 1; nb++) {
		fds[0] = fds[1] = -1;
		is_int(fn(fds, nb), 0, "%s(nonblock %d): made", name, nb);
		ok(has_fd(fds[0], F_GETFD, FD_CLOEXEC) && has_fd(fds[1], F_GETFD, FD_CLOEXEC),
		    "%s(nonblock %d): both ends close-on-exec", name, nb);
		is_int(has_fd(fds[0], F_GETFL, O_NONBLOCK), nb, "%s(nonblock %d): read end", name, nb);
		is_int(has_fd(fds[1], F_GETFL, O_NONBLOCK), nb, "%s(nonblock %d): write end", name, nb);
		if (nb) {
			char c;

			errno = 0;
			ok(read(fds[0], &c, 1) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
			    "%s: an empty nonblocking pipe says EAGAIN", name);
		}
		ok(write(fds[1], "x", 1) == 1, "%s(nonblock %d): it carries bytes", name, nb);
		close(fds[0]);
		close(fds[1]);
	}
}

static void
test_sockets(const char *dir, const char *name, int (*sock)(int, int, int, int),
    int (*acc)(int, int))
{
	struct sockaddr_un sa;
	int nb, lfd, cfd, afd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/s", dir);
	unlink(sa.sun_path);
	/* A nonblocking listener: on the BSDs accept's socket inherits that. */
	lfd = sock(AF_UNIX, SOCK_STREAM, 0, 1);
	ok(lfd >= 0, "%s socket: made", name);
	ok(has_fd(lfd, F_GETFD, FD_CLOEXEC), "%s socket: close-on-exec", name);
	ok(has_fd(lfd, F_GETFL, O_NONBLOCK), "%s socket: nonblocking as asked", name);
	ok(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 4) == 0,
	    "%s socket: listens", name);
	errno = 0;
	ok(acc(lfd, 1) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
	    "%s accept: nothing waiting on a nonblocking listener is EAGAIN", name);
	for (nb = 0; nb <= 1; nb++) {
		cfd = sock(AF_UNIX, SOCK_STREAM, 0, 0);
		ok(cfd >= 0 && !has_fd(cfd, F_GETFL, O_NONBLOCK), "%s socket: blocking as asked", name);
		ok(connect(cfd, (struct sockaddr *)&sa, sizeof sa) == 0, "%s: connects", name);
		afd = acc(lfd, nb);
		ok(afd >= 0, "%s accept(nonblock %d): takes the connection", name, nb);
		ok(has_fd(afd, F_GETFD, FD_CLOEXEC), "%s accept(nonblock %d): close-on-exec", name, nb);
		is_int(has_fd(afd, F_GETFL, O_NONBLOCK), nb, "%s accept(nonblock %d): as asked",
		    name, nb);
		ok(write(cfd, "y", 1) == 1, "%s: the client writes", name);
		{
			char c = 0;

			ok(read(afd, &c, 1) == 1 && c == 'y', "%s: the accepted end reads it", name);
		}
		close(afd);
		close(cfd);
	}
	close(lfd);
	unlink(sa.sun_path);
}

/* ---- condition variables ---- */

struct waker {
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int *flag;
	int delay_ms;
};

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *
wake_later(void *arg)
{
	struct waker *w = arg;

	sleep_ms(w->delay_ms);
	pthread_mutex_lock(w->mu);
	*w->flag = 1;
	pthread_cond_signal(w->cv);
	pthread_mutex_unlock(w->mu);
	return NULL;
}

static void
test_cond(const char *name, int (*init)(pthread_cond_t *),
    int (*wait)(pthread_cond_t *, pthread_mutex_t *, int64_t))
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	pthread_t th;
	struct waker w;
	int64_t t0, el, at;
	int flag = 0, rc = 0;

	is_int(init(&cv), 0, "%s: made", name);
	pthread_mutex_lock(&mu);
	/* Nobody signals: ETIMEDOUT at the deadline, not before and not much after. */
	t0 = tf_mono_ms();
	at = t0 + 150;
	while ((rc = wait(&cv, &mu, at)) != ETIMEDOUT && tf_mono_ms() < at + 2000)
		;
	el = tf_mono_ms() - t0;
	is_int(rc, ETIMEDOUT, "%s: an unsignalled wait times out", name);
	ok(el >= 150 && el < 1500, "%s: at its monotonic deadline (%lld ms for 150)", name,
	    (long long)el);
	/* A deadline already past returns at once. */
	t0 = tf_mono_ms();
	is_int(wait(&cv, &mu, t0 - 5), ETIMEDOUT, "%s: a past deadline is ETIMEDOUT", name);
	ok(tf_mono_ms() - t0 < 100, "%s: at once", name);
	/* Signalled long before the deadline: woken then. */
	w.mu = &mu;
	w.cv = &cv;
	w.flag = &flag;
	w.delay_ms = 50;
	pthread_create(&th, NULL, wake_later, &w);
	t0 = tf_mono_ms();
	at = t0 + 10000;
	rc = 0;
	while (!flag && rc != ETIMEDOUT)
		rc = wait(&cv, &mu, at);
	el = tf_mono_ms() - t0;
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	ok(flag && rc == 0, "%s: a signal wakes it", name);
	ok(el < 5000, "%s: well before the deadline (%lld ms)", name, (long long)el);
	pthread_cond_destroy(&cv);
}

/* ---- signals ---- */

static void *
kill_later(void *arg)
{
	sleep_ms(50);
	kill(getpid(), *(int *)arg);
	return NULL;
}

static void
test_sigwait(const char *name, int (*fn)(const sigset_t *, int64_t))
{
	sigset_t set;
	pthread_t th;
	int64_t t0, el;
	int sig = SIGUSR2, r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	/* Nothing comes: -1 and EAGAIN after the time. */
	t0 = tf_mono_ms();
	errno = 0;
	r = fn(&set, 120);
	el = tf_mono_ms() - t0;
	ok(r == -1 && errno == EAGAIN, "%s: nothing in 120 ms is -1/EAGAIN (got %d, %s)", name, r,
	    strerror(errno));
	ok(el >= 110 && el < 1500, "%s: after the time given (%lld ms)", name, (long long)el);
	/* Already pending (this thread's): taken at once. */
	pthread_kill(pthread_self(), SIGUSR1);
	t0 = tf_mono_ms();
	is_int(fn(&set, 5000), SIGUSR1, "%s: a pending signal is taken", name);
	ok(tf_mono_ms() - t0 < 500, "%s: at once", name);
	/* Sent to the process by another thread (which blocks it too, as watch's do). */
	pthread_create(&th, NULL, kill_later, &sig);
	t0 = tf_mono_ms();
	r = fn(&set, 5000);
	el = tf_mono_ms() - t0;
	pthread_join(th, NULL);
	is_int(r, SIGUSR2, "%s: a signal sent to the process while waiting", name);
	ok(el < 1000, "%s: taken soon after it came (%lld ms)", name, (long long)el);
	{
		sigset_t pend;

		sigpending(&pend);
		ok(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2),
		    "%s: nothing is left pending", name);
	}
}

/* ---- file times ---- */

static void
test_mtime(const char *dir)
{
	char path[256];
	struct timespec set[2] = { { 1716804000, 123456789 }, { 1716804000, 123456789 } };
	struct timespec got;
	struct stat st;
	int fd;

	snprintf(path, sizeof path, "%s/m", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && futimens(fd, set) == 0 && fstat(fd, &st) == 0, "mtime: a file at a set time");
	if (fd >= 0)
		close(fd);
	got = compat_stat_mtime(&st);
	is_int(got.tv_sec, 1716804000, "mtime: its seconds");
#if defined(HAVE_STRUCT_STAT_ST_MTIM) || defined(HAVE_STRUCT_STAT_ST_MTIMESPEC)
	is_int(got.tv_nsec, 123456789, "mtime: and its nanoseconds (st_mtim or st_mtimespec)");
#else
	is_int(got.tv_nsec, 0, "mtime: whole seconds without st_mtim and st_mtimespec");
#endif
	got = compat_stat_mtime_fallback(&st);
	ok(got.tv_sec == 1716804000 && got.tv_nsec == 0, "mtime fallback: whole seconds");
	unlink(path);
}

/* ---- strings ---- */

static const void *
brute_memmem(const void *h, size_t hn, const void *n, size_t nn)
{
	size_t i;

	if (nn == 0)
		return h;
	for (i = 0; i + nn <= hn; i++)
		if (memcmp((const char *)h + i, n, nn) == 0)
			return (const char *)h + i;
	return NULL;
}

static void
test_strings(void)
{
	const char *h = "abcabcabd\0xyz";
	unsigned char hay[64], nee[5];
	unsigned seed = 12345;
	int i, bad = 0, bad_native = 0;

	ok(compat_memmem(h, 13, "abd", 3) == h + 6, "memmem: found after a near miss");
	ok(compat_memmem(h, 13, "\0xy", 3) == h + 9, "memmem: through a NUL");
	ok(compat_memmem(h, 13, "xyz!", 4) == NULL, "memmem: not past the end");
	ok(compat_memmem(h, 2, "abc", 3) == NULL, "memmem: needle longer than the haystack");
	ok(compat_memmem(h, 13, "", 0) == h, "memmem: the empty needle is at the start");
	ok(compat_memmem(h, 0, "a", 1) == NULL, "memmem: empty haystack");
	/* Against the obvious definition, over a small alphabet so matches are common. */
	for (i = 0; i < 20000; i++) {
		size_t hn = (seed = seed * 1103515245u + 12345u) % sizeof hay, nn = (seed >> 8) % 5, k;

		for (k = 0; k < hn; k++)
			hay[k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16) % 3;
		for (k = 0; k < nn; k++)
			nee[k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16) % 3;
		bad += compat_memmem(hay, hn, nee, nn) != brute_memmem(hay, hn, nee, nn);
		bad_native += memmem(hay, hn, nee, nn) != brute_memmem(hay, hn, nee, nn);
	}
	is_int(bad, 0, "memmem: 20000 random cases agree with a plain scan");
	is_int(bad_native, 0, "memmem (as the code calls it): the same");

	is_str(compat_strcasestr("Hello World", "WORLD"), "World", "strcasestr: case ignored");
	is_str(compat_strcasestr("aaAB", "ab"), "AB", "strcasestr: after a partial match");
	ok(compat_strcasestr("abc", "abcd") == NULL, "strcasestr: not past the end");
	is_str(compat_strcasestr("abc", ""), "abc", "strcasestr: the empty needle");
	ok(compat_strcasestr("", "a") == NULL, "strcasestr: empty haystack");
	is_str(strcasestr("Drift In eu-WEST-1", "west"), "WEST-1",
	    "strcasestr (as the code calls it)");
}

int
main(void)
{
	char dir[] = "/tmp/tfdrift-compat-XXXXXX";
	sigset_t set;

	/* Blocked before any thread starts, so every thread blocks them (as in watch). */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	diag("native: getrandom %s, arc4random_buf %s, setclock %s, sigtimedwait %s, accept4 %s, "
	    "pipe2 %s, SOCK_CLOEXEC %s",
#ifdef HAVE_GETRANDOM
	    "yes",
#else
	    "no",
#endif
#ifdef HAVE_ARC4RANDOM_BUF
	    "yes",
#else
	    "no",
#endif
#ifdef HAVE_PTHREAD_CONDATTR_SETCLOCK
	    "yes",
#else
	    "no",
#endif
#ifdef HAVE_SIGTIMEDWAIT
	    "yes",
#else
	    "no",
#endif
#ifdef HAVE_ACCEPT4
	    "yes",
#else
	    "no",
#endif
#ifdef HAVE_PIPE2
	    "yes",
#else
	    "no",
#endif
#if HAVE_DECL_SOCK_CLOEXEC
	    "yes"
#else
	    "no"
#endif
	    );
	test_random("random", compat_random_bytes);
	test_random("random fallback", compat_random_bytes_fallback);
	test_pipe("pipe", compat_pipe);
	test_pipe("pipe fallback", compat_pipe_fallback);
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
	} else {
		test_sockets(dir, "native", compat_socket, compat_accept);
		test_sockets(dir, "fallback", compat_socket_fallback, compat_accept_fallback);
		test_mtime(dir);
		rmdir(dir);
	}
	test_cond("cond", compat_cond_init_mono, compat_cond_wait_until);
	test_cond("cond fallback", compat_cond_init_mono_fallback, compat_cond_wait_until_fallback);
	test_sigwait("sigwait", compat_sigwait_ms);
	test_sigwait("sigwait fallback", compat_sigwait_ms_fallback);
	test_strings();
	return done_testing();
}
