#!/usr/bin/env bash
# Where a keep-alive echo server spends its CPU: starts one server with Java Flight Recorder, warms
# it up, then drives 64-byte echoes over persistent connections and prints
#   - messages/s, server CPU per message, context switches per message (all the server's threads);
#   - per thread (by name prefix): its share of the server's CPU;
#   - the hottest frames of the recorded CPU samples, as leaf frames and as the first frame of
#     QFiber, Reactor Netty, Netty or the JDK that each sample passes through.
# Servers as in keepalive.sh: fiber (carrier mode), shared, raw, jdk.
# Usage: qfiber-examples/bench/profile.sh [server] [connections] [seconds]
#   e.g. qfiber-examples/bench/profile.sh fiber 1000 15
set -euo pipefail
SERVER=${1:-fiber}
CONNS=${2:-1000}
SECONDS_PER_RUN=${3:-15}
cd "$(dirname "$0")/../.."
command -v go >/dev/null 2>&1 || { echo "installing golang-go" >&2; apt-get install -y -qq golang-go >/dev/null 2>&1 \
  || { apt-get update -qq && apt-get install -y -qq golang-go >/dev/null; }; }
. qfiber-examples/bench/java-and-classpath.sh
JDK_BIN=$(dirname "$JAVA")
GOBIN_DIR="qfiber-examples/target/go"
mkdir -p "$GOBIN_DIR"
(cd qfiber-examples/bench/go && GO111MODULE=off GOCACHE="${GOCACHE:-/tmp/qfiber-gocache}" go build -o "../../../$GOBIN_DIR/echoload" ./echoload)
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

declare -A MAIN=([fiber]=io.qfiber.examples.echo.FiberEchoServer [shared]=io.qfiber.examples.echo.FiberEchoServer
                 [raw]=io.qfiber.examples.echo.RawNettyEchoServer [jdk]=io.qfiber.examples.echo.JdkEchoServer)
declare -A OPTS=([fiber]="--add-opens=java.base/java.lang=ALL-UNNAMED" [shared]="" [raw]="-Dreactor.netty.ioWorkerCount=$(nproc)" [jdk]="")
PORT=4010
OUT=qfiber-examples/target/profile-$SERVER
rm -rf "$OUT" && mkdir -p "$OUT"
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g ${OPTS[$SERVER]} -cp "$CP" "${MAIN[$SERVER]}" --port "$PORT" >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
"$GOBIN_DIR/echoload" -addr "127.0.0.1:$PORT" -conns "$CONNS" -duration 10s >/dev/null   # warm-up

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }
thread_ticks() { for t in /proc/"$1"/task/*; do
    printf '%s\t%s\n' "$(tr ' ' '_' < "$t/comm" | sed -E 's/[-_#]?[0-9]+$//')" "$(awk '{print $14 + $15}' "$t/stat")"; done; }
thread_ticks "$PID" > "$OUT/threads-before.tsv"
"$JDK_BIN/jcmd" "$PID" JFR.start name=profile settings=profile filename="$OUT/recording.jfr" >/dev/null
t0=$(ticks "$PID"); s0=$(switches "$PID")
load=$("$GOBIN_DIR/echoload" -addr "127.0.0.1:$PORT" -conns "$CONNS" -duration "${SECONDS_PER_RUN}s")
t1=$(ticks "$PID"); s1=$(switches "$PID")
"$JDK_BIN/jcmd" "$PID" JFR.stop name=profile >/dev/null
thread_ticks "$PID" > "$OUT/threads-after.tsv"
msgs=$(echo "$load" | awk '{for (i = 1; i < NF; i++) if ($i == "messages") print $(i + 1)}')
TICK_US=$((1000000 / $(getconf CLK_TCK)))
echo "$SERVER, $CONNS connections, ${SECONDS_PER_RUN}s: $load"
awk -v t=$((t1 - t0)) -v u="$TICK_US" -v n="$msgs" -v s=$((s1 - s0)) \
  'BEGIN {printf "CPU per message %.2f us, context switches per message %.3f\n", t * u / n, s / n}'
echo "-- CPU by thread (share of the server's CPU during the run)"
awk -F'\t' 'NR == FNR {b[NR] = $2; next} {d[$1] += $2 - b[FNR]; total += $2 - b[FNR]}
  END {for (k in d) if (d[k] > 0) printf "   %5.1f %%  %s\n", 100 * d[k] / total, k}' \
  "$OUT/threads-before.tsv" "$OUT/threads-after.tsv" | sort -rn | head -8

"$JDK_BIN/jfr" print --events jdk.ExecutionSample --stack-depth 64 "$OUT/recording.jfr" > "$OUT/samples.txt"
echo "-- hottest leaf frames (share of CPU samples)"
awk '/stackTrace = \[/ {getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); n++; c[$0]++}
  END {for (k in c) printf "   %5.1f %%  %s\n", 100 * c[k] / n, k}' "$OUT/samples.txt" | sort -rn | head -15
echo "-- samples by the innermost frame of each layer (share of CPU samples)"
awk '/stackTrace = \[/ {inside = 1; n++; delete seen; next}
  inside && /^[ \t]*\]/ {inside = 0; next}
  inside {f = $0; sub(/^[ \t]+/, "", f); sub(/line:.*/, "", f)
    layer = f ~ /^io\.qfiber/ ? "qfiber" : f ~ /^reactor\.netty/ ? "reactor-netty" : f ~ /^io\.netty/ ? "netty" : f ~ /^reactor\.core/ ? "reactor-core" : ""
    if (layer != "" && !(layer in seen)) {seen[layer] = 1; c[layer " " f]++}}
  END {for (k in c) printf "   %5.1f %%  %s\n", 100 * c[k] / n, k}' "$OUT/samples.txt" | sort -rn | head -20
echo "recording: $OUT/recording.jfr"
