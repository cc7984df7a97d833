# Sourced (not run) by the scripts that start the real app under Xvfb
# (scripts/idle.sh, scripts/exits.sh), after `set -euo pipefail`, as
# `source "$(dirname "$0")/desktop-session.sh"`. It moves to the project's
# folder with the Go release Carebook is built with (see the Makefile) and
# LANG=en_US.UTF-8, and gives the app what a desktop gives it and nothing
# of the user's:
#
# - a D-Bus session of its own with an unlocked keyring in scratch space,
#   as the tests have (scripts/test.sh). Without one, D-Bus starts a
#   session on the X display and a keyring that may ask, in a window of its
#   own, for the password of the user's login keyring: the app then waits
#   behind that prompt and never shows its window. The script is started
#   again inside the session, by its full path, so it runs from any folder;
# - an X display of its own (Xvfb, 1400x1000), as DISPLAY;
# - $scratch, a folder removed at exit, with the app ($app_pid, when set)
#   and Xvfb stopped.
export GOTOOLCHAIN=go1.27.3 LANG=en_US.UTF-8
# The calling script, by its full path ($0 is the caller's in a sourced file).
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."

if [ -z "${CAREBOOK_DESKTOP_SESSION:-}" ]; then
	exec dbus-run-session -- env CAREBOOK_DESKTOP_SESSION=1 "$self" "$@"
fi

scratch=$(mktemp -d)
export XDG_DATA_HOME="$scratch/xdg"
mkdir -p "$XDG_DATA_HOME"
eval "$(printf %s carebook | gnome-keyring-daemon --daemonize --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
xvfb_pid=
app_pid=
cleanup() {
	[ -n "$app_pid" ] && kill -9 "$app_pid" 2>/dev/null || true
	[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
	rm -rf "$scratch"
}
trap cleanup EXIT

n=120
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
export DISPLAY=":$n"
Xvfb "$DISPLAY" -screen 0 1400x1000x24 -nolisten tcp >"$scratch/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
