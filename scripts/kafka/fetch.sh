#!/usr/bin/env bash
# Fetch the Apache Kafka broker (kafka_2.13) and its runtime dependencies from
# Maven Central into .local/kafka/libs, using scripts/kafka/pom.xml.
# Idempotent: does nothing when the jars for the wanted version are present.
#
#   scripts/kafka/fetch.sh            # fetch if missing
#   scripts/kafka/fetch.sh --force    # re-fetch
#   KAFKA_VERSION=4.3.1 scripts/kafka/fetch.sh   # other version (replaces libs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

force=0
[[ "${1:-}" == "--force" ]] && force=1

marker="${KAFKA_LIBS_DIR}/.complete-${KAFKA_VERSION}"
if [[ ${force} -eq 0 && -f "${marker}" && -f "${KAFKA_LIBS_DIR}/kafka_2.13-${KAFKA_VERSION}.jar" ]]; then
  log "Kafka ${KAFKA_VERSION} jars already present in ${KAFKA_LIBS_DIR} ($(ls "${KAFKA_LIBS_DIR}"/*.jar | wc -l) jars); skipping fetch"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || die "mvn (Maven) is required to fetch Kafka; install it (e.g. apt-get install maven)"
command -v java >/dev/null 2>&1 || die "java (17+) is required to run Kafka ${KAFKA_VERSION}"

mkdir -p "${KAFKA_LOCAL_DIR}"
tmp="$(mktemp -d "${KAFKA_LOCAL_DIR}/libs.tmp.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT

log "Fetching org.apache.kafka:kafka_2.13:${KAFKA_VERSION} and runtime dependencies from Maven Central ..."
start=${SECONDS}
mvn -q -B -Dstyle.color=never -f "${KAFKA_SCRIPTS_DIR}/pom.xml" \
  -Dkafka.version="${KAFKA_VERSION}" \
  -DincludeScope=runtime \
  -DoutputDirectory="${tmp}" \
  dependency:copy-dependencies 2>&1 \
  | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2 \
  || die "mvn dependency:copy-dependencies failed (is Maven Central reachable?)"

[[ -f "${tmp}/kafka_2.13-${KAFKA_VERSION}.jar" ]] || die "kafka_2.13-${KAFKA_VERSION}.jar missing after fetch"
touch "${tmp}/.complete-${KAFKA_VERSION}"
chmod 755 "${tmp}"

rm -rf "${KAFKA_LIBS_DIR}"
mv "${tmp}" "${KAFKA_LIBS_DIR}"
trap - EXIT
log "Fetched $(ls "${KAFKA_LIBS_DIR}"/*.jar | wc -l) jars ($(du -sh "${KAFKA_LIBS_DIR}" | cut -f1)) into ${KAFKA_LIBS_DIR} in $((SECONDS - start)) s"
