# Carebook. On a fresh Debian machine: `make run` or `make test`.
# Both install what they need first (Debian packages, through apt-get).

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export LANG ?= en_US.UTF-8

GO      ?= go
BIN     := bin

.PHONY: all deps deps-build run demo build test bench lint screenshots package tools clean

all: build

## deps: install missing Debian packages for building, running and testing
deps:
	@scripts/deps.sh all

deps-build:
	@scripts/deps.sh build

## build: the desktop app (cgo + OpenGL) into bin/carebook
build: deps-build
	$(GO) build -o $(BIN)/carebook .

## run: start Carebook (on a first start it offers the built-in demo practice)
run: deps-build build
	$(BIN)/carebook

## test: every test, with the race detector, the real keyring and a real browser
test: deps
	scripts/test.sh

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

## package: a Linux tar.xz (binary, .desktop file, icon) with the fyne CLI
package: deps-build tools
	@# fyne package counts builds in FyneApp.toml; the repository keeps its own.
	@cp FyneApp.toml $(BIN)/FyneApp.toml.keep
	$(abspath $(BIN))/fyne package -os linux --release; status=$$?; \
	cp $(BIN)/FyneApp.toml.keep FyneApp.toml; exit $$status
	@ls -1 *.tar.xz

tools: $(BIN)/fyne $(BIN)/staticcheck

$(BIN)/fyne: tools/go.mod
	cd tools && $(GO) build -o ../$(BIN)/fyne fyne.io/tools/cmd/fyne

$(BIN)/staticcheck: tools/go.mod
	cd tools && $(GO) build -o ../$(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck

clean:
	rm -rf $(BIN) screenshots *.tar.xz
