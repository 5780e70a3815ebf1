#!/usr/bin/env bash
# Keep-alive benchmark: 64-byte messages echoed over persistent connections, the workload a fiber
# per connection exists for. Servers, all started once and measured in interleaved rounds:
#   fiber   - io.qfiber.examples.echo.FiberEchoServer (listener -> channels -> threaded receiver
#             per core -> handler fiber per connection), carrier mode
#   shared  - the same server without the carrier flag: every fiber on the JDK's shared scheduler
#   raw     - RawNettyEchoServer: a plain Reactor Netty handler, event loops = cores
#   jdk     - JdkEchoServer: ServerSocket + one virtual thread per connection
#   go      - bench/go/echoserver: Go's net, one goroutine per connection
# One load generator for all (bench/go/echoload). Per connection count it prints messages/s, the
# server process's CPU per message and p50/p99 latency per round, then the medians and the ratios
# to raw and to Go; then p50/p99 of every server at 70 % of raw's median rate. Per connection count
# it also writes qfiber-examples/target/keepalive-<count>.csv and a chart of it, keepalive-<count>.svg.
# Usage: qfiber-examples/bench/keepalive.sh [rounds] [seconds] [connection counts...]
#   e.g. qfiber-examples/bench/keepalive.sh 3 10 50 1000 10000
set -euo pipefail
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-10}
shift $(( $# >= 2 ? 2 : $# ))
CONN_COUNTS=${*:-"50 1000 10000"}
cd "$(dirname "$0")/../.."

if ! command -v go >/dev/null 2>&1; then
  echo "installing golang-go" >&2
  apt-get install -y -qq golang-go >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq golang-go >/dev/null; }
fi

. qfiber-examples/bench/java-and-classpath.sh
GOBIN_DIR="qfiber-examples/target/go"
mkdir -p "$GOBIN_DIR"
(cd qfiber-examples/bench/go && GO111MODULE=off GOCACHE="${GOCACHE:-/tmp/qfiber-gocache}" go build -o "../../../$GOBIN_DIR/echoserver" ./echoserver \
  && GO111MODULE=off GOCACHE="${GOCACHE:-/tmp/qfiber-gocache}" go build -o "../../../$GOBIN_DIR/echoload" ./echoload)
LOAD="$GOBIN_DIR/echoload"
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

SERVERS="fiber shared raw jdk go"
declare -A PORT=([fiber]=4001 [shared]=4005 [raw]=4002 [jdk]=4003 [go]=4004)
declare -A MAIN=([fiber]=io.qfiber.examples.echo.FiberEchoServer [shared]=io.qfiber.examples.echo.FiberEchoServer
                 [raw]=io.qfiber.examples.echo.RawNettyEchoServer [jdk]=io.qfiber.examples.echo.JdkEchoServer)
declare -A OPTS=([fiber]="--add-opens=java.base/java.lang=ALL-UNNAMED" [shared]="" [raw]="-Dreactor.netty.ioWorkerCount=$(nproc)" [jdk]="")
declare -A PID
cleanup() { for s in "${!PID[@]}"; do kill "${PID[$s]}" 2>/dev/null || true; done; }
trap cleanup EXIT

for s in $SERVERS; do
  if [ "$s" = go ]; then
    "$GOBIN_DIR/echoserver" -port "${PORT[$s]}" >"qfiber-examples/target/keepalive-$s.log" 2>&1 &
  else
    "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g ${OPTS[$s]} ${SERVER_JAVA_OPTS:-} -cp "$CP" "${MAIN[$s]}" --port "${PORT[$s]}" \
      >"qfiber-examples/target/keepalive-$s.log" 2>&1 &
  fi
  PID[$s]=$!
done
for s in $SERVERS; do
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$s]}") 2>/dev/null && break
    sleep 0.2
  done
  "$LOAD" -addr "127.0.0.1:${PORT[$s]}" -conns 50 -duration "${WARMUP_SECONDS:-10}s" >/dev/null   # warm-up: let the JIT finish
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks
TICK_US=$((1000000 / $(getconf CLK_TCK)))
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { echo "$1" | awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }

