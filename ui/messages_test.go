package ui

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/rules"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// msgPractice is the reference practice on 127.0.0.1 with a clock shared
// by its staff and the app: the staff read new messages when the test
// makes them work, and answer an hour after reading.
type msgPractice struct {
	*practice.Server
	mu  sync.Mutex
	now time.Time
}

func (p *msgPractice) clock() time.Time { p.mu.Lock(); defer p.mu.Unlock(); return p.now }

func (p *msgPractice) advance(d time.Duration) { p.mu.Lock(); p.now = p.now.Add(d); p.mu.Unlock() }

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

// SignIn plays the browser for the demo patient (app.DemoPractice).
func (p *msgPractice) SignIn(ctx context.Context, authorizeURL string) (*url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return psmart.SignIn(ctx, &http.Client{Jar: jar, Timeout: 30 * time.Second}, authorizeURL, demo.Username, synth.DemoPassword, "")
}

func startMsgPractice(t *testing.T) *msgPractice {
	t.Helper()
	p := &msgPractice{now: time.Now()}
	srv, err := practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, StaffPoll: 24 * time.Hour, StaffNow: p.clock})
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

const msgPassphrase = "messages passphrase"

// openMsgCore opens the app core in dir, connected to p and synced the
// first time, unlocked afterwards.
func openMsgCore(t *testing.T, p *msgPractice, dir string) *app.App {
	t.Helper()
	ctx := context.Background()
	core, err := app.Open(app.Config{
		DataDir: dir, IdleTimeout: -1, Now: p.clock,
		Storage: storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true},
		Demo:    func(context.Context) (app.DemoPractice, error) { return keepOpen{p}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := core.State(ctx); st == app.NeedsSetup {
		if err := core.Setup(ctx, msgPassphrase); err != nil {
			t.Fatal(err)
		}
		info, err := core.ConnectDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := core.Sync(ctx, info.ID); err != nil {
			t.Fatal(err)
		}
	} else if err := core.Unlock(ctx, msgPassphrase); err != nil {
		t.Fatal(err)
	}
	return core
}

// openMessages opens the main window on core at size and its Messages
// tab, once the first sync is done.
func openMessages(t *testing.T, q uiQueue, core *app.App, size fyne.Size) (*UI, fyne.Window) {
	t.Helper()
	u := NewMainWindow(fyne.CurrentApp(), core, Options{})
	w := u.Window()
	w.Resize(size)
	q.waitShows(t, w, "Hello, Maya", "Updated just now")
	selectTab(t, w, "Messages")
	q.waitShows(t, w, "New message", "Your recent lab results")
	return u, w
}

// identifierOf is the client identifier of the outbox item behind local.
func identifierOf(t *testing.T, core *app.App, profileID, local string) string {
	t.Helper()
	entries, err := core.Outbox(context.Background(), profileID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.LocalID == local {
			return e.Identifier
		}
	}
	t.Fatalf("no outbox item %s", local)
	return ""
}

func serverCopies(t *testing.T, p *msgPractice, ident string) int {
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

// compose opens the composer and waits for it. UI goroutine (the test's).
func compose(t *testing.T, q uiQueue, u *UI, w fyne.Window) *composer {
	t.Helper()
	u.shell.messages.compose = nil
	if md := u.shell.messages.md; !md.wide && md.open {
		md.clearDetail() // a phone shows the list again first (Back)
	}
	test.Tap(findButton(t, w.Content(), "New message"))
	pumpUntil(t, q, "the composer", func() bool { return u.shell.messages.compose != nil })
	q.waitShows(t, w, "New message", "not for emergencies", "characters", "Choose a topic")
	return u.shell.messages.compose
}

// openMessagesAt opens Messages in a window of size, in a new test app in
// Carebook's light theme, on an app core signed in at a practice of its
// own; each closes when the test ends.
func openMessagesAt(t *testing.T, size fyne.Size) (uiQueue, *msgPractice, *app.App, *UI, fyne.Window) {
	t.Helper()
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	p := startMsgPractice(t)
	core := openMsgCore(t, p, t.TempDir())
	t.Cleanup(func() { core.Close() })
	u, w := openMessages(t, q, core, size)
	t.Cleanup(w.Close)
	return q, p, core, u, w
}

// write fills the composer as a patient does: the first recipient and
// topic offered, then the subject and the text typed.
func (c *composer) write(subject, text string) {
	c.to.SetSelectedIndex(0)
	c.topic.SetSelectedIndex(0)
	test.Type(c.subject, subject)
	test.Type(c.text, text)
}

// threadMessages is the open conversation's messages.
func openThread(t *testing.T, u *UI, subject string) app.MessageThread {
	t.Helper()
	v := u.shell.messages
	for _, th := range v.inbox.Threads {
		if th.Subject == subject {
			return th
		}
	}
	t.Fatalf("no conversation %q in the inbox", subject)
	return app.MessageThread{}
}

// TestMessagesScreen walks secure messaging on the screen, against the
// practice over HTTP with the real app core: a message written while the
// practice is down waits ("will be sent when you are online"), is sent
// once when it is back; the staff open it (read receipt), answer it
// (answered, the dashboard's count goes up, and down once it is read); a
// reply lands in the same conversation; a file the practice refuses shows
// its words and is edited and sent again; a draft survives a restart.
func TestMessagesScreen(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 360, Height: 740}} {
		t.Run(fmtSize(size), func(t *testing.T) { messagesScreen(t, size) })
	}
}

func messagesScreen(t *testing.T, size fyne.Size) {
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	p := startMsgPractice(t)
	dir := t.TempDir()
	core := openMsgCore(t, p, dir)
	ps, err := core.Profiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pid := ps[0].ID
	u, w := openMessages(t, q, core, size)
	shot := func(name string) {
		q.drain()
		assertFits(t, w)
		screenshot(t, w, "messages-"+name+"-"+fmtSize(size))
	}
	shot("inbox")

	// Written on a train: the practice can't be reached (nothing of it
	// answers but failures, so the message's request never leaves).
	p.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/"})
	c := compose(t, q, u, w)
	c.write("A rash on my arm", "It started three days ago.")
	c.addFile("rash.png", []byte("\x89PNG\r\n\x1a\na small photo"))
	q.waitShows(t, w, "26 / 10000 characters", "rash.png")
	if sc, ok := c.root.(*container.Scroll); ok {
		sc.ScrollToBottom() // the file, the notice and Send
	}
	shot("composer")
	test.Tap(findButton(t, w.Content(), "Send"))
	q.waitShows(t, w, "Waiting to be sent: it will be sent when you are online.", "Waiting")
	th := openThread(t, u, "A rash on my arm")
	local := th.Messages[0].LocalID
	ident := identifierOf(t, core, pid, local)

	// Back online: the next sync sends it, once.
	p.Faults().Set(faults.Config{})
	syncNow(t, q, u)
	q.waitShows(t, w, "Not read by the practice yet.")
	if n := serverCopies(t, p, ident); n != 1 {
		t.Fatalf("the practice holds %d copies of the message, want 1", n)
	}
	if th := openThread(t, u, "A rash on my arm"); len(th.Messages) != 1 || th.Messages[0].ID == "" || th.Key == local {
		t.Fatalf("after the sync the conversation is %+v: the server's copy should stand for the local one", th)
	}

	// The staff open it: a read receipt.
	p.work(t)
	syncNow(t, q, u)
	q.waitShows(t, w, "✓ Read by the practice", "Reply", "characters")
	shot("read-receipt")

	// They answer: answered, and one more new message on the dashboard.
	dash, err := core.Dashboard(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	unread := len(dash.Unread)
	newText := func(n int) string { return plural(n, "new message", "new messages") + " from your practice." }
	selectTab(t, w, "Home")
	q.waitShows(t, w, newText(unread))
	p.advance(2 * time.Hour)
	p.work(t)
	syncNow(t, q, u)
	q.waitShows(t, w, newText(unread+1))
	selectTab(t, w, "Messages")
	q.waitShows(t, w, "Answered")
	u.shell.messages.ShowThread(th.Key)
	q.waitShows(t, w, "Answered", "Reply")
	if got := openThread(t, u, "A rash on my arm"); len(got.Messages) != 2 || got.Messages[1].FromPatient || got.Messages[0].State != app.MessageAnswered {
		t.Fatalf("after the answer: %+v", got.Messages)
	}
	q.drain()
	selectTab(t, w, "Home")
	q.waitShows(t, w, newText(unread))

	// A reply, in the same conversation.
	selectTab(t, w, "Messages")
	u.shell.messages.ShowThread(th.Key)
	q.waitShows(t, w, "Reply")
	threads := len(u.shell.messages.inbox.Threads)
	p.advance(time.Minute)
	entries := findEntries(w.Content())
	test.Type(entries[len(entries)-1], "Thank you, I will wait for the call.")
	test.Tap(findButtonAfter(t, w.Content(), "Reply", "Send"))
	waitThread(t, q, u, "A rash on my arm", 3)
	pumpUntil(t, q, "the reply sent", func() bool {
		th := openThread(t, u, "A rash on my arm")
		return len(th.Messages) == 3 && th.Messages[2].State == app.MessageSent
	})
	if got := openThread(t, u, "A rash on my arm"); got.Messages[2].Text != "Thank you, I will wait for the call." ||
		len(u.shell.messages.inbox.Threads) != threads {
		t.Fatalf("after the reply: %d conversations (was %d), thread %+v", len(u.shell.messages.inbox.Threads), threads, got.Messages)
	}

	// The practice now takes smaller files than the app last read: it
	// refuses, in its words; Edit brings it back, without the file it goes.
	small := rules.DefaultMessagePolicy()
	small.MaxAttachmentBytes = 1 << 10
	p.SetMessagePolicy(small)
	c = compose(t, q, u, w)
	c.to.SetSelectedIndex(0)
	test.Type(c.subject, "My form")
	test.Type(c.text, "The filled-in form.")
	c.addFile("form.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 4<<10)...))
	test.Tap(findButton(t, w.Content(), "Send"))
	q.waitShows(t, w, "Not sent. The practice said: An attachment can be at most 1 KB.", "Edit", "Retry", "Discard")
	shot("failed")
	u.shell.messages.compose = nil
	test.Tap(findButton(t, w.Content(), "Edit"))
	pumpUntil(t, q, "the composer after Edit", func() bool { return u.shell.messages.compose != nil })
	c = u.shell.messages.compose
	if c == nil || c.subject.Text != "My form" || len(c.files) != 1 {
		t.Fatalf("Edit did not bring the message back: %+v", c)
	}
	c.files = nil
	c.refreshFiles()
	c.addFile("form.txt", []byte("name: Maya"))
	test.Tap(findButton(t, w.Content(), "Send"))
	q.waitShows(t, w, "My form", "Not read by the practice yet.")
	if th := openThread(t, u, "My form"); len(th.Messages) != 1 || th.Messages[0].State != app.MessageSent {
		t.Fatalf("resent message: %+v", th.Messages)
	}

	// A draft survives closing the app.
	c = compose(t, q, u, w)
	test.Type(c.subject, "Unfinished thought")
	test.Type(c.text, "I wanted to ask whether")
	waitDraft(t, q, core, pid, "I wanted to ask whether")
	w.Close()
	core.Close()

	core = openMsgCore(t, p, dir)
	defer core.Close()
	if err := core.Sync(context.Background(), pid); err != nil {
		t.Fatalf("sync after the restart: %v", err)
	}
	u, w = openMessages(t, q, core, size)
	defer w.Close()
	c = compose(t, q, u, w)
	if c.subject.Text != "Unfinished thought" || c.text.Text != "I wanted to ask whether" {
		t.Fatalf("draft after a restart: subject %q, text %q", c.subject.Text, c.text.Text)
	}
	assertFits(t, w)
	assertMinFits(t, w, size.Width)
	assertTouchTargets(t, w)
}

// pumpUntil runs queued UI work until cond holds.
func pumpUntil(t *testing.T, q uiQueue, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(uiWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		select {
		case f := <-q:
			f()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitThread pumps the UI until the conversation has n messages.
func waitThread(t *testing.T, q uiQueue, u *UI, subject string, n int) {
	t.Helper()
	deadline := time.Now().Add(uiWait)
	for {
		for _, th := range u.shell.messages.inbox.Threads {
			if th.Subject == subject && len(th.Messages) == n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the conversation %q never had %d messages", subject, n)
		}
		select {
		case f := <-q:
			f()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// syncNow taps the sync button once no sync runs, and waits until the
// sync is over.
func syncNow(t *testing.T, q uiQueue, u *UI) {
	t.Helper()
	waitFor := func(cond func() bool) {
		deadline := time.Now().Add(uiWait)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatal("the sync button never came back")
			}
			select {
			case f := <-q:
				f()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	waitFor(func() bool { return !u.shell.syncBtn.Disabled() })
	test.Tap(u.shell.syncBtn)
	waitFor(func() bool { return !u.shell.syncBtn.Disabled() })
	q.drain()
}

// waitDraft pumps the UI until the draft saved under DraftNew has text.
func waitDraft(t *testing.T, q uiQueue, core *app.App, pid, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		q.drain()
		if d, ok, err := core.Draft(context.Background(), pid, app.DraftNew); err == nil && ok && d.Text == text {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the draft %q was never saved", text)
}

// draftInbox keeps drafts as the app does, one per key, and lists those
// of new messages in its inbox.
type draftInbox struct {
	spanishInbox
	mu       sync.Mutex
	drafts   map[string]app.Draft
	failSave error // SaveDraft's answer when not nil
}

func (s *draftInbox) Messages(context.Context, string) (app.Inbox, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inbox
	for key, d := range s.drafts {
		if app.IsNewMessageDraft(key) {
			in.Drafts = append(in.Drafts, app.SavedDraft{Key: key, Draft: d})
		}
	}
	sort.Slice(in.Drafts, func(i, j int) bool { return in.Drafts[i].Key < in.Drafts[j].Key })
	return in, nil
}

func (s *draftInbox) Draft(_ context.Context, _, key string) (app.Draft, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.drafts[key]
	return d, ok, nil
}

func (s *draftInbox) SaveDraft(ctx context.Context, _, key string, d app.Draft) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSave != nil {
		return s.failSave
	}
	if err := ctx.Err(); err != nil {
		return err // as the app's storage does
	}
	s.drafts[key] = d
	return nil
}

func (s *draftInbox) draft(key string) app.Draft {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drafts[key]
}

func (s *draftInbox) AskAboutResult(_ context.Context, _, ref string) (app.Draft, error) {
	return app.Draft{Subject: "About my result", About: ref, AboutName: "Lipid panel"}, nil
}

// TestAskAboutKeepsDraftInProgress: the patient has a new message half
// written and taps "Ask about this" on a result. The composer opens with
// the question as a draft of its own; the words written before stay, and
// the inbox lists both drafts, each opening again in the composer.
func TestAskAboutKeepsDraftInProgress(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	inProgress := app.Draft{Subject: "Knee", Text: "Three paragraphs about my knee, written over twenty minutes."}
	src := &draftInbox{drafts: map[string]app.Draft{app.DraftNew: inProgress}}
	v := newMessagesView(context.Background(), src, "p1", nil)
	w := test.NewWindow(v.CanvasObject())
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	v.Refresh()
	v.AskAbout("DiagnosticReport/lipids")
	q.waitShows(t, w, "About my result", "Lipid panel")
	pumpUntil(t, q, "both drafts listed", func() bool { return len(v.inbox.Drafts) == 2 })
	kept := src.draft(app.DraftNew)
	src.mu.Lock()
	n := len(src.drafts)
	src.mu.Unlock()
	if kept.Text != inProgress.Text || n != 2 {
		t.Fatalf("the draft in progress was overwritten: %q holds %+v (%d drafts)", app.DraftNew, kept, n)
	}
	v.compose = nil
	v.md.clearDetail() // a phone shows the list again (Back)
	q.waitShows(t, w, "Knee", "About my result", "Draft")
	noRowCutOff(t, w)
	screenshot(t, w, "messages-drafts-360x740")
	for i, d := range v.inbox.Drafts {
		v.compose = nil
		v.md.list.Select(i)
		pumpUntil(t, q, "the composer of "+d.Key, func() bool { return v.compose != nil })
		if v.compose.key != d.Key || v.compose.subject.Text != d.Draft.Subject {
			t.Fatalf("row %d opened the draft %q (%q); want %q (%q)", i, v.compose.key, v.compose.subject.Text, d.Key, d.Draft.Subject)
		}
		v.md.clearDetail()
	}
}

// TestComposerSavesWhenTheScreenGoes: the patient types and, before the
// draft is saved, switches to another profile (the screen's context
// ends): what was typed is saved all the same. A save that fails is
// shown, and the next change saves it again.
func TestComposerSavesWhenTheScreenGoes(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	src := &draftInbox{drafts: map[string]app.Draft{}}
	open := func(ctx context.Context) (*messagesView, *composer, fyne.Window) {
		v := newMessagesView(ctx, src, "p1", nil)
		w := test.NewWindow(v.CanvasObject())
		w.Resize(fyne.NewSize(360, 740))
		v.NewMessage(app.DraftNew, nil)
		pumpUntil(t, q, "the composer", func() bool { return v.compose != nil })
		return v, v.compose, w
	}

	ctx, leave := context.WithCancel(context.Background())
	_, c, w := open(ctx)
	defer w.Close()
	test.Type(c.subject, "Knee")
	test.Type(c.text, "The last words before the switch")
	leave()
	pumpUntil(t, q, "the draft saved after the screen went", func() bool {
		return src.draft(app.DraftNew).Text == "The last words before the switch"
	})

	_, c, w2 := open(context.Background())
	defer w2.Close()
	src.mu.Lock()
	src.failSave = storage.ErrDiskFull
	src.mu.Unlock()
	c.text.SetText("Written while the disk is full")
	q.waitShows(t, w2, "Your draft could not be saved on this device.")
	src.mu.Lock()
	src.failSave = nil
	src.mu.Unlock()
	c.text.SetText("Written while the disk is full, saved once it is not")
	pumpUntil(t, q, "the draft saved again", func() bool {
		return src.draft(app.DraftNew).Text == c.text.Text && !c.problem.Visible()
	})
}

// TestLockKeepsTheLastTyping: the patient types and taps Lock at once,
// before the draft's pause is over. The record leaves the screen at once,
// and after unlocking the draft holds every character: a new message's,
// then a reply's.
func TestLockKeepsTheLastTyping(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	ctx := context.Background()
	core := openMsgCore(t, startMsgPractice(t), t.TempDir())
	defer core.Close()
	u, w := openMessages(t, q, core, fyne.NewSize(1280, 800))
	defer w.Close()
	pid := u.shell.current.ID

	lockAndUnlock := func(typed string) {
		t.Helper()
		test.Tap(findButton(t, w.Content(), "Lock"))
		if shown := shownText(w.Content()); strings.Contains(shown, typed) || strings.Contains(shown, "Maya") {
			t.Fatalf("the screen still shows the record after Lock: %s", shown)
		}
		q.waitShows(t, w, "Carebook is locked")
		findEntries(w.Content())[0].SetText(msgPassphrase)
		test.Tap(findButton(t, w.Content(), "Unlock"))
		q.waitShows(t, w, "Hello, Maya")
	}

	c := compose(t, q, u, w)
	test.Type(c.subject, "Knee")
	typed := "Every character typed before the lock, up to this one: ."
	test.Type(c.text, typed)
	lockAndUnlock(typed)
	if d, ok, err := core.Draft(ctx, pid, app.DraftNew); err != nil || !ok || d.Subject != "Knee" || d.Text != typed {
		t.Fatalf("new message's draft after Lock = %q, %q (ok %v, %v); want %q, %q", d.Subject, d.Text, ok, err, "Knee", typed)
	}

	selectTab(t, w, "Messages")
	q.waitShows(t, w, "Your recent lab results")
	th := openThread(t, u, "Your recent lab results")
	u.shell.messages.ShowThread(th.Key)
	q.waitShows(t, w, "Reply")
	pumpUntil(t, q, "the reply box", func() bool { return len(findEntries(w.Content())) > 0 })
	entries := findEntries(w.Content())
	reply := "A reply written just before the lock."
	test.Type(entries[len(entries)-1], reply)
	lockAndUnlock(reply)
	if d, ok, err := core.Draft(ctx, pid, th.Key); err != nil || !ok || d.Text != reply {
		t.Fatalf("reply's draft after Lock = %q (ok %v, %v); want %q", d.Text, ok, err, reply)
	}
	q.drain()
}

// TestUploadCutMayBeDiscarded: a message with a large photo whose upload
// the link cuts short (the practice's connection closes before it reads
// the body) waits to be sent again, saying why (not "when you are
// online": the device is), and since nothing of it reached the practice,
// Discard is offered beside Send now, and removes it. With
// CAREBOOK_SHOTS set, the conversation is written there.
func TestUploadCutMayBeDiscarded(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 360, Height: 740}} {
		t.Run(fmtSize(size), func(t *testing.T) { uploadCutMayBeDiscarded(t, size) })
	}
}

func uploadCutMayBeDiscarded(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q, p, core, u, w := openMessagesAt(t, size)
	ps, err := core.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid := ps[0].ID

	p.Faults().Set(faults.Config{CutUploadRate: 1, OnlyPaths: "/fhir/Communication", OnlyWrites: true})
	c := compose(t, q, u, w)
	c.write("Photo of the wound", "Here is how it looks today.")
	// A photo larger than what the connection buffers: its upload is
	// still going when the connection closes.
	c.addFile("wound.jpg", append([]byte("\xff\xd8\xff\xe0"), make([]byte, 4<<20)...))
	q.waitShows(t, w, "wound.jpg")
	test.Tap(findButton(t, w.Content(), "Send"))
	q.waitShows(t, w, "Photo of the wound",
		"Not sent yet: the upload did not finish in time, and nothing of it reached the practice. Carebook will try again, or you can discard it.",
		"Send now", "Discard")
	if shown := shownText(w.Content()); strings.Contains(shown, "when you are online") {
		t.Errorf("a message whose upload was cut says it waits for the device to be online: %s", shown)
	}
	entries, err := core.Outbox(ctx, pid)
	if err != nil || len(entries) != 1 || entries[0].Attempts == 0 || entries[0].Attempts != entries[0].CutAttempts {
		t.Fatalf("outbox %+v, %v: want one message whose every attempt was cut", entries, err)
	}
	q.drain()
	assertFits(t, w)
	noButtonCutOff(t, w)
	screenshot(t, w, "messages-upload-cut-"+fmtSize(size))

	ident := entries[0].Identifier
	test.Tap(findButton(t, w.Content(), "Discard"))
	pumpUntil(t, q, "the message discarded", func() bool {
		for _, th := range u.shell.messages.inbox.Threads {
			if th.Subject == "Photo of the wound" {
				return false
			}
		}
		return true
	})
	if entries, err := core.Outbox(ctx, pid); err != nil || len(entries) != 0 {
		t.Errorf("outbox after Discard: %+v, %v; want it empty", entries, err)
	}
	p.Faults().Set(faults.Config{})
	if n := serverCopies(t, p, ident); n != 0 {
		t.Errorf("the practice holds %d copies of the discarded message", n)
	}
}

// TestFileWithNothingToOpen: a file the practice sent broken (its
// content cannot be read, and there is no address to fetch it from) is
// not offered to open, in a message or among a report's documents; it
// says the practice can give a copy. A sound file beside it opens.
func TestFileWithNothingToOpen(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	sent := time.Date(2026, 3, 2, 9, 30, 0, 0, time.Local)
	th := app.MessageThread{Key: "Communication/t1", Subject: "Your scans", With: "Dr. Anna Park", Latest: sent,
		Messages: []app.Message{{ID: "t1", From: "Dr. Anna Park", Text: "Here are your scans.", State: app.MessageReceived, Sent: sent,
			Attachments: []app.MessageFile{{Name: "scan1.jpg", Size: 3 << 20, Index: 0}, {Name: "scan2.jpg", Index: 1, Missing: true}}}}}
	v := newMessagesView(context.Background(), spanishInbox{inbox: app.Inbox{Threads: []app.MessageThread{th}}}, "p1", nil)
	w := test.NewWindow(v.CanvasObject())
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	v.Refresh()
	q.waitShows(t, w, "Your scans")
	v.selectThread(0)
	q.waitShows(t, w, "scan1.jpg · 3 MB", "scan2.jpg", "Carebook cannot open this file here. The practice can give you a copy.")
	opens := 0
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Open" {
			opens++
		}
	})
	if opens != 1 {
		t.Errorf("%d Open buttons for a sound file and a broken one, want 1", opens)
	}

	for _, tc := range []struct {
		name     string
		att      record.Attachment
		external bool
		shown    bool
	}{
		{"a PDF in the cache", record.Attachment{ContentType: "application/pdf", IsPDF: true, Cached: true}, true, true},
		{"a PDF at the practice", record.Attachment{ContentType: "application/pdf", IsPDF: true, URL: "Binary/1"}, true, true},
		{"a broken PDF", record.Attachment{ContentType: "application/pdf", IsPDF: true}, false, false},
		{"a broken photo", record.Attachment{ContentType: "image/jpeg"}, false, false},
		{"a text", record.Attachment{ContentType: "text/plain", Cached: true, Text: "All normal."}, false, true},
	} {
		docs := attachmentDocs("DiagnosticReport/r1", "", "Biopsy", []record.Attachment{tc.att})
		if (len(docs) == 1) != tc.shown || len(docs) > 1 || (tc.shown && docs[0].external != tc.external) {
			t.Errorf("%s: documents %+v; want shown %v, to open %v", tc.name, docs, tc.shown, tc.external)
		}
	}
}

// TestMessageWithAnUnreadablePart: a message of the practice whose entry
// is incomplete (a part that cannot be read, here its time of receipt,
// not a file) says so in its conversation, in the words the record uses
// for any entry; a sound message beside it says nothing of the kind.
func TestMessageWithAnUnreadablePart(t *testing.T) {
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	p := startMsgPractice(t)
	sent := p.clock().Add(-time.Hour).UTC().Format(time.RFC3339)
	body := `{"resourceType":"Communication","id":"part-unread","status":"completed","subject":{"reference":"Patient/` + synth.MayaID + `"},` +
		`"topic":{"text":"Your flu shot"},"sent":"` + sent + `","received":"when you next log in",` +
		`"sender":{"display":"Dr. Anna Park"},"recipient":[{"reference":"Patient/` + synth.MayaID + `"}],` +
		`"payload":[{"contentString":"Your flu shot is due this month."}]}`
	if _, err := p.Store().Put(context.Background(), "Communication", "part-unread", []byte(body)); err != nil {
		t.Fatal(err)
	}
	core := openMsgCore(t, p, t.TempDir()) // its first sync brings the message
	defer core.Close()
	u, w := openMessages(t, q, core, fyne.NewSize(1280, 800))
	defer w.Close()
	note := partialDetailText()
	for _, tc := range []struct {
		subject, text string
		partial       bool
	}{
		{"Your flu shot", "Your flu shot is due this month.", true},
		{"Your recent lab results", "A copy of the report is now in your documents.", false},
	} {
		u.shell.messages.ShowThread(openThread(t, u, tc.subject).Key)
		q.waitShows(t, w, tc.text)
		if shown := strings.Contains(shownText(w.Content()), note); shown != tc.partial {
			t.Errorf("%q: the note %q shown %v, want %v; the conversation shows: %s", tc.subject, note, shown, tc.partial, shownText(w.Content()))
		}
	}
}
