#!/usr/bin/env bash
# hookline local stack without Docker: a real single-node Kafka (KRaft), an Apicurio schema
# registry (Confluent-compatible API, schemas stored in Kafka) and Redis, all on 127.0.0.1.
#
#   bash deploy/local/stack.sh up|down|status|reset|logs [part]|env|kafka <tool> [args]
#
# Artifacts are cached outside the repo in ${HOOKLINE_CACHE:-~/.cache/hookline} (plus Maven's
# own ~/.m2); data, logs and pidfiles live in ${HOOKLINE_STACK_DIR:-<repo>/.stack}.
# See deploy/README.md.
set -Eeuo pipefail

# ---------------------------------------------------------------------------------------------
# Pinned versions: the only place to change them.
# Kafka 4.1.1: current KRaft-only line, runs on Java 17, supports transactions and the new
#   consumer group protocol; the same version the docker-compose file uses (apache/kafka:4.1.1).
KAFKA_VERSION=4.1.1
# slf4j -> log4j2 binding for the broker's logs (Kafka's own distribution ships log4j2 too).
LOG4J_VERSION=2.24.3
# Apicurio Registry 3.0.9: the newest release that runs on Java 17 (the 3.3.x line is built for
#   Java 21). Its ccompat API is the Confluent Schema Registry API; kafkasql storage keeps the
#   schemas in the Kafka topic kafkasql-journal, so they live and die with the Kafka data dir.
APICURIO_VERSION=3.0.9
# Maven plugin used to fetch the jars (the default binding in Maven 3.8 is the ancient 2.8).
MVN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
MVN_DEPENDENCY_PLUGIN_GET=org.apache.maven.plugins:maven-dependency-plugin:2.8   # see fetch_artifacts
# ---------------------------------------------------------------------------------------------

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
REGISTRY_PORT=${REGISTRY_PORT:-8081}
REDIS_PORT=${REDIS_PORT:-6379}
# Brokers in the KRaft cluster: 1, or 3 with `up --brokers 3` (see the multi-broker section).
KAFKA_NODES=${KAFKA_NODES:-1}
# HOOKLINE_SECURE=1: Kafka gets a second listener, SASL_SSL on KAFKA_SASL_SSL_PORT (SCRAM-SHA-512 and
# -256, user "hookline"), and Redis speaks only TLS on REDIS_PORT with an ACL user "hookline" (the
# default user is off). CA, certificates (deploy/local/certs.sh) and passwords live in
# $STACK_DIR/secure; `stack.sh env` prints the variables the services need. The PLAINTEXT listener
# stays for the registry and the broker's own traffic. The SCRAM user is created when the data dir
# is formatted, so turn it on for a fresh stack dir.
HOOKLINE_SECURE=${HOOKLINE_SECURE:-0}
KAFKA_SASL_SSL_PORT=${KAFKA_SASL_SSL_PORT:-9094}
KAFKA_HEAP=${KAFKA_HEAP:-1g}
REGISTRY_HEAP=${REGISTRY_HEAP:-512m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}       # seconds
REGISTRY_START_TIMEOUT=${REGISTRY_START_TIMEOUT:-120}
REDIS_START_TIMEOUT=${REDIS_START_TIMEOUT:-20}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}                     # seconds before SIGKILL
# Monitoring (Prometheus + Alertmanager, Debian packages). Alertmanager's own default port is 9093,
# which is Kafka's controller port here, and 9094 is the SASL_SSL listener's (HOOKLINE_SECURE=1) and
# Alertmanager's default cluster port: it gets 9095 and runs without clustering (one instance needs
# no gossip).
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
ALERTMANAGER_PORT=${ALERTMANAGER_PORT:-9095}
# STACK_MONITORING=0: no Prometheus/Alertmanager (private stacks that tests start beside the main one).
STACK_MONITORING=${STACK_MONITORING:-1}
MONITORING_START_TIMEOUT=${MONITORING_START_TIMEOUT:-30}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
STACK_DIR=${HOOKLINE_STACK_DIR:-$REPO_ROOT/.stack}
CACHE_DIR=${HOOKLINE_CACHE:-$HOME/.cache/hookline}

KAFKA_HOME=$CACHE_DIR/kafka-$KAFKA_VERSION
KAFKA_LIBS=$KAFKA_HOME/libs
APICURIO_HOME=$CACHE_DIR/apicurio-registry-$APICURIO_VERSION
APICURIO_JAR=$APICURIO_HOME/apicurio-registry-app-$APICURIO_VERSION-runner.jar
LOG4J_CONFIG=$HERE/log4j2.properties

RUN_DIR=$STACK_DIR/run
LOG_DIR=$STACK_DIR/logs
KAFKA_DATA=$STACK_DIR/kafka/data
KAFKA_PROPS=$STACK_DIR/kafka/server.properties
REGISTRY_DIR=$STACK_DIR/registry
REDIS_DIR=$STACK_DIR/redis
PROMETHEUS_DIR=$STACK_DIR/prometheus
ALERTMANAGER_DIR=$STACK_DIR/alertmanager
SECURE_DIR=$STACK_DIR/secure

PARTS=(kafka registry redis prometheus alertmanager)

# ---------------------------------------------------------------------------------------------
# output and small helpers

if [[ -t 1 ]]; then B=$'\e[1m' R=$'\e[31m' G=$'\e[32m' Y=$'\e[33m' N=$'\e[0m'; else B='' R='' G='' Y='' N=''; fi
say() { printf '%s\n' "$*"; }
warn() { printf '%swarning:%s %s\n' "$Y" "$N" "$*" >&2; }
die() { printf '%serror:%s %s\n' "$R" "$N" "$*" >&2; exit 1; }

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
secs_since() { # start_ms -> "12.3s"
  local d=$(($(now_ms) - $1))
  printf '%d.%ds' $((d / 1000)) $(((d % 1000) / 100))
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Who listens on a port (for error messages).
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1; }

