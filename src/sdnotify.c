/* sdnotify: sd_notify for `watch` (see sdnotify.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "sdnotify.h"
#include "util.h"

#ifdef HAVE_SYSTEMD
static void send_va(const char *prefix, int clean, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
send_va(const char *prefix, int clean, const char *fmt, va_list ap)
{
	char *s, *p, *m;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	s = xvasprintf(fmt, ap);
	for (p = s; clean && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	m = xasprintf("%s%s", prefix, s);
	(void)sd_notify(0, m);
	free(m);
	free(s);
}
#endif

void
tf_sd_notify(const char *fmt, ...)
{
#ifdef HAVE_SYSTEMD
	va_list ap;

	va_start(ap, fmt);
	send_va("", 0, fmt, ap);
	va_end(ap);
#else
	(void)fmt;
#endif
}

void
tf_sd_status(const char *fmt, ...)
{
#ifdef HAVE_SYSTEMD
	va_list ap;

	va_start(ap, fmt);
	send_va("STATUS=", 1, fmt, ap);
	va_end(ap);
#else
	(void)fmt;
#endif
}

void
tf_sd_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	tf_sd_notify("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

int64_t
tf_sd_watchdog_ms(void)
{
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		return (int64_t)(usec / 1000) > 0 ? (int64_t)(usec / 1000) : 1;
#endif
	return 0;
}
