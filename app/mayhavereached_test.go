package app

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/sync/outbox"
)

// TestWaitingMayHaveReached: a message, a request and a booking whose
// send went out whole and got no answer (the practice took each, the
// reply was lost) wait, flagged as ones that may already be at the
// practice, which the screens say instead of "waiting to be sent"; a
// message not tried yet is not so flagged, and may be discarded.
func TestWaitingMayHaveReached(t *testing.T) {
	ctx := context.Background()
	p, a, id, to := openMsgAppTo(t)
	free, err := a.FreeSlots(ctx, id, SlotQuery{})
	if err != nil || len(free.Slots()) == 0 {
		t.Fatalf("free times: %v, %v", free, err)
	}
	p.Faults().Set(faults.Config{DropReplyAfterCommitRate: 1, OnlyWrites: true})

	var reached, untried []Submitted
	for _, tc := range []struct {
		name string
		send func() (Submitted, error)
		// tried: its lane was free, so it went out; the second message
		// waits behind the first, untried.
		tried bool
	}{
		{"a message", func() (Submitted, error) {
			return a.SendMessage(ctx, id, Draft{To: to, Subject: "Blood pressure at home", Text: "It was 150/95 this morning."})
		}, true},
		{"a message behind it", func() (Submitted, error) {
			return a.SendMessage(ctx, id, Draft{To: to, Subject: "And my pulse", Text: "It was 88."})
		}, false},
		{"a request", func() (Submitted, error) {
			return a.SendRequest(ctx, id, RequestInput{Kind: RequestReferral, Text: "Physiotherapy for my knee"})
		}, true},
		{"a booking", func() (Submitted, error) {
			return a.Book(ctx, id, BookRequest{Slot: free.Slots()[0], Reason: "My knee"})
		}, true},
	} {
		sub, err := tc.send()
		if !errors.Is(err, ErrQueued) {
			t.Fatalf("%s with its reply lost = %v, want ErrQueued", tc.name, err)
		}
		if tc.tried {
			reached = append(reached, sub)
		} else {
			untried = append(untried, sub)
		}
	}

	// What waits, by local id: whether it may have reached the practice.
	waiting := map[string]bool{}
	discard := map[string]bool{}
	in, err := a.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			if m.State == MessageWaiting {
				waiting[m.LocalID], discard[m.LocalID] = m.MayHaveReached, m.CanDiscard
				if m.UploadCut {
					t.Errorf("message %s: upload cut, want not", m.LocalID)
				}
			}
		}
	}
	rs, err := a.Requests(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Items {
		if r.State == RequestWaiting {
			waiting[r.LocalID] = r.MayHaveReached
		}
	}
	aps, err := a.Appointments(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, ap := range append(aps.Upcoming, aps.Past...) {
		if ap.State == StateWaiting {
			waiting[ap.LocalID] = ap.MayHaveReached
		}
	}
	for _, s := range reached {
		if may, ok := waiting[s.LocalID]; !ok || !may || discard[s.LocalID] {
			t.Errorf("%s: waiting %v, may have reached %v, discard %v; want waiting, may have reached, no discard", s.LocalID, ok, may, discard[s.LocalID])
		}
	}
	for _, s := range untried {
		if may, ok := waiting[s.LocalID]; !ok || may || !discard[s.LocalID] {
			t.Errorf("%s (not tried): waiting %v, may have reached %v, discard %v; want waiting, not reached, discard", s.LocalID, ok, may, discard[s.LocalID])
		}
	}
}

// openMsgAppTo is openMsgApp on a practice of its own, with the first
// recipient the patient may write to.
func openMsgAppTo(t *testing.T) (p *msgPractice, a *App, id, to string) {
	t.Helper()
	p = startMsgPractice(t)
	a, id = openMsgApp(t, p, t.TempDir())
	opts, err := a.MessageOptions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p, a, id, opts.Recipients[0].Ref
}

// TestOfflineTryNeverReached: a message sent while the practice cannot
// be reached at all (its capabilities cannot be read, so the message's
// own request never leaves) waits as one that never reached the
// practice, "waiting to be sent", which may be discarded.
func TestOfflineTryNeverReached(t *testing.T) {
	ctx := context.Background()
	p, a, id, to := openMsgAppTo(t)
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/"})
	sub, err := a.SendMessage(ctx, id, Draft{To: to, Subject: "On a train", Text: "No signal here."})
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("SendMessage offline = %v, want ErrQueued", err)
	}
	it, err := a.store.OutboxItem(ctx, id, sub.Seq)
	if err != nil || it.Attempts == 0 || it.Attempts != it.CutAttempts {
		t.Fatalf("outbox item: %d attempts, %d never reaching the practice, %v; want an attempt, counted as never reaching it", it.Attempts, it.CutAttempts, err)
	}
	in, err := a.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			if m.Seq == sub.Seq && (m.State != MessageWaiting || m.MayHaveReached || m.UploadCut || !m.CanDiscard) {
				t.Errorf("the message sent offline: %s, may have reached %v, upload cut %v, discard %v; want waiting, no, no, discard",
					m.State, m.MayHaveReached, m.UploadCut, m.CanDiscard)
			}
		}
	}
}

// TestCutAfterAReachingTry: a message whose first attempt may have
// reached the practice (its reply lost) and whose next was an upload cut
// short does not read as one that never reached the practice: not
// UploadCut ("nothing of it reached the practice … or you can discard
// it"), not discardable, but MayHaveReached.
func TestCutAfterAReachingTry(t *testing.T) {
	ctx := context.Background()
	p, a, id, to := openMsgAppTo(t)
	p.Faults().Set(faults.Config{DropReplyAfterCommitRate: 1, OnlyWrites: true})
	sub, err := a.SendMessage(ctx, id, Draft{To: to, Subject: "Photo of the wound", Text: "How it looks today."})
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("SendMessage with its reply lost = %v, want ErrQueued", err)
	}
	it, err := a.store.OutboxItem(ctx, id, sub.Seq)
	if err != nil {
		t.Fatal(err)
	}
	// The next attempt's upload cut short, as the outbox records it
	// (sendOne): a large photo on a slow link, found nowhere first.
	it.Attempts++
	it.CutAttempts++
	it.LastError = outbox.WordsUploadCut
	if err := a.store.SaveOutboxItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	in, err := a.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			if m.Seq != sub.Seq {
				continue
			}
			found = true
			if m.State != MessageWaiting || m.UploadCut || m.CanDiscard || !m.MayHaveReached {
				t.Errorf("%s, upload cut %v, discard %v, may have reached %v; want waiting, may have reached only",
					m.State, m.UploadCut, m.CanDiscard, m.MayHaveReached)
			}
		}
	}
	if !found {
		t.Fatalf("no message %s", sub.LocalID)
	}
}
