#!/bin/sh
# check-deps.sh PKG... — say which pkg-config module is missing and which Debian
# package provides it. Exit 1 if any is missing.
deb() {
	case "$1" in
	liburing) echo liburing-dev ;;
	ck) echo libck-dev ;;
	cmocka) echo libcmocka-dev ;;
	jemalloc) echo libjemalloc-dev ;;
	yaml-0.1) echo libyaml-dev ;;
	libpq) echo libpq-dev ;;
	libcrypto) echo libssl-dev ;;
	libcurl) echo libcurl4-openssl-dev ;;
	*) echo "$1" ;;
	esac
}
if ! command -v pkg-config >/dev/null 2>&1; then
	echo "alluse: pkg-config is not installed: apt-get install pkg-config (or: make deps)" >&2
	exit 1
fi
rc=0
for p in "$@"; do
	if ! pkg-config --exists "$p"; then
		echo "alluse: missing library '$p': apt-get install $(deb "$p")   (or: make deps, as root)" >&2
		rc=1
	fi
done
exit $rc
