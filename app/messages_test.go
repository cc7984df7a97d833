package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/rules"
	practicesmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// msgPractice is the reference practice in-process over real HTTP, with a
// clock the test moves, shared by the staff and the app: the staff read new
// messages at once and answer an hour after reading.
type msgPractice struct {
	*practice.Server
	mu  sync.Mutex
	now time.Time
}

func (p *msgPractice) staffNow() time.Time { p.mu.Lock(); defer p.mu.Unlock(); return p.now }

// advance moves the clock.
func (p *msgPractice) advance(d time.Duration) {
	p.mu.Lock()
	p.now = p.now.Add(d)
	p.mu.Unlock()
}

// answerNow moves the clock past the staff's delay and makes them work.
func (p *msgPractice) answerNow(t *testing.T) {
	t.Helper()
	p.advance(2 * time.Hour)
	p.work(t)
}

// work makes the staff read (and answer what is due) now.
func (p *msgPractice) work(t *testing.T) {
	t.Helper()
	if err := p.Staff().Step(context.Background()); err != nil {
		t.Fatalf("staff: %v", err)
	}
}

// keepOpen is p as the app's demo practice, which the app's Close must not
// stop: the test restarts the app against the same practice.
type keepOpen struct{ *msgPractice }

func (keepOpen) Close() error { return nil }

// SignIn signs the demo patient in on the practice's pages (DemoPractice).
func (p *msgPractice) SignIn(ctx context.Context, authorizeURL string) (*url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return practicesmart.SignIn(ctx, &http.Client{Jar: jar, Timeout: 30 * time.Second}, authorizeURL, demo.Username, synth.DemoPassword, "")
}

func startMsgPractice(t testing.TB) *msgPractice {
	t.Helper()
	p := &msgPractice{now: time.Now()}
	srv, err := practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, StaffPoll: 24 * time.Hour, StaffNow: p.staffNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p.Server = srv
	return p
}

