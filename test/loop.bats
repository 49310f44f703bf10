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
