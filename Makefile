# Carebook. On a fresh Debian machine: `make run` or `make test`.
# Both install what they need first (Debian packages, through apt-get).

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export LANG ?= en_US.UTF-8
# The Go release that builds and tests Carebook (older standard libraries
# carry vulnerabilities the app can reach). The machine's own go command
# fetches it from the module proxy once. go.mod alone cannot switch: the
# go.env of Go's own downloads sets GOTOOLCHAIN=local.
export GOTOOLCHAIN := go1.27.3

GO      ?= go
BIN     := bin
# no_animations: a steady text cursor and no transitions. Fyne's blinking
# cursor redraws the whole window 60 times a second, which kept a core 7 %
# busy on an idle search screen (make bench measures it); a steady cursor
# is also kinder to people who are distracted by motion (WCAG 2.3.3).
# no_emoji: Fyne's bundled colour emoji font (4 MB) is left out. Fyne parses
# it anew for every text style a window uses (regular, bold, italic): 15 MB
# of the Go heap, a third of the app's with a 20,000-resource record open
# (issue 15). Text never needs it: Noto Sans has every letter of our
# languages, and a character it lacks (an emoji in a message) is taken from
# the system's fonts, as "→" and "≥" already are. scripts/test.sh and
# scripts/bench.sh test and measure with the same tag.
BUILDTAGS := no_animations,no_emoji
# The commit each binary was built from, printed by --version.
LDFLAGS := -X github.com/carebook/carebook/internal/version.Commit=$(shell git rev-parse HEAD 2>/dev/null)

# The Go vulnerability database, built offline from this pinned version of
# the golang.org/x/vulndb module (the module proxy serves it; the usual
# database host cannot be reached). Raise the pin to learn of newer reports.
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB         := $(BIN)/vulndb-$(VULNDB_VERSION)

.PHONY: all deps deps-build deps-package run demo build test test-long fuzz vulncheck mobile-check bench lint screenshots package tools clean

all: build

## deps: install missing Debian packages for building, running and testing
deps:
	@scripts/deps.sh all

deps-build:
	@scripts/deps.sh build

deps-package:
	@scripts/deps.sh package

## build: the desktop app (cgo + OpenGL) into bin/carebook
build: deps-build
	$(GO) build -tags $(BUILDTAGS) -ldflags "$(LDFLAGS)" -o $(BIN)/carebook .

## run: start Carebook (on a first start it offers the built-in demo practice)
run: deps-build build
	$(BIN)/carebook

## test: known vulnerabilities, mobile builds, every test (race detector, real keyring,
## real browser), then 2 s of fuzzing for each parser of outside data
test: deps vulncheck
	scripts/mobile-check.sh
	scripts/test.sh

## fuzz: every parser of outside data fuzzed for a minute each (make test
## gives each 2 seconds); FUZZTIME=10m make fuzz for longer
fuzz: deps-build
	FUZZTIME=$${FUZZTIME:-1m} scripts/fuzz.sh

## test-long: make test with the long loops of the stress and random tests
## (CAREBOOK_LONG=1); longer than CI allows, for before a release
test-long: deps vulncheck
	scripts/mobile-check.sh
	CAREBOOK_LONG=1 TEST_TIMEOUT=60m scripts/test.sh

## mobile-check: app, sync and storage build for android/arm64 and ios/arm64 (no cgo)
mobile-check:
	scripts/mobile-check.sh

## vulncheck: govulncheck over the app, the CLI and the practice server, against
## the pinned offline database; fails on any vulnerability the code can reach
vulncheck: deps-build $(BIN)/govulncheck $(VULNDB)/index/modules.json
	cd tools && $(GO) test -count=1 ./mkvulndb
	$(BIN)/govulncheck -db file://$(abspath $(VULNDB)) ./...

# Built once per pinned version and kept in bin/ (a second run costs nothing).
$(VULNDB)/index/modules.json: | $(BIN)/mkvulndb
	$(BIN)/mkvulndb -version $(VULNDB_VERSION) -out $(VULNDB)

## bench: speed and memory targets (Go benchmarks and the sync benchmark)
bench: deps-build build
	scripts/bench.sh

## lint: gofmt, go vet and staticcheck
lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags ci ./...
	$(BIN)/staticcheck -tags ci ./...

## screenshots: the real app under Xvfb at desktop and phone size, PNGs in screenshots/
screenshots: deps build
	scripts/screenshots.sh

## package: the Linux .tar.xz and Windows .exe of the app, the CLI for Linux,
## Windows and macOS, all checked (scripts/check-packages.sh); into dist/
package: deps-package tools
	scripts/package.sh

tools: $(BIN)/fyne $(BIN)/staticcheck $(BIN)/govulncheck $(BIN)/mkvulndb

$(BIN)/fyne: tools/go.mod
	cd tools && $(GO) build -o ../$(BIN)/fyne fyne.io/tools/cmd/fyne

$(BIN)/staticcheck: tools/go.mod
	cd tools && $(GO) build -o ../$(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

$(BIN)/govulncheck: tools/go.mod
	cd tools && $(GO) build -o ../$(BIN)/govulncheck golang.org/x/vuln/cmd/govulncheck

$(BIN)/mkvulndb: tools/go.mod tools/mkvulndb/main.go
	cd tools && $(GO) build -o ../$(BIN)/mkvulndb ./mkvulndb

clean:
	rm -rf $(BIN) screenshots dist *.tar.xz
