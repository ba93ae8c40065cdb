#!/bin/sh
# Installs the ECharts pinned in package.json / package-lock.json and copies
# its minified build to assets/echarts.min.js, which html.go embeds.
# Idempotent: does nothing when the pinned version is installed and copied.
set -eu
cd "$(dirname "$0")"

src=node_modules/echarts/dist/echarts.min.js
dst=assets/echarts.min.js

pinned=$(sed -n 's/^ *"echarts": *"\([^"]*\)".*/\1/p' package.json)
installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' node_modules/echarts/package.json 2>/dev/null | head -n 1 || true)

if [ -z "$pinned" ]; then
	echo "gen.sh: no echarts version in chart/html/package.json" >&2
	exit 1
fi
if [ "$installed" != "$pinned" ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	command -v npm >/dev/null 2>&1 || { echo "gen.sh: npm is needed to install echarts $pinned" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -s "$src" ]; then
	echo "gen.sh: $src missing after npm ci" >&2
	exit 1
fi
if ! cmp -s "$src" "$dst"; then
	cp "$src" "$dst.tmp"
	mv "$dst.tmp" "$dst"
fi
