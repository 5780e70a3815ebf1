#!/usr/bin/env bash
# A library change measured side by side: the keep-alive echo server (FiberEchoServer) runs twice,
# once on the library as it is in the work tree ("new") and once on the library of an earlier
# commit ("base"), beside raw Reactor Netty (RawNettyEchoServer), all started once, warmed up, and
# measured in interleaved rounds with one load generator (bench/go/echoload); new and base swap
# order every round. WORKLOAD=web does the same with the seed's web server (WebServer against
# RawNettyServer, one request per connection, wrk -t1 -cCONNECTIONS). Whole runs on a shared 2-core machine move by more than most changes, rounds
# back to back much less: the per-round ratio new/base is the result.
# Prints per round messages (or requests)/s and server CPU per message of each server, then the median and the
# range of the per-round ratios new/base, new/raw and base/raw.
# Usage: qfiber-examples/bench/compare.sh BASE_COMMIT [rounds] [seconds] [connections]
#   e.g. qfiber-examples/bench/compare.sh HEAD~1 8 8 1000
#        WORKLOAD=web qfiber-examples/bench/compare.sh HEAD~1 8 8 50
#   MODE=shared runs both fiber servers in shared mode (default: carrier mode).
set -euo pipefail
BASE=${1:?usage: compare.sh BASE_COMMIT [rounds] [seconds] [connections]}
ROUNDS=${2:-8}
SECONDS_PER_RUN=${3:-8}
MODE=${MODE:-carrier}
WORKLOAD=${WORKLOAD:-keepalive}
case "$WORKLOAD" in
  keepalive) FIBER_MAIN=io.qfiber.examples.echo.FiberEchoServer; RAW_MAIN=io.qfiber.examples.echo.RawNettyEchoServer; CONNS=${4:-1000} ;;
  web) FIBER_MAIN=io.qfiber.examples.webserver.WebServer; RAW_MAIN=io.qfiber.examples.webserver.RawNettyServer; CONNS=${4:-50}
       command -v wrk >/dev/null 2>&1 || { echo "installing wrk" >&2; apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } ;;
  *) echo "WORKLOAD must be keepalive or web, was $WORKLOAD" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
command -v go >/dev/null 2>&1 || { echo "installing golang-go" >&2; apt-get install -y -qq golang-go >/dev/null 2>&1 \
  || { apt-get update -qq && apt-get install -y -qq golang-go >/dev/null; }; }
BASE_SHA=$(git rev-parse --verify "$BASE^{commit}")

. qfiber-examples/bench/java-and-classpath.sh
LIB_JAR=$(ls qfiber-reactor/target/qfiber-reactor-*.jar | grep -v -e sources -e javadoc -e tests | head -1)
BASE_DIR=qfiber-examples/target/compare-base
if [ "$(cat "$BASE_DIR/.commit" 2>/dev/null)" != "$BASE_SHA" ]; then
  rm -rf "$BASE_DIR" && mkdir -p "$BASE_DIR"
  git archive "$BASE_SHA" | tar -x -C "$BASE_DIR"
  (cd "$BASE_DIR" && mvn -q -DskipTests -Dqfiber.fray.skip package -pl qfiber-reactor)
  echo "$BASE_SHA" > "$BASE_DIR/.commit"
