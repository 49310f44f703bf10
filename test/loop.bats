#!/usr/bin/env bats
# The event loop's own bookkeeping, tested white-box (test/unit/).

load helpers

@test "stale-event: a connection closed mid-batch gets no stale event, nor its fd's next owner" {
	expectation stale-event
	build_unit batch
	run timeout -s KILL 30 "$BATS_TEST_TMPDIR/batch"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no event reached a connection closed earlier"* ]]
}

@test "stale-event: a listener event with nothing left to accept costs no wait" {
	expectation stale-event
	build_unit accept
	run timeout -s KILL 30 "$BATS_TEST_TMPDIR/accept"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"on_accept() returned at once"* ]]
}

@test "slow-reader: reading stops at 256 KiB queued, resumes at 64 KiB; EPOLLOUT only while echo waits" {
	expectation slow-reader
	grep -q '^static int update_interest(' "$STAGE_DIR/server.c" ||
		skip "$STAGE queues no output: its writes block"
	build_unit backpressure
	run timeout -s KILL 30 "$BATS_TEST_TMPDIR/backpressure"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reading stops at 256 KiB queued and starts again at 64 KiB"* ]]
}
