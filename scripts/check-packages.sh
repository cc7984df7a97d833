#!/usr/bin/env bash
# Checks the artifacts scripts/package.sh wrote to DIR (default dist/) and
# prints their sizes. Exits non-zero on the first artifact that is wrong.
set -euo pipefail
# The Go release Carebook is built with (see the Makefile); the machine's
# own go command fetches it once.
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
dist=${1:-dist}
version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
fail() { echo "check-packages: $*" >&2; exit 1; }

tarball="$dist/carebook-$version-linux-amd64.tar.xz"
[ -f "$tarball" ] || fail "missing $tarball"
listing=$(tar -tJf "$tarball")
for want in 'usr/local/bin/carebook$' 'usr/local/share/applications/.*\.desktop$' 'usr/local/share/pixmaps/.*\.png$'; do
	grep -q "$want" <<<"$listing" || fail "$tarball has no file matching $want; it holds:
$listing"
done
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
tar -xJf "$tarball" -C "$scratch"
file "$scratch"/usr/local/bin/carebook | grep -q 'ELF 64-bit.*x86-64' || fail "the Linux app is not an x86-64 ELF executable"
grep -q '^Exec=carebook' "$scratch"/usr/local/share/applications/*.desktop || fail "the .desktop file does not start carebook"
echo "ok  $tarball: binary, .desktop file and icon"

exe="$dist/carebook-$version-windows-amd64.exe"
[ -f "$exe" ] || fail "missing $exe"
file "$exe" | grep -q 'PE32+ executable (GUI) x86-64' || fail "$exe is not a PE32+ GUI executable: $(file -b "$exe")"
# The resource types in the .exe (objdump names the resource directory,
# not what is in it).
resources=$(go run ./scripts/peresources "$exe") || fail "$exe: its resources cannot be read"
grep -qx 'GROUP_ICON' <<<"$resources" || fail "$exe carries no icon resource (it has: $resources)"
grep -qx 'VERSION' <<<"$resources" || fail "$exe carries no version resource (it has: $resources)"
echo "ok  $exe: PE32+ GUI executable with icon and version resources"

for cli in "$dist"/carebook-cli-*; do
	case "$cli" in
	*linux-amd64) file "$cli" | grep -q 'ELF 64-bit.*x86-64.*statically linked' || fail "$cli is not a static x86-64 ELF"
		got=$("$cli" --version)
		[ "$got" = "carebook-cli $version (commit ${commit:0:12})" ] || fail "$cli --version says '$got'" ;;
	*windows-amd64.exe) file "$cli" | grep -q 'PE32+ executable (console) x86-64' || fail "$cli is not a PE32+ console executable" ;;
	*darwin-arm64) file "$cli" | grep -q 'Mach-O 64-bit arm64' || fail "$cli is not a Mach-O arm64 executable" ;;
	*darwin-amd64) file "$cli" | grep -q 'Mach-O 64-bit x86_64' || fail "$cli is not a Mach-O x86_64 executable" ;;
	*) fail "unexpected artifact $cli" ;;
	esac
	echo "ok  $cli"
done
[ "$(ls "$dist"/carebook-cli-* | wc -l)" -eq 4 ] || fail "want 4 command-line builds"

echo "sizes:"
du -h "$dist"/carebook* | sed 's/^/  /'
