# shellcheck shell=bash
# Installs, when missing, the programs the tests, the demo and the README's commands run, so that
# `npm test` and `npm run demo` work on a fresh Debian machine. Sourced, not executed.
#
#   ensure_commands kcat jq     Debian packages for the named commands (apt-get, with sudo when not root)
#   ensure_cfn_lint             cfn-lint from PyPI in the project's own virtual environment
#                               (.local/venv), never the system Python; puts it first on PATH
#   ensure_lambda_rie           AWS's Lambda Runtime Interface Emulator, built with Go into .local/bin
#   ensure_lambda_ric           AWS's Node.js runtime interface client, built from npm into .local/lambda-ric
#
# MediaWiki and PHP are installed by scripts/mediawiki/setup.sh, Apache Kafka by scripts/kafka/fetch.sh.

TOOLS_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_VENV="${TOOLS_REPO_ROOT}/.local/venv"

# The Debian package that provides each command.
tools_package_for() {
  case "$1" in
    kcat) echo kcat ;;          # librdkafka's producer/consumer: the tests replay with every codec
    jq) echo jq ;;              # the README's commands filter JSON with it
    curl) echo curl ;;
    openssl) echo openssl ;;    # the mTLS test makes its own certificate authority
    mvn) echo maven ;;          # fetches Apache Kafka from Maven Central
    autoreconf) echo autoconf automake libtool ;;  # with cmake, g++, make: aws-lambda-ric's native addon
    java) echo default-jre-headless ;;  # runs Apache Kafka (17 or later)
    python3) echo python3 ;;
    *) echo "$1" ;;
  esac
}

ensure_commands() {
  local missing=() cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local packages=()
  for cmd in "${missing[@]}"; do
    # shellcheck disable=SC2207
    packages+=($(tools_package_for "$cmd"))
  done
  printf '[tools] %s missing\n' "${missing[*]}" >&2
  apt_install "${packages[@]}"
}

