package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carebook/carebook/internal/filedamage"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestRepairDamagedRecord: one damaged row makes export fail (as the audit
// found); repair removes it and downloads the record again, so export
// works and holds every record, and an unsent message is still there.
func TestRepairDamagedRecord(t *testing.T) {
	// The practice fails while a message waits, and a disk error damages
	// one cached record.
	srv, dir := syncedWithWaitingMessage(t)
	db, err := sql.Open("sqlite", filepath.Join(dir, storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE resources SET sealed = substr(sealed, 1, 40) WHERE id = (SELECT min(id) FROM resources)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errOut := cli(t, testPassphrase, "export", "--data", dir, "--format", "bundle")
	if code == exitOK || !strings.Contains(errOut, "integrity") {
		t.Fatalf("export of a damaged record: exit %d, %s; want a failure naming the integrity check", code, errOut)
	}

	// Repair while the practice is still down: the damaged row goes, the
	// download waits (exit 4), the message stays.
	code, _, errOut = cli(t, testPassphrase, "repair", "--data", dir)
	if code != exitNetwork || !strings.Contains(errOut, "removed 1 unreadable records") {
		t.Fatalf("repair offline: exit %d, %s", code, errOut)
	}
	// Back online: the next repair (or sync) downloads everything again.
	srv.FailBefore(nil)
	code, _, errOut = cli(t, testPassphrase, "repair", "--data", dir)
	if code != exitOK || !strings.Contains(errOut, "nothing damaged") {
		t.Fatalf("repair online: exit %d, %s", code, errOut)
	}
	wantExportAfterRepair(t, dir)
	// The message was sent by the sync that downloaded the record again.
	if n := srv.Count("Communication"); n != 1 {
		t.Fatalf("the practice has %d messages, want the one written while it was down", n)
	}
}

// profileID is the id of the only profile of the cache in dir.
func profileID(t *testing.T, dir string) string {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "status", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("status: %d %s", code, errOut)
	}
	var st []profileStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st) != 1 {
		t.Fatalf("status = %s (%v)", out, err)
	}
	return st[0].ID
}

// TestRepairDamagedFile: a page of the cached record damaged and the
// process killed (its log left behind) makes the file refuse to open;
// every command says so and names repair, which rebuilds the file without
// the cached record, keeps the damaged one beside it, and downloads the
// record again; the message written while the practice was down is sent,
// once.
func TestRepairDamagedFile(t *testing.T) {
	srv, dir := syncedWithWaitingMessage(t)
	srv.FailBefore(nil)

	path := filepath.Join(dir, storage.FileName)
	if err := filedamage.Page(path, "resources"); err != nil {
		t.Fatal(err)
	}
	if err := filedamage.LeaveLog(path); err != nil { // a killed process's log
		t.Fatal(err)
	}

	code, _, errOut := cli(t, testPassphrase, "status", "--data", dir)
	if code != exitOther || !strings.Contains(errOut, "corrupt") || !strings.Contains(errOut, "carebook-cli repair") {
		t.Fatalf("status of a damaged file: exit %d, %s; want exit 1 naming the damage and repair", code, errOut)
	}
	code, _, errOut = cli(t, testPassphrase, "repair", "--data", dir)
	if code != exitOK || !strings.Contains(errOut, "rebuilt") {
		t.Fatalf("repair of a damaged file: exit %d, %s", code, errOut)
	}
	copies, err := filepath.Glob(path + ".damaged-*")
	if err != nil || len(copies) != 1 {
		t.Fatalf("damaged copies kept: %v, %v; want one", copies, err)
	}
	wantExportAfterRepair(t, dir)
	if n := srv.Count("Communication"); n != 1 {
		t.Fatalf("the practice has %d messages, want the one written before the damage, once", n)
	}
	// The rebuild is in the activity trail, which still verifies.
	code, out, errOut := cli(t, testPassphrase, "activity", "--data", dir)
	if code != exitOK || !strings.Contains(out, "Damaged data file rebuilt") {
		t.Fatalf("activity after the rebuild: exit %d, %s %s", code, out, errOut)
	}
}

// TestRepairRefusedWhileInUse: while another Carebook program has the
// data folder open (here the app at its lock screen: a store of the folder
// open in this process), repair does not rebuild the damaged file under
// it: exit 1, saying to close the other program, nothing changed. Once
// that program is closed, repair rebuilds the file.
func TestRepairRefusedWhileInUse(t *testing.T) {
	srv, dir := syncedWithWaitingMessage(t)
	srv.FailBefore(nil)
	other, err := storage.Open(dir, storage.Options{NoKeyring: true, KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	path := filepath.Join(dir, storage.FileName)
	if err := filedamage.Page(path, "resources"); err != nil {
		t.Fatal(err)
	}
	if err := filedamage.LeaveLog(path); err != nil { // a killed process's log
		t.Fatal(err)
	}

	code, _, errOut := cli(t, testPassphrase, "repair", "--data", dir)
	if code != exitOther || !strings.Contains(errOut, "another Carebook program") || !strings.Contains(errOut, "run repair again") {
		t.Fatalf("repair with the folder in use: exit %d, %s; want exit 1 saying to close the other program", code, errOut)
	}
	if copies, err := filepath.Glob(path + ".damaged-*"); err != nil || len(copies) != 0 {
		t.Fatalf("damaged copies made while in use: %v, %v", copies, err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = cli(t, testPassphrase, "repair", "--data", dir)
	if code != exitOK || !strings.Contains(errOut, "rebuilt") {
		t.Fatalf("repair once the other program closed: exit %d, %s", code, errOut)
	}
}

// wantExportAfterRepair checks that the export of the cache in dir holds
// the whole record again: the 12 records of seedServer(srv, 10) and the
// message that waited.
func wantExportAfterRepair(t *testing.T, dir string) {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "export", "--data", dir, "--format", "bundle")
	if code != exitOK {
		t.Fatalf("export after repair: exit %d, %s", code, errOut)
	}
	var b struct{ Entry []json.RawMessage }
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Entry) != 13 {
		t.Fatalf("export after repair holds %d records, want all 12 and the message sent", len(b.Entry))
	}
}

// syncedWithWaitingMessage is a cache connected to a practice (seeded with
// seedServer(srv, 10)) and synced, then a message written while the
// practice fails every request (as it still does on return), so the
// message waits in the outbox.
func syncedWithWaitingMessage(t *testing.T) (*fhirtest.Server, string) {
	t.Helper()
	srv, dir := syncedOpenCache(t, 10)
	srv.FailBefore(func(*http.Request) int { return http.StatusServiceUnavailable })
	enqueueMessage(t, dir, profileID(t, dir))
	return srv, dir
}

// syncedOpenCache is a new cache connected to an open server (no sign-in)
// seeded with seedServer(srv, n), and synced.
func syncedOpenCache(t *testing.T, n int) (*fhirtest.Server, string) {
	t.Helper()
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	t.Cleanup(srv.Close)
	seedServer(srv, n)
	dir := newCache(t)
	if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	return srv, dir
}