show_log_tail() { # file [lines] : the last lines of the latest start only (logs are appended)
  local f=$1 n=${2:-25}
  [[ -s $f ]] || { say "  (log $f is empty)"; return 0; }
  say "  --- last lines of $f ---"
  awk -v n="$n" '/^===== .* start / { c = 0; next } { buf[c++ % n] = $0 }
    END { s = c > n ? c - n : 0; for (i = s; i < c; i++) print "  " buf[i % n] }' "$f"
  say "  ---"
}

# ---------------------------------------------------------------------------------------------
# process bookkeeping: pidfile holds "<pid> <start time in clock ticks>", so a recycled pid is
# never mistaken for ours (and never killed).

pidfile() { echo "$RUN_DIR/$1.pid"; }

proc_start_time() { # pid -> field 22 of /proc/pid/stat
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }           # drop "pid (comm) "
  # shellcheck disable=SC2086 # word splitting is the point
  set -- $stat                # field 3 is now $1
  echo "${20}"
}

# Prints our pid for a part if its process is alive, else nothing (and removes a stale pidfile).
our_pid() {
  local f pid start
  f=$(pidfile "$1")
  [[ -f $f ]] || return 0
  read -r pid start <"$f" || true
  # A zombie (exited, not yet reaped: a broker that halted itself a moment ago) is not running.
  if [[ -n ${pid:-} && -n ${start:-} && "$(proc_start_time "$pid" || true)" == "$start" ]] && alive "$pid"; then
    echo "$pid"
  else
    rm -f "$f"
  fi
}

rotate_log() { # keep one previous generation once a log passes 20 MB
  local f=$1
  if [[ -f $f ]] && (($(stat -c %s "$f") > 20 * 1024 * 1024)); then mv -f "$f" "$f.1"; fi
}

# start_bg part logfile cwd cmd... : runs cmd detached in its own session (so Ctrl-C in the
# calling terminal does not reach it), appends stdout/stderr to logfile, records the pid in the
# pidfile and in STARTED_PID.
STARTED_PID=''
start_bg() {
  local part=$1 log=$2 cwd=$3; shift 3
  local tmp="$RUN_DIR/.$part.starting"
  rm -f "$tmp"
  rotate_log "$log"
  printf '\n===== %s start %s =====\n' "$part" "$(date '+%F %T')" >>"$log"
  # The inner shell writes its own pid and then execs the program, so the pid is the program's
  # whether or not setsid had to fork.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'echo $$ >"$0"; cd "$1" || exit 1; shift; exec "$@"' "$tmp" "$cwd" "$@" >>"$log" 2>&1 </dev/null 8>&- 9>&- &
  local i pid='' start
  for ((i = 0; i < 100; i++)); do
    [[ -s $tmp ]] && { pid=$(<"$tmp"); break; }
    sleep 0.05
  done
  rm -f "$tmp"
  [[ -n $pid ]] || { show_log_tail "$log"; die "$part: could not start"; }
  start=$(proc_start_time "$pid") || { show_log_tail "$log"; die "$part exited immediately"; }
  echo "$pid $start" >"$(pidfile "$part")"
  STARTED_PID=$pid
}

