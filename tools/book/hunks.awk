# Whether every hunk of a diff is on a page, exactly:
#
#   tools/stagediff NN | awk -f hunks.awk PAGE.html -
#
# On the page, a hunk is the text of a <pre class="hunk">: its tags
# dropped, its entities decoded. In the diff, a hunk is an "@@ " line and
# the lines after it, up to the next "@@ " or "diff --git " line (no line
# of a hunk can start so: each starts with a space, +, - or \). Prints each
# hunk the page lacks, and a count; exits 1 if any is missing, or if the
# page holds hunks the diff does not.

function decode(s) {
	gsub(/&lt;/, "<", s)
	gsub(/&gt;/, ">", s)
	gsub(/&quot;/, "\"", s)
	gsub(/&#39;/, "'", s)
	gsub(/&amp;/, "\\&", s)
	return s
}

function page_hunk(text) {
	gsub(/<[^>]*>/, "", text)
	text = decode(text)
	onpage[text]++
	npage++
}

function diff_hunk() {
	if (cur == "")
		return
	ndiff++
	if (onpage[cur] > 0)
		onpage[cur]--
	else {
		missing++
		split(cur, first, "\n")
		printf "missing: %s\n", first[1]
	}
	cur = ""
}

# The page.
FNR == NR {
	s = $0
	if (!inpre) {
		k = index(s, "<pre class=\"hunk\"")
		if (!k)
			next
		s = substr(s, k)
		inpre = 1
		buf = ""
	}
	k = index(s, "</pre>")
	if (k) {
		buf = buf substr(s, 1, k - 1)
		page_hunk(buf)
		inpre = 0
		next
	}
	buf = buf s "\n"
	next
}

# The diff.
/^@@ / {
	diff_hunk()
	cur = $0 "\n"
	next
}

/^diff --git / {
	diff_hunk()
	next
}

cur != "" { cur = cur $0 "\n" }

END {
	diff_hunk()
	printf "%d of %d hunks on the page", ndiff - missing, ndiff
	if (npage != ndiff)
		printf " (the page has %d)", npage
	printf "\n"
	exit (missing > 0 || npage != ndiff)
}
