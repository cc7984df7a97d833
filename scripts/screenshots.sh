#!/usr/bin/env bash
# Starts the real Carebook app under Xvfb at desktop and phone size and
# writes a PNG of each screen to screenshots/ (or $SHOTS). Look at them.
set -euo pipefail
# The Go release Carebook is built with (see the Makefile); the machine's
# own go command fetches it once.
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

out=${SHOTS:-screenshots}
mkdir -p "$out"
export LANG=en_US.UTF-8

scratch=$(mktemp -d)
xvfb_pid=
app_pid=
bus_pid=
cleanup() {
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null || true
	[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
	rm -rf "$scratch"
}
trap cleanup EXIT

# Our own Xvfb on a free display: another X server (or a stale lock) on
# the first number tried must not make the screenshots fail with "Failed
# to open display", so the next number is tried until ours answers.
n=90
started=
for _ in $(seq 20); do
	while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
	export DISPLAY=":$n"
	Xvfb "$DISPLAY" -screen 0 1400x1000x24 -nolisten tcp >"$scratch/xvfb.log" 2>&1 &
	xvfb_pid=$!
	for _ in $(seq 50); do
		if ! kill -0 "$xvfb_pid" 2>/dev/null; then break; fi # it gave up (display taken)
		if xdpyinfo >/dev/null 2>&1; then started=1; break; fi
		sleep 0.1
	done
	[ -n "$started" ] && break
	kill "$xvfb_pid" 2>/dev/null || true
	wait "$xvfb_pid" 2>/dev/null || true
	xvfb_pid=
	n=$((n + 1))
done
if [ -z "$started" ]; then
	echo "screenshots: could not start Xvfb on any display from :90 to :$n" >&2
	cat "$scratch/xvfb.log" >&2
	exit 1
fi
echo "screenshots: Xvfb on $DISPLAY"

# One D-Bus session for every start of the app (its keyring and its
# notifications), which this script can talk to as well: without it,
# each start launched a bus of its own, and the notification daemon of
# each (dunst, started on demand) kept its last popup on the screen.
eval "$(dbus-launch --sh-syntax)"
bus_pid=$DBUS_SESSION_BUS_PID

# wait_window prints the id of Carebook's window once it is mapped.
wait_window() {
	for _ in $(seq 300); do
		if wid=$(xdotool search --onlyvisible --name '^Carebook$' 2>/dev/null | head -1) && [ -n "$wid" ]; then
			echo "$wid"
			return 0
		fi
		sleep 0.1
	done
	echo "screenshots: the Carebook window did not appear" >&2
	cat "$scratch/app.log" >&2
	return 1
}

# shoot NAME WID: a PNG of the window, after the app had time to draw.
# The app's notifications (after a sync: "New result", "A health reminder
# is due") pop up in the screen's top right corner when the machine has a
# notification daemon (dunst, started by D-Bus on demand, here): on top
# of the window, they would hide part of the picture, so they are closed
# first.
shoot() {
	sleep 1.5
	if command -v dunstctl >/dev/null 2>&1; then
		dunstctl close-all >/dev/null 2>&1 || true
		sleep 0.2
	fi
	import -window "$2" "$out/$1.png"
	echo "screenshots: $out/$1.png ($(identify -format '%wx%h' "$out/$1.png"))"
}

# run NAME ARGS...: start the app with ARGS, wait for its window, let it
# load and sync, take the picture, stop it.
run() {
	local name=$1
	shift
	env LC_ALL="$app_locale" bin/carebook --window-size "$size" "$@" >"$scratch/app.log" 2>&1 &
	app_pid=$!
	local wid
	wid=$(wait_window)
	sleep "${SETTLE:-4}"
	shoot "$label-$name" "$wid"
	if [ -n "${CLICK:-}" ]; then
		# Open the first entry of the list, as a person would.
		xdotool mousemove --window "$wid" $CLICK click 1
		shoot "$label-$name-detail" "$wid"
	fi
	stop_app
}

# stop_app stops the app and waits for it; one that is still there 10 s
# after SIGTERM (seen once) has its goroutines written into app.log
# (SIGQUIT), which is kept as app-hung-after-term.log, and the script goes on.
stop_app() {
	kill "$app_pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$app_pid" 2>/dev/null; then
		echo "screenshots: the app was still running 10 s after SIGTERM; its goroutines are in $out/app-hung-after-term.log" >&2
		kill -QUIT "$app_pid" 2>/dev/null || true
		sleep 1
		cp "$scratch/app.log" "$out/app-hung-after-term.log"
	fi
	wait "$app_pid" 2>/dev/null || true
	app_pid=
}

# Sections of the health record, each opened with --open.
SECTIONS=${SECTIONS:-results vitals medications allergies conditions immunizations visits documents messages billing care keep search}

# app_pass shows the real app at each of $sizes: set-up, the demo's
# dashboard, the record's $sections, settings, the lock screen and, when
# $everything is set, the patient's details, family accounts and requests.
app_pass() {
	for size in $sizes; do
		case $size in
		360x740) label=${prefix}phone ;;
		412x915) label=${prefix}android ;;
		*) label=${prefix}desktop ;;
		esac
		data="$scratch/data-$label"

		# A new install, driven as a person would: the set-up screen, then
		# typing a passphrase twice and Enter leads to the connect screen.
		env LC_ALL="$app_locale" bin/carebook --window-size "$size" --data "$data" >"$scratch/app.log" 2>&1 &
		app_pid=$!
		wid=$(wait_window)
		sleep 1
		shoot "$label-setup" "$wid"
		xdotool type --window "$wid" --delay 20 "$CAREBOOK_PASSPHRASE"
		xdotool key --window "$wid" Tab
		xdotool type --window "$wid" --delay 20 "$CAREBOOK_PASSPHRASE"
		xdotool key --window "$wid" Return
		sleep 3
		shoot "$label-connect" "$wid"
		stop_app

		# The demo: its dashboard, then every section of the record.
		SETTLE=10 run dashboard --demo --data "$data"
		for section in $sections; do
			case $section in
			results | vitals | messages) CLICK="100 275" run "record-$section" --demo --data "$data" --open "$section" ;;
			medications | billing) CLICK="100 320" run "record-$section" --demo --data "$data" --open "$section" ;;
			visits) CLICK="100 380" run "record-$section" --demo --data "$data" --open "$section" ;;
			# Below the search box; the emergency card, the first entry.
			documents) CLICK="100 340" run "record-$section" --demo --data "$data" --open "$section" ;;
			keep) CLICK="100 290" run "record-$section" --demo --data "$data" --open "$section" ;;
			*) run "record-$section" --demo --data "$data" --open "$section" ;;
			esac
		done
		run settings --demo --data "$data" --open settings
		# Started again without --demo: the lock screen.
		SETTLE=1 run locked --data "$data"
		[ -n "$everything" ] || continue
		# The patient's own details, as the real window draws them.
		run details --demo --data "$data" --open details
		# Family accounts: a parent's view of her son, then of her teenage
		# daughter's record, which her practice shares only in part.
		# (Each start runs a fresh demo practice and signs every demo person in
		# again: give it time.)
		SETTLE=15 run family-dependent --demo --data "$data" --demo-as amara
		SETTLE=15 run family-teen --demo --data "$data" --demo-as amara:2
		SETTLE=15 run family-teen-results --demo --data "$data" --demo-as amara:2 --open results
		SETTLE=15 run family-settings --demo --data "$data" --demo-as amara --open settings
		# The Requests screen: the demo patient's refill the office is working on.
		run requests --demo --data "$data" --open requests
	done
}

