#!/usr/bin/env bash
# What one server does per message (keep-alive echo) or per request (the web server, one request
# per connection): starts the server alone, warms it up, runs the load once and counts, for that
# run only and divided by the messages or requests served:
#   - the server's CPU time, in total and per thread (by name prefix);
#   - its system calls, by kind, and its context switches (perf's syscall tracepoints);
#   - the TCP segments the machine sent (nstat; client and server share the loopback), to tell a
#     protocol difference (extra ACKs, say) from a difference in CPU spent on the same packets.
# Servers: keepalive - fiber (carrier mode), shared, raw, jdk (as in keepalive.sh);
#          web       - qfiber (carrier mode), shared, raw, jdk (as in load.sh).
# Needs perf with syscall tracepoints (Debian: linux-perf) and root or perf_event_paranoid <= 1;
# without it the syscall lines are left out.
# CENSUS_JAVA_OPTS adds JVM options to the server (e.g. -Dqfiber.virtualLoops=false).
# Usage: qfiber-examples/bench/census.sh keepalive|web SERVER [connections] [seconds]
#   e.g. qfiber-examples/bench/census.sh keepalive fiber 1000 8
#        qfiber-examples/bench/census.sh web qfiber 50 8
set -euo pipefail
WORKLOAD=${1:?usage: census.sh keepalive|web SERVER [connections] [seconds]}
SERVER=${2:?usage: census.sh keepalive|web SERVER [connections] [seconds]}
CONNS=${3:-$([ "$WORKLOAD" = web ] && echo 50 || echo 1000)}
SECONDS_PER_RUN=${4:-8}
cd "$(dirname "$0")/../.."

case "$WORKLOAD" in
  keepalive)
    declare -A MAIN=([fiber]=io.qfiber.examples.echo.FiberEchoServer [shared]=io.qfiber.examples.echo.FiberEchoServer
                     [raw]=io.qfiber.examples.echo.RawNettyEchoServer [jdk]=io.qfiber.examples.echo.JdkEchoServer)
    declare -A OPTS=([fiber]="--add-opens=java.base/java.lang=ALL-UNNAMED" [shared]="" [raw]="-Dreactor.netty.ioWorkerCount=$(nproc)" [jdk]="")
    UNIT=message
    if ! command -v go >/dev/null 2>&1; then
      echo "installing golang-go" >&2
      apt-get install -y -qq golang-go >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq golang-go >/dev/null; }
    fi
    ;;
  web)
    declare -A MAIN=([qfiber]=io.qfiber.examples.webserver.WebServer [shared]=io.qfiber.examples.webserver.WebServer
                     [raw]=io.qfiber.examples.webserver.RawNettyServer [jdk]=io.qfiber.examples.webserver.JdkVirtualThreadServer)
    declare -A OPTS=([qfiber]="--add-opens=java.base/java.lang=ALL-UNNAMED" [shared]="" [raw]="-Dreactor.netty.ioWorkerCount=$(nproc)" [jdk]="")
    UNIT=request
    if ! command -v wrk >/dev/null 2>&1; then
      echo "installing wrk" >&2
      apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    fi
    ;;
  *) echo "workload must be keepalive or web, was $WORKLOAD" >&2; exit 2 ;;
esac
[ -n "${MAIN[$SERVER]:-}" ] || { echo "server must be one of: ${!MAIN[*]}; was $SERVER" >&2; exit 2; }

. qfiber-examples/bench/java-and-classpath.sh
GOBIN_DIR="qfiber-examples/target/go"
if [ "$WORKLOAD" = keepalive ]; then
  mkdir -p "$GOBIN_DIR"
  (cd qfiber-examples/bench/go && GO111MODULE=off GOCACHE="${GOCACHE:-/tmp/qfiber-gocache}" go build -o "../../../$GOBIN_DIR/echoload" ./echoload)
fi
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

PORT=4050
OUT=qfiber-examples/target/census-$WORKLOAD-$SERVER
rm -rf "$OUT" && mkdir -p "$OUT"
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g ${OPTS[$SERVER]} ${CENSUS_JAVA_OPTS:-} -cp "$CP" "${MAIN[$SERVER]}" --port "$PORT" >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT

