package rules

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/fhirserver"
	"github.com/carebook/carebook/practice/store"
)

// TestHookOverTheRealStore books a slot through the hook inside real store
// transactions: the first booking commits the busy slot, the second is
// answered with a 409 OperationOutcome.
func TestHookOverTheRealStore(t *testing.T) {
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	realNow := time.Now().UTC()
	start := realNow.Add(72 * time.Hour).Truncate(time.Second)
	slot := mustJSON(obj{"resourceType": "Slot", "status": "free", "schedule": obj{"reference": "Schedule/s"},
		"start": start.Format(time.RFC3339), "end": start.Add(20 * time.Minute).Format(time.RFC3339)})
	if _, err := st.Put(ctx, "Slot", "s1", slot); err != nil {
		t.Fatal(err)
	}
	appt := appointment("s1", 0, "booked", "p1")
	appt["start"], appt["end"] = start.Format(time.RFC3339), start.Add(20*time.Minute).Format(time.RFC3339)
	hook := Hook{}
	book := func() error {
		return st.InTx(ctx, func(tx *store.Tx) error {
			w := fhirserver.Write{Method: "POST", Type: "Appointment", ID: store.NewID(), New: mustJSON(appt), Grant: patientGrant}
			if err := hook.BeforeWrite(ctx, tx, w); err != nil {
				return err
			}
			_, err := tx.Put(ctx, w.Type, w.ID, w.New)
			return err
		})
	}
	if err := book(); err != nil {
		t.Fatalf("first booking: %v", err)
	}
	r, err := st.Read(ctx, "Slot", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := decode(r.JSON); str(m, "status") != "busy" {
		t.Fatalf("slot is %s after booking", str(m, "status"))
	}
	err = book()
	var oe *fhirserver.OperationOutcomeError
	if !errors.As(err, &oe) || oe.Status != http.StatusConflict || oe.Code != "conflict" {
		t.Fatalf("second booking: %v, want a 409 OperationOutcome", err)
	}
	_, total, err := st.Search(ctx, "Appointment", store.Query{})
	if err != nil || total != 1 {
		t.Fatalf("%d appointments (%v), want 1", total, err)
	}
}
