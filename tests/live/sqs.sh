#!/bin/sh
# SQS consumer against the loopback mock (tests/mock/cloudtrail.js, SigV4 checked with the
# official signer): EventBridge envelopes, S3 notifications of gzipped CloudTrail log files,
# delete only after hand-over, unparseable messages kept for the dead-letter queue.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node

PROBE="$TOP_BUILDDIR/tests/live/ct_probe"
DATA="$TOP_SRCDIR/tests/data/live/invictus_1215Z.json"
SECRET=sqs-probe-secret-0123456789
mock_start m "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --key "AKIDSQS:$SECRET"
URL=$MOCK_URL_m
Q=https://sqs.us-east-1.amazonaws.com/123456789012/trail-events
PROBE_SECRET=$SECRET
export PROBE_SECRET

sqsprobe() {
	"$PROBE" sqs --endpoint "$URL" --s3-endpoint "$URL" --queue-url "$Q" --region us-east-1 \
	    --akid AKIDSQS --wait 1 "$@"
}
ids() {
	sed 's/^{"id":"\([^"]*\)".*/\1/'
}
state() {
	mock_get m '/__control/sqs/state?queue=trail-events'
}

# 1. EventBridge "AWS API Call via CloudTrail" envelopes.
mock_get m '/__control/sqs/eventbridge?queue=trail-events&n=5' | tr ',' '\n' | grep -o '[0-9a-f-]\{36\}' | sort > "$T_TMP/eb"
t_ok "eventbridge: consumed" sqsprobe --max-events 5 --max-seconds 10
t_is "eventbridge: the 5 events" "$(printf '%s\n' "$T_OUT" | ids | sort)" "$(cat "$T_TMP/eb")"
sleep 0.2
t_like "eventbridge: messages deleted after hand-over" "$(state)" '"visible":0,"inflight":0,"deleted":5'

# 2. S3 notification -> gzipped log file (key with a space and a plus) fetched, read.
mock_get m '/__control/sqs/s3notify?queue=trail-events&bucket=trail-bucket&n=7' > "$T_TMP/n"
grep -o '"ids":\[.*\]' "$T_TMP/n" | grep -o '[0-9a-f-]\{36\}' | sort > "$T_TMP/s3ids"
t_is "s3: a log file of 7 records" "$(wc -l < "$T_TMP/s3ids")" 7
TFDRIFT_TRACE="$T_TMP/trace" t_run sqsprobe --max-events 7 --max-seconds 10
t_is "s3: the 7 events of the file" "$(printf '%s\n' "$T_OUT" | ids | sort)" "$(cat "$T_TMP/s3ids")"
t_like "s3: signed GET, path-style, key percent-encoded" "$(cat "$T_TMP/trace")" \
	'GET http://127.0.0.1:[0-9]+/trail-bucket/AWSLogs/.*_[0-9]+%20x%2By\.json\.gz -> 200'
sleep 0.2
t_like "s3: message deleted" "$(state)" '"visible":0,"inflight":0,"deleted":6'

# 3. Killed between receive and delete: the message comes back after the visibility
#    timeout and its event is handed over again (dropped downstream by event id).
mock_get m '/__control/sqs/eventbridge?queue=trail-events&n=1' | grep -o '[0-9a-f-]\{36\}' > "$T_TMP/one"
mock_get m '/__control/hang?ms=5000&op=DeleteMessageBatch' > /dev/null
: > "$T_TMP/r1"
"$PROBE" sqs --endpoint "$URL" --s3-endpoint "$URL" --queue-url "$Q" --region us-east-1 \
	--akid AKIDSQS --wait 1 --visibility 2 > "$T_TMP/r1" 2> "$T_TMP/r1.err" &
PID=$!
t_kill_at_exit "$PID"
i=0
while [ ! -s "$T_TMP/r1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -9 $PID
wait $PID 2> /dev/null
t_is "redelivery: the event was handed over before the kill" "$(ids < "$T_TMP/r1")" "$(cat "$T_TMP/one")"
t_like "redelivery: message in flight, not deleted" "$(state)" '"inflight":1,"deleted":6'
sleep 2.2
t_ok "redelivery: received again after the visibility timeout" sqsprobe --max-events 1 --max-seconds 10
t_is "redelivery: the same event id again (at-least-once)" "$(printf '%s\n' "$T_OUT" | ids)" "$(cat "$T_TMP/one")"
sleep 0.2
t_like "redelivery: deleted the second time" "$(state)" '"visible":0,"inflight":0,"deleted":7'

# 4. An unparseable message is not deleted, and the error names it.
MID=$(curl -sS -X POST --data-binary '{"Records":[{"no":"s3 here"}' "$URL/__control/sqs/send?queue=trail-events" |
	grep -o '[0-9a-f-]\{36\}')
mock_get m '/__control/sqs/eventbridge?queue=trail-events&n=1' > /dev/null
t_run sqsprobe --max-events 1 --max-seconds 3 --visibility 30
t_is "bad message: the good one is handed over" "$(printf '%s\n' "$T_OUT" | grep -c '"id"')" 1
t_like "bad message: error names the message id" "$T_ERR" "message $MID: the body is not a JSON object \\(not deleted"
sleep 0.2
t_like "bad message: kept (in flight for the DLQ redrive), the good one deleted" "$(state)" '"inflight":1,"deleted":8'

# 5. Wrong secret: a clear error, no secret anywhere.
PROBE_SECRET=bad-sqs-secret-999 TFDRIFT_TRACE="$T_TMP/trace2" t_run sqsprobe --once
t_like "wrong secret: SignatureDoesNotMatch" "$T_ERR" 'HTTP 403 SignatureDoesNotMatch'
t_unlike "wrong secret: not printed" "$T_ERR$(cat "$T_TMP/trace2")" "bad-sqs-secret-999|$SECRET"

t_done