echo "echo of 64-byte messages, $ROUNDS interleaved rounds of ${SECONDS_PER_RUN}s, $(nproc) CPUs, $("$JAVA" -version 2>&1 | head -1), $(go version | awk '{print $3}')"
for conns in $CONN_COUNTS; do
  declare -A RATE=() CPU=() P50=() P99=()
  for r in $(seq 1 "$ROUNDS"); do
    for s in $SERVERS; do
      t0=$(cpu_ticks "${PID[$s]}")
      out=$("$LOAD" -addr "127.0.0.1:${PORT[$s]}" -conns "$conns" -duration "${SECONDS_PER_RUN}s")
      t1=$(cpu_ticks "${PID[$s]}")
      rate=$(field "$out" rate); msgs=$(field "$out" messages)
      us=$(awk -v t=$((t1 - t0)) -v u="$TICK_US" -v n="$msgs" 'BEGIN {printf "%.2f", (n > 0 ? t * u / n : 0)}')
      RATE[$s]="${RATE[$s]:-} $rate"; CPU[$s]="${CPU[$s]:-} $us"
      P50[$s]="${P50[$s]:-} $(field "$out" p50_us)"; P99[$s]="${P99[$s]:-} $(field "$out" p99_us)"
      printf 'conns %-6s round %d  %-6s %9.0f msg/s  %6s us CPU/msg  p50 %5s us  p99 %6s us  errors %s\n' \
        "$conns" "$r" "$s" "$rate" "$us" "$(field "$out" p50_us)" "$(field "$out" p99_us)" "$(field "$out" errors)"
    done
  done
  echo "-- $conns connections: medians (rounds)"
  raw=$(echo "${RATE[raw]}" | median); gorate=$(echo "${RATE[go]}" | median); rawcpu=$(echo "${CPU[raw]}" | median)
  for s in $SERVERS; do
    m=$(echo "${RATE[$s]}" | median); c=$(echo "${CPU[$s]}" | median)
    printf '   %-6s %9.0f msg/s (%s)  %.2fx raw  %.2fx go  CPU/msg %s us (%.2fx raw)  p50 %s us  p99 %s us\n' "$s" "$m" "${RATE[$s]# }" \
      "$(awk -v a="$m" -v b="$raw" 'BEGIN {print a / b}')" "$(awk -v a="$m" -v b="$gorate" 'BEGIN {print a / b}')" \
      "$c" "$(awk -v a="$c" -v b="$rawcpu" 'BEGIN {print (b > 0 ? a / b : 0)}')" \
      "$(echo "${P50[$s]}" | median)" "$(echo "${P99[$s]}" | median)"
  done
  # machine-readable medians and a chart per connection count (bench/chart.py)
  {
    echo "server,median_rps,cpu_us_per_request"
    for s in $SERVERS; do echo "$s,$(echo "${RATE[$s]}" | median),$(echo "${CPU[$s]}" | median)"; done
  } > "qfiber-examples/target/keepalive-$conns.csv"
  python3 qfiber-examples/bench/chart.py "qfiber-examples/target/keepalive-$conns.csv" \
    "qfiber-examples/target/keepalive-$conns.svg" \
    "Keep-alive echo, $conns connections, 64-byte messages, medians of $ROUNDS interleaved rounds" message >/dev/null \
    || echo "   (no chart: python3 missing)"
  target=$(awk -v r="$raw" 'BEGIN {printf "%.0f", r * 0.7}')
  echo "-- $conns connections at 70 % of raw's median rate ($target msg/s)"
  for s in $SERVERS; do
    out=$("$LOAD" -addr "127.0.0.1:${PORT[$s]}" -conns "$conns" -duration "${SECONDS_PER_RUN}s" -rate "$target")
    printf '   %-6s %9.0f msg/s  p50 %5s us  p99 %6s us\n' "$s" "$(field "$out" rate)" "$(field "$out" p50_us)" "$(field "$out" p99_us)"
  done
  unset RATE CPU P50 P99
done