apt_install() {
  local sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  printf '[tools] apt-get install %s\n' "$*" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_cfn_lint() {
  if [[ ! -x "${TOOLS_VENV}/bin/cfn-lint" ]]; then
    ensure_commands python3
    # Debian's python3 has no venv (ensurepip) until python3-venv is installed.
    python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    printf '[tools] installing cfn-lint from PyPI into %s\n' "${TOOLS_VENV}" >&2
    rm -rf "${TOOLS_VENV}"
    python3 -m venv "${TOOLS_VENV}" >&2
    "${TOOLS_VENV}/bin/pip" install --quiet --disable-pip-version-check cfn-lint >&2
  fi
  export PATH="${TOOLS_VENV}/bin:${PATH}"
}

# AWS's Lambda Runtime Interface Emulator (scripts/lambda-runtime/), built from the Go module proxy into
# .local/bin/aws-lambda-rie with the machine's Go (PATH or /usr/local/go), or Debian's golang-go when there is none.
# Its module needs Go 1.26: a Go from 1.21 on fetches that toolchain from the module proxy itself (GOTOOLCHAIN=auto).
TOOLS_LAMBDA_RIE_MODULE="github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
TOOLS_LAMBDA_RIE_VERSION="v0.0.0-20261030222936-bef5c4ba774d"
TOOLS_LAMBDA_RIE="${TOOLS_REPO_ROOT}/.local/bin/aws-lambda-rie"

ensure_lambda_rie() {
  local stamp="${TOOLS_LAMBDA_RIE}.version" go_bin
  if [[ -x "${TOOLS_LAMBDA_RIE}" && "$(cat "${stamp}" 2>/dev/null)" == "${TOOLS_LAMBDA_RIE_VERSION}" ]]; then
    return 0
  fi
  go_bin="$(command -v go || true)"
  [[ -n "${go_bin}" || ! -x /usr/local/go/bin/go ]] || go_bin=/usr/local/go/bin/go
  if [[ -z "${go_bin}" ]]; then
    printf '[tools] go missing\n' >&2
    apt_install golang-go
    go_bin="$(command -v go)"
  fi
  printf '[tools] building aws-lambda-rie %s with %s (%s) into %s (about a minute)\n' \
    "${TOOLS_LAMBDA_RIE_VERSION}" "${go_bin}" "$("${go_bin}" env GOVERSION 2>/dev/null || echo 'version unknown')" \
    "${TOOLS_LAMBDA_RIE}" >&2
  mkdir -p "$(dirname "${TOOLS_LAMBDA_RIE}")"
  if ! GOBIN="$(dirname "${TOOLS_LAMBDA_RIE}")" GOTOOLCHAIN=auto GOFLAGS=-mod=mod \
    "${go_bin}" install "${TOOLS_LAMBDA_RIE_MODULE}@${TOOLS_LAMBDA_RIE_VERSION}" >&2; then
    printf '[tools] building aws-lambda-rie failed: it needs Go 1.21 or later (which fetches Go 1.26 itself); %s is %s\n' \
      "${go_bin}" "$("${go_bin}" version 2>/dev/null)" >&2
    return 1
  fi
  echo "${TOOLS_LAMBDA_RIE_VERSION}" >"${stamp}"
}

# AWS's Node.js runtime interface client, which the emulator runs, from npm into .local/lambda-ric. Its native addon
# is built from source by its install scripts (curl and aws-lambda-cpp with cmake and autotools, then node-gyp: a few
# minutes, once), which is why it is not a devDependency: every `npm ci` would pay that, and fail without cmake.
# A built copy is kept per machine in the user's cache (like ~/.m2 for Kafka's jars), keyed by the version and the
# Node ABI it was built for, so a second clone on the machine copies it instead of building it again.
TOOLS_LAMBDA_RIC_VERSION="4.0.2"
TOOLS_LAMBDA_RIC_DIR="${TOOLS_REPO_ROOT}/.local/lambda-ric"
TOOLS_CACHE_DIR="${XDG_CACHE_HOME:-${HOME}/.cache}/mw-page-content-change-enrich"

ensure_lambda_ric() {
  local package="${TOOLS_LAMBDA_RIC_DIR}/node_modules/aws-lambda-ric"
  if [[ -f "${package}/rapid-client.node" ]] && grep -q "\"version\": \"${TOOLS_LAMBDA_RIC_VERSION}\"" "${package}/package.json"; then
    return 0
  fi
  local cached
  cached="${TOOLS_CACHE_DIR}/aws-lambda-ric-${TOOLS_LAMBDA_RIC_VERSION}-node-abi-$(node -p process.versions.modules)"
  if [[ -f "${cached}/node_modules/aws-lambda-ric/rapid-client.node" ]]; then
    printf '[tools] aws-lambda-ric %s: copying the build kept in %s\n' "${TOOLS_LAMBDA_RIC_VERSION}" "${cached}" >&2
    rm -rf "${TOOLS_LAMBDA_RIC_DIR}" && mkdir -p "$(dirname "${TOOLS_LAMBDA_RIC_DIR}")"
    cp -a "${cached}" "${TOOLS_LAMBDA_RIC_DIR}"
    return 0
  fi
  ensure_commands cmake make g++ autoreconf
  printf '[tools] building aws-lambda-ric %s into %s (its native addon from source: a few minutes, once)\n' \
    "${TOOLS_LAMBDA_RIC_VERSION}" "${TOOLS_LAMBDA_RIC_DIR}" >&2
  mkdir -p "${TOOLS_LAMBDA_RIC_DIR}"
  npm install --prefix "${TOOLS_LAMBDA_RIC_DIR}" --no-save --no-audit --no-fund \
    "aws-lambda-ric@${TOOLS_LAMBDA_RIC_VERSION}" >&2 || true
  if [[ ! -f "${package}/rapid-client.node" ]]; then
    printf '[tools] aws-lambda-ric: the native addon was not built (see above)\n' >&2
    return 1
  fi
  # Kept for the next clone; written beside and renamed, so a half-copied build is never taken.
  mkdir -p "${TOOLS_CACHE_DIR}" && rm -rf "${cached}.partial.$$" &&
    cp -a "${TOOLS_LAMBDA_RIC_DIR}" "${cached}.partial.$$" && mv -T "${cached}.partial.$$" "${cached}" 2>/dev/null ||
    rm -rf "${cached}.partial.$$"
}
