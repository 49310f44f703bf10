# tools/stagediff's output in, HTML out: a list of the files changed, then
# each file's hunks, every line of the diff kept exactly (its +, - or space
# included, so a printed page needs no colour), HTML-escaped, in a span whose
# class says which kind of line it is and whose data-n is its number in the
# new file. A hunk's header links to its place in the file's listing.
#
#   awk -v prev=STAGE -v cur=STAGE [-v ids=FILE] [-v stats=FILE] \
#       [-v wanted=FILE] -f diff.awk
#
# IDS gets every id the output uses, STATS one line "FILES ADDED REMOVED",
# WANTED the files whose listings the hunks link to. Hunks are read by
# their line counts, so a removed line that looks like a file header
# ("--- x") stays a line of the hunk.

function esc(s) {
	gsub(/&/, "\\&amp;", s)
	gsub(/</, "\\&lt;", s)
	gsub(/>/, "\\&gt;", s)
	return s
}

function out(s) {
	body[++nbody] = s
}

# The name within its stage of a path in a diff header, "" for /dev/null.
function stage_name(p) {
	if (p == "/dev/null")
		return ""
	sub(/^[ab]\//, "", p)
	if (index(p, cur "/") == 1)
		return substr(p, length(cur) + 2)
	if (index(p, prev "/") == 1)
		return substr(p, length(prev) + 2)
	return p
}

function id(s) {
	gsub(/[ \t]/, "_", s)
	if (ids != "")
		print s >> ids
	return s
}

function end_file() {
	if (file == "")
		return
	if (inhunk)
		out("</span></pre>")
	out("</section>")
	fadd[nfiles] = adds
	fdel[nfiles] = dels
	inhunk = 0
	file = ""
}

# Start a file's section, once its name and kind are known.
function start_file(    note, head) {
	file = new != "" ? new : old
	fname[++nfiles] = file
	fid[nfiles] = id("diff-" file)
	fnote[nfiles] = kind
	head = "<section class=\"file\" id=\"" fid[nfiles] "\">"
	out(head)
	note = kind == "" ? "" : " <span class=\"kind\">" kind "</span>"
	out("<h3><code>" esc(file) "</code>" note "STAT" nfiles "</h3>")
	adds = dels = hunks = 0
}

function stat_html(a, d) {
	return "<span class=\"stat\"><span class=\"plus\">+" a \
		"</span> <span class=\"minus\">\342\210\222" d "</span></span>"
}

BEGIN {
	nfiles = nbody = 0
	file = ""
}

{ gsub(/\033\[[0-9;]*m/, "") }

# Inside a hunk: its lines, counted.
inhunk && (oleft > 0 || nleft > 0 || /^\\/) {
	c = substr($0, 1, 1)
	cls = "c"
	num = " data-n=\"" nline "\""
	if (c == "+") {
		cls = "a"
		adds++
		nleft--
		nline++
	} else if (c == "-") {
		cls = "d"
		num = ""
		dels++
		oleft--
	} else if (c == "\\") {
		cls = "nl"
		num = ""
	} else {
		oleft--
		nleft--
		nline++
	}
	text = esc($0)
	if (cls == "a" || cls == "d")
		text = "<span class=\"m\">" c "</span>" esc(substr($0, 2))
	out("</span><span class=\"" cls "\"" num ">" text)
	next
}

/^diff --git / {
	end_file()
	old = new = kind = ""
	next
}

/^new file mode/ { kind = "new file"; next }
/^deleted file mode/ { kind = "deleted"; next }
/^(old|new) mode/ { kind = "mode changed"; next }
/^index / { next }
/^--- / { old = stage_name(substr($0, 5)); next }
/^\+\+\+ / {
	new = stage_name(substr($0, 5))
	start_file()
	next
}

/^Binary files / {
	new = old = ""
	p = $0
	sub(/^Binary files /, "", p)
	sub(/ differ$/, "", p)
	split(p, parts, " and ")
	old = stage_name(parts[1])
	new = stage_name(parts[2])
	kind = "binary"
	start_file()
	out("<p class=\"binary\">A binary file: its change is not shown.</p>")
	next
}

/^@@ / {
	if (inhunk)
		out("</span></pre>")
	# @@ -A[,B] +C[,D] @@ CONTEXT
	split($0, w, " ")
	split(substr(w[2], 2), o, ",")
	split(substr(w[3], 2), n, ",")
	oleft = (2 in o) ? o[2] + 0 : 1
	nleft = (2 in n) ? n[2] + 0 : 1
	nline = n[1] + 0
	hunks++
	rest = substr($0, length(w[1] w[2] w[3] w[4]) + 4)
	at = w[1] " " w[2] " " w[3] " " w[4]
	if (new != "") {
		src = cur "/" file
		line = nline > 0 ? nline : 1
	} else {
		src = prev "/" file
		line = o[1] > 0 ? o[1] : 1
	}
	if (wanted != "")
		print src >> wanted
	href = "src/" src ".html#L" line
	out("<pre class=\"hunk\" id=\"" id(fid[nfiles] "-h" hunks) "\"><span class=\"hh\"><a href=\"" esc(href) "\">" esc(at) "</a>" esc(rest))
	inhunk = 1
	next
}

END {
	end_file()
	tadd = tdel = 0
	for (i = 1; i <= nfiles; i++) {
		tadd += fadd[i]
		tdel += fdel[i]
	}
	if (stats != "")
		print nfiles, tadd, tdel > stats
	if (nfiles == 0) {
		print "<p class=\"nodiff\">No file differs from " prev "'s.</p>"
		exit
	}
	print "<ul class=\"files\">"
	for (i = 1; i <= nfiles; i++)
		print "<li><a href=\"#" fid[i] "\"><code>" esc(fname[i]) "</code></a>" \
			(fnote[i] == "" ? "" : " <span class=\"kind\">" fnote[i] "</span>") \
			" " stat_html(fadd[i], fdel[i]) "</li>"
	print "</ul>"
	f = 0
	for (i = 1; i <= nbody; i++) {
		s = body[i]
		if (s ~ /^<section class="file"/)
			f++
		if (s ~ /^<h3>/)
			sub(/STAT[0-9]+<\/h3>$/, " " stat_html(fadd[f], fdel[f]) "</h3>", s)
		print s
	}
}
