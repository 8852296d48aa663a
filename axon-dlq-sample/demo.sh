#!/bin/sh
# axon-dlq walkthrough: break a projection, watch the poison event get parked, fix it, redeliver it.
#
#   ./axon-dlq-sample/demo.sh [BASE_URL]        (default http://localhost:8080, or set BASE_URL)
#
# Needs only curl and a POSIX shell (sed, grep, cut). Start the sample first:
#   mvn -B -pl axon-dlq-sample -am spring-boot:run
# Every run uses fresh account ids, so it can be repeated against the same database.
set -eu

BASE_URL="${1:-${BASE_URL:-http://localhost:8080}}"
# a trailing slash (http://localhost:8080/, as a browser shows the address) would make every path start with //,
# which Spring Security's firewall rejects
while [ "${BASE_URL%/}" != "$BASE_URL" ]; do BASE_URL="${BASE_URL%/}"; done
ADMIN="${ADMIN:-admin:admin}"
VIEWER="${VIEWER:-viewer:viewer}"
GROUP="account-balances"
TIMEOUT="${TIMEOUT:-60}"
RUN="$(date +%s)"
ALICE="alice-$RUN"
BOB="bob-$RUN"
CAROL="carol-$RUN"
JSON="Content-Type: application/json"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
fail() { printf '\n\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }
# show METHOD PATH [curl args...]: prints the request, runs it, prints the response body
show() {
    method="$1"; path="$2"; shift 2
    printf '\033[36m$ curl -X %s %s%s\033[0m\n' "$method" "$BASE_URL" "$path" >&2
    body="$(curl -sS -X "$method" "$BASE_URL$path" "$@")" || fail "curl $method $path"
    printf '%s\n' "$body" >&2
    printf '%s' "$body"
}
# call METHOD PATH [curl args...]: like show, silent
call() { method="$1"; path="$2"; shift 2; curl -sS -X "$method" "$BASE_URL$path" "$@"; }
status() { method="$1"; path="$2"; shift 2; curl -s -o /dev/null -w '%{http_code}' -X "$method" "$BASE_URL$path" "$@"; }
# first value of a JSON string member: json_get NAME < body
json_get() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4; }
json_num() { grep -o "\"$1\":-\{0,1\}[0-9]*" | head -n 1 | cut -d: -f2; }
# wait_for DESCRIPTION COMMAND...: retries COMMAND every second until it succeeds or TIMEOUT passes
wait_for() {
    what="$1"; shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -ge "$TIMEOUT" ] && fail "timed out after ${TIMEOUT}s waiting for $what"
        sleep 1
    done
    say "ok: $what (${i}s)"
}
balance_is() { [ "$(call GET "/accounts/$1" | json_num balance)" = "$2" ]; }
sequence_parked() { call GET "/dead-letters/processing-groups/$GROUP/sequences" -u "$VIEWER" | grep -q "\"sequenceKey\":\"$1\""; }
job_finished() { ! call GET "/dead-letters/retry-jobs/$1" -u "$VIEWER" | grep -q '"state":"RUNNING"'; }

step "0. Is the sample up at $BASE_URL?"
wait_for "the application reports UP" sh -c "curl -sf '$BASE_URL/actuator/health' | grep -q '\"status\":\"UP\"'"
say "Watch it in the browser meanwhile: $BASE_URL/dead-letters/ui/ (admin/admin; viewer/viewer reads only)"

step "1. Open three accounts and deposit 100 into each (HTTP → commands → Account aggregate → JDBC event store)"
for account in "$ALICE" "$BOB" "$CAROL"; do
    show POST /accounts -H "$JSON" -d "{\"accountId\":\"$account\",\"owner\":\"$account\"}" >/dev/null
    show POST "/accounts/$account/deposits" -H "$JSON" -d '{"amount":100}' >/dev/null
done
say "The projections are updated asynchronously by two pooled streaming processors: $GROUP and account-activity."
for account in "$ALICE" "$BOB" "$CAROL"; do
    wait_for "balance of $account is 100" balance_is "$account" 100
done

step "2. Break the $GROUP projection for $ALICE only (fault switch, admin only)"
say "Without credentials the fault switch answers $(status POST /faults -H "$JSON" -d '{}'), as viewer $(status POST /faults -u "$VIEWER" -H "$JSON" -d '{}')."
show POST /faults -u "$ADMIN" -H "$JSON" \
     -d "{\"aggregateId\":\"$ALICE\",\"processingGroup\":\"$GROUP\",\"mode\":\"PERMANENT\"}" >/dev/null

step "3. More business: $ALICE deposits 50 and withdraws 30, $BOB deposits 25"
show POST "/accounts/$ALICE/deposits" -H "$JSON" -d '{"amount":50}' >/dev/null
show POST "/accounts/$ALICE/withdrawals" -H "$JSON" -d '{"amount":30}' >/dev/null
show POST "/accounts/$BOB/deposits" -H "$JSON" -d '{"amount":25}' >/dev/null
say "axon-dlq retries the deposit in place (axon.dlq.retry.max-attempts=3), then dead-letters it;"
say "the withdrawal of the same account is parked behind it, so $ALICE's events keep their order."
wait_for "$ALICE's sequence is parked in $GROUP" sequence_parked "$ALICE"
wait_for "$BOB is not held up: balance 125" balance_is "$BOB" 125

