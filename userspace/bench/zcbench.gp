# zcbench chart: per workload, throughput and sender CPU per GiB of every
# method, as ratios to the workload's baseline (=1, the dashed line), VM
# and native side by side. Ratios, not MB/s: the VM's absolute numbers are
# emulated (TCG) and 10-100x below the host's, while ratios measured in one
# run are comparable; the absolute numbers are in the tables and the JSON.
#
#   gnuplot -e "dir='results'; out='results/zcbench.png'" zcbench.gp
#
# Reads dir/plot-WORKLOAD[-SIZE].dat (zcbench report --plot-data dir), in
# workload order; a busy workload comes as one file per size.

if (!exists("dir")) dir = "results"
if (!exists("out")) out = dir . "/zcbench.png"

wls = "file2sock fanout file2file storage dma"
present = ""
do for [w in wls] {
	present = present . " " . system("cd " . dir . " && ls plot-" . w . ".dat plot-" . w . "-*.dat 2>/dev/null | sed 's/^plot-//; s/[.]dat$//' | tr '\\n' ' '")
}
n = words(present)
if (n == 0) { print "zcbench.gp: no plot data in " . dir; exit }

# One full-width panel each: file2sock alone has ~30 configurations.
set terminal pngcairo size 1800, 440 * 2 * n font "DejaVu Sans,11" noenhanced
set output out
set multiplot layout 2 * n, 1 title "zcbench: ratio to each workload's baseline (1 = baseline; higher throughput is better, lower CPU is better)" font ",14"

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set logscale y 2
set format y "%.3g"
set xtics rotate by 35 right font ",9"
set key top left
set bmargin 8
set lmargin 12
set datafile missing "NaN"

# The y range: every bar and the baseline visible, whatever the spread.
lo(a, b) = a < b ? a : b
hi(a, b) = a > b ? a : b
do for [w in present] {
	f = dir . "/plot-" . w . ".dat"
	do for [c = 0:1] {
		# stats only sees points inside the current range: reset it first.
		set autoscale y
		stats f using (column(2 + 2 * c)) nooutput
		l = STATS_min; h = STATS_max
		stats f using (column(3 + 2 * c)) nooutput
		l = lo(lo(l, STATS_min), 0.5); h = hi(hi(h, STATS_max), 2)
		set yrange [l / 1.5 : h * 1.5]
		set title w . (c ? ": sender CPU per GiB / baseline (lower: less CPU)" : \
				": throughput / baseline (higher: faster)")
		set ylabel "x baseline (log)"
		plot f using (column(2 + 2 * c)):xtic(1) title "VM (TCG)" lc rgb "#4477aa", \
		     '' using (column(3 + 2 * c)) title "native" lc rgb "#ee8833", \
		     1 with lines dt 2 lc rgb "black" notitle
	}
}
unset multiplot