alive() { [[ -d /proc/$1 ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

# stop_part part : SIGTERM, wait, SIGKILL after STOP_TIMEOUT; only our own pid.
stop_part() {
  local part=$1 pid t0
  pid=$(our_pid "$part")
  if [[ -z $pid ]]; then
    say "  $(printf '%-9s' "$part") not running (not started by this stack)"
    return 0
  fi
  t0=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((t0 + STOP_TIMEOUT * 1000))
  while alive "$pid" && (($(now_ms) < deadline)); do sleep 0.2; done
  if alive "$pid"; then
    warn "$part (pid $pid) did not stop within ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && die "$part (pid $pid) survived SIGKILL"
  fi
  rm -f "$(pidfile "$part")"
  say "  $(printf '%-9s' "$part") stopped in $(secs_since "$t0") (pid $pid)"
}

# One `up`/`down`/`reset` at a time per stack dir (others share this working tree).
lock_stack() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  if ! flock -n 9; then
    say "another stack.sh is running on $STACK_DIR, waiting for it..."
    flock 9
  fi
}

# ---------------------------------------------------------------------------------------------
# prerequisites

JAVA=''
java_major() { # java binary -> major version
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1
}

find_java() {
  local c m
  for c in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/java-17-openjdk-amd64/bin/java; do
    [[ -n $c && -x $c ]] || continue
    m=$(java_major "$c")
    if [[ -n $m ]] && ((m >= 17)) && [[ -x "$(dirname "$(readlink -f "$c")")/javac" ]]; then
      JAVA=$(readlink -f "$c")
      return 0
    fi
  done
  return 1
}

apt_install() { # packages...
  local log="$LOG_DIR/apt.log" sudo=''
  if ((EUID != 0)); then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo='sudo'; else
      die "missing: $* — install them with: sudo apt-get update && sudo apt-get install -y $*"
    fi
  fi
  mkdir -p "$LOG_DIR"
  say "  installing Debian packages: $* (apt-get update && apt-get install; log: $log)"
  local t0
  t0=$(now_ms)
  if ! { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@"; } >"$log" 2>&1; then
    show_log_tail "$log" 15
    die "apt-get install $* failed"
  fi
  say "  installed in $(secs_since "$t0")"
}

ensure_prereqs() {
  local need=()
  find_java || need+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || need+=(maven)
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || need+=(redis-server)
  command -v curl >/dev/null || need+=(curl)
  command -v setsid >/dev/null && command -v flock >/dev/null || need+=(util-linux)
  command -v ss >/dev/null || need+=(iproute2)
  if [[ $STACK_MONITORING == 1 ]]; then monitoring_prereqs; fi
  if ((${#need[@]})); then
    apt_install "${need[@]}"
    quiet_debian_monitoring_units
    [[ -n $JAVA ]] || find_java || die "no Java 17+ JDK found after installing openjdk-17-jdk-headless"
  fi
}

# ---------------------------------------------------------------------------------------------
# artifacts (cached per version; a .complete marker makes a half-finished download invisible)

mvn_fetch() { # workdir log goal args...
  local dir=$1 log=$2; shift 2
  if ! (cd "$dir" && mvn -B -q -ntp -C "$@") >"$log" 2>&1; then
    show_log_tail "$log" 20
    return 1
  fi
}

fetch_artifacts() {
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.lock"
  flock 8
  local t0 tmp
  if [[ ! -f $KAFKA_HOME/.complete ]]; then
    t0=$(now_ms)
    say "  fetching Kafka $KAFKA_VERSION jars from Maven Central..."
    tmp=$(mktemp -d "$CACHE_DIR/.kafka-$KAFKA_VERSION.XXXXXX")
    cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>hookline.local</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- the CLI tools (topics, consumer groups, console consumer) for stack.sh kafka ... -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
    mvn_fetch "$tmp" "$tmp/mvn.log" "$MVN_DEPENDENCY_PLUGIN:copy-dependencies" \
      -DincludeScope=runtime -DoutputDirectory="$tmp/libs" || { rm -rf "$tmp"; die "fetching Kafka jars failed"; }
    rm -rf "$KAFKA_HOME"
    mkdir -p "$KAFKA_HOME"
    mv "$tmp/libs" "$KAFKA_LIBS"
    rm -rf "$tmp"
    touch "$KAFKA_HOME/.complete"
    say "  Kafka $KAFKA_VERSION jars fetched in $(secs_since "$t0") ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars)"
  fi
  if [[ ! -f $APICURIO_HOME/.complete ]]; then
    t0=$(now_ms)
    say "  fetching Apicurio Registry $APICURIO_VERSION from Maven Central..."
    tmp=$(mktemp -d "$CACHE_DIR/.apicurio-$APICURIO_VERSION.XXXXXX")
    # The app's parent pom is not on Maven Central, so goals that read the artifact's descriptor
    # fail (copy, unpack, and get from plugin 3.x); get of plugin 2.8 with transitive=false only
    # needs the file itself (checksum-verified, -C).
    mkdir -p "$tmp/dl"
    mvn_fetch "$tmp" "$tmp/mvn.log" "$MVN_DEPENDENCY_PLUGIN_GET:get" -Dtransitive=false \
      -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" -Ddest="$tmp/dl/" ||
      { rm -rf "$tmp"; die "fetching Apicurio Registry failed"; }
    local tgz=$tmp/dl/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz
    [[ -f $tgz ]] || { rm -rf "$tmp"; die "Maven reported success but $tgz is missing"; }
    mkdir -p "$tmp/app"
    tar -xzf "$tgz" -C "$tmp/app"
    local jar
    jar=$(find "$tmp/app" -name "apicurio-registry-app-$APICURIO_VERSION-runner.jar" | head -1)
    [[ -n $jar ]] || { rm -rf "$tmp"; die "apicurio tarball has no runner jar"; }
    rm -rf "$APICURIO_HOME"
    mv "$(dirname "$jar")" "$APICURIO_HOME"
    rm -rf "$tmp"
    touch "$APICURIO_HOME/.complete"
    say "  Apicurio Registry $APICURIO_VERSION fetched in $(secs_since "$t0")"
  fi
  flock -u 8
}

# The small admin helper (KafkaAdmin.java), compiled once per source version.
KAFKA_ADMIN_CP=''
compile_admin_helper() {
  local src=$HERE/KafkaAdmin.java sum dir
  sum=$(sha1sum "$src" | cut -c1-12)
  dir=$KAFKA_HOME/admin-$sum
  if [[ ! -f $dir/KafkaAdmin.class ]]; then
    local tmp
    tmp=$(mktemp -d "$KAFKA_HOME/.admin.XXXXXX")
    "$(dirname "$JAVA")/javac" -nowarn -cp "$KAFKA_LIBS/*" -d "$tmp" "$src" || { rm -rf "$tmp"; die "compiling $src failed"; }
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  KAFKA_ADMIN_CP="$dir:$KAFKA_LIBS/*"
}

kafka_admin() { # args... (quiet client logging)
  "$JAVA" -Xms32m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$KAFKA_ADMIN_CP" \
    -Dlog4j2.configurationFile="$LOG4J_CONFIG" -Dhookline.root.level=error -Dhookline.kafka.level=error \
    -Dhookline.started.level=error KafkaAdmin "$@"
}

# ---------------------------------------------------------------------------------------------
# secure mode: certificates and passwords (created once per stack dir)

secure() { [[ $HOOKLINE_SECURE == 1 ]]; }

ensure_secure_material() {
  secure || return 0
  command -v openssl >/dev/null || apt_install openssl
  bash "$HERE/certs.sh" "$SECURE_DIR" || die "generating test certificates failed"
  local f
  for f in kafka-password redis-password; do
    [[ -s $SECURE_DIR/$f ]] || (umask 077 && head -c18 /dev/urandom | base64 | tr '+/' '-_' >"$SECURE_DIR/$f")
  done
}

# ---------------------------------------------------------------------------------------------
# Kafka

write_kafka_config() {
  mkdir -p "$KAFKA_DATA"
  cat >"$KAFKA_PROPS" <<EOF
# Generated by deploy/local/stack.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT$(secure && echo ",SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT")
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT$(secure && echo ",SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$KAFKA_DATA
# Single node: internal topics with one replica; transactions (exactly-once) need the
# transaction state log settings.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
default.replication.factor=1
num.partitions=1
# Topics are declared as code by the project: a typo must fail, not create a topic.
auto.create.topics.enable=false
# Consumers join immediately (tests start and stop groups all the time).
group.initial.rebalance.delay.ms=0
EOF
  if secure; then
    cat >>"$KAFKA_PROPS" <<EOF
# HOOKLINE_SECURE=1: SASL_SSL listener (SCRAM users are created by the format step).
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$SECURE_DIR/server.pem
ssl.truststore.type=PEM
ssl.truststore.location=$SECURE_DIR/ca.crt
EOF
  fi
}

kafka_format_if_needed() {
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local id log=$LOG_DIR/kafka.log
  # A Kafka cluster id is 16 random bytes, base64url without padding (not starting with '-').
  while :; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ $id != -* ]] && break
  done
  local scram=()
  if secure; then
    local pw
    pw=$(<"$SECURE_DIR/kafka-password")
    scram=(--add-scram "SCRAM-SHA-512=[name=hookline,password=$pw]" --add-scram "SCRAM-SHA-256=[name=hookline,password=$pw]")
  fi
  if ! "$JAVA" -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" "${scram[@]}" >>"$log" 2>&1; then
    show_log_tail "$log" 15
    die "formatting the Kafka data dir failed"
  fi
  say "  kafka     formatted new data dir (cluster id $id)"
}

start_kafka() {
  local pid t0 deadline
  pid=$(our_pid kafka)
  if [[ -n $pid ]]; then
    kafka_admin wait "127.0.0.1:$KAFKA_PORT" $((KAFKA_START_TIMEOUT * 1000)) 2>/dev/null ||
      die "kafka (pid $pid) is running but not answering on 127.0.0.1:$KAFKA_PORT; try 'stack.sh down' and 'up'"
    say "  $(printf '%-9s' kafka) already running (pid $pid)"
    return 0
  fi
  local p owner
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" $(secure && echo "$KAFKA_SASL_SSL_PORT"); do
    if port_open "$p"; then
      owner=$(port_owner "$p")
      die "port $p is taken by ${owner:-another process}, not by this stack. Stop it, or set KAFKA_PORT / KAFKA_CONTROLLER_PORT."
    fi
  done
  t0=$(now_ms)
  write_kafka_config
  kafka_format_if_needed
  start_bg kafka "$LOG_DIR/kafka.log" "$STACK_DIR" \
    "$JAVA" "-Xms256m" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "-Dhookline.stack=$STACK_DIR" -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS"
  pid=$STARTED_PID
  deadline=$((t0 + KAFKA_START_TIMEOUT * 1000))
  # 1) the process is alive and the port is open, 2) a metadata request sees an active controller
  # and a registered broker.
  while ! port_open "$KAFKA_PORT"; do
    alive "$pid" || start_failed kafka "$LOG_DIR/kafka.log" "exited during startup"
    (($(now_ms) < deadline)) || start_failed kafka "$LOG_DIR/kafka.log" "port $KAFKA_PORT not open after ${KAFKA_START_TIMEOUT}s"
    sleep 0.2
  done
  local left=$((deadline - $(now_ms)))
  ((left > 5000)) || left=5000
  kafka_admin wait "127.0.0.1:$KAFKA_PORT" "$left" ||
    start_failed kafka "$LOG_DIR/kafka.log" "no metadata answer within ${KAFKA_START_TIMEOUT}s"
  say "  $(printf '%-9s' kafka) started in $(secs_since "$t0")  pid $pid  127.0.0.1:$KAFKA_PORT"
}

# A part did not come up: show why, stop the half-started process, exit non-zero.
start_failed() { # part log reason
  say "${R}$1 failed to start: $3${N}"
  show_log_tail "$2" 30
  local pid
  pid=$(our_pid "$1")
  if [[ -n $pid ]]; then STOP_TIMEOUT=10 stop_part "$1" >/dev/null || true; fi
  die "$1 did not start (other parts are left as they are; 'stack.sh down' stops them)"
}

# ---------------------------------------------------------------------------------------------
# schema registry

registry_url() { echo "http://127.0.0.1:$REGISTRY_PORT"; }
registry_ready() { [[ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$(registry_url)/apis/ccompat/v7/subjects" || true)" == 200 ]]; }

start_registry() {
  local pid t0 deadline
  pid=$(our_pid registry)
  if [[ -n $pid ]]; then
    say "  $(printf '%-9s' registry) already running (pid $pid)"
    wait_registry "$pid" "$(now_ms)"
    return 0
  fi
  if port_open "$REGISTRY_PORT"; then
    die "port $REGISTRY_PORT is taken by $(port_owner "$REGISTRY_PORT"), not by this stack. Stop it, or set REGISTRY_PORT."
  fi
  t0=$(now_ms)
  # Apicurio 3.0.x creates its journal topic with the broker's default 7-day retention, which
  # would silently drop schemas a week after they were registered. Create (or fix) the topics
  # with infinite retention before it starts; newer Apicurio versions insist on exactly this.
  local topic
  for topic in kafkasql-journal kafkasql-snapshots; do
    kafka_admin ensure-topic "127.0.0.1:$KAFKA_PORT" "$topic" 1 \
      cleanup.policy=delete retention.ms=-1 retention.bytes=-1 >/dev/null ||
      die "could not create the registry topic $topic"
  done
  mkdir -p "$REGISTRY_DIR"
  start_bg registry "$LOG_DIR/registry.log" "$REGISTRY_DIR" env \
    APICURIO_STORAGE_KIND=kafkasql \
    APICURIO_KAFKASQL_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" \
    APICURIO_KAFKASQL_TOPIC=kafkasql-journal \
    APICURIO_KAFKASQL_SNAPSHOTS_TOPIC=kafkasql-snapshots \
    APICURIO_STORAGE_SNAPSHOT_LOCATION="$REGISTRY_DIR" \
    APICURIO_KAFKASQL_CONSUMER_POLL_TIMEOUT=250 \
    APICURIO_REST_DELETION_GROUP_ENABLED=true \
    APICURIO_REST_DELETION_ARTIFACT_ENABLED=true \
    APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED=true \
    QUARKUS_HTTP_HOST=127.0.0.1 \
    QUARKUS_HTTP_PORT="$REGISTRY_PORT" \
    QUARKUS_HTTP_ACCESS_LOG_ENABLED=false \
    "$JAVA" "-Xms128m" "-Xmx$REGISTRY_HEAP" "-Dhookline.stack=$STACK_DIR" \
    "-Djava.io.tmpdir=$REGISTRY_DIR" -jar "$APICURIO_JAR"
  pid=$STARTED_PID
  wait_registry "$pid" "$t0"
  say "  $(printf '%-9s' registry) started in $(secs_since "$t0")  pid $pid  $(registry_url)/apis/ccompat/v7"
}

wait_registry() { # pid t0
  local pid=$1 deadline=$(($2 + REGISTRY_START_TIMEOUT * 1000))
  until registry_ready; do
    alive "$pid" || start_failed registry "$LOG_DIR/registry.log" "exited during startup"
    (($(now_ms) < deadline)) || start_failed registry "$LOG_DIR/registry.log" "no HTTP 200 on /apis/ccompat/v7/subjects after ${REGISTRY_START_TIMEOUT}s"
    sleep 0.3
  done
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_cli() {
  if secure; then
    REDISCLI_AUTH=$(<"$SECURE_DIR/redis-password") redis-cli --tls --cacert "$SECURE_DIR/ca.crt" --user hookline \
      -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
  fi
}
redis_ping() { [[ "$(redis_cli ping 2>/dev/null || true)" == PONG ]]; }

start_redis() {
  local pid t0 deadline
  pid=$(our_pid redis)
  if [[ -n $pid ]]; then
    say "  $(printf '%-9s' redis) already running (pid $pid)"
    return 0
  fi
  if redis_ping; then
    say "  $(printf '%-9s' redis) reusing the Redis already answering on 127.0.0.1:$REDIS_PORT (not managed by this stack)"
    return 0
  fi
  if port_open "$REDIS_PORT"; then
    die "port $REDIS_PORT is taken by $(port_owner "$REDIS_PORT") and it does not answer PING. Stop it, or set REDIS_PORT."
  fi
  t0=$(now_ms)
  mkdir -p "$REDIS_DIR"
  # AOF (fsync every second): duplicate-detection keys and rate-limit state survive a restart of
  # the stack; RDB snapshots are off so there is one persistence mechanism to reason about.
  local net=(--port "$REDIS_PORT")
  if secure; then
    # TLS only (no plaintext port) and an ACL user; the default user is switched off.
    net=(--port 0 --tls-port "$REDIS_PORT" --tls-cert-file "$SECURE_DIR/server.crt" --tls-key-file "$SECURE_DIR/server.key"
      --tls-ca-cert-file "$SECURE_DIR/ca.crt" --tls-auth-clients no
      --user default off --user hookline on ">$(<"$SECURE_DIR/redis-password")" '~*' '&*' '+@all')
  fi
  start_bg redis "$LOG_DIR/redis.log" "$REDIS_DIR" redis-server \
    "${net[@]}" --bind 127.0.0.1 --protected-mode yes --daemonize no \
    --dir "$REDIS_DIR" --appendonly yes --appendfsync everysec --save '' --logfile ''
  pid=$STARTED_PID
  deadline=$((t0 + REDIS_START_TIMEOUT * 1000))
  until redis_ping; do
    alive "$pid" || start_failed redis "$LOG_DIR/redis.log" "exited during startup"
    (($(now_ms) < deadline)) || start_failed redis "$LOG_DIR/redis.log" "no PONG after ${REDIS_START_TIMEOUT}s"
    sleep 0.1
  done
  say "  $(printf '%-9s' redis) started in $(secs_since "$t0")  pid $pid  127.0.0.1:$REDIS_PORT"
}

# ---------------------------------------------------------------------------------------------
# Multi-broker cluster (`up --brokers 3` or KAFKA_NODES=3): every node is broker + controller
# (KRaft, static quorum), replication factor 3 and min.insync.replicas 2, so acks=all survives one
# broker down. Node 1 is the part "kafka" on KAFKA_PORT/KAFKA_CONTROLLER_PORT (status, the admin
# helper and the registry use it as before); node n is the part "kafka-n" on the same ports
# + 10*(n-1), data in $STACK_DIR/kafka-n. Kept apart from the single-node functions above.

kafka_node_port() { echo $((KAFKA_PORT + 10 * ($1 - 1))); }
kafka_node_controller_port() { echo $((KAFKA_CONTROLLER_PORT + 10 * ($1 - 1))); }
kafka_node_part() { if (($1 == 1)); then echo kafka; else echo "kafka-$1"; fi; }
kafka_node_dir() { if (($1 == 1)); then echo "$STACK_DIR/kafka"; else echo "$STACK_DIR/kafka-$1"; fi; }
kafka_cluster_rf() { echo $((KAFKA_NODES < 3 ? KAFKA_NODES : 3)); }

kafka_bootstrap() { # all brokers, comma-separated
  local n out=''
  for ((n = 1; n <= KAFKA_NODES; n++)); do out+="${out:+,}127.0.0.1:$(kafka_node_port "$n")"; done
  echo "$out"
}

write_kafka_node_config() { # node
  local n=$1 dir voters='' i rf isr
  rf=$(kafka_cluster_rf)
  isr=$((rf > 1 ? 2 : 1))
  dir=$(kafka_node_dir "$n")
  for ((i = 1; i <= KAFKA_NODES; i++)); do voters+="${voters:+,}$i@127.0.0.1:$(kafka_node_controller_port "$i")"; done
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
# Generated by deploy/local/stack.sh (node $n of $KAFKA_NODES) on every start; edit the script.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(kafka_node_port "$n"),CONTROLLER://127.0.0.1:$(kafka_node_controller_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_node_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
min.insync.replicas=$isr
default.replication.factor=$rf
num.partitions=1
auto.create.topics.enable=false
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
EOF
}

kafka_node_format_if_needed() { # node cluster-id
  local dir log
  dir=$(kafka_node_dir "$1")
  log=$LOG_DIR/$(kafka_node_part "$1").log
  [[ -f $dir/data/meta.properties ]] && return 0
  "$JAVA" -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    kafka.tools.StorageTool format -t "$2" -c "$dir/server.properties" >>"$log" 2>&1 ||
    { show_log_tail "$log" 15; die "formatting Kafka node $1 failed"; }
}

start_kafka_cluster() {
  local n t0 id_file=$STACK_DIR/kafka/cluster.id id part pid port
  t0=$(now_ms)
  mkdir -p "$STACK_DIR/kafka"
  if [[ ! -s $id_file ]]; then
    [[ -f $STACK_DIR/kafka/data/meta.properties ]] &&
      die "$STACK_DIR holds a single-node Kafka; use another HOOKLINE_STACK_DIR (or 'reset') for --brokers $KAFKA_NODES"
    while :; do
      id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
      [[ $id != -* ]] && break
    done
    echo "$id" >"$id_file"
  fi
  id=$(<"$id_file")
  for ((n = 1; n <= KAFKA_NODES; n++)); do
    part=$(kafka_node_part "$n")
    port=$(kafka_node_port "$n")
    [[ -n $(our_pid "$part") ]] && continue
    port_open "$port" && die "port $port is taken by $(port_owner "$port"), not by this stack"
    write_kafka_node_config "$n"
    kafka_node_format_if_needed "$n" "$id"
    start_bg "$part" "$LOG_DIR/$part.log" "$STACK_DIR" \
      "$JAVA" "-Xms128m" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      "-Dhookline.stack=$STACK_DIR" -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$(kafka_node_dir "$n")/server.properties"
    say "  $(printf '%-9s' "$part") starting  pid $STARTED_PID  127.0.0.1:$port"
  done
  for ((n = 1; n <= KAFKA_NODES; n++)); do
    part=$(kafka_node_part "$n")
    pid=$(our_pid "$part")
    [[ -n $pid ]] || start_failed "$part" "$LOG_DIR/$part.log" "exited during startup"
    kafka_admin wait "127.0.0.1:$(kafka_node_port "$n")" $((KAFKA_START_TIMEOUT * 1000)) ||
      start_failed "$part" "$LOG_DIR/$part.log" "no metadata answer within ${KAFKA_START_TIMEOUT}s"
  done
  say "  kafka     $KAFKA_NODES brokers ready in $(secs_since "$t0")  $(kafka_bootstrap)  (RF $(kafka_cluster_rf), min.insync.replicas 2)"
}

stop_kafka_cluster_extra() { # brokers 2..N, whatever KAFKA_NODES is now (the pidfiles say which ran)
  local f
  for f in "$RUN_DIR"/kafka-*.pid; do [[ -f $f ]] && stop_part "$(basename "$f" .pid)"; done
  return 0
}

# monitoring: Prometheus (scrapes the services `npm start` runs, evaluates deploy/prometheus/
# alerts.yml) and Alertmanager (routes from deploy/alertmanager/alertmanager.yml). Both are Debian
# packages (prometheus 2.42 with promtool, prometheus-alertmanager 0.25 with amtool).

# Adds the Debian packages to ensure_prereqs' `need` list.
monitoring_prereqs() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null || need+=(prometheus)
  command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null || need+=(prometheus-alertmanager)
}

# Debian's packages enable systemd units that listen on 9090 and 9093 (Kafka's controller port
# here) with their own data under /var/lib/prometheus. On a machine running systemd, stop and
# disable them: this stack runs its own on 127.0.0.1.
quiet_debian_monitoring_units() {
  [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null || return 0
  local sudo='' unit
  ((EUID == 0)) || sudo='sudo -n'
  for unit in prometheus prometheus-alertmanager prometheus-node-exporter; do
    if systemctl list-unit-files "$unit.service" >/dev/null 2>&1; then
      $sudo systemctl disable --now "$unit.service" >/dev/null 2>&1 || warn "could not disable the $unit systemd unit"
    fi
  done
}

# Alertmanager's receivers: placeholders in the committed file, replaced here. Unset, they point
# at the discard port on loopback, so a local stack never sends anything off the machine.
ALERT_SINK=http://127.0.0.1:9
render_alertmanager_config() { # -> path
  local out=$ALERTMANAGER_DIR/alertmanager.yml
  mkdir -p "$ALERTMANAGER_DIR/data"
  sed -e "s#https://hooks.slack.com/services/REPLACE/SLACK/WEBHOOK#${ALERT_SLACK_URL:-$ALERT_SINK/slack}#" \
    -e "s#https://events.pagerduty.com/v2/enqueue#${ALERT_PAGERDUTY_URL:-$ALERT_SINK/pagerduty}#" \
    -e "s#REPLACE_PAGERDUTY_ROUTING_KEY#${ALERT_PAGERDUTY_ROUTING_KEY:-local-routing-key}#" \
    -e "s#https://alerts.example.com/REPLACE/WEBHOOK#${ALERT_WEBHOOK_URL:-$ALERT_SINK/webhook}#" \
    -e "s#smtp.example.com:587#${ALERT_SMTP_SMARTHOST:-127.0.0.1:25}#" \
    -e "s#https://hookline-admin.example.com#${ALERT_CONSOLE_URL:-http://127.0.0.1:8090}#" \
    "$REPO_ROOT/deploy/alertmanager/alertmanager.yml" >"$out.tmp"
  mv "$out.tmp" "$out"
  echo "$out"
}

render_prometheus_config() { # -> path
  local out=$PROMETHEUS_DIR/prometheus.yml
  mkdir -p "$PROMETHEUS_DIR/data"
  sed -e "s#^  - alerts.yml#  - $REPO_ROOT/deploy/prometheus/alerts.yml#" \
    -e "s#127.0.0.1:9095#127.0.0.1:$ALERTMANAGER_PORT#" \
    -e "s#https://hookline-admin.example.com#${ALERT_CONSOLE_URL:-http://127.0.0.1:8090}#" \
    "$REPO_ROOT/deploy/prometheus/prometheus.yml" >"$out.tmp"
  mv "$out.tmp" "$out"
  echo "$out"
}

http_ready() { [[ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" || true)" == 200 ]]; }

start_monitoring_part() { # part port ready-url cmd...
  local part=$1 port=$2 url=$3 pid t0 deadline
  shift 3
  pid=$(our_pid "$part")
  if [[ -n $pid ]]; then
    say "  $(printf '%-9s' "$part") already running (pid $pid)"
    return 0
  fi
  if port_open "$port"; then
    die "port $port is taken by $(port_owner "$port"), not by this stack. Stop it (Debian's systemd unit?), or set ${part^^}_PORT."
  fi
  t0=$(now_ms)
  start_bg "$part" "$LOG_DIR/$part.log" "$STACK_DIR" "$@"
  pid=$STARTED_PID
  deadline=$((t0 + MONITORING_START_TIMEOUT * 1000))
  until http_ready "$url"; do
    alive "$pid" || start_failed "$part" "$LOG_DIR/$part.log" "exited during startup"
    (($(now_ms) < deadline)) || start_failed "$part" "$LOG_DIR/$part.log" "no HTTP 200 on $url after ${MONITORING_START_TIMEOUT}s"
    sleep 0.2
  done
  say "  $(printf '%-9s' "$part") started in $(secs_since "$t0")  pid $pid  http://127.0.0.1:$port"
}

start_monitoring() {
  local am_config prom_config
  am_config=$(render_alertmanager_config)
  prom_config=$(render_prometheus_config)
  start_monitoring_part alertmanager "$ALERTMANAGER_PORT" "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" \
    prometheus-alertmanager --config.file="$am_config" --storage.path="$ALERTMANAGER_DIR/data" \
    --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address= \
    --web.external-url="http://127.0.0.1:$ALERTMANAGER_PORT"
  # Retention 15 days: the quiet-source rule compares with the same window a week earlier.
  start_monitoring_part prometheus "$PROMETHEUS_PORT" "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" \
    prometheus --config.file="$prom_config" --storage.tsdb.path="$PROMETHEUS_DIR/data" \
    --storage.tsdb.retention.time=15d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    --web.enable-lifecycle --web.external-url="http://127.0.0.1:$PROMETHEUS_PORT"
}

status_monitoring() {
  local down=0 pid version part port
  for part in prometheus alertmanager; do
    if [[ $part == prometheus ]]; then port=$PROMETHEUS_PORT; else port=$ALERTMANAGER_PORT; fi
    pid=$(our_pid "$part")
    if http_ready "http://127.0.0.1:$port/-/ready"; then
      version=$(curl -s -m 3 "http://127.0.0.1:$port/api/v1/status/buildinfo" | sed -n 's/.*"version" *: *"\([^"]*\)".*/\1/p')
      [[ -n $version ]] || version=$(curl -s -m 3 "http://127.0.0.1:$port/api/v2/status" | sed -n 's/.*"version" *: *"\([^"]*\)".*/\1/p')
      status_line "$part" healthy "${version:-?}" "$(pid_label "$pid" healthy)" "http://127.0.0.1:$port"
    else
      status_line "$part" down "" "$(pid_label "$pid" down)" "http://127.0.0.1:$port"
      down=1
    fi
  done
  return $down
}

# ---------------------------------------------------------------------------------------------
# commands

print_env() {
  if secure; then
    cat <<EOF
KAFKA_BROKERS=127.0.0.1:$KAFKA_SASL_SSL_PORT
KAFKA_SECURITY_PROTOCOL=SASL_SSL
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USERNAME=hookline
KAFKA_SASL_PASSWORD_FILE=$SECURE_DIR/kafka-password
KAFKA_SSL_CA_FILE=$SECURE_DIR/ca.crt
SCHEMA_REGISTRY_URL=$(registry_url)/apis/ccompat/v7
REDIS_URL=rediss://127.0.0.1:$REDIS_PORT
REDIS_USERNAME=hookline
REDIS_PASSWORD_FILE=$SECURE_DIR/redis-password
REDIS_TLS_CA_FILE=$SECURE_DIR/ca.crt
EOF
    return 0
  fi
  cat <<EOF
KAFKA_BROKERS=$(kafka_bootstrap)
SCHEMA_REGISTRY_URL=$(registry_url)/apis/ccompat/v7
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
ALERTMANAGER_URL=http://127.0.0.1:$ALERTMANAGER_PORT
EOF
}

cmd_up() {
  local t0
  t0=$(now_ms)
  lock_stack
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  say "${B}hookline stack up${N} (data: $STACK_DIR)"
  ensure_prereqs
  ensure_secure_material
  fetch_artifacts
  compile_admin_helper
  if ((KAFKA_NODES > 1)); then start_kafka_cluster; else start_kafka; fi
  start_registry
  start_redis
  if [[ $STACK_MONITORING == 1 ]]; then start_monitoring; fi
  say "${G}ready${N} in $(secs_since "$t0"):  $(print_env | tr '\n' ' ')"
}

cmd_down() {
  lock_stack
  say "${B}hookline stack down${N}"
  local part
  for part in alertmanager prometheus registry kafka redis; do stop_part "$part"; done
  stop_kafka_cluster_extra
}

cmd_reset() {
  cmd_down
  local d
  # Extra brokers of a `--brokers N` cluster keep their data in kafka-2, kafka-3, … (whatever N was).
  for d in "$KAFKA_DATA" "$STACK_DIR/kafka" "$STACK_DIR"/kafka-[0-9]* "$REGISTRY_DIR" "$REDIS_DIR" "$PROMETHEUS_DIR" "$ALERTMANAGER_DIR" "$LOG_DIR" "$RUN_DIR"; do
    case $d in "$STACK_DIR"/*) [[ -e $d ]] && rm -rf -- "$d" ;; esac
  done
  say "  wiped Kafka (every broker), registry, Redis, Prometheus and Alertmanager data in $STACK_DIR"
  if redis_ping; then warn "a Redis not managed by this stack answers on port $REDIS_PORT; its data was not touched"; fi
}

# Kafka version of the running broker: from the jar directory on its command line when it is ours
# (it may predate a change of KAFKA_VERSION), else the pinned version.
running_kafka_version() {
  local v=''
  [[ -n $1 ]] && v=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | sed -n 's:.*/kafka-\([0-9][^/]*\)/libs/\*$:\1:p' | head -1)
  echo "${v:-$KAFKA_VERSION}"
}

pid_label() { if [[ -n $1 ]]; then echo "pid $1"; elif [[ $2 == healthy ]]; then echo external; else echo -; fi; }

status_line() { # part state version pid where
  local color=$G
  [[ $2 == healthy ]] || color=$R
  printf '%-12s %s%-8s%s %-34s %-11s %s\n' "$1" "$color" "$2" "$N" "$3" "$4" "$5"
}

cmd_status() {
  local down=0 pid info version
  [[ -n $JAVA ]] || find_java || true

  # Kafka: jar version from the cache, metadata.version and cluster id from the broker itself.
  pid=$(our_pid kafka)
  if [[ -n $JAVA && -f $KAFKA_HOME/.complete ]] && port_open "$KAFKA_PORT" && compile_admin_helper 2>/dev/null &&
    info=$(kafka_admin info "127.0.0.1:$KAFKA_PORT" 2>/dev/null); then
    status_line kafka healthy "$(running_kafka_version "$pid") (metadata ${info#* })" "$(pid_label "$pid" healthy)" "127.0.0.1:$KAFKA_PORT"
  else
    status_line kafka down "$KAFKA_VERSION" "$(pid_label "$pid" down)" "127.0.0.1:$KAFKA_PORT"
    down=1
  fi

  pid=$(our_pid registry)
  if registry_ready; then
    version=$(curl -s -m 3 "$(registry_url)/apis/registry/v3/system/info" | sed -n 's/.*"version" *: *"\([^"]*\)".*/\1/p')
    status_line registry healthy "apicurio ${version:-?}" "$(pid_label "$pid" healthy)" "$(registry_url)/apis/ccompat/v7"
  else
    status_line registry down "apicurio $APICURIO_VERSION" "$(pid_label "$pid" down)" "$(registry_url)/apis/ccompat/v7"
    down=1
  fi

  pid=$(our_pid redis)
  if redis_ping; then
    version=$(redis_cli info server 2>/dev/null | sed -n 's/^redis_version:\([^\r]*\).*/\1/p')
    status_line redis healthy "${version:-?}" "$(pid_label "$pid" healthy)" "127.0.0.1:$REDIS_PORT"
  else
    status_line redis down "" "$(pid_label "$pid" down)" "127.0.0.1:$REDIS_PORT"
    down=1
  fi
  if [[ $STACK_MONITORING == 1 ]]; then status_monitoring || down=1; fi
  return $down
}

cmd_logs() { # [part]
  local files=() p
  case ${1:-all} in
    all) for p in "${PARTS[@]}"; do [[ -f $LOG_DIR/$p.log ]] && files+=("$LOG_DIR/$p.log"); done ;;
    kafka | registry | redis | prometheus | alertmanager) files=("$LOG_DIR/$1.log") ;;
    *) die "unknown part '$1' (kafka, registry, redis, prometheus, alertmanager)" ;;
  esac
  ((${#files[@]})) || die "no logs yet in $LOG_DIR"
  exec tail -n "${LINES_SHOWN:-40}" -F "${files[@]}"
}

# stack.sh kafka <tool> [args]: the Kafka CLI tools with --bootstrap-server filled in.
cmd_kafka() {
  local tool=${1:-} cls
  [[ -n $tool ]] || die "usage: stack.sh kafka topics|consumer-groups|console-consumer|console-producer|configs|get-offsets|api-versions|metadata-quorum|features|<class> [args]"
  shift
  case $tool in
    topics) cls=org.apache.kafka.tools.TopicCommand ;;
    consumer-groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    console-consumer) cls=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    console-producer) cls=org.apache.kafka.tools.ConsoleProducer ;;
    configs) cls=kafka.admin.ConfigCommand ;;
    get-offsets) cls=org.apache.kafka.tools.GetOffsetShell ;;
    api-versions) cls=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    metadata-quorum) cls=org.apache.kafka.tools.MetadataQuorumCommand ;;
    features) cls=org.apache.kafka.tools.FeatureCommand ;;
    *.*) cls=$tool ;;
    *) die "unknown kafka tool '$tool'" ;;
  esac
  find_java || die "no Java 17+ JDK; run 'stack.sh up' first"
  [[ -f $KAFKA_HOME/.complete ]] || die "Kafka jars not fetched yet; run 'stack.sh up' first"
  local extra=()
  [[ " $* " == *" --bootstrap-server "* || " $* " == *" --bootstrap-controller "* ]] || extra=(--bootstrap-server "127.0.0.1:$KAFKA_PORT")
  exec "$JAVA" -Xmx512m -XX:TieredStopAtLevel=1 -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    -Dhookline.root.level=warn -Dhookline.started.level=warn "$cls" "${extra[@]}" "$@"
}

