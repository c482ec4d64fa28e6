/* sdnotify: systemd's readiness protocol for `watch` as a Type=notify service
 * (doc/tfdrift-watch.service): READY=1 once the states are loaded and the sources started,
 * RELOADING=1 / READY=1 around a SIGHUP reload, STOPPING=1, STATUS= lines, WATCHDOG=1 when
 * the unit sets WatchdogSec. Through libsystemd's sd_notify when tfdrift is built with it
 * (HAVE_SYSTEMD), which writes to $NOTIFY_SOCKET; without libsystemd, or with no
 * NOTIFY_SOCKET (not started by systemd), every call does nothing. */
#ifndef TFDRIFT_SDNOTIFY_H
#define TFDRIFT_SDNOTIFY_H

#include <stdint.h>

/* Send state assignments ("READY=1", newline-separated; printf format). */
void tf_sd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* STATUS=<text>: controls in the text (an error may quote a server) become spaces, since a
 * newline would start another assignment. */
void tf_sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with the MONOTONIC_USEC= systemd ≥ 253 asks for (Type=notify-reload). */
void tf_sd_reloading(void);
/* The watchdog interval the service manager expects WATCHDOG=1 within (ms), or 0 when it
 * expects none. */
int64_t tf_sd_watchdog_ms(void);

#endif
