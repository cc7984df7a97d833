package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestNotificationsCommand: the command lists what the app would notify
// (in the private default words) and the preventive care due, with where
// each comes from, and marks nothing as notified.
func TestNotificationsCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, dir := connectPractice(t)
	patient := srv.DemoAccounts()[0].PatientIDs[0]
	y, m, d := time.Now().Date()
	start := time.Date(y, m, d+1, 11, 0, 0, 0, time.Local)
	appt, _ := json.Marshal(map[string]any{"resourceType": "Appointment", "id": "cli-tomorrow", "status": "booked",
		"start": start.UTC().Format(time.RFC3339), "end": start.Add(20 * time.Minute).UTC().Format(time.RFC3339),
		"participant": []any{map[string]any{"actor": map[string]any{"reference": "Patient/" + patient}, "status": "accepted"}}})
	if _, err := srv.Store().Put(context.Background(), "Appointment", "cli-tomorrow", appt); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}

	list := func() notificationsJSON {
		t.Helper()
		code, out, errOut := cli(t, testPassphrase, "notifications", "--data", dir, "--json")
		if code != exitOK {
			t.Fatalf("notifications --json: %d %s", code, errOut)
		}
		var got notificationsJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return got
	}
	got := list()
	if got.Incomplete {
		t.Error("after a sync, the record is said not to be downloaded in full")
	}
	kinds := map[string]notificationJSON{}
	for _, n := range got.Notifications {
		kinds[n.Kind] = n
	}
	if n := kinds["appointments"]; n.Title != "Appointment tomorrow" || len(n.Keys) != 1 || !strings.Contains(n.Keys[0], "Appointment/cli-tomorrow") {
		t.Errorf("appointment notification = %+v (all: %+v)", n, got.Notifications)
	}
	if n := kinds["care-due"]; n.Title != "A health reminder is due" {
		t.Errorf("care due notification = %+v", n)
	}
	if len(got.Due) == 0 || got.Due[0].Source != "practice" || got.Due[0].Due == "" || !strings.Contains(got.Due[0].Title, "COVID-19") {
		t.Errorf("due = %+v, want the practice's recommendation", got.Due)
	}
	for _, n := range got.Notifications {
		if strings.Contains(n.Title+n.Body, "Maya") || strings.Contains(n.Title+n.Body, "COVID") {
			t.Errorf("notification %+v shows a name or what is due", n)
		}
	}
	// Listing marks nothing as notified.
	if again := list(); len(again.Notifications) != len(got.Notifications) {
		t.Errorf("a second listing shows %d notifications, the first %d", len(again.Notifications), len(got.Notifications))
	}

	code, out, errOut := cli(t, testPassphrase, "notifications", "--data", dir)
	if code != exitOK || !strings.Contains(out, "would notify now:") || !strings.Contains(out, "[appointments] Appointment tomorrow") ||
		!strings.Contains(out, "preventive care due:") || !strings.Contains(out, "— recommended by your practice") {
		t.Errorf("notifications: %d %q %s", code, out, errOut)
	}
	// The demo's COVID-19 vaccine, due two weeks ago, is overdue in its
	// heading as in its detail.
	covid := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "COVID-19") {
			covid = line
		}
	}
	if !strings.HasPrefix(covid, "  Overdue: COVID-19") || !strings.Contains(covid, "Overdue since") {
		t.Errorf("notifications: the overdue vaccine reads %q; want \"Overdue: COVID-19 …\" and since when:\n%s", covid, out)
	}
	if code, _, _ := cli(t, testPassphrase, "notifications", "--data", dir, "--bogus"); code != exitUsage {
		t.Errorf("a bad flag: exit %d, want %d", code, exitUsage)
	}
}
