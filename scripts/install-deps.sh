#!/bin/sh
# Install every Debian package alluse builds, tests and benchmarks with (as root).
set -e
PKGS="build-essential pkg-config liburing-dev libck-dev libcmocka-dev libjemalloc-dev \
libyaml-dev libpq-dev libssl-dev libcurl4-openssl-dev clang libclang-rt-14-dev clang-format \
postgresql python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
