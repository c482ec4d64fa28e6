/* compat: the one place for what some POSIX systems lack (macOS and the BSDs have no
 * getrandom, pthread_condattr_setclock, sigtimedwait, accept4, pipe2 or SOCK_CLOEXEC; some
 * have them only in newer releases). configure's HAVE_... checks choose, never the OS name.
 *
 * Every fallback is compiled in every build under its own name (compat_*_fallback), so
 * tests/unit/test_compat.c checks it on this system too; the plain names use the native call
 * where configure found it. `.ci/run` also builds a tree with every check forced to "no".
 *
 * Include after config.h. */
#ifndef TFDRIFT_COMPAT_H
#define TFDRIFT_COMPAT_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* n random bytes (getrandom, else arc4random_buf, else /dev/urandom). 0, or -1 with errno. */
int compat_random_bytes(void *buf, size_t n);
int compat_random_bytes_fallback(void *buf, size_t n);   /* /dev/urandom, read fully */

/* socket(2), accept(2), pipe(2) with FD_CLOEXEC set on the new descriptors and O_NONBLOCK
 * if nonblock: atomic where SOCK_CLOEXEC/accept4/pipe2 exist, else fcntl right after (then
 * a fork in another thread at that instant may inherit it). -1 with errno on failure, and
 * nothing is left open. */
int compat_socket(int domain, int type, int protocol, int nonblock);
int compat_accept(int fd, int nonblock);
int compat_pipe(int fds[2], int nonblock);
int compat_socket_fallback(int domain, int type, int protocol, int nonblock);
int compat_accept_fallback(int fd, int nonblock);
int compat_pipe_fallback(int fds[2], int nonblock);

/* Condition variables whose timed waits end at a deadline on the monotonic clock (tf_mono_ms's
 * milliseconds), so a change of the wall clock neither cuts a wait short nor stretches it.
 * compat_cond_init_mono makes such a cv (pthread_condattr_setclock where it exists);
 * compat_cond_wait_until waits on it until mono_ms: 0 when woken, ETIMEDOUT at the deadline.
 * ETIMEDOUT only once the monotonic clock reached mono_ms; waking early (0) is allowed, as
 * with any cv: callers loop on their condition.
 * Without setclock the cv keeps CLOCK_REALTIME and each wait converts the time left to a
 * CLOCK_REALTIME deadline (the _fallback pair; they go together). */
int compat_cond_init_mono(pthread_cond_t *cv);
int compat_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t mono_ms);
int compat_cond_init_mono_fallback(pthread_cond_t *cv);
int compat_cond_wait_until_fallback(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t mono_ms);

/* sigtimedwait(set, NULL, timeout_ms) for signals the calling thread blocks: the signal
 * number taken, or -1 with errno EAGAIN when timeout_ms passed (EINTR: interrupted). The
 * fallback polls sigpending every COMPAT_SIGPOLL_MS and takes a pending one with sigwait, so
 * a signal is seen at most that late. */
#define COMPAT_SIGPOLL_MS 20
int compat_sigwait_ms(const sigset_t *set, int64_t timeout_ms);
int compat_sigwait_ms_fallback(const sigset_t *set, int64_t timeout_ms);

/* A stat's modification time with its nanoseconds: st_mtim (POSIX 2008), st_mtimespec
 * (macOS), else whole seconds (the _fallback). */
struct timespec compat_stat_mtime(const struct stat *st);
struct timespec compat_stat_mtime_fallback(const struct stat *st);

/* memmem (POSIX since 2024) and strcasestr (not POSIX): the libc's where configure found it. */
void *compat_memmem(const void *hay, size_t hn, const void *needle, size_t nn);
char *compat_strcasestr(const char *hay, const char *needle);
#ifndef HAVE_MEMMEM
#define memmem compat_memmem
#endif
#ifndef HAVE_STRCASESTR
#define strcasestr compat_strcasestr
#endif

#endif
