/* Pure parts of the live collectors: the LookupEvents request body, AWS JSON error codes,
 * S3 notification key decoding, gunzip, the shared rate limiter. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "collectors/cloudtrail.h"
#include "collectors/sqs.h"
#include "tap.h"

int
main(void)
{
	struct ct_limiter l;
	char *s, *code, *msg, *out, *err = NULL;
	size_t n;
	unsigned char gz[256];
	uLongf gzlen;
	z_stream zs;
	const char *plain = "{\"Records\":[]}";

	s = ct_request_body(1716800000, 1716803600, 50, NULL);
	is_str(s, "{\"LookupAttributes\":[{\"AttributeKey\":\"ReadOnly\",\"AttributeValue\":\"false\"}],"
	    "\"StartTime\":1716800000,\"EndTime\":1716803600,\"MaxResults\":50}", "request body");
	free(s);
	s = ct_request_body(1, 2, 10, "tok");
	ok(strstr(s, "\"NextToken\":\"tok\"") != NULL, "NextToken sent");
	free(s);

	ct_parse_error("{\"__type\":\"com.amazon#ThrottlingException:x\",\"Message\":\"Rate exceeded\"}",
	    NULL, &code, &msg);
	is_str(code, "ThrottlingException", "error code stripped of namespace and suffix");
	is_str(msg, "Rate exceeded", "Message (capital M)");
	free(code);
	free(msg);
	ct_parse_error("<html>", "AccessDeniedException", &code, &msg);
	is_str(code, "AccessDeniedException", "code from x-amzn-ErrorType when the body is not JSON");
	ok(msg == NULL, "no message");
	free(code);

	s = sqs_url_decode("AWSLogs/1/a+b%2Bc%3A.json.gz");
	is_str(s, "AWSLogs/1/a b+c:.json.gz", "S3 notification key decoded");
	free(s);

	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)(uintptr_t)plain;
	zs.avail_in = (uInt)strlen(plain);
	zs.next_out = gz;
	zs.avail_out = sizeof gz;
	deflate(&zs, Z_FINISH);
	gzlen = sizeof gz - zs.avail_out;
	deflateEnd(&zs);
	ok(sqs_gunzip((char *)gz, gzlen, &out, &n, &err) == 0 && n == strlen(plain) &&
	    memcmp(out, plain, n) == 0, "gunzip");
	free(out);
	ok(sqs_gunzip((char *)gz, gzlen / 2, &out, &n, &err) == -1 && strstr(err, "truncated"),
	    "truncated gzip is an error: %s", err ? err : "");
	free(err);

	ct_limiter_init(&l, 2);
	ok(ct_limiter_reserve(&l) == 0, "first request goes now");
	n = (size_t)ct_limiter_reserve(&l);
	ok(n >= 500 && n <= 510, "second waits ~500 ms (%zu)", n);
	n = (size_t)ct_limiter_reserve(&l);
	ok(n >= 1000 && n <= 1015, "third ~1000 ms: shared slots, no burst (%zu)", n);
	ct_limiter_destroy(&l);
	return done_testing();
}
