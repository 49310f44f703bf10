# Markdown in, Markdown out: every pipe table (GitHub's extension, which
# cmark does not know) becomes a run of marker paragraphs that cmark renders
# like any other text, in the same document, so code spans and links in the
# cells come out right. html.awk puts the table back together:
#
#   BOOKTABLE:N:ALIGNS          ALIGNS: one letter a column, l c r or -
#   BOOKCELL:N:ROW:COL: text    row 0 is the header
#   BOOKTABLEEND:N
#
# A table is a header row, a delimiter row (| --- | --: |) with as many
# cells, and the rows up to the next blank line. Fenced code is left alone.

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

# split_row(LINE, CELLS): the cells of a table row, pipes at either end
# dropped, \| kept as a literal pipe; returns how many.
function split_row(line, cells,    n, i, c, cell) {
	line = trim(line)
	if (substr(line, 1, 1) == "|")
		line = substr(line, 2)
	if (line ~ /[^\\]\|$/ || line == "|")
		line = substr(line, 1, length(line) - 1)
	n = 0
	cell = ""
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (c == "\\" && substr(line, i + 1, 1) == "|") {
			cell = cell "|"
			i++
		} else if (c == "|") {
			cells[++n] = trim(cell)
			cell = ""
		} else {
			cell = cell c
		}
	}
	cells[++n] = trim(cell)
	return n
}

function is_delimiter(line) {
	return line ~ /^ ? ? ?\|? *:?-+:? *(\| *:?-+:? *)*\|? *$/ && line ~ /-/
}

function align_of(cell) {
	cell = trim(cell)
	if (cell ~ /^:.*:$/)
		return "c"
	if (cell ~ /:$/)
		return "r"
	if (cell ~ /^:/)
		return "l"
	return "-"
}

{ src[NR] = $0 }

END {
	fence = ""
	tables = 0
	for (i = 1; i <= NR; i++) {
		l = src[i]
		if (fence != "") {
			print l
			if (l ~ ("^ ? ? ?" fence))
				fence = ""
			continue
		}
		if (l ~ /^ ? ? ?(```|~~~)/) {
			fence = substr(trim(l), 1, 3)
			print l
			continue
		}
		if (i < NR && l ~ /\|/ && l !~ /^(    |\t)/ && is_delimiter(src[i + 1])) {
			ncols = split_row(l, head)
			if (split_row(src[i + 1], delim) == ncols) {
				tables++
				aligns = ""
				for (c = 1; c <= ncols; c++)
					aligns = aligns align_of(delim[c])
				printf "\nBOOKTABLE:%d:%s\n\n", tables, aligns
				for (c = 1; c <= ncols; c++)
					printf "BOOKCELL:%d:0:%d: %s\n\n", tables, c, head[c]
				row = 0
				for (i += 2; i <= NR && trim(src[i]) != "" && src[i] ~ /\|/; i++) {
					row++
					n = split_row(src[i], cells)
					for (c = 1; c <= ncols; c++)
						printf "BOOKCELL:%d:%d:%d: %s\n\n", tables, row, c, (c <= n ? cells[c] : "")
				}
				printf "BOOKTABLEEND:%d\n\n", tables
				i--
				continue
			}
		}
		print l
	}
}
