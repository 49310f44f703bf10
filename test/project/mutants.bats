#!/usr/bin/env bats
# tools/mutants, the tool behind `make mutants`, on small lists of its own
# against 01-blocking: a caught mutant passes, a missed one fails, a line
# that moved or a row the stage does not test is an error, and the stage
# itself is never touched. (Whether the stages' own lists are all caught
# is `make mutants`' job, run by CI.)

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# mutants TEXT...: write the lines TEXT (a mutants file) to a file and run
# tools/mutants on 01 with it; status and output as bats' run leaves them.
mutants() {
	local list=$BATS_TEST_TMPDIR/mutants
	printf '%s\n' "$@" >"$list"
	run timeout -s KILL 120 "$TOP/tools/mutants" -f "$list" 01
	echo "$output"
}

@test "mutants: a mutant its row's tests catch is caught, named with the failing test" {
	mutants 'mutant usage-exit cli' \
		'test -h prints the usage' \
		'why -h must exit 0' \
		'-			exit(0);' \
		'+			exit(1);'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^caught\ +01\ usage-exit\ +cli:\ -h\ prints\ the\ usage ]]
	[[ "${lines[1]}" == "1 caught, 0 missed"* ]]
}

@test "mutants: a mutant no test catches is MISSED, and the run fails" {
	# Only a comment changes: no test can see it.
	mutants 'mutant harmless cli' \
		'test -h prints the usage' \
		'why nothing: a comment changes' \
		'-#define DEFAULT_PORT "7007"      /* the same in every stage */' \
		'+#define DEFAULT_PORT "7007" /* changed */'
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" =~ ^MISSED\ +01\ harmless\ +cli:\ 1\ test\(s\)\ passed ]]
	[[ "${lines[1]}" == "0 caught, 1 missed"* ]]
}

@test "mutants: a line found twice, or not at all, no longer applies: an error" {
	mutants 'mutant twice cli' \
		'why the line is in server.c twice' \
		'-	va_list ap;' \
		'+	va_list ap, bp;' \
		'' \
		'mutant gone cli' \
		'why the line is nowhere' \
		'-	this line is nowhere;' \
		'+	nor this;'
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "ERROR   01 twice "*"no longer applies: its line is in 01-blocking/server.c 3 times, not once"* ]]
	[[ "${lines[1]}" == "ERROR   01 gone "*"no longer applies: its line is in 01-blocking/server.c 0 times, not once"* ]]
	[[ "${lines[2]}" == "0 caught, 0 missed, 2 errors"* ]]
}

@test "mutants: a row the stage does not test, a mutant that does not build, a bad block: errors" {
	mutants 'mutant no-row stale-event' \
		'why 01 has no epoll loop' \
		'-			exit(0);' \
		'+			exit(1);' \
		'' \
		'mutant no-build cli' \
		'why it does not compile' \
		'-			exit(0);' \
		'+			exit(0)' \
		'' \
		'mutant no-why cli' \
		'-			exit(0);' \
		'+			exit(1);'
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "ERROR   01 no-row "*"01-blocking/expect does not test row 'stale-event'"* ]]
	[[ "${lines[1]}" == "ERROR   01 no-build "*"does not build"* ]]
	[[ "$output" == *"ERROR   01 no-why "*"needs a row, a why, a - line and a + line"* ]]
}

@test "mutants: the stage itself is never touched" {
	before=$(cd "$TOP/01-blocking" && cat server.c expect | md5sum)
	mutants 'mutant usage-exit cli' \
		'test -h prints the usage' \
		'why -h must exit 0' \
		'-			exit(0);' \
		'+			exit(1);'
	[ "$status" -eq 0 ]
	[ "$(cd "$TOP/01-blocking" && cat server.c expect | md5sum)" = "$before" ]
}

@test "mutants: every stage's mutants file can be read" {
	# -m with an id no mutant has: each file is read, nothing is built.
	run "$TOP/tools/mutants" -n -m 'no such id'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "0 errors (in "* ]]
}
