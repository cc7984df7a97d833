package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/outbox"
)

// TestOlderSentItemsLoseTheirFiles: items an older Carebook marked sent
// with their files in them lose those files in the background after an
// unlock, once; what has not reached the practice keeps them.
func TestOlderSentItemsLoseTheirFiles(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	a, id, _ := openActionApp(t, srv)
	// The set-up's own catch-up may have found the new profile with
	// nothing sent and marked it done: an older Carebook's cache has no
	// such mark.
	for a.catchingUp.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := a.store.DeleteValue(ctx, id, valueSentFilesDropped); err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	photo := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\na photo of a rash"))
	message := []byte(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/p1"},` +
		`"payload":[{"contentAttachment":{"contentType":"image/png","title":"rash.png","data":"` + photo + `"}}]}`)
	box := outbox.New(outbox.Config{Store: a.store, ProfileID: id})
	older, err := box.EnqueueCreate(ctx, outbox.KindMessage, message)
	if err != nil {
		t.Fatal(err)
	}
	// The practice's reply: its copy, the photo in it.
	older.Status, older.Result = storage.OutboxSent, append([]byte(`{"id":"c1",`), message[1:]...)
	if err := a.store.SaveOutboxItem(ctx, older); err != nil {
		t.Fatal(err)
	}
	waiting, err := box.EnqueueCreate(ctx, outbox.KindMessage, message)
	if err != nil {
		t.Fatal(err)
	}
	hasPhoto := func(seq int64) bool {
		t.Helper()
		it, err := a.store.OutboxItem(ctx, id, seq)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(it.Payload, []byte(photo)) || bytes.Contains(it.Result, []byte(photo))
	}

	a.Lock()
	if err := a.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	for a.catchingUp.Load() {
		time.Sleep(time.Millisecond)
	}
	if hasPhoto(older.Seq) {
		t.Error("the older sent message still holds its photo after the unlock")
	}
	if !hasPhoto(waiting.Seq) {
		t.Error("the message waiting to be sent lost its photo")
	}
	if _, err := a.store.Value(ctx, id, valueSentFilesDropped); err != nil {
		t.Errorf("the profile is not marked done: %v", err)
	}
	in, err := a.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			for _, f := range m.Attachments {
				if f.Name == "rash.png" && f.Size == 25 {
					files++
				}
			}
		}
	}
	if files != 2 {
		t.Errorf("the inbox lists %d photos named with their size, want 2: %+v", files, in.Threads)
	}
}
