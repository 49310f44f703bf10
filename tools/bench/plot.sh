# shellcheck shell=bash
# plot.sh - the plots, SVG drawn by gnuplot from the medians (report.sh's
# $tmp/med-*.tsv): memory per connection, msgs/s and p99 against
# connections, CPU per message. Sourced by tools/bench/run.

PLOTS=(
	"memory.svg|Memory per idle connection"
	"pingpong-rate.svg|Ping-pong: messages per second"
	"pingpong-p99.svg|Ping-pong: p99 latency"
	"cpu.svg|Ping-pong: server CPU per message"
)

# series KIND XCOL YCOL SCALE: for each server in $tmp/med-KIND.tsv, its
# points "X Y*SCALE" in $tmp/plot/KIND-YCOL-ID.dat; prints the IDs, in
# order.
series() {
	awk -F'\t' -v x="$2" -v y="$3" -v scale="$4" -v dir="$tmp/plot" \
		-v kind="$1" '
	NR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; next }
	$(at[y]) != "n/a" {
		s = $(at["server"])
		f = dir "/" kind "-" y "-" s ".dat"
		if (!(s in seen)) { seen[s] = 1; print s; printf "" > f }
		print $(at[x]), $(at[y]) * scale >> f
	}' "$tmp/med-$1.tsv"
}

# line_plot FILE TITLE XLABEL YLABEL LOGY KIND XCOL YCOL SCALE: one line
# per server.
line_plot() {
	local file=$1 title=$2 xlabel=$3 ylabel=$4 logy=$5 kind=$6 id sep=""
	local cmd="plot"
	[ -s "$tmp/med-$kind.tsv" ] || return 0
	for id in $(series "$kind" "$7" "$8" "$9"); do
		cmd+="$sep '$tmp/plot/$kind-$8-$id.dat' using 1:2 with linespoints"
		cmd+=" title '$(name "$id")'"
		sep=", \\
	"
	done
	[ -n "$sep" ] || return 0 # no figures at all
	gnuplot_run "$file" <<EOF
set title '$title' noenhanced
set xlabel '$xlabel'
set ylabel '$ylabel'
set logscale x
$([ "$logy" = log ] && echo "set logscale y")
set format x "%.0f"
set key outside right top noenhanced
set grid
$cmd
EOF
}

# cpu_plot FILE: bars of CPU per message, a cluster per server, a bar per
# connection count.
cpu_plot() {
	local file=$1 dat=$tmp/plot/cpu.dat
	[ -s "$tmp/med-pingpong.tsv" ] || return 0
	awk -F'\t' '
	FILENAME ~ /names.tsv$/ { names[$1] = $2; next }
	FNR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; next }
	{
		s = $(at["server"]); n = $(at["conns"])
		if ($(at["cpu_us_msg"]) == "n/a")
			next
		if (!(s in seen)) { seen[s] = 1; order[++ns] = s }
		if (!(n in seenn)) { seenn[n] = 1; lv[++nl] = n }
		v[s, n] = $(at["cpu_us_msg"])
	}
	END {
		for (i = 2; i <= nl; i++)
			for (j = i; j > 1 && lv[j - 1] + 0 > lv[j] + 0; j--) {
				t = lv[j]; lv[j] = lv[j - 1]; lv[j - 1] = t
			}
		h = "server"
		for (i = 1; i <= nl; i++)
			h = h "\t\"" lv[i] " conn" (lv[i] == 1 ? "" : "s") "\""
		print h
		for (k = 1; k <= ns; k++) {
			s = order[k]
			l = "\"" ((s in names) ? names[s] : s) "\""
			for (i = 1; i <= nl; i++)
				l = l "\t" (((s, lv[i]) in v) && v[s, lv[i]] != "n/a" ? v[s, lv[i]] : "-")
			print l
		}
	}' "$tmp/names.tsv" "$tmp/med-pingpong.tsv" >"$dat"
	# Nothing to draw if no run had a figure (perf and CPU are n/a).
	grep -q '	[0-9]' "$dat" || return 0
	gnuplot_run "$file" <<EOF
set title 'Ping-pong: server CPU time per message' noenhanced
set ylabel 'µs per message (user + system)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set datafile separator "\t"
set datafile missing "-"
set key outside right top noenhanced
set xtics rotate by -30 noenhanced
set grid ytics
set yrange [0:*]
plot for [i=2:$(($(head -1 "$dat" | awk -F'\t' '{ print NF }')))] '$dat' using i:xtic(1) title columnheader(i)
EOF
}

# gnuplot_run FILE: run the gnuplot script on stdin, drawing FILE in $out.
gnuplot_run() {
	{
		echo "set terminal svg size 900,500 dynamic font 'sans,12' background '#ffffff'"
		echo "set output '$out/$1'"
		cat
	} >"$tmp/plot/script.gp"
	gnuplot "$tmp/plot/script.gp" 2>"$tmp/plot/gnuplot.err" || {
		cat "$tmp/plot/gnuplot.err" >&2
		die "gnuplot failed on $1"
	}
}

# plots: draw every plot into $out (after report.sh's medians).
plots() {
	command -v gnuplot >/dev/null || return 0
	mkdir -p "$tmp/plot"
	rm -f "$out"/*.svg
	line_plot memory.svg "Memory per idle connection (server RSS growth)" \
		connections "bytes per connection" log idle conns b_per_conn 1
	line_plot pingpong-rate.svg "Ping-pong: messages per second" \
		connections "messages per second" lin pingpong conns rate 1
	line_plot pingpong-p99.svg "Ping-pong: p99 latency" connections \
		"p99 latency (ms)" log pingpong conns p99_us 0.001
	cpu_plot cpu.svg
}

# report_plots: the plots section of results.md.
report_plots() {
	local p
	echo "## Plots"
	echo
	if ! command -v gnuplot >/dev/null; then
		echo "No plots: gnuplot is not installed (Debian: apt-get" \
			"install gnuplot-nox)."
		echo
		return 0
	fi
	for p in "${PLOTS[@]}"; do
		if [ -s "$out/${p%%|*}" ]; then
			echo "![${p#*|}](${p%%|*})"
			echo
		fi
	done
}
