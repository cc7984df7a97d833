package storage

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	a, b := newProfile(t, s, "Ada"), newProfile(t, s, "Bo")

	first, err := s.Enqueue(ctx, OutboxItem{ProfileID: a.ID, Kind: "message", Identifier: "urn:uuid:1",
		Payload: []byte(`{"resourceType":"Communication"}`), Status: OutboxSent, Attempts: 7})
	if err != nil {
		t.Fatal(err)
	}
	if first.Seq == 0 || first.Status != OutboxPending || first.Attempts != 0 || first.CreatedAt.IsZero() {
		t.Errorf("Enqueue returned %+v", first)
	}
	second, err := s.Enqueue(ctx, OutboxItem{ProfileID: a.ID, Kind: "appointment", Identifier: "urn:uuid:2"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Seq <= first.Seq {
		t.Errorf("Seq %d after %d", second.Seq, first.Seq)
	}
	_, err = s.Enqueue(ctx, OutboxItem{ProfileID: a.ID, Kind: "message", Identifier: "urn:uuid:1"})
	wantErr(t, "duplicate identifier", err, ErrDuplicate)
	// The same identifier in another profile is fine.
	if _, err := s.Enqueue(ctx, OutboxItem{ProfileID: b.ID, Kind: "message", Identifier: "urn:uuid:1"}); err != nil {
		t.Errorf("same identifier in another profile: %v", err)
	}
	_, err = s.Enqueue(ctx, OutboxItem{ProfileID: a.ID, Kind: "message"})
	wantErr(t, "no identifier", err, ErrInvalid)

	next := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	first.Status, first.Attempts, first.CutAttempts, first.LastError, first.NextAttempt = OutboxPending, 1, 1, "503 Service Unavailable", next
	first.Payload = []byte("ignored: the payload cannot change")
	if err := s.SaveOutboxItem(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Sent, its payload may change: the outbox drops what the practice's
	// copy keeps.
	second.Status, second.Result = OutboxSent, []byte(`{"resourceType":"Appointment","id":"ap1"}`)
	second.Payload = []byte(`{"lighter":true}`)
	if err := s.SaveOutboxItem(ctx, second); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "unknown status", s.SaveOutboxItem(ctx, OutboxItem{ProfileID: a.ID, Seq: first.Seq, Status: "lost"}), ErrInvalid)
	wantErr(t, "unknown seq", s.SaveOutboxItem(ctx, OutboxItem{ProfileID: a.ID, Seq: 999, Status: OutboxSent}), ErrNotFound)
	wantErr(t, "seq of another profile", s.SaveOutboxItem(ctx, OutboxItem{ProfileID: b.ID, Seq: first.Seq, Status: OutboxSent}), ErrNotFound)

	s.Close()
	s = reopenUnlocked(t, dir)
	tests := []struct {
		statuses []OutboxStatus
		want     []int64
	}{
		{nil, []int64{first.Seq, second.Seq}},
		{[]OutboxStatus{OutboxPending}, []int64{first.Seq}},
		{[]OutboxStatus{OutboxSent, OutboxFailed}, []int64{second.Seq}},
		{[]OutboxStatus{OutboxConflict}, nil},
	}
	for _, tt := range tests {
		items, err := s.Outbox(ctx, a.ID, tt.statuses...)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, it := range items {
			got = append(got, it.Seq)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("Outbox(%v) = %v, want %v", tt.statuses, got, tt.want)
		}
	}

	got, err := s.OutboxItem(ctx, a.ID, first.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "message" || got.Identifier != "urn:uuid:1" || !bytes.Equal(got.Payload, []byte(`{"resourceType":"Communication"}`)) ||
		got.Attempts != 1 || got.CutAttempts != 1 || got.LastError != "503 Service Unavailable" || !got.NextAttempt.Equal(next) ||
		!got.CreatedAt.Equal(first.CreatedAt) || got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("OutboxItem = %+v", got)
	}
	if got, err := s.OutboxItem(ctx, a.ID, second.Seq); err != nil || got.Status != OutboxSent || string(got.Result) != `{"resourceType":"Appointment","id":"ap1"}` ||
		string(got.Payload) != `{"lighter":true}` {
		t.Errorf("second item = %+v, %v", got, err)
	}
	_, err = s.OutboxItem(ctx, a.ID, 12345)
	wantErr(t, "OutboxItem of an unknown seq", err, ErrNotFound)
}

// TestDeleteOutboxItemChecksTheItemAsItIs: the check of whether an item
// may go sees the item as saved last (an attempt counted meanwhile), and
// an item it refuses stays.
func TestDeleteOutboxItemChecksTheItemAsItIs(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	it, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: "urn:uuid:1"})
	if err != nil {
		t.Fatal(err)
	}
	// An attempt is counted after the patient's screen read the item.
	it.Attempts = 1
	if err := s.SaveOutboxItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	errTried := errors.New("tried")
	err = s.DeleteOutboxItem(ctx, p.ID, it.Seq, func(cur OutboxItem) error {
		if cur.Attempts > 0 {
			return errTried
		}
		return nil
	})
	if !errors.Is(err, errTried) {
		t.Fatalf("DeleteOutboxItem of a tried item = %v, want the check's error", err)
	}
	if _, err := s.OutboxItem(ctx, p.ID, it.Seq); err != nil {
		t.Fatalf("the item refused is gone: %v", err)
	}
	if err := s.DeleteOutboxItem(ctx, p.ID, it.Seq, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOutboxItem(ctx, p.ID, it.Seq, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeleteOutboxItem of a removed item = %v, want ErrNotFound", err)
	}
	// A send of the item discarded meanwhile cannot save its attempt.
	if err := s.SaveOutboxItem(ctx, it); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SaveOutboxItem of a removed item = %v, want ErrNotFound", err)
	}
}