export CAREBOOK_PASSPHRASE=screenshot-passphrase

# The real app is shown in passes: in English (light: every screen, at a
# desktop, a small phone and a common Android phone), in Spanish (every
# screen, desktop and small phone; a system set to Spanish chooses it, and
# the formats follow), and in the dark theme in English and in Spanish (a
# sample: FYNE_THEME is the system's light or dark look, which Carebook
# follows until Settings › Appearance says otherwise). PASSES and SIZES
# narrow it; APP_ONLY=1 stops after them.
for pass in ${PASSES:-en es dark es-dark}; do
	# Without a desktop's settings portal, Fyne's system look here is dark:
	# the light passes say so.
	export FYNE_THEME=light
	app_locale=en_US.UTF-8 # the app's alone: this shell may not have it
	sizes=${SIZES:-1280x800 360x740}
	sections=$SECTIONS
	everything=1
	case $pass in
	en)
		prefix=
		sizes=${SIZES:-1280x800 360x740 412x915}
		;;
	es)
		prefix=es-
		app_locale=es_ES.UTF-8
		;;
	dark)
		prefix=dark-
		export FYNE_THEME=dark
		sections="results messages"
		everything=
		;;
	es-dark)
		prefix=es-dark-
		app_locale=es_ES.UTF-8
		export FYNE_THEME=dark
		sections="results medications"
		everything=
		;;
	*)
		echo "screenshots: unknown pass $pass (en, es, dark, es-dark)" >&2
		exit 2
		;;
	esac
	app_pass
