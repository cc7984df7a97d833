#!/usr/bin/env bash
# Idle CPU of the real app (bin/carebook, as `make build` makes it) under
# Xvfb: the demo's dashboard and the search screen, left alone, measured
# from the process's own CPU time over 30 s. Target (issue 15): < 0.5 % of
# a core. For comparison it measures a window with one label and nothing
# else (Fyne's own event loop wakes 60 times a second): the floor the app
# cannot go below without changes in Fyne. Called by scripts/bench.sh.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
export LANG=en_US.UTF-8

scratch=$(mktemp -d)
xvfb_pid=
app_pid=
cleanup() {
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
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

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# measure NAME COMMAND...: start it, let it settle, then its CPU over 30 s.
measure() {
	local name=$1
	shift
	"$@" >"$scratch/app.log" 2>&1 &
	app_pid=$!
	sleep "${SETTLE:-25}"
	local t0 t1
	t0=$(cpu_ticks "$app_pid")
	sleep 30
	t1=$(cpu_ticks "$app_pid")
	awk -v n="$name" -v t="${NOTE:-target < 0.5 %}" -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "idle %-34s %5.2f %% of a core   (%s)\n", n, 100 * d / hz / 30, t }'
	kill "$app_pid"
	wait "$app_pid" 2>/dev/null || true
	app_pid=
}

export CAREBOOK_PASSPHRASE=idle-passphrase
measure "dashboard (demo, 1280x800)" bin/carebook --demo --data "$scratch/data" --window-size 1280x800
measure "search screen (demo, 1280x800)" bin/carebook --demo --data "$scratch/data" --window-size 1280x800 --open search

# The floor: a Fyne window with one label (internal/idlefloor), built with
# the app's tags.
go build -tags no_animations -o "$scratch/floor" ./internal/idlefloor
NOTE="what Fyne's event loop takes" SETTLE=5 measure "Fyne's floor (one label)" "$scratch/floor"
