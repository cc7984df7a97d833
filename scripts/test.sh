#!/usr/bin/env bash
# Runs every test of the project with the race detector, inside a private
# D-Bus session with an unlocked gnome-keyring, so that the storage tests
# exercise the real OS keyring backend (and fail, not skip, without it).
set -euo pipefail
# The Go release Carebook is built with (see the Makefile); the machine's
# own go command fetches it once.
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

export LANG=en_US.UTF-8
export CAREBOOK_REQUIRE_KEYRING=1
if command -v chromium >/dev/null 2>&1; then
	export CAREBOOK_REQUIRE_CHROMIUM=1
fi

exec dbus-run-session -- bash -euo pipefail -c '
	scratch=$(mktemp -d)
	trap "rm -rf \"$scratch\"" EXIT
	# Only the data home moves (the keyring keeps its file there); the Go
	# build cache must stay where it is or every run would build cold.
	export XDG_DATA_HOME="$scratch/data"
	mkdir -p "$XDG_DATA_HOME"
	# The keyring daemon reads its unlock password on stdin.
	eval "$(printf %s carebook-test | gnome-keyring-daemon --daemonize --unlock --components=secrets)"
	export GNOME_KEYRING_CONTROL
	echo "test: D-Bus session and gnome-keyring ready"
	go test -race -tags ci -count=1 -timeout "${TEST_TIMEOUT:-12m}" ./...
'
