#!/usr/bin/env bash
# Idle CPU of the real app (bin/carebook, as `make build` makes it) under
# Xvfb: the demo's dashboard and the search screen, left alone, measured
# from the process's own CPU time over 30 s, and again over the next 60 s
# (the steady state). Target (issue 15): < 0.5 % of a core. For comparison
# it measures a window with one label and nothing else: what Fyne alone
# takes. Fyne 2.7.1's desktop driver polls events and checks every window
# for changes on a fixed 60 Hz ticker (internal/driver/glfw/loop.go, runGL)
# whether anything changed or not; the app puts that loop to sleep while
# nothing happens (internal/idleloop), which the one-label window does not.
# Called by scripts/bench.sh.
set -euo pipefail
# The project's folder, its Go release, a D-Bus session, a keyring and an
# X display of its own, and $scratch.
# shellcheck source=scripts/desktop-session.sh
source "$(dirname "$0")/desktop-session.sh"

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# cpu_percent TICKS SECONDS: the share of one core those ticks are.
cpu_percent() { awk -v d="$1" -v s="$2" -v hz="$hz" 'BEGIN { printf "%5.2f", 100 * d / hz / s }'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# measure NAME COMMAND...: start it, let it settle (SETTLE s, 25), then its
# CPU over 30 s; with STEADY set, then once more over the next 60 s: what
# it takes once the start's after-effects are over (the Go runtime hands
# the memory the start used back to the system in small steps for a
# minute or so). The process's own CPU time, so the machine's load (printed
# beside) hardly matters.
measure() {
	local name=$1
	shift
	"$@" >"$scratch/app.log" 2>&1 &
	app_pid=$!
	sleep "${SETTLE:-25}"
	# Only a window on show is measured (see the D-Bus session above).
	if ! xdotool search --onlyvisible --name "^${WINDOW:-Carebook}\$" >/dev/null; then
		echo "idle: no window named ${WINDOW:-Carebook} on show after ${SETTLE:-25} s; the app's output:" >&2
		cat "$scratch/app.log" >&2
		exit 1
	fi
	local t0 t1 t2 l0 l1
	l0=$(loadavg)
	t0=$(cpu_ticks "$app_pid")
	sleep 30
	t1=$(cpu_ticks "$app_pid")
	printf 'idle %-34s %s %% of a core   (%s; 30 s from %s s after the start; load average %s)\n' \
		"$name" "$(cpu_percent $((t1 - t0)) 30)" "${NOTE:-target < 0.5 %}" "${SETTLE:-25}" "$l0"
	if [ -n "${STEADY:-}" ]; then
		l1=$(loadavg)
		sleep 60
		t2=$(cpu_ticks "$app_pid")
		printf 'idle %-34s %s %% of a core   (%s; 60 s from %s s after the start; load average %s)\n' \
			"$name" "$(cpu_percent $((t2 - t1)) 60)" "${NOTE:-target < 0.5 %}" "$((${SETTLE:-25} + 30))" "$l1"
	fi
	kill "$app_pid"
	wait "$app_pid" 2>/dev/null || true
	app_pid=
}

export CAREBOOK_PASSPHRASE=idle-passphrase
STEADY=1 measure "dashboard (demo, 1280x800)" bin/carebook --demo --data "$scratch/data" --window-size 1280x800
STEADY=1 measure "search screen (demo, 1280x800)" bin/carebook --demo --data "$scratch/data" --window-size 1280x800 --open search

# Fyne alone: a window with one label (internal/idlefloor), built with the
# app's tags, its loop left to tick.
go build -tags no_animations,no_emoji -o "$scratch/floor" ./internal/idlefloor
WINDOW="idle floor" NOTE="Fyne alone, its loop ticking" SETTLE=5 STEADY=1 measure "Fyne alone (one label)" "$scratch/floor"
