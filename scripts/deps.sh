#!/usr/bin/env bash
# Installs, only when missing, every Debian package that building, running
# and testing Carebook needs, and says what it installs. Idempotent: a second
# run installs nothing and prints one line.
set -euo pipefail
# The Go release Carebook is built with (see the Makefile); the machine's
# own go command fetches it once.
export GOTOOLCHAIN=go1.27.3

build=(ca-certificates gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev
       libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev)
# A real window under Xvfb, screenshots, the real OS keyring in tests, and the
# browser that drives the practice's sign-in pages in tests, and poppler's
# pdftotext and pdftoppm, which read the exported health summary back in tests
# and turn its pages into PNGs in make screenshots.
test=(xvfb xauth xdotool imagemagick x11-apps libgl1-mesa-dri dbus dbus-x11 gnome-keyring
      libsecret-tools chromium poppler-utils)

# Packaging: the Windows cross-compiler (and its objdump, to check the .exe),
# file and xz to check the artifacts.
package=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 file xz-utils)

case "${1:-all}" in
build) wanted=("${build[@]}") ;;
package) wanted=("${build[@]}" "${package[@]}") ;;
all) wanted=("${build[@]}" "${test[@]}") ;;
*) echo "usage: $0 [build|package|all]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	echo "deps: all ${#wanted[@]} Debian packages present"
else
	echo "deps: installing ${missing[*]}"
	sudo=()
	if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	echo "deps: installed ${#missing[@]} packages"
fi

if ! command -v go >/dev/null 2>&1; then
	echo "deps: Go is not installed. Install Go 1.21 or newer (https://go.dev/doc/install);" >&2
	echo "      it fetches the exact toolchain go.mod asks for by itself." >&2
	exit 1
fi
