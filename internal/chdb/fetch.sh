#!/bin/sh
# Installs the chdb library pinned in package.json / package-lock.json
# (ClickHouse built as a shared library, about 160 MB to download and 530 MB
# unpacked) into node_modules/, where the ClickHouse dialect check of the
# tests finds it. Only tests load it; building netlens never needs it.
# Idempotent: does nothing when the pinned version is installed. On machines
# chdb publishes no Linux x86-64 build for, it says so and does nothing: the
# check is then skipped, or fails when CI is set.
set -eu
cd "$(dirname "$0")"

pkg=node_modules/@chdb/lib-linux-x64-gnu
lib=$pkg/libchdb.so

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
	echo "fetch.sh: chdb is fetched on Linux x86-64 only; the ClickHouse dialect check will be skipped" >&2
	exit 0
fi
pinned=$(sed -n 's/^ *"@chdb\/lib-linux-x64-gnu": *"\([^"]*\)".*/\1/p' package.json)
installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" 2>/dev/null | head -n 1 || true)

if [ -z "$pinned" ]; then
	echo "fetch.sh: no @chdb/lib-linux-x64-gnu version in internal/chdb/package.json" >&2
	exit 1
fi
if [ "$installed" != "$pinned" ] || [ ! -s "$lib" ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	command -v npm >/dev/null 2>&1 || { echo "fetch.sh: npm is needed to install chdb $pinned" >&2; exit 1; }
	echo "fetch.sh: installing chdb $pinned (about 160 MB)" >&2
	npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -s "$lib" ]; then
	echo "fetch.sh: $lib missing after npm ci" >&2
	exit 1
fi
