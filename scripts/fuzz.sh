#!/usr/bin/env bash
# Fuzzes every parser of outside data (what a practice's server, a browser
# redirect or a file on disk can hand the app) for FUZZTIME each (default
# 2s: the budget make test gives it), or one target: scripts/fuzz.sh
# FuzzDecodeBundle. make fuzz runs them longer (FUZZTIME=1m). A failure
# leaves its input in the package's testdata/fuzz folder: commit it, and
# it runs in every make test from then on.
set -euo pipefail
# The Go release Carebook is built with (see the Makefile).
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-2s}
# package and target, one per line: the app's side only (the practice
# server's own fuzz targets run as seeds in make test).
targets='
./sync/fhirapi FuzzDecodeBundle
./sync/fhirapi FuzzParseCapabilities
./sync/fhirapi FuzzParseRetryAfter
./sync/smart FuzzCallbackHandler
./sync/smart FuzzSmartConfiguration
./sync/smart FuzzTokenResponse
./sync/pull FuzzClassify
./sync/pull FuzzEntryHeader
./storage FuzzOpenEnvelope
./storage FuzzDecodeResource
./storage FuzzOpenDatabaseFile
./app/locfmt FuzzNumber
./app/record FuzzDecode
./app/record FuzzBase64Scan
./app/record FuzzParseDate
./app/record FuzzHTMLText
./app/record FuzzEachToken
./app FuzzDecodeQuestionnaire
./app FuzzParsePracticeOffers
./app FuzzDetailValues
./app FuzzSummaryPDF
'

# Every target listed must exist: a renamed one would silently stop.
missing=0
while read -r pkg name; do
	[ -z "$pkg" ] && continue
	if ! grep -q "^func $name(" "$pkg"/*_test.go; then
		echo "fuzz: $name not found in $pkg" >&2
		missing=1
	fi
done <<<"$targets"
[ "$missing" = 0 ] || exit 1

only=${1:-}
log=$(mktemp)
bins=$(mktemp -d)
trap 'rm -rf "$log" "$bins"' EXIT
# Where go test -fuzz keeps what fuzzing found interesting, per package:
# the binary is given the same folder, so each run starts from what the
# last ones learnt, as go test -fuzz would.
fuzzcache="$(go env GOCACHE)/fuzz"
module=$(go list -m)
start=$(date +%s)
n=0
while read -r pkg name; do
	[ -z "$pkg" ] && continue
	[ -n "$only" ] && [ "$only" != "$name" ] && continue
	# Each package's fuzzing binary is built (instrumented, as go test
	# -fuzz builds it) and linked once for all its targets: linking it
	# for each target took more time than fuzzing it.
	bin="$bins/$(echo "$pkg" | tr / _).test"
	if [ ! -x "$bin" ]; then
		go test -c -tags ci -fuzz . -o "$bin" "$pkg" >"$log" 2>&1 || {
			cat "$log" >&2
			echo "fuzz: $pkg does not build" >&2
			exit 1
		}
	fi
	echo "fuzz: $name ($pkg) for $fuzztime"
	# Run as go test runs it: in the package's folder (a failing input is
	# written to its testdata/fuzz), with the package's fuzz cache.
	(cd "$pkg" && "$bin" -test.paniconexit0 -test.run '^$' -test.fuzz "^$name\$" -test.fuzztime "$fuzztime" \
		-test.fuzzcachedir "$fuzzcache/$module/${pkg#./}") >"$log" 2>&1 || {
		cat "$log" >&2
		echo "fuzz: $name found a failing input (kept under $pkg/testdata/fuzz/$name)" >&2
		exit 1
	}
	n=$((n + 1))
done <<<"$targets"
echo "fuzz: $n targets, $fuzztime each, in $(($(date +%s) - start)) s, nothing found"
