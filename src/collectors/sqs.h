/* sqs: events from an SQS queue (AWS JSON 1.0: AmazonSQS.ReceiveMessage / DeleteMessageBatch,
 * wire-formats.md §1.8). A message body is one of:
 *   - an EventBridge envelope ("detail-type": "AWS API Call via CloudTrail" and the other
 *     CloudTrail detail types), read with event_from_json;
 *   - an S3 event notification for a new CloudTrail log file (Records[].s3.bucket.name and
 *     .object.key, the key URL-decoded), or CloudTrail's own SNS notification
 *     {"s3Bucket":..,"s3ObjectKey":[..]}, either optionally wrapped in an SNS envelope
 *     ("Type":"Notification","Message":"..."): the object is fetched with a SigV4 GET
 *     (path-style on the S3 endpoint, key percent-encoded), gunzipped here (zlib; the
 *     ev_reader_open_mem reader takes plain JSON) and read with ev_reader_open_mem.
 *     Digest files (CloudTrail-Digest/) are skipped.
 *   - an S3 "s3:TestEvent": nothing to read, deleted.
 *
 * At-least-once: a message is deleted only after all its events were handed to the sink. A
 * message that cannot be parsed (or whose log file cannot be read) is not deleted and is
 * counted as an error naming the message id: SQS redelivers it after the visibility
 * timeout and, after maxReceiveCount, moves it to the queue's dead-letter queue. A process
 * that dies between hand-over and delete gets the message again: its events are handed
 * over twice; the engine drops them by event id (source.h), and this consumer drops
 * repeats it has seen itself (a bounded set of recent ids). Several processes may share a
 * queue (SQS gives each message to one receiver at a time; nothing here assumes more).
 *
 * Threads: a struct sqs_consumer belongs to the thread that runs it. */
#ifndef TFDRIFT_COLLECTORS_SQS_H
#define TFDRIFT_COLLECTORS_SQS_H

#include <stddef.h>
#include <stdint.h>

#include "aws_creds.h"
#include "source.h"

struct sqs_options {
	const char *name;               /* label: "sqs prod-trail" */
	const char *region;             /* signing region */
	const char *queue_url;          /* https://sqs.<region>.amazonaws.com/<acct>/<name> */
	const char *endpoint;           /* SQS API; NULL: aws_endpoint("SQS", "sqs", region, NULL) */
	const char *s3_endpoint;        /* NULL: aws_endpoint("S3", "s3", region, NULL); path-style */
	struct aws_creds *creds;        /* borrowed, shared */
	int wait_seconds;               /* long polling, 0..20; 0 given: 20 (< 0: no wait) */
	int visibility_timeout;         /* seconds a received message stays hidden; 0: 300 */
	int max_messages;               /* 1..10; 0: 10 */
	long timeout_ms;                /* non-receive requests; 0: 30 s (receive: wait + 10 s) */
	int max_attempts;               /* per request; 0: 6 */
	int64_t error_sleep_ms;         /* after a failed receive; 0: 5 s */
};

struct sqs_consumer;

struct sqs_consumer *sqs_consumer_new(const struct sqs_options *o);
void sqs_consumer_free(struct sqs_consumer *c);
/* One receive (long poll) and the processing and deletion of what came. Returns the number
 * of messages received (>= 0), -1 on an error (reported through sink->status), -2 when the
 * sink is stopping. */
int sqs_poll_once(struct sqs_consumer *c, const struct source_sink *sink, char **err);
/* Receive until sink->sleep (or sink->event) says stop. Returns 0. */
int sqs_consumer_run(struct sqs_consumer *c, const struct source_sink *sink);
/* The long poll of the next receives, 0..20 s (`watch --once` asks for 1: every SQS server is
 * still asked, and an empty queue answers in a second, not in the 20 s a live consumer
 * waits). */
void sqs_consumer_set_wait(struct sqs_consumer *c, int seconds);
/* Errors so far (failed receives, messages left undeleted): a --once poll that adds to them
 * failed. */
uint64_t sqs_consumer_errors(const struct sqs_consumer *c);

/* Pure parts, for unit tests. */
/* URL-decode an S3 notification key ('+' is a space, %XX a byte). Heap string. */
char *sqs_url_decode(const char *s);
/* Gunzip buf into *out, *outlen (heap). 0, or -1 with *err. */
int sqs_gunzip(const char *buf, size_t len, char **out, size_t *outlen, char **err);

#endif