usage() {
  cat <<EOF
usage: bash deploy/local/stack.sh <command>
  up                 fetch what is missing, start Kafka, registry, Redis, Prometheus and
                     Alertmanager, wait until healthy
  up --brokers 3     the same with a three-broker KRaft cluster (RF 3, min.insync.replicas 2)
  down               stop what this stack started (SIGTERM, SIGKILL after ${STOP_TIMEOUT}s)
  status             one line per part; exit code 1 if any part is down
  reset              down, then wipe Kafka, registry and Redis data
  logs [part]        tail the logs (kafka, registry, redis, prometheus, alertmanager; default all)
  env                print KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL, PROMETHEUS_URL, ALERTMANAGER_URL
  kafka <tool> ...   Kafka CLI tools, e.g. 'kafka topics --list', 'kafka consumer-groups --list'
  browser            install Chromium (Debian package) for the console's browser tests
environment: KAFKA_PORT ($KAFKA_PORT) KAFKA_CONTROLLER_PORT ($KAFKA_CONTROLLER_PORT) REGISTRY_PORT ($REGISTRY_PORT)
  REDIS_PORT ($REDIS_PORT) PROMETHEUS_PORT ($PROMETHEUS_PORT) ALERTMANAGER_PORT ($ALERTMANAGER_PORT)
  HOOKLINE_SECURE ($HOOKLINE_SECURE) KAFKA_SASL_SSL_PORT ($KAFKA_SASL_SSL_PORT) KAFKA_HEAP ($KAFKA_HEAP) REGISTRY_HEAP ($REGISTRY_HEAP)
  HOOKLINE_STACK_DIR ($STACK_DIR) HOOKLINE_CACHE ($CACHE_DIR)
EOF
}

case ${1:-} in
  up)
    if [[ ${2:-} == --brokers ]]; then
      [[ ${3:-} =~ ^[1-9]$ ]] || die "--brokers takes a number of brokers (1..9), e.g. --brokers 3"
      KAFKA_NODES=$3
    fi
    cmd_up
    ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  logs) cmd_logs "${2:-}" ;;
  env) print_env ;;
  kafka) shift; cmd_kafka "$@" ;;
  # The console tests' browser (test/console): Debian's Chromium, driven by playwright-core.
  browser) command -v chromium >/dev/null || apt_install chromium ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