// openMsgApp opens an app in dir connected to p (the demo patient, signed
// in through SMART) and synced.
func openMsgApp(t testing.TB, p *msgPractice, dir string) (*App, string) {
	t.Helper()
	ctx := context.Background()
	a, err := Open(Config{DataDir: dir, Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1, Now: p.staffNow,
		Demo: func(context.Context) (DemoPractice, error) { return keepOpen{p}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if st, _ := a.State(ctx); st == NeedsSetup {
		if err := a.Setup(ctx, "a long passphrase"); err != nil {
			t.Fatal(err)
		}
		info, err := a.ConnectDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Sync(ctx, info.ID); err != nil {
			t.Fatal(err)
		}
		return a, info.ID
	}
	if err := a.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	ps, err := a.Profiles(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("profiles: %v %v", ps, err)
	}
	return a, ps[0].ID
}

// serverMessages counts the practice's Communications carrying ident.
func serverMessages(t testing.TB, p *msgPractice, ident string) int {
	t.Helper()
	q, _, err := store.ParseQuery("Communication", url.Values{"identifier": {outbox.IdentifierSystem + "|" + ident}}, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Count = store.MaxCount
	rs, _, err := p.Store().Search(context.Background(), "Communication", q)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

func findThread(in Inbox, subject string) (MessageThread, bool) {
	for _, th := range in.Threads {
		if th.Subject == subject {
			return th, true
		}
	}
	return MessageThread{}, false
}

func messagesOf(t *testing.T, a *App, id string) Inbox {
	t.Helper()
	in, err := a.Messages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestMessagingWithThePractice walks a conversation against the reference
// practice over HTTP: the practice's notice and limits, recipients from
// the record, a message with a file accepted at once, read by the staff,
// answered (a new message announced, the unread count up, then down once
// read), a reply in the same thread, and a question about a result that
// refers to it.
func TestMessagingWithThePractice(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	events, stop := a.Events()
	defer stop()

	opts, err := a.MessageOptions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.Policy.Published || opts.Policy.Notice != rules.DefaultNotice || opts.Policy.MaxText != rules.MaxMessageText ||
		opts.Policy.MaxAttachmentBytes != rules.MaxAttachmentBytes || opts.Policy.MaxAttachments != rules.MaxPayloads-1 ||
		len(opts.Policy.AttachmentTypes) != len(rules.DefaultMessagePolicy().AttachmentTypes) {
		t.Errorf("policy = %+v, want the practice's published one", opts.Policy)
	}
	roles := map[string]bool{}
	for _, r := range opts.Recipients {
		roles[r.Role] = true
	}
	if len(opts.Recipients) == 0 || opts.Recipients[0].Role != "Your doctor" || !roles["Front desk"] {
		t.Errorf("recipients = %+v, want the patient's doctor first and the front desk", opts.Recipients)
	}

	d := Draft{To: opts.Recipients[0].Ref, Topic: "medical", Subject: "A rash on my arm",
		Text: "I have had a rash for three days. A photo is attached.", DraftKey: DraftNew,
		Attachments: []MessageAttachment{AttachmentFromFile("rash.png", []byte("\x89PNG\r\n\x1a\nnot really a picture"))}}
	if err := a.SaveDraft(ctx, id, DraftNew, d); err != nil {
		t.Fatal(err)
	}
	sub, err := a.SendMessage(ctx, id, d)
	if err != nil || !strings.HasPrefix(sub.Ref, "Communication/") {
		t.Fatalf("SendMessage = %+v, %v; want accepted", sub, err)
	}
	if _, ok, _ := a.Draft(ctx, id, DraftNew); ok {
		t.Error("the draft is still there after the message was sent")
	}
	th, ok := findThread(messagesOf(t, a, id), "A rash on my arm")
	if !ok || len(th.Messages) != 1 || th.Messages[0].State != MessageSent || len(th.Messages[0].Attachments) != 1 ||
		th.Messages[0].Attachments[0].Name != "rash.png" || th.Key != sub.Ref {
		t.Fatalf("thread after sending = %+v", th)
	}
	// The practice has the photo: the sent item keeps its name and size,
	// not its bytes, and the photo opens from the practice's copy.
	photo := d.Attachments[0].Data
	if it, err := a.store.OutboxItem(ctx, id, sub.Seq); err != nil ||
		bytes.Contains(it.Payload, []byte(base64.StdEncoding.EncodeToString(photo))) || bytes.Contains(it.Result, []byte(base64.StdEncoding.EncodeToString(photo))) {
		t.Errorf("the sent message's outbox item still holds the photo (%v)", err)
	}
	if f := th.Messages[0].Attachments[0]; f.Size != int64(len(photo)) {
		t.Errorf("the photo's size is %d, want %d", f.Size, len(photo))
	}
	if data, name, err := a.DocumentFile(ctx, id, sub.Ref, 0); err != nil || !bytes.Equal(data, photo) || name != "rash.png" {
		t.Errorf("opening the sent photo: %q %q %v", data, name, err)
	}

	// The staff open it: read once synced, with the time.
	p.work(t)
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	in := messagesOf(t, a, id)
	th, _ = findThread(in, "A rash on my arm")
	if len(th.Messages) != 1 || th.Messages[0].State != MessageRead || th.Messages[0].ReadAt.IsZero() {
		t.Fatalf("after the staff read it: %+v", th.Messages)
	}
	unreadBefore := in.Unread

	// They answer: answered, one more unread, announced.
	p.answerNow(t)
	drain(events)
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	in = messagesOf(t, a, id)
	th, _ = findThread(in, "A rash on my arm")
	if len(th.Messages) != 2 || th.Messages[0].State != MessageAnswered || th.Messages[1].State != MessageUnread || in.Unread != unreadBefore+1 {
		t.Fatalf("after the answer: unread %d (was %d), %+v", in.Unread, unreadBefore, th.Messages)
	}
	if ev := waitFor[NewMessages](t, events); len(ev.IDs) != 1 || ev.IDs[0] != th.Messages[1].ID {
		t.Errorf("NewMessages = %+v, want the answer %s", ev, th.Messages[1].ID)
	}
	if err := a.MarkMessagesRead(ctx, id, th.Unread...); err != nil {
		t.Fatal(err)
	}
	if n := messagesOf(t, a, id).Unread; n != unreadBefore {
		t.Errorf("unread after opening the thread = %d, want %d", n, unreadBefore)
	}

	// A reply lands in the same thread, answering the practice's message.
	rd, err := a.ReplyDraft(ctx, id, th.Messages[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	rd.Text = "Thank you, I will call."
	p.advance(time.Minute)
	if sub, err := a.SendMessage(ctx, id, rd); err != nil {
		t.Fatalf("reply: %+v %v", sub, err)
	}
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	in = messagesOf(t, a, id)
	th, _ = findThread(in, "A rash on my arm")
	if len(th.Messages) != 3 || th.Messages[2].Text != "Thank you, I will call." || th.Messages[2].State != MessageSent {
		t.Fatalf("thread after the reply = %+v", th.Messages)
	}
	if th.Key != sub.Ref {
		t.Errorf("reply thread key = %s, want the first message %s", th.Key, sub.Ref)
	}

	// A question about a result refers to it.
	c, err := a.Chart(ctx, id)
	if err != nil || len(c.Reports) == 0 {
		t.Fatalf("chart: %v", err)
	}
	ask, err := a.AskAboutResult(ctx, id, c.Reports[0].Key())
	if err != nil || ask.About != c.Reports[0].Key() || ask.Topic != "result" || ask.To == "" || !strings.Contains(ask.Subject, c.Reports[0].Name) {
		t.Fatalf("AskAboutResult = %+v, %v", ask, err)
	}
	ask.Text = "What does this mean?"
	if _, err := a.SendMessage(ctx, id, ask); err != nil {
		t.Fatal(err)
	}
	th, ok = findThread(messagesOf(t, a, id), ask.Subject)
	if !ok || len(th.Messages[0].About) != 1 || th.Topic != "Test result" {
		t.Errorf("question about a result = %+v", th)
	}
}

func drain(ch <-chan Event) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func waitFor[T Event](t *testing.T, ch <-chan Event) T {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-ch:
			if e, ok := ev.(T); ok {
				return e
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T event", zero)
			return zero
		}
	}
}

// sendRefusedMessage lowers the practice's file limit below what the app
// last read and sends a message with a file over it: the practice
// refuses it in its words.
func sendRefusedMessage(t *testing.T, p *msgPractice, a *App, id string) (Draft, Submitted, *RefusedError) {
	t.Helper()
	small := rules.DefaultMessagePolicy()
	small.MaxAttachmentBytes = 1 << 10
	p.SetMessagePolicy(small)
	opts, err := a.MessageOptions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	d := Draft{To: opts.Recipients[0].Ref, Topic: "other", Subject: "My form", Text: "The form is attached.",
		Attachments: []MessageAttachment{AttachmentFromFile("form.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 4<<10)...))}}
	sub, err := a.SendMessage(context.Background(), id, d)
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Message != "An attachment can be at most 1 KB." {
		t.Fatalf("SendMessage = %+v, %v; want refused with the practice's words", sub, err)
	}
	return d, sub, refused
}

// TestMessageRefusedEditedAndResent: the practice lowered its file limit
// after the app read it; the message is stored, refused with the
// practice's words, shown failed, edited back into a draft (the refused
// item gone) and sent again without the big file.
func TestMessageRefusedEditedAndResent(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	d, sub, refused := sendRefusedMessage(t, p, a, id)
	th, _ := findThread(messagesOf(t, a, id), "My form")
	if len(th.Messages) != 1 || th.Messages[0].State != MessageFailed || th.Messages[0].Error != refused.Message || th.CanReply {
		t.Fatalf("refused message shows %+v", th)
	}
	back, key, err := a.EditFailedMessage(ctx, id, sub.Seq)
	if err != nil || key != DraftNew || back.Subject != "My form" || back.Text != d.Text || back.To != d.To || back.Topic != "other" ||
		len(back.Attachments) != 1 || back.Attachments[0].Name != "form.pdf" || len(back.Attachments[0].Data) != len(d.Attachments[0].Data) {
		t.Fatalf("EditFailedMessage = %+v %q %v", back, key, err)
	}
	if saved, ok, err := a.Draft(ctx, id, DraftNew); err != nil || !ok || saved.Subject != "My form" {
		t.Fatalf("the edited message is not kept as a draft: %+v %v %v", saved, ok, err)
	}
	if _, ok := findThread(messagesOf(t, a, id), "My form"); ok {
		t.Fatal("the refused message is still listed after Edit")
	}
	back.Attachments[0] = AttachmentFromFile("form.pdf", []byte("%PDF-1.4\nsmall"))
	if sub, err := a.SendMessage(ctx, id, back); err != nil {
		t.Fatalf("resend: %+v %v", sub, err)
	}
	th, _ = findThread(messagesOf(t, a, id), "My form")
	if len(th.Messages) != 1 || th.Messages[0].State != MessageSent {
		t.Fatalf("after resending: %+v", th.Messages)
	}
	if _, ok, _ := a.Draft(ctx, id, DraftNew); ok {
		t.Error("draft kept after the resend")
	}
}

// TestMessageOfflineThenSentOnce: written while the practice answers 503,
// the message waits; after the practice is back a sync sends it once and
// the server's copy replaces the local one (same thread, one message).
func TestMessageOfflineThenSentOnce(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, RetryAfter: time.Millisecond})
	opts, err := a.MessageOptions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := a.SendMessage(ctx, id, Draft{To: opts.Recipients[0].Ref, Subject: "Written on a train", Text: "Hello from the train."})
	if !errors.Is(err, ErrQueued) || sub.LocalID == "" {
		t.Fatalf("SendMessage offline = %+v, %v; want queued", sub, err)
	}
	th, _ := findThread(messagesOf(t, a, id), "Written on a train")
	if len(th.Messages) != 1 || th.Messages[0].State != MessageWaiting || th.Messages[0].LocalID != sub.LocalID || th.Messages[0].ID != "" {
		t.Fatalf("waiting message = %+v", th)
	}
	p.Faults().Set(faults.Config{})
	if err := a.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	entries, err := a.Outbox(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var ident string
	for _, e := range entries {
		if e.Seq == sub.Seq {
			ident = e.Identifier
		}
	}
	if n := serverMessages(t, p, ident); n != 1 {
		t.Fatalf("the practice has %d copies, want 1", n)
	}
	in := messagesOf(t, a, id)
	n := 0
	for _, th := range in.Threads {
		if th.Subject == "Written on a train" {
			n++
			if len(th.Messages) != 1 || th.Messages[0].State != MessageSent || th.Messages[0].ID == "" || th.Messages[0].LocalID != sub.LocalID {
				t.Errorf("after the sync: %+v", th.Messages)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d threads for the message, want 1", n)
	}
}

// TestDraftSurvivesRestartAndLock: a draft with a file is there after the
// app is closed and opened again, and after a lock; sealed on disk.
func TestDraftSurvivesRestartAndLock(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	dir := t.TempDir()
	a, id := openMsgApp(t, p, dir)
	d := Draft{To: "Practitioner/x", Subject: "Unfinished", Text: "a private worry", Attachments: []MessageAttachment{{Name: "a.txt", ContentType: "text/plain", Data: []byte("notes")}}}
	if err := a.SaveDraft(ctx, id, "Communication/t1", d); err != nil {
		t.Fatal(err)
	}
	a.Lock()
	if _, _, err := a.Draft(ctx, id, "Communication/t1"); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("draft while locked: %v, want locked", err)
	}
	a.Close()
	raw, err := os.ReadFile(filepath.Join(dir, "carebook.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "a private worry") {
		t.Error("the draft is in clear on disk")
	}
	a, id = openMsgApp(t, p, dir)
	got, ok, err := a.Draft(ctx, id, "Communication/t1")
	if err != nil || !ok || got.Text != d.Text || len(got.Attachments) != 1 || string(got.Attachments[0].Data) != "notes" {
		t.Fatalf("draft after restart = %+v %v %v", got, ok, err)
	}
	if err := a.SaveDraft(ctx, id, "Communication/t1", Draft{}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := a.Draft(ctx, id, "Communication/t1"); ok {
		t.Error("an empty draft was kept")
	}
}

func TestCheckMessage(t *testing.T) {
	mp := DefaultMessagePolicy()
	mp.MaxText, mp.MaxAttachmentBytes, mp.MaxAttachments = 10, 100, 1
	ok := Draft{To: "Practitioner/1", Subject: "Hi", Text: "short"}
	with := func(f func(*Draft)) Draft { d := ok; f(&d); return d }
	file := func(name string, n int) MessageAttachment {
		return AttachmentFromFile(name, append([]byte("%PDF-"), make([]byte, n)...))
	}
	tests := []struct {
		name string
		d    Draft
		want string // "" ok, else a word of the problem
	}{
		{"fine", ok, ""},
		{"no recipient", with(func(d *Draft) { d.To = "" }), "Choose who"},
		{"no subject", with(func(d *Draft) { d.Subject = " " }), "subject"},
		{"reply needs no subject", with(func(d *Draft) { d.Subject, d.Thread = "", "Communication/1" }), ""},
		{"empty", with(func(d *Draft) { d.Text = "  " }), "Write a message"},
		{"file only", with(func(d *Draft) { d.Text, d.Attachments = "", []MessageAttachment{file("a.pdf", 10)} }), ""},
		{"too long", with(func(d *Draft) { d.Text = "12345678901" }), "11 characters"},
		{"ten accented letters fit", with(func(d *Draft) { d.Text = "éééééééééé" }), ""},
		{"file too big", with(func(d *Draft) { d.Attachments = []MessageAttachment{file("big.pdf", 200)} }), "big.pdf is 205 bytes"},
		{"too many files", with(func(d *Draft) { d.Attachments = []MessageAttachment{file("a.pdf", 1), file("b.pdf", 1)} }), "at most 1 files"},
		{"type refused", with(func(d *Draft) {
			d.Attachments = []MessageAttachment{AttachmentFromFile("x.exe", []byte{0x4d, 0x5a, 0x90, 0xff})}
		}), "can't be sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMessage(tt.d, mp)
			var inv *InvalidMessageError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (!errors.As(err, &inv) || !errors.Is(err, ErrInvalidInput) || !strings.Contains(inv.Problem, tt.want)):
				t.Fatalf("got %v, want a problem with %q", err, tt.want)
			}
		})
	}
}

func TestParseMessagePolicy(t *testing.T) {
	def := DefaultMessagePolicy()
	tests := []struct {
		name string
		cs   string
		want func(MessagePolicy) bool
	}{
		{"not a statement", `nonsense`, func(p MessagePolicy) bool { return !p.Published && p.Notice == def.Notice }},
		{"no Communication entry", `{"resourceType":"CapabilityStatement","rest":[{"mode":"server","resource":[{"type":"Patient"}]}]}`,
			func(p MessagePolicy) bool { return !p.Published && p.MaxText == def.MaxText }},
		{"notice only", `{"resourceType":"CapabilityStatement","rest":[{"mode":"server","resource":[{"type":"Communication","documentation":"Call 911."}]}]}`,
			func(p MessagePolicy) bool { return p.Published && p.Notice == "Call 911." && p.MaxText == def.MaxText }},
		{"profile by canonical url", `{"resourceType":"CapabilityStatement","contained":[{"resourceType":"StructureDefinition","id":"x","url":"http://p/SD/m","type":"Communication",
			"differential":{"element":[{"path":"Communication.payload","max":"3"},{"path":"Communication.payload.contentString","maxLength":500},
			{"path":"Communication.payload.contentAttachment","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/maxSize","valueDecimal":0.5},
			{"url":"http://hl7.org/fhir/StructureDefinition/mimeType","valueCode":"image/png"}]}]}}],
			"rest":[{"mode":"server","resource":[{"type":"Communication","supportedProfile":["http://p/SD/m"]}]}]}`,
			func(p MessagePolicy) bool {
				return p.Published && p.MaxAttachments == 2 && p.MaxText == 500 && p.MaxAttachmentBytes == 1<<19 &&
					len(p.AttachmentTypes) == 1 && p.Notice == def.Notice
			}},
		{"profile not named", `{"resourceType":"CapabilityStatement","contained":[{"resourceType":"StructureDefinition","id":"x","type":"Communication",
			"differential":{"element":[{"path":"Communication.payload","max":"3"}]}}],"rest":[{"resource":[{"type":"Communication"}]}]}`,
			func(p MessagePolicy) bool { return !p.Published && p.MaxAttachments == def.MaxAttachments }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseMessagePolicy([]byte(tt.cs)); !tt.want(got) {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// TestMessagesExactlyOnceUnderFaults sends 200 messages through the
// practice's fault injection: a share of the writes is carried out and its
// reply dropped (the connection closed), others are answered 503 or 429
// before being handled, also the searches the outbox makes before a
// resend. Sends and retries go on until the outbox is empty; then every
// message exists exactly once at the practice, and none is missing.
func TestMessagesExactlyOnceUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("200 sends through injected faults")
	}
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	// The client's own waits shortened: the outbox's retries are what is
	// tested, and a Retry-After is handed to it at once.
	saved := clientOptions
	clientOptions.MinBackoff, clientOptions.MaxBackoff, clientOptions.MaxRetryAfter = time.Millisecond, 2*time.Millisecond, time.Millisecond
	t.Cleanup(func() { clientOptions = saved })
	opts, err := a.MessageOptions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// 200 with CAREBOOK_LONG=1 (make test-long), as the messaging issue
	// asks; make test sends 60 to stay well under its 15 minutes.
	sends := longLoop(60, 200)
	fault := func(i int) faults.Config {
		status := http.StatusServiceUnavailable
		if i%2 == 1 {
			status = http.StatusTooManyRequests
		}
		return faults.Config{DropReplyAfterCommitRate: 0.25, ErrorRate: 0.15, ErrorStatus: status,
			RetryAfter: time.Second, OnlyPaths: "/fhir/Communication", Seed: int64(i)}
	}
	start := time.Now()
	outcomes := map[string]int{}
	for i := range sends {
		if i%20 == 0 {
			p.Faults().Set(fault(i / 20))
		}
		_, err := a.SendMessage(ctx, id, Draft{To: opts.Recipients[0].Ref, Subject: fmt.Sprintf("Exactly once %03d", i), Text: "Message " + strconv.Itoa(i)})
		switch {
		case err == nil:
			outcomes["accepted"]++
		case errors.Is(err, ErrQueued):
			outcomes["queued"]++
		default:
			t.Fatalf("send %d: %v", i, err)
		}
		if i%10 == 9 {
			// Time passes: what waits is due again.
			p.advance(2 * time.Hour)
			_ = a.SendOutbox(ctx, id)
		}
	}
	rounds := 0
	for ; rounds < 1000; rounds++ {
		entries, err := a.Outbox(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, e := range entries {
			switch e.State {
			case storage.OutboxPending:
				pending++
			case storage.OutboxFailed, storage.OutboxConflict:
				t.Fatalf("%s failed: %s", e.LocalID, e.LastError)
			}
		}
		if pending == 0 {
			break
		}
		p.advance(2 * time.Hour)
		_ = a.SendOutbox(ctx, id)
	}
	p.Faults().Set(faults.Config{})
	entries, err := a.Outbox(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != sends {
		t.Fatalf("%d outbox items, want %d", len(entries), sends)
	}
	tries := 0
	for _, e := range entries {
		tries += e.Attempts
		if e.State != storage.OutboxSent {
			t.Fatalf("%s is %s after %d rounds", e.LocalID, e.State, rounds)
		}
		if n := serverMessages(t, p, e.Identifier); n != 1 {
			t.Fatalf("%s is at the practice %d times", e.LocalID, n)
		}
	}
	// Nothing else arrived either: one message per subject.
	q, _, err := store.ParseQuery("Communication", url.Values{}, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Count = store.MaxCount
	rs, _, err := p.Store().Search(ctx, "Communication", q)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]int{}
	for _, r := range rs {
		c := topicOf(r.JSON)
		if strings.HasPrefix(c, "Exactly once ") {
			subjects[c]++
		}
	}
	if len(subjects) != sends {
		t.Fatalf("the practice has %d distinct test messages, want %d", len(subjects), sends)
	}
	for s, n := range subjects {
		if n != 1 {
			t.Fatalf("%q is at the practice %d times", s, n)
		}
	}
	t.Logf("%d messages in %v: %v at first, %d outbox attempts, %d rounds after the last send",
		sends, time.Since(start).Round(time.Millisecond), outcomes, tries, rounds)
}

// topicOf returns a Communication's topic text.
func topicOf(raw []byte) string {
	var c struct {
		Topic struct{ Text string } `json:"topic"`
	}
	_ = json.Unmarshal(raw, &c)
	return c.Topic.Text
}