fi
BASE_JAR=$(ls "$BASE_DIR"/qfiber-reactor/target/qfiber-reactor-*.jar | grep -v -e sources -e javadoc -e tests | head -1)
CP_BASE=${CP//$(realpath "$LIB_JAR")/$(realpath "$BASE_JAR")}
[ "$CP_BASE" != "$CP" ] || { echo "the library jar is not on the class path: $LIB_JAR" >&2; exit 1; }

GOBIN_DIR="qfiber-examples/target/go"
mkdir -p "$GOBIN_DIR"
(cd qfiber-examples/bench/go && GO111MODULE=off GOCACHE="${GOCACHE:-/tmp/qfiber-gocache}" go build -o "../../../$GOBIN_DIR/echoload" ./echoload)
LOAD="$GOBIN_DIR/echoload"
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

FLAG=""; [ "$MODE" = carrier ] && FLAG="--add-opens=java.base/java.lang=ALL-UNNAMED"
SERVERS="new base raw"
declare -A PORT=([new]=4021 [base]=4022 [raw]=4023)
declare -A PID
cleanup() { for s in "${!PID[@]}"; do kill "${PID[$s]}" 2>/dev/null || true; done; }
trap cleanup EXIT
start() { # name, class path, main class, options
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g $4 -cp "$2" "$3" --port "${PORT[$1]}" \
    >"qfiber-examples/target/compare-$1.log" 2>&1 &
  PID[$1]=$!
}
start new "$CP" "$FIBER_MAIN" "$FLAG"
start base "$CP_BASE" "$FIBER_MAIN" "$FLAG"
start raw "$CP" "$RAW_MAIN" "-Dreactor.netty.ioWorkerCount=$(nproc)"
run_load() { # port, seconds: prints "rate R messages N" for the run
  if [ "$WORKLOAD" = web ]; then
    wrk -t1 -c"$CONNS" -d"${2}s" "http://127.0.0.1:$1/" \
      | awk '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {print "rate", r, "messages", n}'
  else
    "$LOAD" -addr "127.0.0.1:$1" -conns "$CONNS" -duration "${2}s"
  fi
}
for s in $SERVERS; do
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$s]}") 2>/dev/null && break
    sleep 0.2
  done
  run_load "${PORT[$s]}" "${WARMUP_SECONDS:-10}" >/dev/null
done
grep -h "server on" qfiber-examples/target/compare-new.log qfiber-examples/target/compare-base.log || true

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
field() { echo "$1" | awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }
summary() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {printf "%.2f (%.2f-%.2f)", a[int((NR+1)/2)], a[1], a[NR]}'; }
declare -A RATE CPU
RATIOS_RATE="" RATIOS_CPU="" NEW_RAW="" BASE_RAW="" NEW_RAW_CPU="" BASE_RAW_CPU=""
echo "compare $WORKLOAD: work tree against $BASE ($BASE_SHA), $MODE mode, $CONNS connections, $ROUNDS rounds of ${SECONDS_PER_RUN}s"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="new base raw"; else order="base new raw"; fi
  for s in $order; do
    t0=$(cpu_ticks "${PID[$s]}")
    out=$(run_load "${PORT[$s]}" "$SECONDS_PER_RUN")
    t1=$(cpu_ticks "${PID[$s]}")
    RATE[$s]=$(field "$out" rate)
    CPU[$s]=$(awk -v t=$((t1 - t0)) -v u="$TICK_US" -v n="$(field "$out" messages)" 'BEGIN {printf "%.2f", (n > 0 ? t * u / n : 0)}')
  done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }
  RATIOS_RATE="$RATIOS_RATE $(ratio "${RATE[new]}" "${RATE[base]}")"
  RATIOS_CPU="$RATIOS_CPU $(ratio "${CPU[new]}" "${CPU[base]}")"
  NEW_RAW="$NEW_RAW $(ratio "${RATE[new]}" "${RATE[raw]}")"; BASE_RAW="$BASE_RAW $(ratio "${RATE[base]}" "${RATE[raw]}")"
  NEW_RAW_CPU="$NEW_RAW_CPU $(ratio "${CPU[new]}" "${CPU[raw]}")"; BASE_RAW_CPU="$BASE_RAW_CPU $(ratio "${CPU[base]}" "${CPU[raw]}")"
  printf 'round %d  new %7.0f msg/s %6s us/msg   base %7.0f msg/s %6s us/msg   raw %7.0f msg/s %6s us/msg\n' \
    "$r" "${RATE[new]}" "${CPU[new]}" "${RATE[base]}" "${CPU[base]}" "${RATE[raw]}" "${CPU[raw]}"
done
echo "-- per-round ratios: median (min-max)"
echo "   new / base, messages/s:      $(echo "$RATIOS_RATE" | summary)"
echo "   new / base, CPU per message: $(echo "$RATIOS_CPU" | summary)"
echo "   new / raw, messages/s:       $(echo "$NEW_RAW" | summary)"
echo "   base / raw, messages/s:      $(echo "$BASE_RAW" | summary)"
echo "   new / raw, CPU per message:  $(echo "$NEW_RAW_CPU" | summary)"
echo "   base / raw, CPU per message: $(echo "$BASE_RAW_CPU" | summary)"
