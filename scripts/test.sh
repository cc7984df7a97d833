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
	# jobs below would otherwise compile it one package at a time on each
	# side).
	go build $race ./...
	timeout="${TEST_TIMEOUT:-14m}"
	# The jobs: the packages that take longest each on its own, the
	# screens (package ui) with the race detector, then their layout and
	# memory checks without it (see ui/layoutcheck_test.go and
	# ui/memory_test.go), 2 s of fuzzing for each parser of outside data
	# (scripts/fuzz.sh), and the rest of the packages, short ones, in one go
	# test (one at a time, each test binary linked in turn). Two sides, one
	# core each, take the next job of the list whenever they are free: the
	# longest first (the order is what they took on a quiet machine), so
	# that both sides end within a short job of each other. Two fixed lists
	# had to be evened out by hand after changes of the tests (one side
	# ended two minutes after the other more than once).
	jobs="ui app cmd/carebook-cli rest fuzz storage sync/outbox app/record sync/pull sync/fhirapi practice/synth practice/smart practice/store practice cmd/practice ui-layout practice/staff"
	module=$(go list -m)
	rest=
	for pkg in $(go list ./...); do
		case " $jobs " in
		*" ${pkg#$module/} "*) ;;
		*) rest="$rest $pkg" ;;
		esac
	done
	run() {
		case "$1" in
		fuzz) scripts/fuzz.sh ;;
		rest) go test $race -count=1 -timeout "$timeout" -p 1 $rest ;;
		ui-layout)
			go test -tags ci,no_emoji -count=1 -timeout "$timeout" \
				-run "^(TestNothingCutOffAtPhoneSize|TestLargeTextFitsAPhone|TestRecordInSpanish|TestScreensFitAPhone|TestMemoryBoundedEveryScreen)$" ./ui/ ;;
		*) go test $race -count=1 -timeout "$timeout" "./$1/" ;;
		esac
	}
	# A side claims job n by making the folder claim.n (mkdir is atomic:
	# one side gets it), runs it, and prints its output whole (one side at
	# a time), with how long it took.
	start=$(date +%s)
	side() {
		local n=0 status=0 job began
		while read -r job; do
			n=$((n + 1))
			mkdir "$scratch/claim.$n" 2>/dev/null || continue
			began=$(date +%s)
			run "$job" >"$scratch/job.$n" 2>&1 || status=1
			echo "test: $job took $(($(date +%s) - began)) s (side $1)" >>"$scratch/job.$n"
			flock "$scratch/print" cat "$scratch/job.$n"
		done < <(printf "%s\n" $jobs)
		echo "test: side $1 ended after $(($(date +%s) - start)) s"
		return "$status"
	}
	status=0
	side 1 &
	first=$!
	side 2 || status=$?
	wait "$first" || status=$?
	exit "$status"
'
