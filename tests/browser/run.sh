#!/bin/sh
# ctest wrapper: installs playwright-core once (npm registry), then runs one test script.
set -eu
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_BIN:-}" ]; then
    echo "SKIP: /usr/bin/chromium is not installed (apt-get install chromium)"
    exit 77
fi
if [ ! -d node_modules/playwright-core ]; then
    npm install --no-audit --no-fund --loglevel=error >/dev/null
fi
exec node "$1"