done
unset FYNE_THEME
if [ -n "${APP_ONLY:-}" ]; then
	exit 0 # APP_ONLY=1: the real app's passes alone, not the UI tests' pictures below
fi

# test_shots LOG PACKAGE TESTS runs the TESTS of PACKAGE, which write
# their pictures into $out, and stops the script with their output (kept
# in LOG.log) if one fails.
test_shots() {
	CAREBOOK_SHOTS="$(cd "$out" && pwd)" ${GO:-go} test -tags ci,no_emoji -count=1 -run "$3" "$2" >"$scratch/$1.log" 2>&1 ||
		{ cat "$scratch/$1.log" >&2; exit 1; }
}

# list_shots names each picture with its size.
list_shots() {
	for f in "$@"; do
		echo "screenshots: $f ($(identify -format '%wx%h' "$f"))"
	done
}

# Family accounts, drawn by the UI test against the practice server at both
# sizes: the switcher open, a dependent's dashboard, a teenager's limited
# record, and a record whose access ended with what was not sent; then a
# record with a lock of its own: the switcher saying it is locked, the
# record asking for its passphrase, and a wrong one; a practice that
# moved (its old address redirects), offering to sign in at the new one;
# and a "Sign in again" that the browser completed with another person's
# login (the banner that says so, the sign-in still offered).
test_shots family ./ui/ 'TestFamilyScreens|TestOwnLockScreens|TestPracticeMovedInTheWindow|TestSignInAgainAsAnotherPersonInTheWindow'
list_shots "$out"/family-*.png "$out"/ownlock-*.png "$out"/moved-*.png "$out"/signin-*.png

# One person at two practices (the demo practice and the second demo
# practice, two servers on 127.0.0.1), drawn by the UI test at both sizes:
# the offer to show her two records as one, the merged home screen, the
# merged medication list with where each comes from (the one both
# practices have, once with both), its details, and one practice alone.
test_shots merged ./ui/ 'TestMergedMedicationsInTheWindow'
list_shots "$out"/merged-*.png

# A data file too damaged to open (a page of the cached record overwritten
# and the process killed), drawn by the UI tests at phone size: the window
# that explains it and offers to rebuild it, and what it says when the
# damage reaches what cannot be downloaded again.
test_shots damaged ./ui/ 'TestDamagedFileRebuiltInTheWindow|TestDamagedBeyondRebuildSaysWhatToDo'
list_shots "$out"/damaged-*.png

# Booking, drawn by Fyne's software renderer from the UI tests that drive it
# against the practice server at phone and desktop size: the free times,
# the confirmation, the booked appointment with its calendar, move and
# cancel buttons, a time taken meanwhile (the practice's words and the
# nearest times), a cancellation refused within 24 hours, a booking not
# sent yet, a request waiting for the practice, a video visit's Join, and
# a new patient's questions before the visit (asked, the form, a problem
# with an answer, the answers sent).
test_shots booking ./ui/ 'TestBookMoveCancelInTheVisits|TestTakenTimeShowsWordsAndOtherTimes|TestCancelInside24HoursShowsTheWords|TestBookingOfflineSentLater|TestRequestedThenConfirmed|TestJoinButtonOnTime|TestQuestionsBeforeVisitInTheWindow'
list_shots "$out"/booking-*.png

