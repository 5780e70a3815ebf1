#!/usr/bin/env python3
"""Draws the web server load results as an SVG bar chart (no dependencies).

Reads the CSV that bench/load.sh writes (server,median_rps,cpu_us_per_request) and writes an SVG
with requests/s per server, and CPU time per request beside it.

Usage: qfiber-examples/bench/chart.py [results.csv] [out.svg] [title]
"""
import csv
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "qfiber-examples/target/load-results.csv"
out = sys.argv[2] if len(sys.argv) > 2 else "docs/images/webserver-load.svg"
title = sys.argv[3] if len(sys.argv) > 3 else "Web server, wrk -t1 -c50, medians of interleaved rounds"

LABELS = {
    "qfiber": "QFiber WebServer, carrier mode",
    "shared": "QFiber WebServer, shared mode",
    "raw": "raw Reactor Netty handler",
    "jdk": "JDK ServerSocket + virtual threads",
}
COLORS = {"qfiber": "#2b6cb0", "shared": "#90cdf4", "raw": "#718096", "jdk": "#a0aec0"}

rows = list(csv.DictReader(open(src)))
raw = next((float(r["median_rps"]) for r in rows if r["server"] == "raw"), None)
width, bar_h, gap, left, top = 860, 34, 16, 300, 60
chart_w = 380
height = top + len(rows) * (bar_h + gap) + 40
max_rps = max(float(r["median_rps"]) for r in rows)

svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
       f'font-family="sans-serif" font-size="13">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{title}</text>',
       f'<text x="{left}" y="46" fill="#444">requests/s (× raw Reactor Netty)</text>',
       f'<text x="{left + chart_w + 150}" y="46" fill="#444">CPU µs/request</text>']
for i, r in enumerate(rows):
    y = top + i * (bar_h + gap)
    rps = float(r["median_rps"])
    w = chart_w * rps / max_rps
    ratio = f" ({rps / raw:.2f}×)" if raw else ""
    name = r["server"]
    svg.append(f'<text x="{left - 10}" y="{y + bar_h * 0.65}" text-anchor="end">{LABELS.get(name, name)}</text>')
    svg.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLORS.get(name, "#999")}"/>')
    svg.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.65}">{rps:,.0f}{ratio}</text>')
    svg.append(f'<text x="{left + chart_w + 150}" y="{y + bar_h * 0.65}">{float(r["cpu_us_per_request"]):.0f}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg) + "\n")
print("wrote", out)
