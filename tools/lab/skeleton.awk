# Lab 01's starting point, derived from 01-blocking/server.c so that it
# never drifts from it: the same header, includes, constants, types, state,
# errors and logging, command line and main(), word for word; every other
# section keeps its banner, the names of what 01 defines there, and an
# empty body for each function main() calls, with its comment.
#
# usage: awk -f tools/lab/skeleton.awk server.c server.c   (two passes)

BEGIN {
	split("includes|constants|types|state|errors and logging|" \
	      "command line|main", k, "|")
	for (i in k)
		kept[k[i]] = 1
}

# The section a banner opens, or "" if the line is not a banner.
function banner(line) {
	if (line !~ /^\/\*\*\* .* \*\*\*\/$/)
		return ""
	sub(/^\/\*\*\* /, "", line)
	sub(/ \*\*\*\/$/, "", line)
	return line
}

# The name of the function whose definition starts on this line, or "".
function defines(line,  s) {
	if (line !~ /^[a-z].*[a-z_0-9]\(/ || line ~ /;$/)
		return ""
	s = substr(line, 1, index(line, "(") - 1)
	sub(/.*[ *]/, "", s)
	return s
}

# Pass 1: which functions main() calls, and which each section defines.
FNR == NR {
	if ((b = banner($0)) != "") {
		section = b
		next
	}
	if (section == "main" && $0 ~ /^\t/) {
		s = $0
		while (match(s, /[a-z_][a-z_0-9]*\(/)) {
			called[substr(s, RSTART, RLENGTH - 1)] = 1
			s = substr(s, RSTART + RLENGTH)
		}
	}
	if (!(section in kept) && (f = defines($0)) != "")
		names[section] = names[section] (names[section] == "" ? "" : ", ") f "()"
	next
}

# Pass 2.
FNR == 1 { section = ""; state = "" }

(b = banner($0)) != "" {
	if (section != "" && !(section in kept))
		print ""
	section = b
	print
	if (!(section in kept))
		say_names(section)
	next
}

section == "" || section in kept { print; next }

# An emptied section: keep only the stubs of what main() calls.
state == "body" {
	if ($0 == "}") {
		state = ""
		if (stub) {
			print ""
			printf "%s", comment
			printf "%s", signature
			print "{"
			print "\t/* yours to write */"
			if (signature !~ /^(static )?void /)
				print "\treturn 0;"
			print "}"
		}
		comment = ""
	}
	next
}
state == "signature" {
	if ($0 == "{") {
		state = "body"
		next
	}
	signature = signature $0 "\n"
	next
}
state == "comment" {
	comment = comment $0 "\n"
	if ($0 ~ /\*\/$/)
		state = ""
	next
}
/^\/\*/ {
	comment = $0 "\n"
	if ($0 !~ /\*\/$/)
		state = "comment"
	next
}
(f = defines($0)) != "" {
	stub = f in called
	signature = $0 "\n"
	state = "signature"
	next
}
/^$/ { next }
{ comment = "" } # anything else of 01's here is left out

# A comment naming the functions 01 has in this section, wrapped.
function say_names(s,  n, w, i, line) {
	print ""
	line = "/* Yours to write. 01-blocking has here:"
	n = split(names[s], w, " ")
	for (i = 1; i <= n; i++) {
		if (length(line) + 1 + length(w[i]) > 77) {
			print line
			line = " *"
		}
		line = line " " w[i]
	}
	if (length(line) + 3 > 79) {
		print line
		line = ""
	}
	print line (line == "" ? " */" : " */")
}
