#!/usr/bin/env python3
"""Draws the web server load results as an SVG bar chart (no dependencies).

Reads the CSV that bench/load.sh or bench/keepalive.sh writes
(server,median_rps,cpu_us_per_request) and writes an SVG with the rate per server, and the CPU
time per request (or message) beside it.

Usage: qfiber-examples/bench/chart.py [results.csv] [out.svg] [title] [unit]
  unit: what one operation is, "request" (default) or "message"
"""
import csv
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "qfiber-examples/target/load-results.csv"
out = sys.argv[2] if len(sys.argv) > 2 else "docs/images/webserver-load.svg"
title = sys.argv[3] if len(sys.argv) > 3 else "Web server, wrk -t1 -c50, medians of interleaved rounds"
unit = sys.argv[4] if len(sys.argv) > 4 else "request"

LABELS = {
    "qfiber": "QFiber WebServer, carrier mode",
    "fiber": "QFiber, fiber per connection, carrier mode",
    "shared": "QFiber, shared mode",
    "raw": "raw Reactor Netty handler",
    "jdk": "JDK ServerSocket + virtual threads",
    "go": "Go net, goroutine per connection",
}
COLORS = {"qfiber": "#2b6cb0", "fiber": "#2b6cb0", "shared": "#90cdf4", "raw": "#718096", "jdk": "#a0aec0",
          "go": "#cbd5e0"}

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
       f'<text x="{left}" y="46" fill="#444">{unit}s/s (× raw Reactor Netty)</text>',
       f'<text x="{left + chart_w + 150}" y="46" fill="#444">CPU µs/{unit}</text>']
for i, r in enumerate(rows):
    y = top + i * (bar_h + gap)
    rps = float(r["median_rps"])
    w = chart_w * rps / max_rps
    ratio = f" ({rps / raw:.2f}×)" if raw else ""
    name = r["server"]
    svg.append(f'<text x="{left - 10}" y="{y + bar_h * 0.65}" text-anchor="end">{LABELS.get(name, name)}</text>')
    svg.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLORS.get(name, "#999")}"/>')
    svg.append(f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.65}">{rps:,.0f}{ratio}</text>')
    cpu = float(r["cpu_us_per_request"])
    svg.append(f'<text x="{left + chart_w + 150}" y="{y + bar_h * 0.65}">{cpu:.0f}</text>' if cpu >= 10
               else f'<text x="{left + chart_w + 150}" y="{y + bar_h * 0.65}">{cpu:.1f}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg) + "\n")
print("wrote", out)
