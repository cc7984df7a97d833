package rules

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/store"
)

// TestPolicyOverTheRealStore books a slot through the policy inside real store
// transactions: the first booking commits the busy slot, the second is
// answered 409, and a refused write leaves the store untouched.
func TestPolicyOverTheRealStore(t *testing.T) {
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
	book := func() error {
		return st.InTx(ctx, func(tx *store.Tx) error {
			r := Request{Method: "POST", Type: "Appointment", New: mustJSON(appt), Grant: patientGrant}
			if err := (Policy{}).Check(ctx, StoreTx(tx), r); err != nil {
				return err
			}
			_, err := tx.Create(ctx, r.Type, r.New)
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
	var refusal *Refusal
	if !errors.As(err, &refusal) || refusal.Status != http.StatusConflict || refusal.Code != "conflict" {
		t.Fatalf("second booking: %v, want a 409 refusal", err)
	}
	_, total, err := st.Search(ctx, "Appointment", store.Query{})
	if err != nil || total != 1 {
		t.Fatalf("%d appointments (%v), want 1", total, err)
	}
}

func TestStoreTxMapsMissingAndDeleted(t *testing.T) {
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Put(ctx, "Slot", "gone", slotJSON("gone", "free", time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "Slot", "gone"); err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range []string{"gone", "never"} {
			if _, err := StoreTx(tx).Read(ctx, "Slot", id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Read %s: %v, want ErrNotFound", id, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
