package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/storage"
)

// TestDiskFull: with no room left for the cache (its size capped as a full
// disk would), a request cannot be stored and says so, with nothing kept
// half; a sync that cannot store what it brings fails with ErrDiskFull
// and leaves what was stored before readable; what waited in the outbox
// reaches the practice once; and everything works again once there is
// room.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())

	// Offline, a request waits in the outbox.
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Millisecond})
	waiting, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestReferral, Text: "Physiotherapy for my knee"})
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("offline request: %v, want it queued", err)
	}

	// The disk fills up: the file cannot grow. Requests still fit in the
	// room left inside its pages (the larger its pages, the more) until
	// that is used up; the first that does not fit fails, nothing of it
	// kept.
	if err := a.store.LimitSize(ctx, 1); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("My knee hurts when I climb stairs. ", 55) // near the 2,000 characters allowed
	var before []OutboxEntry
	for queued := 0; ; queued++ {
		if queued == 50 {
			t.Fatal("50 more requests were stored on a full disk")
		}
		if before, err = a.Outbox(ctx, id); err != nil {
			t.Fatal(err)
		}
		_, err = a.SendRequest(ctx, id, RequestInput{Kind: RequestReferral, Text: long})
		if errors.Is(err, storage.ErrDiskFull) {
			t.Logf("%d more requests fitted before the disk was full", queued)
			break
		}
		if !errors.Is(err, ErrQueued) {
			t.Fatalf("a request on a nearly full disk: %v, want it queued or ErrDiskFull", err)
		}
	}
	if after, _ := a.Outbox(ctx, id); len(after) != len(before) {
		t.Fatalf("the outbox holds %d items after a failed store, want %d", len(after), len(before))
	}

	// What room was left inside the file fills up too (the sync's news
	// would otherwise fit in it).
	filled := 0
	for _, size := range []int{2000, 500, 100, 10} {
		for {
			err := a.store.PutValue(ctx, id, fmt.Sprintf("filler-%d", filled), make([]byte, size))
			if errors.Is(err, storage.ErrDiskFull) {
				break
			}
			if err != nil {
				t.Fatalf("filling the disk: %v", err)
			}
			filled++
		}
	}
	t.Logf("%d more values fitted before the disk was full", filled)

	// Back online, the practice has news (results with long notes); the
	// sync cannot store it.
	p.Faults().Set(faults.Config{})
	prof, err := a.store.Profile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	note := strings.Repeat("Reviewed with the patient. ", 80)
	for i := range 10 {
		obs := fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"Disk test %d"},`+
			`"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2026-11-%02dT10:00:00Z",`+
			`"valueQuantity":{"value":%d,"unit":"mg/dL"},"note":[{"text":%q}]}`, i, prof.PatientID, i+1, 90+i, note)
		if _, err := p.Store().Create(ctx, "Observation", []byte(obs)); err != nil {
			t.Fatal(err)
		}
	}
	err = a.Sync(ctx, id)
	if !errors.Is(err, storage.ErrDiskFull) {
		t.Fatalf("sync on a full disk: %v, want ErrDiskFull", err)
	}
	if _, err := a.Requests(ctx, id); err != nil {
		t.Fatalf("the record cannot be read after a full disk: %v", err)
	}

	// Room again: the sync completes, and the waiting request is at the
	// practice exactly once.
	if err := a.store.LimitSize(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Sync(ctx, id); err != nil {
		t.Fatalf("sync once there is room: %v", err)
	}
	r := requestBySeq(t, a, id, waiting.Seq)
	if r.State != RequestSent || r.ID == "" {
		t.Fatalf("the waiting request after the sync: %+v", r)
	}
	entries, _ := a.Outbox(ctx, id)
	for _, e := range entries {
		if e.Seq == waiting.Seq {
			if n := serverTasks(t, p, e.Identifier); n != 1 {
				t.Errorf("the practice has %d copies of the request, want 1", n)
			}
		}
	}
	if _, err := a.SendRequest(ctx, id, RequestInput{Kind: RequestReferral, Text: long}); err != nil {
		t.Fatalf("a request once there is room: %v", err)
	}
}
