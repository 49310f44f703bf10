# The behaviour matrix, from test/behaviours (the rows, in order) and each
# stage's `expect` file (works, limit, or absent: not there yet), as HTML.
#
#   awk -v mode=flips -v prev=STAGE -v cur=STAGE -f expect.awk test/behaviours
#       the rows whose value in CUR differs from PREV's (PREV "" for the
#       first stage: every row it has)
#   awk -v mode=matrix -v stages="S1 S2..." [-v results=DIR] -f expect.awk ...
#       the whole matrix; with RESULTS (test/run's TAP files), each cell as
#       test/matrix prints it: FAIL where a test of the row failed, ? where
#       the stage has no result for it
#   awk -v mode=coverage -v stages="S1 S2..." -v results=DIR -f expect.awk ...
#       how many promised cells (works or limit) RESULTS has no result for:
#       0 when every stage's suite ran whole
#   awk -v mode=summary -v stages="S1 S2..." -f expect.awk test/behaviours
#       one line a stage: STAGE, the rows it wins, its limits (HTML),
#       separated by \037 (a field may be empty)

function esc(s) {
	gsub(/&/, "\\&amp;", s)
	gsub(/</, "\\&lt;", s)
	gsub(/>/, "\\&gt;", s)
	gsub(/"/, "\\&quot;", s)
	return s
}

# load(STAGE): read STAGE/expect into want[STAGE, ID].
function load(s,    f, l, w) {
	if (s == "" || (s in loaded))
		return
	loaded[s] = 1
	f = s "/expect"
	while ((getline l < f) > 0) {
		if (l ~ /^#/ || split(l, w, " ") < 2)
			continue
		want[s, w[1]] = w[2]
	}
	close(f)
}

function value(s, b) {
	return (s, b) in want ? want[s, b] : "-"
}

function cell(v) {
	if (v == "-")
		return "<span class=\"v none\" title=\"not there yet\">\342\200\223</span>"
	return "<span class=\"v " (v == "?" ? "unknown" : tolower(v)) "\">" esc(v) "</span>"
}

# result(STAGE, ID): the cell test/matrix prints for a test run.
function result(s, b,    f, l, t, seen, failed) {
	f = results "/" s ".tap"
	seen = failed = 0
	while ((getline l < f) > 0) {
		t = l
		if (sub(/^not ok [0-9]+ /, "", t)) {
			if (index(t, b ":") == 1)
				seen = failed = 1
		} else if (sub(/^ok [0-9]+ /, "", t)) {
			if (index(t, b ":") == 1)
				seen = 1
		}
	}
	close(f)
	if (!seen)
		return "?"
	return failed ? "FAIL" : value(s, b)
}

function name(b) {
	return "<span class=\"row\" title=\"" esc(what[b]) "\">" esc(b) "</span>"
}

/^#/ || NF == 0 { next }

{
	id[++n] = $1
	w = $0
	sub(/^[^ \t]+[ \t]+/, "", w)
	what[$1] = w
}

END {
	ns = split(stages, st, " ")
	if (mode == "flips") {
		load(prev)
		load(cur)
		k = 0
		for (i = 1; i <= n; i++) {
			b = id[i]
			was = prev == "" ? "-" : value(prev, b)
			now = value(cur, b)
			if (was == now)
				continue
			if (!k++)
				print "<ul class=\"flips\">"
			print "<li class=\"to-" (now == "-" ? "none" : now) "\">" \
				"<code>" esc(b) "</code> " \
				(prev == "" ? "" : cell(was) " \342\206\222 ") cell(now) \
				"<span class=\"what\">" esc(what[b]) "</span></li>"
		}
		if (k)
			print "</ul>"
		else
			print "<p class=\"noflips\">No row of the matrix changes.</p>"
	} else if (mode == "coverage") {
		missing = 0
		for (j = 1; j <= ns; j++) {
			load(st[j])
			f = results "/" st[j] ".tap"
			if ((getline l < f) < 0)
				missing++
			close(f)
			for (i = 1; i <= n; i++)
				if (value(st[j], id[i]) != "-" && result(st[j], id[i]) == "?")
					missing++
		}
		print missing
	} else if (mode == "summary") {
		for (j = 1; j <= ns; j++) {
			load(st[j])
			wins = limits = ""
			for (i = 1; i <= n; i++) {
				b = id[i]
				now = value(st[j], b)
				was = j > 1 ? value(st[j - 1], b) : "-"
				if (now == "works" && was != "works")
					wins = wins (wins == "" ? "" : ", ") name(b)
				if (now == "limit")
					limits = limits (limits == "" ? "" : ", ") name(b)
			}
			print st[j] "\037" wins "\037" limits
		}
	} else {
		print "<div class=\"table\"><table class=\"matrix\">"
		printf "<thead><tr><th>behaviour</th>"
		for (j = 1; j <= ns; j++) {
			load(st[j])
			printf "<th><a href=\"%s.html\" title=\"%s\">%s</a></th>", \
				st[j], st[j], substr(st[j], 1, index(st[j], "-") - 1)
		}
		print "<th class=\"what\">what works means</th></tr></thead>"
		print "<tbody>"
		for (i = 1; i <= n; i++) {
			b = id[i]
			printf "<tr><th><code>%s</code></th>", esc(b)
			for (j = 1; j <= ns; j++)
				printf "<td>%s</td>", cell(results == "" ? value(st[j], b) : result(st[j], b))
			printf "<td class=\"what\">%s</td></tr>\n", esc(what[b])
		}
		print "</tbody></table></div>"
	}
}