load() {   # load SECONDS: runs the workload once, prints the number of messages or requests served
  if [ "$WORKLOAD" = web ]; then
    wrk -t1 -c"$CONNS" -d"${1}s" "http://127.0.0.1:$PORT/" > "$OUT/load.txt"
    awk '/requests in/ {print $1}' "$OUT/load.txt"
  else
    "$GOBIN_DIR/echoload" -addr "127.0.0.1:$PORT" -conns "$CONNS" -duration "${1}s" > "$OUT/load.txt"
    awk '{for (i = 1; i < NF; i++) if ($i == "messages") print $(i + 1)}' "$OUT/load.txt"
  fi
}
for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
load "${WARMUP_SECONDS:-12}" >/dev/null   # let the JIT finish

thread_ticks() { for t in /proc/"$1"/task/*; do
    printf '%s\t%s\n' "$(tr ' ' '_' < "$t/comm" | sed -E 's/[-_#]?[0-9]+$//')" "$(awk '{print $14 + $15}' "$t/stat")"; done; }
EVENTS=raw_syscalls:sys_enter,context-switches
for s in read write recvfrom sendto epoll_wait epoll_pwait epoll_pwait2 epoll_ctl futex accept4 close \
         setsockopt getsockopt getsockname getpeername shutdown timerfd_settime; do
  EVENTS="$EVENTS,syscalls:sys_enter_$s"
done
PERF=""
if command -v perf >/dev/null 2>&1 && perf stat -e syscalls:sys_enter_read -- true >/dev/null 2>&1; then
  PERF=yes
else
  echo "(perf with syscall tracepoints not available: counting CPU and TCP segments only)" >&2
fi
HAVE_NSTAT=$(command -v nstat >/dev/null 2>&1 && echo yes || true)

thread_ticks "$PID" > "$OUT/threads-before.tsv"
t0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
[ -n "$HAVE_NSTAT" ] && nstat -n
if [ -n "$PERF" ]; then
  perf stat -x, -e "$EVENTS" -p "$PID" -o "$OUT/perf.csv" &
  PERF_PID=$!
fi
n=$(load "$SECONDS_PER_RUN")
if [ -n "$PERF" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
[ -n "$HAVE_NSTAT" ] && nstat > "$OUT/nstat.txt"
t1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
thread_ticks "$PID" > "$OUT/threads-after.tsv"

TICK_US=$((1000000 / $(getconf CLK_TCK)))
if [ "$WORKLOAD" = web ]; then
  summary=$(awk '/Requests\/sec/ {printf "%s req/s", $2} /Latency/ {printf "latency avg %s, ", $2}' "$OUT/load.txt")
else
  summary=$(cat "$OUT/load.txt")
fi
echo "$WORKLOAD $SERVER, $CONNS connections, ${SECONDS_PER_RUN}s: $n ${UNIT}s ($summary)"
awk -v t=$((t1 - t0)) -v u="$TICK_US" -v n="$n" -v unit="$UNIT" 'BEGIN {printf "  CPU per %s: %.1f us\n", unit, t * u / n}'
echo "  CPU per $UNIT by thread:"
awk -F'\t' -v u="$TICK_US" -v n="$n" 'NR == FNR {b[NR] = $2; next} {d[$1] += $2 - b[FNR]}
  END {for (k in d) if (d[k] > 0) printf "    %7.1f us  %s\n", d[k] * u / n, k}' \
  "$OUT/threads-before.tsv" "$OUT/threads-after.tsv" | sort -rn | head -8
if [ -n "$PERF" ]; then
  echo "  per $UNIT (perf stat):"
  awk -F, -v n="$n" '$1 ~ /^[0-9]+$/ && $1 > 0 {name = $3; sub(/^syscalls:sys_enter_/, "", name);
    sub(/^raw_syscalls:sys_enter$/, "all system calls", name); printf "    %8.3f  %s\n", $1 / n, name}' "$OUT/perf.csv"
fi
if [ -n "$HAVE_NSTAT" ]; then
  echo "  TCP segments per $UNIT (whole machine: client and server):"
  awk -v n="$n" '/^(TcpOutSegs|TcpExtDelayedACKs|TcpExtTCPPureAcks|TcpRetransSegs) / {printf "    %8.3f  %s\n", $2 / n, $1}' "$OUT/nstat.txt"
fi
