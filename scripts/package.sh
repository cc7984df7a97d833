#!/usr/bin/env bash
# Builds every artifact a release ships into dist/, then checks them
# (scripts/check-packages.sh):
#   - the desktop app for Linux (.tar.xz: binary, .desktop file, icon) and
#     Windows (.exe with the icon and the app's metadata), with the fyne CLI;
#   - the command line for Linux, Windows and macOS (CGO_ENABLED=0).
# The version is FyneApp.toml's; the commit is stamped into every binary.
# Takes minutes (the cgo builds of the GUI): not part of `make test`.
set -euo pipefail
# The Go release Carebook is built with (see the Makefile); the machine's
# own go command fetches it once.
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

fyne=$(pwd)/bin/fyne
dist=dist
rm -rf "$dist"
mkdir -p "$dist"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
ldflags="-s -w -X github.com/carebook/carebook/internal/version.Commit=$commit"
start=$SECONDS

# --tags no_animations,no_emoji: a steady cursor and no bundled emoji font,
# as `make build` (see the Makefile).
# fyne package counts builds in FyneApp.toml, writes fyne_metadata_init.go
# (the metadata, with Release set) into the source folder and leaves it
# there: keep the repository's FyneApp.toml and a clean tree afterwards.
cp FyneApp.toml "$dist/.FyneApp.toml.keep"
restore() {
	cp "$dist/.FyneApp.toml.keep" FyneApp.toml
	rm -f "$dist/.FyneApp.toml.keep" carebook carebook.exe fyne_metadata_init.go
}
trap restore EXIT

echo "package: Linux desktop app"
"$fyne" package -os linux --release --tags no_animations,no_emoji --metadata "commit=$commit"
mv Carebook.tar.xz "$dist/carebook-$version-linux-amd64.tar.xz"

echo "package: Windows desktop app (cross-built with mingw-w64)"
CC=x86_64-w64-mingw32-gcc CGO_ENABLED=1 GOOS=windows GOARCH=amd64 \
	"$fyne" package -os windows --release --tags no_animations,no_emoji --metadata "commit=$commit"
mv Carebook.exe "$dist/carebook-$version-windows-amd64.exe"

for target in linux/amd64 windows/amd64 darwin/arm64 darwin/amd64; do
	os=${target%/*} arch=${target#*/}
	ext=; [ "$os" = windows ] && ext=.exe
	echo "package: carebook-cli for $os/$arch"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" \
		-o "$dist/carebook-cli-$version-$os-$arch$ext" ./cmd/carebook-cli
done

echo "package: built in $((SECONDS - start)) s"
scripts/check-packages.sh "$dist"
