#!/usr/bin/env bats
# make book: the book is made from the repository as it is, and checked
# (tools/book/check): a page per stage, well-formed pages, every link and
# anchor resolving, every hunk of every stage diff on its stage's page,
# previous and next links chaining the pages. A stage directory added later
# gets its page with nothing changed in the tools.

bats_require_minimum_version 1.5.0

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	BOOK=$BATS_FILE_TMPDIR/book
	export TOP BOOK
	command -v cmark >/dev/null || {
		echo "cmark is not installed (tools/deps cmark)" >&2
		return 1
	}
	timeout 300 "$TOP/tools/book/build" "$BOOK" >"$BATS_FILE_TMPDIR/build.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/build.log" >&2
		return 1
	}
}

setup() {
	cd "$TOP"
	stages=()
	for d in [0-9][0-9]-*/; do
		stages+=("${d%/}")
	done
}

# check WHAT...: tools/book/check on the book, its findings shown on failure.
check() {
	run timeout 300 tools/book/check "$BOOK" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "book: a page for every stage directory, the index, the notes, the README" {
	check pages
	for s in "${stages[@]}"; do
		grep -q '<h1 id="[^"]*">' "$BOOK/$s.html"
		grep -q "<a href=\"$s.html\"" "$BOOK/index.html"
	done
	# The build reported no link it could not place.
	! grep 'link to' "$BATS_FILE_TMPDIR/build.log"
}

@test "book: every page is well-formed (xmllint)" {
	check xml
}

@test "book: every link within the book, and every #anchor, resolves" {
	check links
}

@test "book: every hunk of tools/stagediff NN is on stage NN's page, exactly" {
	check hunks
}

@test "book: previous and next links chain every page; listings have them too" {
	check pager
}

@test "book: Markdown links to stages lead to the stage pages" {
	# NOTES.md links stages as 01-blocking or 05-timers/README.md, READMEs
	# as ../03-epoll: each must become STAGE.html.
	for s in "${stages[@]}"; do
		if grep -q "](\(\.\./\)\?$s\(/\|/README\.md\)\?\(#[^)]*\)\?)" NOTES.md; then
			grep -q "href=\"$s.html" "$BOOK/notes.html"
		fi
	done
	! grep -E 'href="[^"#:]*(/|/README\.md|\.md)(#[^"]*)?"' "$BOOK"/*.html
}

@test "book: each stage page shows the matrix rows its expect file changes" {
	local i prev cur b aside
	for ((i = 1; i < ${#stages[@]}; i++)); do
		prev=${stages[i - 1]} cur=${stages[i]}
		aside=$(sed -n '/<aside class="flips"/,/<\/aside>/p' "$BOOK/$cur.html")
		# The rows whose value differs, by the expect files alone.
		for b in $(awk 'FNR == NR { if (!/^#/ && NF) p[$1] = $2; next }
				!/^#/ && NF { c[$1] = $2 }
				END { for (k in p) if (c[k] != p[k]) print k
				      for (k in c) if (!(k in p)) print k }' \
			"$prev/expect" "$cur/expect"); do
			[[ $aside == *"<code>$b</code>"* ]] || {
				echo "$cur.html does not show $b flipping"
				return 1
			}
		done
	done
}

@test "book: the index's matrix has a column per stage and a row per behaviour" {
	local rows cols
	rows=$(grep -cv '^#' test/behaviours)
	cols=$(sed -n '/<table class="matrix">/,/<\/table>/p' "$BOOK/index.html" |
		grep -o '<th><a href="[^"]*\.html"' | wc -l)
	[ "$cols" -eq "${#stages[@]}" ]
	[ "$(sed -n '/<table class="matrix">/,/<\/table>/p' "$BOOK/index.html" |
		grep -c '^<tr><th><code>')" -eq "$rows" ]
	grep -q 'class="which"' "$BOOK/index.html"
}

@test "book: C in the diffs and listings is escaped" {
	grep -q '#include &lt;stdio.h&gt;' "$BOOK/${stages[0]}.html"
	grep -q '#include &lt;stdio.h&gt;' "$BOOK/src/${stages[0]}/server.c.html"
	! grep -q '#include <' "$BOOK"/*.html "$BOOK"/src/*/*.html
}

@test "book: the checks catch a broken link, a changed hunk and a malformed page" {
	local bad=$BATS_TEST_TMPDIR/bad s=${stages[${#stages[@]} - 1]}
	cp -r "$BOOK" "$bad"
	sed -i '0,/href="index.html"/s//href="no-such-page.html"/' "$bad/notes.html"
	sed -i '0,/<span class="m">+<\/span>/s//<span class="m">+<\/span>changed/' "$bad/$s.html"
	sed -i '0,/<p>/s//<p><b>/' "$bad/readme.html"
	run tools/book/check "$bad" xml links hunks
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"notes.html"*"no-such-page.html: no such file"* ]]
	[[ $output == *"$s.html: missing: @@"* ]]
	[[ $output == *"not well-formed"* ]]
}

@test "book: a new stage directory gets a page, in order, with nothing else changed" {
	local copy=$BATS_TEST_TMPDIR/repo last=${stages[${#stages[@]} - 1]}
	local new=99-extra b first
	mkdir -p "$copy"
	git ls-files -z | xargs -0 cp --parents -t "$copy"
	cp --parents -r tools/book "$copy"
	cp -r "$last" "$copy/$new"
	rm -f "$copy/$new"/server "$copy/$new"/server-*
	echo "/* one more line */" >>"$copy/$new/server.c"
	# Flip the first row the last stage lists.
	read -r b first < <(grep -v '^#' "$last/expect" | head -n 1)
	[ "$first" = works ] && first=limit || first=works
	sed -i "s/^$b .*/$b $first/" "$copy/$new/expect"
	cd "$copy"
	git init -q
	git add -A
	git -c user.name=book -c user.email=book@localhost commit -q -m copy
	# A whole test run's results, the new row failing: the matrix shows them.
	mkdir -p build/results/plain
	for s in [0-9][0-9]-*/; do
		s=${s%/}
		awk -v s="$s" -v b="$b" -v new="$new" '!/^#/ && NF {
			print (s == new && $1 == b ? "not ok " : "ok ") ++n " " $1 ": a test" }' \
			"$s/expect" >"build/results/plain/$s.tap"
	done
	run timeout 300 tools/book/build "$copy/book"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f book/$new.html ]
	grep -q "<link rel=\"next\" href=\"$new.html\"/>" "book/$last.html"
	grep -q "<link rel=\"prev\" href=\"$last.html\"/>" "book/$new.html"
	sed -n '/<aside class="flips"/,/<\/aside>/p' "book/$new.html" | grep -q "<code>$b</code>"
	grep -q 'one more line' "book/$new.html"
	grep -q 'As the last test runs found it' book/index.html
	[ "$(grep -c '<span class="v fail">FAIL</span></td>' book/index.html)" -eq 1 ]
	run timeout 300 tools/book/check "$copy/book" pages pager
	echo "$output"
	[ "$status" -eq 0 ]
	run awk -f tools/book/hunks.awk "book/$new.html" <(tools/stagediff "${new%%-*}")
	echo "$output"
	[ "$status" -eq 0 ]
}
