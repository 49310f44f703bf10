# Files in, listings out: one span a line, with the id L<number> that links
# use (GitHub's too), and the number in data-n for the stylesheet to show.
# Each line's newline is inside its span, so the text of a listing is the
# file, byte for byte, HTML-escaped.
#
#   awk [-v ids=0] -f src.awk FILE        one listing, on stdout
#   awk -v jobs=LIST -f src.awk           one page a line of LIST:
#       SOURCE<TAB>PAGE<TAB>HEAD<TAB>UP<TAB>FOOT
#
# ids=0: no ids, for a listing inside a page that has others. A page is
# the file HEAD, a line UP (HTML, %d in it standing for the line count),
# the listing, and the file FOOT.

function esc(s) {
	gsub(/&/, "\\&amp;", s)
	gsub(/</, "\\&lt;", s)
	gsub(/>/, "\\&gt;", s)
	return s
}

function span(n, text) {
	return sprintf("<span class=\"l\"%s data-n=\"%d\">%s", \
		(ids == "0" ? "" : " id=\"L" n "\""), n, esc(text))
}

# copy(FILE, OUT): FILE's lines onto OUT.
function copy(f, o,    l) {
	while ((getline l < f) > 0)
		print l > o
	close(f)
}

function page(src, o, head, up, foot,    n, l, i) {
	n = 0
	while ((getline l < src) > 0)
		text[++n] = l
	close(src)
	copy(head, o)
	printf "<p class=\"up\">" up "</p>\n", n > o
	printf "<pre class=\"src\">" > o
	for (i = 1; i <= n; i++)
		printf "%s%s", (i > 1 ? "\n</span>" : ""), span(i, text[i]) > o
	print (n > 0 ? "\n</span>" : "") "</pre>" > o
	copy(foot, o)
	close(o)
}

BEGIN {
	if (jobs == "")
		printf "<pre class=\"src\">"
	else {
		while ((getline job < jobs) > 0) {
			split(job, f, "\t")
			page(f[1], f[2], f[3], f[4], f[5])
		}
		exit
	}
}

{ printf "%s%s", (NR > 1 ? "\n</span>" : ""), span(NR, $0) }

END {
	if (jobs == "")
		print (NR > 0 ? "\n</span>" : "") "</pre>"
}
