package outbox

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

func TestDropFileData(t *testing.T) {
	photo := base64.StdEncoding.EncodeToString([]byte("a photo of a rash"))
	tests := []struct {
		name, in, want string
		changed        bool
	}{
		{
			name:    "message with a file",
			in:      `{"resourceType":"Communication","payload":[{"contentString":"see <this>"},{"contentAttachment":{"contentType":"image/jpeg","title":"rash.jpg","data":"` + photo + `"}}],"x":1.50}`,
			want:    `{"payload":[{"contentString":"see <this>"},{"contentAttachment":{"contentType":"image/jpeg","size":17,"title":"rash.jpg"}}],"resourceType":"Communication","x":1.50}`,
			changed: true,
		},
		{
			name:    "declared size kept",
			in:      `{"content":[{"attachment":{"contentType":"application/pdf","size":99,"data":"` + photo + `"}}]}`,
			want:    `{"content":[{"attachment":{"contentType":"application/pdf","size":99}}]}`,
			changed: true,
		},
		{
			name:    "inside an outbox request",
			in:      `{"op":"create","type":"Communication","resource":{"payload":[{"contentAttachment":{"contentType":"text/plain","data":"aGk="}}]}}`,
			want:    `{"op":"create","resource":{"payload":[{"contentAttachment":{"contentType":"text/plain","size":2}}]},"type":"Communication"}`,
			changed: true,
		},
		{name: "data that is not an attachment's", in: `{"data":"x","note":"no content type"}`, want: `{"data":"x","note":"no content type"}`},
		{name: "no file", in: `{"resourceType":"Task","status":"requested"}`, want: `{"resourceType":"Task","status":"requested"}`},
		{name: "not JSON", in: `{"data":`, want: `{"data":`},
		{name: "empty", in: ``, want: ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := dropFileData([]byte(tc.in))
			if string(got) != tc.want || changed != tc.changed {
				t.Fatalf("got %s (changed %v)\nwant %s (changed %v)", got, changed, tc.want, tc.changed)
			}
		})
	}
}

// A message's files stay in the outbox until the practice has the
// message; then the practice's copy, in the cache, keeps them, and the
// sent item keeps only their names, types and sizes. An older sent item
// that still holds its files loses them to DropSentFileData.
func TestSentItemsKeepNoFiles(t *testing.T) {
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{ConditionalCreate: true})
	defer srv.Close()
	st, pid := openStore(t)
	ob := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv)})
	photo := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("photo of a rash ", 1000)))
	withFile := func(i int) []byte {
		return []byte(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/p1"},` +
			`"payload":[{"contentString":"message ` + string(rune('0'+i)) + `"},{"contentAttachment":{"contentType":"image/jpeg","title":"rash.jpg","data":"` + photo + `"}}]}`)
	}
	hasFile := func(it storage.OutboxItem) bool { return strings.Contains(string(it.Payload), photo) }

	// The practice is down: the waiting message keeps its file.
	srv.FailBefore(func(r *http.Request) int { return http.StatusServiceUnavailable })
	waiting, _ := ob.EnqueueCreate(ctx, KindMessage, withFile(1))
	if _, err := ob.Send(ctx); err != nil {
		t.Fatal(err)
	}
	if it, _ := st.OutboxItem(ctx, pid, waiting.Seq); it.Status != storage.OutboxPending || !hasFile(it) {
		t.Fatalf("waiting message: %s, file kept %v; want pending with its file", it.Status, hasFile(it))
	}

	// Sent: the item keeps no file, the practice's copy in the cache does.
	srv.FailBefore(nil)
	if _, err := New(Config{Store: st, ProfileID: pid, API: newAPI(t, srv), IgnoreWait: true}).Send(ctx); err != nil {
		t.Fatal(err)
	}
	it, _ := st.OutboxItem(ctx, pid, waiting.Seq)
	if it.Status != storage.OutboxSent || hasFile(it) || strings.Contains(string(it.Result), photo) {
		t.Fatalf("sent message: %s, file in request %v, in reply %v; want sent with neither", it.Status, hasFile(it), strings.Contains(string(it.Result), photo))
	}
	if req, err := DecodeRequest(it); err != nil || !strings.Contains(string(req.Resource), `"title":"rash.jpg"`) || !strings.Contains(string(req.Resource), `"size":16000`) {
		t.Fatalf("sent request lost what the screens show: %s (%v)", req.Resource, err)
	}
	ref := resultRef(t, it)
	if r, err := st.Get(ctx, pid, "Communication", ref); err != nil || !strings.Contains(string(r.JSON), photo) {
		t.Fatalf("the cached practice's copy %s has no file (%v)", ref, err)
	}

	// An item sent before Send dropped files: DropSentFileData does, once.
	older, _ := ob.EnqueueCreate(ctx, KindMessage, withFile(2))
	older.Status, older.Result = storage.OutboxSent, []byte(`{"resourceType":"Communication","id":"older"}`)
	if err := st.SaveOutboxItem(ctx, older); err != nil {
		t.Fatal(err)
	}
	unsent, _ := ob.EnqueueCreate(ctx, KindMessage, withFile(3))
	for round, want := range []int{1, 0} {
		n, err := ob.DropSentFileData(ctx)
		if err != nil || n != want {
			t.Fatalf("round %d: DropSentFileData = %d, %v; want %d", round, n, err, want)
		}
	}
	if it, _ := st.OutboxItem(ctx, pid, older.Seq); hasFile(it) {
		t.Fatal("the older sent item kept its file")
	}
	if it, _ := st.OutboxItem(ctx, pid, unsent.Seq); !hasFile(it) {
		t.Fatal("an unsent message lost its file")
	}
}

// resultRef is the id of the practice's copy named in a sent item's reply.
func resultRef(t *testing.T, it storage.OutboxItem) string {
	t.Helper()
	i := strings.Index(string(it.Result), `"id":"`)
	if i < 0 {
		t.Fatalf("no id in the reply %s", it.Result)
	}
	rest := string(it.Result)[i+len(`"id":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}
