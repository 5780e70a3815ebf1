# Sourced by the load scripts (run from the project's root): finds a JDK 21+ (JAVA), builds the
# examples and sets their class path (CP).
JAVA=""
for home in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
  [ -n "$home" ] && [ -x "$home/bin/java" ] || continue
  v=$("$home/bin/java" -version 2>&1 | head -1 | sed -E 's/[^"]*"([0-9]+).*/\1/')
  if [ "${v:-0}" -ge 21 ] 2>/dev/null; then JAVA="$home/bin/java"; break; fi
done
[ -n "$JAVA" ] || { echo "no JDK 21+ found" >&2; exit 1; }

mvn -q -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -pl qfiber-examples -am
CP="qfiber-examples/target/classes:$(cat qfiber-examples/target/classpath.txt)"
