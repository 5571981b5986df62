#!/usr/bin/env bash
# Installs the Debian packages the tests use, only when one is missing (idempotent, fast when done).
set -euo pipefail
need=()
command -v gammu >/dev/null || need+=(gammu)
command -v gammu-smsd >/dev/null || need+=(gammu-smsd)
[ -x /usr/sbin/smsd ] || need+=(smstools)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v socat >/dev/null || need+=(socat)
command -v openssl >/dev/null || need+=(openssl)  # self-signed certs for the https webhook test
command -v npm >/dev/null || need+=(npm)  # pyright (make typecheck)
[ -x /usr/bin/chromium ] || need+=(chromium)  # the web page's tests (Playwright drives it)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
