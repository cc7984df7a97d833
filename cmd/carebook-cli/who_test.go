package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWhoCommand: carebook-cli who lists the practice's log of the
// record (the patient's own sign-in and sync with Carebook), newest
// first, as text and JSON; with the practice gone it exits 4.
func TestWhoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, dir := connectPractice(t)
	code, out, errOut := cli(t, testPassphrase, "who", "--data", dir)
	if code != exitOK || !strings.Contains(out, "You (Carebook) looked at your record · ") {
		t.Fatalf("who: %d %q %s", code, out, errOut)
	}
	code, out, errOut = cli(t, testPassphrase, "who", "--data", dir, "--json")
	var lines []struct {
		Who   string `json:"who"`
		You   bool   `json:"you"`
		What  string `json:"what"`
		Count int    `json:"count"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &lines) != nil || len(lines) == 0 ||
		!lines[0].You || lines[0].What != "looked at your record" || lines[0].Count < 2 {
		t.Fatalf("who --json: %d %q %s", code, out, errOut)
	}
	srv.Close()
	code, _, errOut = cli(t, testPassphrase, "who", "--data", dir)
	if code != exitNetwork || !strings.Contains(errOut, "connect to the internet") {
		t.Fatalf("who offline: %d %s", code, errOut)
	}
}
