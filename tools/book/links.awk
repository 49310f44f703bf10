# Every link of a book, checked: its file exists, and its #anchor is an id
# in that file. Run in the book's directory:
#
#   awk -f links.awk FILES PAGE.html...
#
# FILES lists every file of the book (./ dropped), one a line. Links out
# of the book (http:, mailto:...) are not checked. Prints one line a broken
# link; exits 1 if there is one.

function decode(s) {
	gsub(/&lt;/, "<", s)
	gsub(/&gt;/, ">", s)
	gsub(/&quot;/, "\"", s)
	gsub(/&#39;/, "'", s)
	gsub(/&amp;/, "\\&", s)
	return s
}

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

FNR == NR {
	sub(/^\.\//, "", $0)
	exists[$0] = 1
	next
}

FNR == 1 {
	page = FILENAME
	sub(/^\.\//, "", page)
}

{
	s = $0
	while (match(s, /[ \t](id|href|src)="[^"]*"/)) {
		attr = substr(s, RSTART + 1, RLENGTH - 2)
		s = substr(s, RSTART + RLENGTH)
		k = index(attr, "=")
		name = substr(attr, 1, k - 1)
		value = decode(substr(attr, k + 2))
		if (name == "id") {
			if ((page, value) in ids)
				printf "%s: id \"%s\" is used twice\n", page, value
			ids[page, value] = 1
			continue
		}
		nlinks++
		from[nlinks] = page
		url[nlinks] = value
		lineno[nlinks] = FNR
	}
}

END {
	bad = 0
	for (i = 1; i <= nlinks; i++) {
		u = url[i]
		if (u ~ /^[A-Za-z][A-Za-z0-9+.-]*:/ || u ~ /^\/\//)
			continue
		k = index(u, "#")
		path = k ? substr(u, 1, k - 1) : u
		frag = k ? substr(u, k + 1) : ""
		if (path == "")
			target = from[i]
		else {
			dir = from[i]
			if (!sub(/\/[^\/]*$/, "", dir))
				dir = ""
			target = normalize(dir == "" ? path : dir "/" path)
		}
		if (!(target in exists)) {
			printf "%s:%d: link to %s: no such file in the book\n", from[i], lineno[i], u
			bad = 1
		} else if (frag != "" && !((target, frag) in ids)) {
			printf "%s:%d: link to %s: %s has no id \"%s\"\n", from[i], lineno[i], u, target, frag
			bad = 1
		}
	}
	exit bad
}
