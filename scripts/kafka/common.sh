# Shared settings for the local single-node Kafka broker scripts.
# Sourced by fetch.sh, start.sh, stop.sh and status.sh; not meant to be run.
#
# Environment (all optional):
#   KAFKA_LOCAL_DIR        state directory (default: .local/kafka; relative to the repository)
#   KAFKA_VERSION          broker version to fetch (default: the one in pom.xml)
#   KAFKA_PORT             PLAINTEXT listener port   (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft CONTROLLER port     (default 9093)
#   KAFKA_HEAP_OPTS        JVM heap flags            (default "-Xms128m -Xmx512m")
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60)
#   KAFKA_STOP_TIMEOUT     seconds to wait for a graceful stop (default 30)
#   KAFKA_CLUSTER_ID       cluster id used when formatting fresh storage (default: random)
#   KAFKA_EXTRA_PROPERTIES extra server.properties lines appended on start (newline-separated)

KAFKA_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${KAFKA_SCRIPTS_DIR}/../.." && pwd)"

KAFKA_LOCAL_DIR="${KAFKA_LOCAL_DIR:-.local/kafka}"
# Relative to the repository, whatever the current directory: the broker's command line names
# its config file by this absolute path, and stop.sh and status.sh recognise the broker by it.
[[ "${KAFKA_LOCAL_DIR}" == /* ]] || KAFKA_LOCAL_DIR="${REPO_ROOT}/${KAFKA_LOCAL_DIR}"
KAFKA_LIBS_DIR="${KAFKA_LOCAL_DIR}/libs"
KAFKA_DATA_DIR="${KAFKA_LOCAL_DIR}/data"
KAFKA_CONFIG_FILE="${KAFKA_LOCAL_DIR}/server.properties"
KAFKA_LOG4J_FILE="${KAFKA_LOCAL_DIR}/log4j2.properties"
KAFKA_LOG_FILE="${KAFKA_LOCAL_DIR}/broker.log"
KAFKA_PID_FILE="${KAFKA_LOCAL_DIR}/broker.pid"
KAFKA_LOCK_FILE="${KAFKA_LOCAL_DIR}/.lock"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOST="127.0.0.1"

if [[ -z "${KAFKA_VERSION:-}" ]]; then
  KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "${KAFKA_SCRIPTS_DIR}/pom.xml" | head -n1)"
fi

# Progress goes to stderr so that stdout carries only machine-readable output
# (start.sh prints KAFKA_BROKERS=... there).
log() { printf '[kafka] %s\n' "$*" >&2; }
die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

# Serialise start/stop across concurrent callers (e.g. parallel test files).
take_lock() {
  mkdir -p "${KAFKA_LOCAL_DIR}"
  exec 9>"${KAFKA_LOCK_FILE}"
  if command -v flock >/dev/null 2>&1; then
    flock -w 120 9 || die "could not take ${KAFKA_LOCK_FILE} within 120 s"
  fi
}

# Prints the broker pid if the pid file names a live Kafka broker of ours.
running_pid() {
  [[ -f "${KAFKA_PID_FILE}" ]] || return 1
  local pid
  pid="$(cat "${KAFKA_PID_FILE}" 2>/dev/null || true)"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  kill -0 "${pid}" 2>/dev/null || return 1
  # Guard against pid reuse: the process must be our kafka.Kafka java process.
  if [[ -r "/proc/${pid}/cmdline" ]]; then
    [[ "$(tr '\0' ' ' <"/proc/${pid}/cmdline")" == *"kafka.Kafka ${KAFKA_CONFIG_FILE}"* ]] || return 1
  fi
  echo "${pid}"
}

port_in_use() {
  (exec 3<>"/dev/tcp/${KAFKA_HOST}/$1") 2>/dev/null
}