# Secure messaging, drawn by the UI test that drives it against the
# practice server at desktop and phone size: the inbox, a conversation
# with the practice's read receipt, the composer with a file and the
# practice's notice, a message the practice refused in its own words
# (Edit, Retry, Discard), and one whose upload was cut short, which never
# reached the practice (Send now, Discard).
test_shots messages ./ui/ 'TestMessagesScreen|TestUploadCutMayBeDiscarded'
list_shots "$out"/messages-*.png

# The refill flow (the form with the pharmacy choice, the request followed
# to done with the renewed prescription), a declined and a waiting request,
# and a message to the office about the declined one (its draft, back in
# the form), at both sizes: driven through fyne's test driver against the practice
# (the same widgets, drawn by its software renderer), which can move the
# practice's clock so its staff act at once.
test_shots requests-shots ./ui/ 'TestRefillFollowedInTheWindow|TestRequestsInTheWindow'
list_shots "$out"/refill-*.png "$out"/request-*.png "$out"/requests-*.png "$out"/drafts-message-the-office-*.png

# Form drafts, at both sizes (the message to the office about a request is
# drawn by TestRequestsInTheWindow above): a refill's note and pharmacy,
# a new booking's reason and the answers to the questions before a visit,
# each filled back into its form after a lock; and the screen of a record
# whose access ended, listing what was not sent and the drafts.
test_shots drafts-shots ./ui/ 'TestLockKeepsTheFormTyping|TestBookingKeepsTheReason|TestQuestionsKeepTheAnswers|TestEndedShowsDrafts'
list_shots "$out"/drafts-*.png

# The patient's details (the form, and a change that crossed one at the
# practice, field by field) and a statement with its two actions (and the
# confirmation before the payment page), at both sizes, driven against the
# practice, which the test changes meanwhile.
test_shots details-shots ./ui/ 'TestDetailsInTheWindow|TestStatementActionsInTheWindow'
list_shots "$out"/details-*.png "$out"/statement-*.png

# What a result means: the demo patient's latest panel, released before
# the doctor reviewed it, with each value on a bar against its normal range,
# the words, plain names and "Learn more", at both sizes; and each section of
# the record in plain names and US formats at phone size, nothing cut off.
test_shots meaning ./ui/ 'TestResultMeaningInTheWindow|TestNothingCutOffAtPhoneSize'
list_shots "$out"/result-meaning-*.png "$out"/plain-*-360x740.png

# Notifications and reminders (Settings with the switches per kind, the
# dashboard with preventive care due, and a record not downloaded in full
# yet, which gives no general guidance), the activity on this device, and
# removing a record that still holds unsent items, at both sizes.
test_shots settings-shots ./ui/ 'TestNotificationSettingsAndDueCare|TestDashboardDueGuidance|TestDashboardIncompleteRecord|TestActivityInSettings|TestRemoveShowsUnsent'
list_shots "$out"/settings-notifications-*.png "$out"/dashboard-due-*.png "$out"/dashboard-guidance-*.png "$out"/dashboard-incomplete-*.png "$out"/activity-*.png "$out"/remove-unsent-*.png

# Keep and take the record: the health summary PDF of the demo patient
# (made by the export test from the practice server over HTTP) and its
# pages as PNG (pdftoppm: look at them); the documents (list, one read),
# the summary's Save and Print, the emergency card, and the card offered
# and shown on the lock screen, at both sizes, driven against the practice.
test_shots pdf ./app/ 'TestExportFormats'
rm -f "$out"/health-summary-page-*.png
pdftoppm -png -r 80 "$out/health-summary.pdf" "$out/health-summary-page"
test_shots keep ./ui/ 'TestDocumentsAndExportScreens|TestLockScreenShowsOnlyTheCard'
list_shots "$out"/health-summary-page-*.png "$out"/documents-*.png "$out"/export-pdf-*.png "$out"/emergency-card-*.png "$out"/locked-card-*.png
