# Carebook. On a fresh Debian machine: `make run` or `make test`.
# Both install what they need first (Debian packages, through apt-get).

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export LANG ?= en_US.UTF-8

GO      ?= go
BIN     := bin
# The commit each binary was built from, printed by --version.
LDFLAGS := -X github.com/carebook/carebook/internal/version.Commit=$(shell git rev-parse HEAD 2>/dev/null)

.PHONY: all deps deps-build deps-package run demo build test mobile-check bench lint screenshots package tools clean

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
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/carebook .

## run: start Carebook (on a first start it offers the built-in demo practice)
run: deps-build build
	$(BIN)/carebook

## test: every test, with the race detector, the real keyring and a real browser
test: deps
	scripts/mobile-check.sh
	scripts/test.sh

## mobile-check: app, sync and storage build for android/arm64 and ios/arm64 (no cgo)
mobile-check:
	scripts/mobile-check.sh

## bench: speed and memory targets (Go benchmarks and the sync benchmark)
bench: deps-build
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

tools: $(BIN)/fyne $(BIN)/staticcheck

$(BIN)/fyne: tools/go.mod
	cd tools && $(GO) build -o ../$(BIN)/fyne fyne.io/tools/cmd/fyne

$(BIN)/staticcheck: tools/go.mod
	cd tools && $(GO) build -o ../$(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

clean:
	rm -rf $(BIN) screenshots dist *.tar.xz
