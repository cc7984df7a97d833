package app

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestRepairRecord: a damaged row makes the record unreadable; RepairRecord
// removes it and downloads the record again, after which every screen's
// data opens.
func TestRepairRecord(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	srv.Put(`{"resourceType":"Patient","id":"p1","name":[{"given":["Ada"],"family":"Lovelace"}]}`)
	srv.Put(`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"Asthma"}}`)
	srv.Put(`{"resourceType":"AllergyIntolerance","id":"a1","patient":{"reference":"Patient/p1"},"code":{"text":"Peanut"}}`)
	a, pid, _ := openActionApp(t, srv)
	if err := a.Sync(ctx, pid); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", filepath.Join(a.DataDir(), storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE resources SET sealed = substr(sealed, 1, 40) WHERE id = (SELECT max(id) FROM resources)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	a.forget(pid)
	if _, err := a.Chart(ctx, pid); !errors.Is(err, storage.ErrIntegrity) {
		t.Fatalf("Chart of a damaged record = %v, want ErrIntegrity", err)
	}

	rep, err := a.RepairRecord(ctx, pid)
	if err != nil {
		t.Fatalf("RepairRecord: %v", err)
	}
	if rep.Records != 1 || rep.Checkpoints == 0 {
		t.Fatalf("report = %+v, want one record removed and the sync reset", rep)
	}
	chart, err := a.Chart(ctx, pid)
	if err != nil {
		t.Fatalf("Chart after repair: %v", err)
	}
	if len(chart.Conditions) != 1 || len(chart.Allergies) != 1 {
		t.Fatalf("after repair: %d conditions, %d allergies; want the whole record back", len(chart.Conditions), len(chart.Allergies))
	}
}
