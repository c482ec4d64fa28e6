/* pubsub: a Pub/Sub pull subscription fed by a Cloud Logging sink (sources.gcp
 * `pubsub_subscription: projects/P/subscriptions/S`): the organisation-scale GCP source.
 *
 * A Logging sink whose destination is a Pub/Sub topic publishes each LogEntry it routes as one
 * message: `data` is the LogEntry as JSON (base64 in the REST API's JSON), with the attribute
 * "logging.googleapis.com/timestamp". The consumer pulls (POST v1/{subscription}:pull
 * {"maxMessages":N}; long polling: returnImmediately is left out except for `watch --once`,
 * which stops at the first empty pull), hands every decoded entry to the sink
 * (event_from_logentry), and then calls sink->cursor_set: it returns once the engine has
 * decided everything handed over before it, held GCP operations included, and the store has
 * it. Only then are the batch's ackIds acknowledged (v1/{subscription}:acknowledge). A worker
 * killed between pull and acknowledge loses nothing: Pub/Sub redelivers the messages after
 * their ack deadline. The cursor ("pubsub:<subscription>") keeps the ids of the last 1000
 * entries stored, so a batch stored but not acknowledged before a crash is acknowledged when
 * it comes again without being handed over twice (other redeliveries are dropped by event id
 * downstream).
 *
 * A batch that is slow to hand over (the engine's queue is full) keeps its messages: when
 * half the ack deadline has passed since the pull or the last extension, the consumer extends
 * the deadline of the batch's ackIds (v1/{subscription}:modifyAckDeadline) by ack_deadline.
 *
 * A message that cannot be used (data that is not base64, not JSON, or not an audit LogEntry)
 * is counted as malformed, reported in the status with its messageId, and acknowledged with
 * its batch: redelivering it would fail the same way forever. (A subscription's dead-letter
 * policy only sees messages that are not acknowledged, so it never receives these; the status
 * and `watch` say which message it was.)
 *
 * Several workers on one subscription are competing consumers: Pub/Sub hands each message to
 * one of them at a time; nothing is coordinated here.
 *
 * Faults: 429, 5xx and transport errors are counted, reported and retried (http_call, http.h);
 * 401 asks the token source for a new token once and retries; a 200 that is not a pull
 * response and other errors end the poll (nothing is acknowledged: the messages come again),
 * and the run loop polls again after a backoff.
 *
 * Threads: a consumer belongs to the thread that runs it; it calls only its sink and token
 * source (both thread-safe). */
#ifndef TFDRIFT_PUBSUB_H
#define TFDRIFT_PUBSUB_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

#define PS_DEFAULT_ENDPOINT "https://pubsub.googleapis.com"
#define PS_SCOPE "https://www.googleapis.com/auth/pubsub"     /* what its tokens ask for */

struct ps_opts {
	const char *name;               /* label, and the cursor's name */
	const char *subscription;       /* projects/P/subscriptions/S; required */
	const char *endpoint;           /* Pub/Sub base URL; NULL: PS_DEFAULT_ENDPOINT */
	struct token_source tokens;
	void (*token_invalidate)(void *ctx, const char *token);   /* may be NULL */
	const char *quota_project;      /* x-goog-user-project, or NULL */
	int max_messages;               /* per pull; 0: 100 (1..1000) */
	int64_t ack_deadline_ms;        /* what an extension asks for; 0: 60 s (10 s..600 s) */
	int64_t idle_ms;                /* after an empty pull; 0: 1 s */
	unsigned max_attempts;          /* per request; 0: 8 */
	int64_t backoff_base_ms, backoff_cap_ms;   /* 0: 1 s, 60 s */
	long timeout_ms;                /* per request; 0: 90 s (a long poll is held ~60 s) */
};

struct ps_stats {
	uint64_t requests, pulls, messages, events, duplicates, malformed, acked, extended;
	uint64_t retries, errors, token_refreshes;
};

struct ps_consumer;

/* Does s read projects/PROJECT/subscriptions/NAME? */
int ps_subscription_valid(const char *s);
/* NULL with *err when the options cannot work (a subscription not projects/P/subscriptions/S,
 * an endpoint that is not http(s), no token source). */
struct ps_consumer *ps_consumer_new(const struct ps_opts *o, char **err);
void ps_consumer_free(struct ps_consumer *c);
/* One pull, hand-over, checkpoint and acknowledgement: 1 messages were pulled, 0 none, 2 a
 * stop was asked, -1 with *err (the status says it too). returnImmediately is set with
 * `immediate` (watch --once). */
int ps_poll_once(struct ps_consumer *c, const struct source_sink *sink, int immediate,
    char **err);
/* Pull until a stop is asked. */
int ps_consumer_run(struct ps_consumer *c, const struct source_sink *sink);
const struct ps_stats *ps_consumer_stats(const struct ps_consumer *c);

/* Pure part, for tests and the fuzzer: a pull response body -> its messages. Each message
 * gets its ackId and messageId (heap, may be "") and either an event (*ev filled, ok 1) or a
 * reason it is unusable (why, static; ok 0). 0, or -1 with *err when the body is not a pull
 * response at all (not JSON, receivedMessages not an array, a message without ackId). */
struct ps_message {
	char *ack_id, *message_id;
	int ok;
	const char *why;
	struct event ev;
};
int ps_decode_pull(const char *body, size_t len, struct ps_message **out, size_t *n, char **err);
void ps_messages_free(struct ps_message *m, size_t n);
/* Standard or URL-safe base64, padding optional, whitespace refused: heap bytes with a NUL
 * after them (*len without it), or NULL. */
char *ps_b64decode(const char *s, size_t *len);

#endif
