#!/usr/bin/env bash
# The real app (bin/carebook, as `make build` makes it) under Xvfb, started
# on the demo RUNS times (default 10) and made to leave the way a desktop
# does, in turn: its window closed as a window manager's close button
# closes it (the WM_DELETE_WINDOW message, sent with python3 and libX11:
# xdotool's windowclose destroys the window under the app instead) and
# SIGTERM (a logout, `kill`).
# Each run must end within 15 s with status 0; the script prints how long
# each took. Fyne 2.7.1 can hang at exit (internal/exitguard says how and
# what the app does about it): a hang shows here as a run of about
# exitguard.Grace (5 s) where the others take well under a second.
set -euo pipefail
# The project's folder, its Go release, a D-Bus session, a keyring and an
# X display of its own, and $scratch.
# shellcheck source=scripts/desktop-session.sh
source "$(dirname "$0")/desktop-session.sh"

# wmclose WINDOW: send WM_DELETE_WINDOW to WINDOW, as a window manager does.
cat >"$scratch/wmclose.py" <<'PY'
import ctypes, sys
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
class XClientMessageEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("l", ctypes.c_long * 5)]
class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]
d = x.XOpenDisplay(None)
ev = XEvent()
ev.xclient.type = 33  # ClientMessage
ev.xclient.window = int(sys.argv[1])
ev.xclient.message_type = x.XInternAtom(d, b"WM_PROTOCOLS", 0)
ev.xclient.format = 32
ev.xclient.l[0] = x.XInternAtom(d, b"WM_DELETE_WINDOW", 0)
x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.POINTER(XEvent)]
x.XSendEvent(d, ev.xclient.window, 0, 0, ctypes.byref(ev))
x.XFlush.argtypes = [ctypes.c_void_p]
x.XFlush(d)
PY

export CAREBOOK_PASSPHRASE=exits-passphrase
runs=${RUNS:-10}
failed=0
for i in $(seq "$runs"); do
	how=close
	[ $((i % 2)) -eq 0 ] && how=SIGTERM
	bin/carebook --demo --data "$scratch/data" --window-size 1280x800 >"$scratch/app.log" 2>&1 &
	app_pid=$!
	win=
	for _ in $(seq 600); do
		win=$(xdotool search --onlyvisible --name '^Carebook$' 2>/dev/null | head -1) && [ -n "$win" ] && break
		sleep 0.1
	done
	if [ -z "$win" ]; then
		echo "exits: run $i: no window after 60 s; the app's output:" >&2
		cat "$scratch/app.log" >&2
		exit 1
	fi
	# Left alone for a while first, so the event loop may be asleep.
	sleep $((2 + i % 4))
	start=$(date +%s.%N)
	if [ "$how" = close ]; then
		python3 "$scratch/wmclose.py" "$win"
	else
		kill -TERM "$app_pid"
	fi
	status=
	for _ in $(seq 150); do
		if ! kill -0 "$app_pid" 2>/dev/null; then
			status=0
			wait "$app_pid" || status=$?
			break
		fi
		sleep 0.1
	done
	took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
	if [ -z "$status" ]; then
		echo "exits: run $i ($how): still running after 15 s; its goroutines:" >&2
		kill -QUIT "$app_pid" 2>/dev/null || true
		sleep 1
		cat "$scratch/app.log" >&2
		failed=1
		kill -9 "$app_pid" 2>/dev/null || true
	else
		printf 'exits: run %2d (%-7s) ended with status %d after %s s\n' "$i" "$how" "$status" "$took"
		[ "$status" -eq 0 ] || failed=1
	fi
	wait "$app_pid" 2>/dev/null || true
	app_pid=
done
exit "$failed"
