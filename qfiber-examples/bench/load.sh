#!/usr/bin/env bash
# Load benchmark of the web server example, in interleaved rounds against two baselines:
#   qfiber   - io.qfiber.examples.webserver.WebServer (fibers, channels, threaded receivers), carrier mode
#   shared   - the same WebServer without the carrier flag: every fiber on the JDK's shared scheduler
#   raw      - RawNettyServer: the same bytes from a plain Reactor Netty handler (our stack's ceiling),
#              with as many event loops as cores (its best here)
#   jdk      - JdkVirtualThreadServer: ServerSocket + one virtual thread per connection
# Prints requests/s per round, the medians, the ratios, and each server's RSS after the run.
# Usage: qfiber-examples/bench/load.sh [rounds] [seconds] [connections]
set -euo pipefail
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-10}
CONNECTIONS=${3:-50}
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

. qfiber-examples/bench/java-and-classpath.sh

SERVERS="qfiber shared raw jdk"
declare -A PORT=([qfiber]=3128 [shared]=3131 [raw]=3129 [jdk]=3130)
declare -A MAIN=([qfiber]=io.qfiber.examples.webserver.WebServer [shared]=io.qfiber.examples.webserver.WebServer [raw]=io.qfiber.examples.webserver.RawNettyServer [jdk]=io.qfiber.examples.webserver.JdkVirtualThreadServer)
declare -A OPTS=([qfiber]="--add-opens=java.base/java.lang=ALL-UNNAMED" [shared]="" [raw]="-Dreactor.netty.ioWorkerCount=$(nproc)" [jdk]="")
declare -A PID
cleanup() { for s in "${!PID[@]}"; do kill "${PID[$s]}" 2>/dev/null || true; done; }
trap cleanup EXIT

for s in $SERVERS; do
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g ${OPTS[$s]} ${SERVER_JAVA_OPTS:-} -cp "$CP" "${MAIN[$s]}" --port "${PORT[$s]}" >"qfiber-examples/target/load-$s.log" 2>&1 &
  PID[$s]=$!
done
for s in $SERVERS; do
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:${PORT[$s]}/" && break
    sleep 0.2
  done
  wrk -t1 -c"$CONNECTIONS" -d"${WARMUP_SECONDS:-15}s" "http://127.0.0.1:${PORT[$s]}/" >/dev/null   # warm-up: let the JIT finish
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks
TICK_US=$((1000000 / $(getconf CLK_TCK)))

declare -A RESULTS CPU
for r in $(seq 1 "$ROUNDS"); do
  for s in $SERVERS; do
    t0=$(cpu_ticks "${PID[$s]}")
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:${PORT[$s]}/")
    t1=$(cpu_ticks "${PID[$s]}")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
    us=$(awk -v t=$((t1 - t0)) -v u="$TICK_US" -v n="$requests" 'BEGIN {printf "%.1f", t * u / n}')
    RESULTS[$s]="${RESULTS[$s]:-} $rps"
    CPU[$s]="${CPU[$s]:-} $us"
    printf 'round %d  %-7s %10.0f req/s  %6s us CPU per request  %s\n' "$r" "$s" "$rps" "$us" "$errors"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "wrk -t1 -c$CONNECTIONS -d${SECONDS_PER_RUN}s, $ROUNDS interleaved rounds, $(nproc) CPUs, $("$JAVA" -version 2>&1 | head -1)"
for s in $SERVERS; do
  m=$(echo "${RESULTS[$s]}" | median)
  c=$(echo "${CPU[$s]}" | median)
  rss=$(awk '/VmRSS/ {print $2/1024 " MiB"}' "/proc/${PID[$s]}/status")
  printf '  %-7s median %10.0f req/s  %6s us CPU per request   RSS %s\n' "$s" "$m" "$c" "$rss"
  eval "MED_$s=$m; CPU_$s=$c"
done
awk -v q="$MED_qfiber" -v s="$MED_shared" -v r="$MED_raw" -v j="$MED_jdk" 'BEGIN {printf "  throughput ratio  qfiber/raw %.2f   qfiber/jdk %.2f   shared/raw %.2f\n", q/r, q/j, s/r}'
awk -v q="$CPU_qfiber" -v s="$CPU_shared" -v r="$CPU_raw" -v j="$CPU_jdk" 'BEGIN {printf "  CPU per request   qfiber/raw %.2f   qfiber/jdk %.2f   shared/raw %.2f (lower is better)\n", q/r, q/j, s/r}'
# machine-readable medians for the chart (bench/chart.py)
{
  echo "server,median_rps,cpu_us_per_request"
  for s in $SERVERS; do
    echo "$s,$(echo "${RESULTS[$s]}" | median),$(echo "${CPU[$s]}" | median)"
  done
} > qfiber-examples/target/load-results.csv
