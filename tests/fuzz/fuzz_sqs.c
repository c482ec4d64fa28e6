/* fuzz_sqs: libFuzzer target for the SQS consumer (src/collectors/sqs.c): ReceiveMessage
 * answers and the message bodies in them (EventBridge CloudTrail envelopes, S3 event
 * notifications and CloudTrail's SNS notifications, bare or in an SNS envelope), the CloudTrail
 * log files those name (plain or gzip), DeleteMessageBatch answers and AWS error bodies (JSON
 * and S3's XML). Every chunk of the input (fuzz_common.h) answers one request: the receive,
 * then one GET per log file, then the delete; sqs_poll_once runs twice. Oracles: the sink's
 * (events carry an id and a record); a poll that fails says why. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "collectors/sqs.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct aws_creds *creds;
	struct sqs_options o;
	struct sqs_consumer *c;
	struct fz_chunks ch;
	struct fz_sink k;
	struct source_sink sink;
	char *err = NULL;
	int i, rc;

	if (creds == NULL) {
		creds = aws_creds_static("AKIAFUZZ000000000000", "fuzz/secret/key/not/real/000000",
		    NULL);
		setenv("TFDRIFT_NOW", "2024-05-27T10:00:00Z", 1);
		fz_aws_env_clear();
	}
	memset(&k, 0, sizeof k);
	fz_split(data, size, &ch);
	fz_http_answer(&ch, 0);
	sink = fz_sink_make(&k);
	memset(&o, 0, sizeof o);
	o.name = "sqs fuzz";
	o.region = "eu-west-1";
	o.queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/drift";
	o.endpoint = "http://127.0.0.1:1";
	o.s3_endpoint = "http://127.0.0.1:2";
	o.creds = creds;
	o.wait_seconds = -1;
	o.max_attempts = 2;
	c = sqs_consumer_new(&o);
	for (i = 0; i < 2; i++) {
		rc = sqs_poll_once(c, &sink, &err);
		if (rc == -1 && err == NULL)
			abort();        /* failed without saying why */
		free(err);
		err = NULL;
	}
	sqs_consumer_free(c);
	fz_sink_clear(&k);
	http_fuzz_transport = NULL;
	return 0;
}
