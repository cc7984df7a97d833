package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestInboxLeavesPhotosInTheCache: forty messages with a 3 MB photo each
// (120 MB of files). The inbox and the documents list them, with their
// sizes, without holding them: the heap stays far below the files' size
// while they are read. Each photo still opens whole.
func TestInboxLeavesPhotosInTheCache(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	a, id, _ := openActionApp(t, srv)
	photo := putPhotoMessages(t, a, id)
	const messages = photoMessages

	var peak atomic.Uint64
	stop := make(chan struct{})
	watched := make(chan struct{})
	runtime.GC()
	go func() { // the heap in use, as often as the runtime lets us look
		defer close(watched)
		// MemStats.HeapInuse, read through runtime/metrics: the heap's
		// objects plus the unused room in their spans (the runtime
		// checks that the two add up to HeapInuse). Unlike ReadMemStats,
		// reading them does not stop the world, which a thousand times a
		// second held the listing back more than it ran.
		m := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		for {
			metrics.Read(m)
			if inuse := m[0].Value.Uint64() + m[1].Value.Uint64(); inuse > peak.Load() {
				peak.Store(inuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	in, err := a.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := a.Documents(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-watched
	// Before the chart left files out, the inbox alone peaked at 348 MB.
	const bound = 100 << 20
	if p := peak.Load(); p > bound {
		t.Errorf("the heap peaked at %d MB listing %d MB of photos, want at most %d MB", p>>20, messages*len(photo)>>20, bound>>20)
	}

	files := 0
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			for _, f := range m.Attachments {
				if f.Name == "wound.jpg" && f.Size == int64(len(photo)) {
					files++
				}
			}
		}
	}
	offline := 0
	for _, d := range docs {
		if d.Offline && d.Size == int64(len(photo)) {
			offline++
		}
	}
	if files != messages || offline != messages {
		t.Errorf("listed %d photos in the inbox and %d in the documents, with their size, want %d", files, offline, messages)
	}
	got, name, err := a.DocumentFile(ctx, id, "Communication/c7", 0)
	if err != nil || !bytes.Equal(got, photo) || !strings.HasPrefix(name, "wound.") {
		t.Errorf("opening a photo: %d bytes, %q, %v; want the whole photo", len(got), name, err)
	}
}

// photoMessages is how many messages putPhotoMessages stores.
const photoMessages = 40

// putPhotoMessages stores photoMessages messages in profile id, each with
// the same 3 MB photo, inline in base64, and returns the photo.
func putPhotoMessages(tb testing.TB, a *App, id string) []byte {
	tb.Helper()
	photo := append([]byte("\xff\xd8\xff\xe0"), make([]byte, 3<<20)...)
	data := base64.StdEncoding.EncodeToString(photo)
	for i := range photoMessages {
		r := storage.Resource{Type: "Communication", ID: fmt.Sprint("c", i), LastUpdated: time.Now(), JSON: fmt.Appendf(nil,
			`{"resourceType":"Communication","id":"c%d","status":"completed","sent":"2025-01-%02dT10:00:00Z","subject":{"reference":"Patient/p1"},"sender":{"reference":"Patient/p1"},`+
				`"payload":[{"contentString":"day %d"},{"contentAttachment":{"contentType":"image/jpeg","title":"wound.jpg","data":"%s"}}]}`, i, i%28+1, i, data)}
		if err := a.store.Put(context.Background(), id, r); err != nil {
			tb.Fatal(err)
		}
	}
	return photo
}

// TestBrokenPhotoNotOffered: a message's large photo whose base64 is
// broken is listed by its name as missing, not offered among the
// documents to open, and opening it says it is not available; a sound
// one beside it opens.
func TestBrokenPhotoNotOffered(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	a, id, _ := openActionApp(t, srv)
	sound := base64.StdEncoding.EncodeToString(append([]byte("\xff\xd8\xff\xe0"), make([]byte, 100<<10)...))
	for i, data := range []string{sound, sound[:1000] + "!" + sound[1000:]} {
		r := storage.Resource{Type: "Communication", ID: fmt.Sprint("c", i), LastUpdated: time.Now(), JSON: fmt.Appendf(nil,
			`{"resourceType":"Communication","id":"c%d","status":"completed","sent":"2025-01-0%dT10:00:00Z","subject":{"reference":"Patient/p1"},"sender":{"reference":"Patient/p1"},`+
				`"payload":[{"contentString":"photo %d"},{"contentAttachment":{"contentType":"image/jpeg","title":"photo%d.jpg","data":"%s"}}]}`, i, i+1, i, i, data)}
		if err := a.store.Put(ctx, id, r); err != nil {
			t.Fatal(err)
		}
	}
	in, err := a.Messages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	missing := map[string]bool{}
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			for _, f := range m.Attachments {
				missing[f.Name] = f.Missing
			}
		}
	}
	if len(missing) != 2 || missing["photo0.jpg"] || !missing["photo1.jpg"] {
		t.Errorf("files listed (missing or not): %v; want photo0.jpg to open, photo1.jpg missing", missing)
	}
	docs, err := a.Documents(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Ref != "Communication/c0" {
		t.Errorf("documents %+v: want the sound photo alone", docs)
	}
	if _, _, err := a.DocumentFile(ctx, id, "Communication/c0", 0); err != nil {
		t.Errorf("opening the sound photo: %v", err)
	}
	if _, _, err := a.DocumentFile(ctx, id, "Communication/c1", 0); !errors.Is(err, ErrNoDocument) {
		t.Errorf("opening the broken photo: %v, want ErrNoDocument", err)
	}
}