step "4. The parked sequence (as viewer: read-only)"
show GET "/dead-letters/processing-groups/$GROUP/sequences" -u "$VIEWER" >/dev/null
letters="$(show GET "/dead-letters/processing-groups/$GROUP/letters?sequence=$ALICE" -u "$VIEWER")"
letter="$(printf '%s' "$letters" | json_get id)"
[ -n "$letter" ] || fail "no letter id in the listing"

step "5. The letter in detail: payload, aggregate, cause with stack trace, attempts"
detail="$(show GET "/dead-letters/letters/$letter" -u "$VIEWER" 2>/dev/null)"
printf '\033[36m$ curl -X GET %s/dead-letters/letters/%s\033[0m   (the full JSON, summarised:)\n' "$BASE_URL" "$letter"
say "payload:   $(printf '%s' "$detail" | grep -o '"payload":{[^}]*}' | head -n 1 | cut -d: -f2-)"
say "aggregate: $(printf '%s' "$detail" | grep -o '"aggregate":{[^}]*}' | head -n 1 | cut -d: -f2-)"
say "attempts:  $(printf '%s' "$detail" | json_num attempts)"
say "cause:     $(printf '%s' "$detail" | grep -o '"cause":{"type":"[^"]*","message":"[^"]*"' | cut -d'"' -f6,10 | sed 's/"/: /')"
say "stack trace (top):"
printf '%s' "$detail" | grep -o '"stackTrace":"[^"]*' | cut -d'"' -f4 \
    | awk '{ gsub(/\\n\\t/, "\n        "); gsub(/\\n/, "\n"); print }' | head -n 5

step "6. Projections: $ALICE's balance is stuck at 100 in $GROUP; account-activity was not broken and has all 4 events"
show GET "/accounts/$ALICE" >/dev/null
show GET "/accounts/$ALICE/activity" >/dev/null

step "7. Metrics (Prometheus, open) and health"
sleep 3 # the letter gauges refresh every axon.dlq.metrics.refresh-interval (2s in the sample)
printf '\033[36m$ curl %s/actuator/prometheus | grep ^axon_dlq\033[0m\n' "$BASE_URL"
call GET /actuator/prometheus | grep '^axon_dlq' || fail "no axon_dlq metrics"
show GET /actuator/health/deadLetters >/dev/null

step "8. A viewer may not redeliver"
say "POST /dead-letters/retry-jobs as viewer answers $(status POST /dead-letters/retry-jobs -u "$VIEWER" -H "$JSON" -d "{\"processingGroup\":\"$GROUP\"}")"

step "9. Fix the bug: switch the fault off"
show DELETE /faults -u "$ADMIN" >/dev/null

step "10. Start a retry job for $GROUP (admin; Idempotency-Key makes a repeated request return the same job)"
key="demo-$RUN"
job="$(show POST /dead-letters/retry-jobs -u "$ADMIN" -H "$JSON" -H "Idempotency-Key: $key" \
            -d "{\"processingGroup\":\"$GROUP\",\"batchSize\":10,\"cooldown\":\"PT0S\"}" | json_get id)"
[ -n "$job" ] || fail "no job id"
again="$(call POST /dead-letters/retry-jobs -u "$ADMIN" -H "$JSON" -H "Idempotency-Key: $key" \
             -d "{\"processingGroup\":\"$GROUP\",\"batchSize\":10,\"cooldown\":\"PT0S\"}" | json_get id)"
say "job $job; the same request with the same key again returns job $again"

step "11. Poll the job until it finishes"
wait_for "retry job $job finished" job_finished "$job"
result="$(show GET "/dead-letters/retry-jobs/$job" -u "$VIEWER")"
printf '%s' "$result" | grep -q '"state":"COMPLETED"' || fail "the job did not complete"

step "12. The DLQ is empty again and $ALICE's balance is right: 100 + 50 - 30 = 120"
show GET "/dead-letters/processing-groups/$GROUP/sequences" -u "$VIEWER" >/dev/null
sequence_parked "$ALICE" && fail "$ALICE is still parked"
wait_for "balance of $ALICE is 120" balance_is "$ALICE" 120
show GET "/accounts/$ALICE" >/dev/null

step "13. A transient fault is absorbed by in-place retries: $CAROL's next event fails twice, then succeeds"
show POST /faults -u "$ADMIN" -H "$JSON" \
     -d "{\"aggregateId\":\"$CAROL\",\"processingGroup\":\"$GROUP\",\"mode\":\"TRANSIENT\",\"times\":2}" >/dev/null
show POST "/accounts/$CAROL/deposits" -H "$JSON" -d '{"amount":1}' >/dev/null
wait_for "balance of $CAROL is 101, with no dead letter" balance_is "$CAROL" 101
sequence_parked "$CAROL" && fail "$CAROL was dead-lettered"
show DELETE /faults -u "$ADMIN" >/dev/null
sleep 3
printf '\033[36m$ curl %s/actuator/prometheus | grep ^axon_dlq\033[0m\n' "$BASE_URL"
call GET /actuator/prometheus | grep '^axon_dlq'

step "Done. Also try: the dashboard $BASE_URL/dead-letters/ui/ (admin/admin), GET /dead-letters/audit (who did what), GET /dead-letters/processing-groups, the README."
