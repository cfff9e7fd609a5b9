#!/usr/bin/env bash
# Installs the Debian packages gradbook builds against, only when one is missing; with --test,
# also what the test suite needs (a headless browser for the JupyterLab tests, libxml2 for
# parsing SVG in the Swift tests, a PostgreSQL server and pg_virtualenv for the shared-history
# tests).
set -euo pipefail
packages=(libsqlite3-dev libzmq3-dev libedit-dev libopenblas-dev libpq-dev graphviz sqlite3 pkg-config)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium chromium-driver libxml2 postgresql postgresql-common)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
