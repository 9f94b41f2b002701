#!/bin/sh
# Compile the native addon and the prefork worker for this image's Node. node-gyp finds Node's headers through
# npm_config_nodedir (set in the offline base); the official images ship them in /usr/local/include/node.
set -e
cd "$(dirname "$0")/.."
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/local/include/node ]; then export npm_config_nodedir=/usr/local; fi
npx --no-install node-gyp rebuild
