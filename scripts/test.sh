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
	# The race detector watches our code and every library but SQLite,
	# which modernc.org/sqlite/lib and its C library, modernc.org/libc,
	# translate from C: it keeps its own locks, most of its memory is not Go
	# memory, and instrumenting it doubled the CPU time of every package
	# that stores (app: 28.4 s against 13.4 s for three of its tests).
	# Races of our goroutines over a connection still show in the
	# database/sql and driver code that stays instrumented. Text shaping
	# and golang.org/x/text stay instrumented too: our code calls x/text
	# directly, and its functions inlined into ours reported races on
	# memory its uninstrumented part had written.
	race="-race -tags ci,no_emoji"
	for lib in modernc.org/sqlite/lib modernc.org/libc/...; do
		race="$race -gcflags=$lib=-race=false"
	done
	# Everything the tests import is compiled first, with both cores (the
	# one-at-a-time run below would otherwise compile one at a time too).
	go build $race ./...
	timeout="${TEST_TIMEOUT:-14m}"
	# Two sides, one core each (go test would start the screens, package
	# ui, the longest, last, by name): the screens, then their layout and
	# memory checks without the race detector (see ui/layoutcheck_test.go
	# and ui/memory_test.go), then storage, then 2 s of fuzzing for each
	# parser of outside data (scripts/fuzz.sh); and every other package,
	# one at a time (each test binary linked in turn), then two of the
	# longest tests of the screens, which even the two sides out (their
	# test binary is linked once: the second go test of it finds it in the
	# build cache). Without them the side of the screens took two minutes
	# longer than the other.
	others=$(go list ./... | grep -v -e "^github.com/carebook/carebook/ui$" -e "^github.com/carebook/carebook/storage$")
	ui_on_other_side="^(TestWalkthrough|TestSwitcherStress)$"
	ui_log="$scratch/ui.log"
	(
		go test $race -count=1 -timeout "$timeout" -skip "$ui_on_other_side" ./ui/
		go test -tags ci,no_emoji -count=1 -timeout "$timeout" \
			-run "^(TestNothingCutOffAtPhoneSize|TestLargeTextFitsAPhone|TestRecordInSpanish|TestScreensFitAPhone|TestMemoryBoundedEveryScreen)$" ./ui/
		go test $race -count=1 -timeout "$timeout" ./storage/
		scripts/fuzz.sh
	) >"$ui_log" 2>&1 &
	ui_pid=$!
	status=0
	go test $race -count=1 -timeout "$timeout" -p 1 $others || status=$?
	go test $race -count=1 -timeout "$timeout" -run "$ui_on_other_side" ./ui/ || status=$?
	wait "$ui_pid" || status=$?
	cat "$ui_log"
	exit "$status"
'
