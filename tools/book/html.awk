# cmark's HTML in, the book's HTML out: tables put back together (see
# tables.awk), an id on every heading (GitHub's: lower case, punctuation
# dropped, spaces to dashes, -1, -2 for repeats), and every link into the
# repository pointed at the book's page for it.
#
#   awk -v dir=DIR -v map=FILE -v root=PREFIX -v page=NAME \
#       [-v reserved=FILE] [-v wanted=FILE] -f html.awk
#
# DIR is the Markdown file's directory ("" at the top), so relative links
# resolve as they do on GitHub. MAP lists "PATH TARGET" pairs: every tracked
# file (TARGET -, or the page a Markdown file becomes) and every stage
# directory (its page). A link to a stage, its README or another page goes
# to that page; to a tracked file, to its listing in src/ (or its copy in
# files/ for an image or a PDF), which is then named in WANTED. RESERVED
# lists ids the page already uses. A link to anything else is left as it is
# and reported: the book's checks then fail on it.

BEGIN {
	while ((getline l < map) > 0) {
		split(l, f, " ")
		target[f[1]] = f[2]
		n = split(f[1], part, "/")
		d = ""
		for (i = 1; i < n; i++) {
			d = d (i > 1 ? "/" : "") part[i]
			isdir[d] = 1
		}
	}
	close(map)
	if (reserved != "") {
		while ((getline l < reserved) > 0)
			used[l] = 1
		close(reserved)
	}
	intable = 0
}

function decode(s) {
	gsub(/&lt;/, "<", s)
	gsub(/&gt;/, ">", s)
	gsub(/&quot;/, "\"", s)
	gsub(/&#39;/, "'", s)
	gsub(/&amp;/, "\\&", s)
	return s
}

function slug(text,    s, n) {
	s = text
	gsub(/<[^>]*>/, "", s)
	s = tolower(decode(s))
	gsub(/[][!"#$%&'()*+,.\/:;<=>?@\\^`{|}~]/, "", s)
	gsub(/ /, "-", s)
	if (s == "")
		s = "section"
	if (s in used) {
		for (n = 1; (s "-" n) in used; n++)
			;
		s = s "-" n
	}
	used[s] = 1
	return s
}

# normalize(PATH): PATH without "." and ".." steps, or "/.." above the top.
function normalize(p,    n, seg, out, k, i) {
	n = split(p, seg, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (seg[i] == "" || seg[i] == ".")
			continue
		if (seg[i] == "..") {
			if (k == 0)
				return "/.."
			k--
			continue
		}
		out[++k] = seg[i]
	}
	p = ""
	for (i = 1; i <= k; i++)
		p = p (i > 1 ? "/" : "") out[i]
	return p
}

function warn(url, why) {
	printf "book: %s: link to %s: %s\n", page, url, why > "/dev/stderr"
}

# book_target(PATH): where the book has the repository's PATH, or "".
function book_target(p) {
	if (p in target && target[p] != "-")
		return target[p]
	if ((p "/README.md") in target && target[p "/README.md"] != "-")
		return target[p "/README.md"]
	if (p in target) {
		if (wanted != "")
			print p >> wanted
		if (tolower(p) ~ /\.(png|jpe?g|gif|svg|webp|pdf)$/)
			return "files/" p
		return "src/" p ".html"
	}
	return ""
}

function rewrite(url,    path, frag, k, full, t) {
	if (url ~ /^[A-Za-z][A-Za-z0-9+.-]*:/ || url ~ /^\/\// || url ~ /^#/)
		return url
	k = index(url, "#")
	path = k ? substr(url, 1, k - 1) : url
	frag = k ? substr(url, k) : ""
	if (substr(path, 1, 1) == "/")
		full = normalize(path)
	else
		full = normalize(dir == "" ? path : dir "/" path)
	if (full == "/..") {
		warn(url, "outside the repository")
		return url
	}
	if (full == "")
		t = "index.html"
	else
		t = book_target(full)
	if (t == "") {
		warn(url, isdir[full] ? "a directory the book has no page for" \
			: "not a file the repository tracks")
		return url
	}
	return root t frag
}

function rewrite_links(s,    out, attr, start, rest, q, url) {
	out = ""
	while (match(s, / (href|src)="/)) {
		out = out substr(s, 1, RSTART + RLENGTH - 1)
		rest = substr(s, RSTART + RLENGTH)
		q = index(rest, "\"")
		url = decode(substr(rest, 1, q - 1))
		url = rewrite(url)
		gsub(/&/, "\\&amp;", url)
		gsub(/"/, "\\&quot;", url)
		out = out url
		s = substr(rest, q)
	}
	return out s
}

function emit(s,    lvl, inner) {
	if (s ~ /^<h[1-6]>.*<\/h[1-6]>$/) {
		lvl = substr(s, 3, 1)
		inner = substr(s, 5, length(s) - 9)
		s = "<h" lvl " id=\"" slug(inner) "\">" inner "</h" lvl ">"
	}
	print rewrite_links(s)
}

# A marker paragraph's text after "<p>NAME:", or "" if it is not one.
function marker(s, name) {
	if (index(s, "<p>" name ":") != 1 || substr(s, length(s) - 3) != "</p>")
		return ""
	return substr(s, length(name) + 5, length(s) - length(name) - 8)
}

function flush_table(    r, c, tag, cls, a, s) {
	emit("<div class=\"table\"><table>")
	for (r = 0; r <= rows; r++) {
		if (r == 0)
			emit("<thead>")
		if (r == 1)
			emit("<tbody>")
		tag = r == 0 ? "th" : "td"
		s = "<tr>"
		for (c = 1; c <= length(aligns); c++) {
			a = substr(aligns, c, 1)
			cls = a == "-" ? "" : " class=\"" a "\""
			s = s "<" tag cls ">" cell[r, c] "</" tag ">"
		}
		emit(s "</tr>")
		if (r == 0)
			emit("</thead>")
	}
	if (rows > 0)
		emit("</tbody>")
	emit("</table></div>")
	intable = 0
}

{
	if (!intable && (m = marker($0, "BOOKTABLE")) != "") {
		intable = 1
		aligns = substr(m, index(m, ":") + 1)
		rows = 0
		split("", cell)
		next
	}
	if (intable && (m = marker($0, "BOOKCELL")) != "") {
		split(m, f, ":")
		k = length(f[1]) + length(f[2]) + length(f[3]) + 4
		cell[f[2], f[3]] = substr(m, k + 1)
		if (f[2] + 0 > rows)
			rows = f[2] + 0
		next
	}
	if (intable && marker($0, "BOOKTABLEEND") != "") {
		flush_table()
		next
	}
	emit($0)
}
