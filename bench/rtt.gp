# bench/rtt.gp: the RTT distributions of `make bench` as CDFs on a log time
# axis, one panel per placement, one line per row.  The rows are whatever
# rtt-<placement>-<slug>.dat files the run left in datadir, so umach's rows
# appear without editing this file.
# Usage: gnuplot -e "datadir='build/bench'; out='bench/results/rtt.png'" bench/rtt.gp

if (!exists("datadir")) datadir = "build/bench"
if (!exists("out")) out = "bench/results/rtt.png"

set terminal pngcairo size 1500,1650 font "DejaVu Sans,15" linewidth 2 \
    noenhanced
# Distinct colours; lines past the eighth repeat them dashed.
set linetype 1 lc rgb "#1f77b4" dt 1
set linetype 2 lc rgb "#d62728" dt 1
set linetype 3 lc rgb "#2ca02c" dt 1
set linetype 4 lc rgb "#ff7f0e" dt 1
set linetype 5 lc rgb "#9467bd" dt 1
set linetype 6 lc rgb "#8c564b" dt 1
set linetype 7 lc rgb "#000000" dt 1
set linetype 8 lc rgb "#e377c2" dt 1
set linetype cycle 8
set output out
set logscale x 10
set xrange [0.5:10000]
set yrange [0:1]
set format x "%g"
set xtics (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
set ytics 0.25
set mytics 5
set grid xtics ytics mxtics
set key outside right center Left reverse width 1 spacing 1.2
set ylabel "fraction of round trips ≤ x"

globs = "unpinned same split"
titles = "'unpinned (the scheduler places both)' \
'@same-cpu (client and server on CPU 0)' \
'@split-cpus (client CPU 0, server CPU 1)'"

# "rtt-unpinned-unix-stream.dat" -> "unix-stream"
label(f, p) = substr(f, strstrt(f, "rtt-" . p . "-") + strlen(p) + 5, \
                     strlen(f) - 4)

set multiplot layout 3,1 title "64 B request + 64 B reply round trips, CDF " . \
    "(" . datadir . ")" font ",18"
do for [i = 1:3] {
    p = word(globs, i)
    files = system("ls " . datadir . "/rtt-" . p . "-*.dat 2>/dev/null")
    set title word(titles, i)
    if (i == 3) { set xlabel "round-trip time (µs, log scale)" }
    if (strlen(files) > 0) {
        plot for [f in files] f using 2:(1) smooth cnormal \
            title label(f, p) with lines
    } else {
        set label 1 "no rows at this placement" at graph 0.5, 0.5 center
        plot NaN notitle
        unset label 1
    }
}
unset multiplot
