#!/usr/bin/env bash
# Checks that the core below the UI (app, sync, storage and their
# sub-packages) builds for Android and iOS without cgo, as the phone builds
# need it. The phone apps themselves need the Android NDK or Xcode, which
# this machine has not; this keeps the core ready for them.
set -euo pipefail
# The Go release Carebook is built with (see the Makefile); the machine's
# own go command fetches it once.
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
for os in android ios; do
	CGO_ENABLED=0 GOOS=$os GOARCH=arm64 go build ./app/... ./sync/... ./storage/... ./internal/version
	echo "mobile-check: app, sync and storage build for $os/arm64"
done
