package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// MessageState is where a message stands. The patient's own messages are
// waiting, sent, read, answered or failed; the practice's are unread or
// received (read by the patient on this device).
type MessageState string

// Message states, lower-case as the CLI prints them.
const (
	MessageWaiting  MessageState = "waiting"  // in the outbox, not accepted by the practice yet
	MessageSent     MessageState = "sent"     // the practice has it
	MessageRead     MessageState = "read"     // the practice opened it (Communication.received)
	MessageAnswered MessageState = "answered" // the practice wrote after it in the thread
	MessageFailed   MessageState = "failed"   // the practice refused it: Error says why
	MessageUnread   MessageState = "unread"   // from the practice, not opened yet
	MessageReceived MessageState = "received" // from the practice, opened
)

// Message is one message of a thread, as the screens and the CLI show it.
type Message struct {
	ID      string // the server's id; "" while only in the outbox
	LocalID string // "local-<seq>" when the patient wrote it here, else ""
	Seq     int64  // its outbox item, 0 when none

	FromPatient bool // written by the patient (or someone for them)
	From, To    string
	Text        string
	Attachments []MessageFile
	About       []string // names of what it is about ("Lipid panel of 3 Mar 2026")

	State MessageState
	// Sent is when it was written (the patient's: when Send was tapped);
	// ReadAt when the practice opened it; AnsweredAt when it answered.
	Sent, ReadAt, AnsweredAt time.Time
	// Error is the practice's own words when it refused the message.
	Error string
	// Attempts counts the tries to send it.
	Attempts int
	// CanDiscard says the message may be discarded: the practice refused
	// it, or it provably never reached the practice (DiscardOutboxItem).
	CanDiscard bool
	// UploadCut says a waiting message's last try was cut short before
	// all of it left (a large file on a slow link), and no try before it
	// may have reached the practice: the device is online, and nothing
	// of the message reached the practice (it may be discarded). A cut
	// try after one that may have reached it is MayHaveReached alone.
	UploadCut bool
	// MayHaveReached says a waiting message may already be at the
	// practice: an attempt went out and no answer came. Carebook looks
	// for it there before sending it again, so it cannot arrive twice.
	MayHaveReached bool
	// Incomplete says part of the message could not be read (its record
	// entry is Incomplete): a field the practice sent broken, or a file
	// with nothing to open (which its MessageFile says too).
	Incomplete bool
}

// MessageFile is a file of a message; Index is its attachment number for
// OpenDocument (of "Communication/<ID>") once the practice has it.
type MessageFile struct {
	Name        string
	ContentType string
	Size        int64
	Index       int
	// Missing says there is nothing to open: the message holds the file
	// in a form that cannot be read (broken base64), or not at all, and
	// no address to fetch it from.
	Missing bool
}

// MessageThread is one conversation with the practice.
type MessageThread struct {
	// Key is "Communication/<id>" of the thread's header, or "local-<seq>"
	// while its first message waits in the outbox.
	Key      string
	Subject  string
	Topic    string // the topic's label ("Test result"), "" when none
	With     string // who at the practice the conversation is with
	Messages []Message
	// Unread lists the ids of the practice's messages not opened yet.
	Unread []string
	Latest time.Time
	// CanReply: the practice has the thread, so a reply can point to it.
	CanReply bool
}

// Preview is the start of the newest message.
func (t MessageThread) Preview() string {
	if len(t.Messages) == 0 {
		return ""
	}
	m := t.Messages[len(t.Messages)-1]
	first := ""
	if len(m.Attachments) > 0 {
		first = m.Attachments[0].Name
	}
	return preview(m.Text, first)
}

// Preview is the start of the draft's text.
func (d Draft) Preview() string {
	first := ""
	if len(d.Attachments) > 0 {
		first = d.Attachments[0].Name
	}
	return preview(d.Text, first)
}

// preview is the start of text on one line, else the name of its first
// file.
func preview(text, firstFile string) string {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		text = firstFile
	}
	if r := []rune(text); len(r) > 90 {
		text = string(r[:90]) + "…"
	}
	return text
}

// Inbox is every conversation of a profile, newest first.
type Inbox struct {
	Threads []MessageThread
	// Unread counts the practice's messages not opened yet, and UnreadBy
	// per person who wrote them (most first).
	Unread   int
	UnreadBy []UnreadCount
	// Waiting and Failed count the patient's messages in those states.
	Waiting, Failed int
	// Drafts are the new messages being written, the latest saved first
	// (a reply's draft shows in its thread).
	Drafts []SavedDraft
	// AccessEnded says the practice ended this access to the record: what
	// waits cannot be sent unless the practice gives the access back.
	AccessEnded bool
}

// UnreadCount is how many unread messages one person sent.
type UnreadCount struct {
	From  string
	Count int
}

// entry is one message on its way into a thread: the server's copy (or
// one built from the outbox payload) and its outbox item, if any.
type entry struct {
	c    record.Communication
	item *storage.OutboxItem
	// local: not on the server yet (c was decoded from the outbox).
	local bool
}

// Messages lists the profile's conversations with the state of every
// message. It reads only the local cache and the outbox, so it works
// offline.
func (a *App) Messages(ctx context.Context, profileID string) (Inbox, error) {
	c, err := a.messagesChart(ctx, profileID)
	if err != nil {
		return Inbox{}, fmt.Errorf("messages: %w", err)
	}
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Inbox{}, fmt.Errorf("messages: %w", err)
	}
	items, err := a.store.Outbox(ctx, profileID)
	if err != nil {
		return Inbox{}, fmt.Errorf("messages: %w", err)
	}
	drafts, err := a.Drafts(ctx, profileID)
	if err != nil {
		return Inbox{}, fmt.Errorf("messages: %w", err)
	}
	in := buildInbox(c, items, readSet(p))
	in.AccessEnded = HasAccessEnded(p)
	for _, d := range drafts {
		if IsNewMessageDraft(d.Key) {
			in.Drafts = append(in.Drafts, d)
		}
	}
	return in, nil
}

// buildInbox derives the threads from the cached messages and the outbox.
func buildInbox(c *record.Chart, items []storage.OutboxItem, read map[string]bool) Inbox {
	// The server's copies by the client identifier they carry.
	byIdent := map[string]int{}
	entries := make([]entry, 0, len(c.Communications)+len(items))
	for _, m := range c.Communications {
		if m.Status == "entered-in-error" {
			continue
		}
		for _, id := range m.Identifiers {
			if id.System == outbox.IdentifierSystem {
				byIdent[id.Value] = len(entries)
			}
		}
		entries = append(entries, entry{c: m})
	}
	for i := range items {
		it := &items[i]
		if it.Kind != outbox.KindMessage {
			continue
		}
		if at, ok := byIdent[it.Identifier]; ok {
			entries[at].item = it // the server's copy stands for it
			continue
		}
		if it.Status == storage.OutboxSent && len(it.Result) > 0 {
			// Accepted, and the next pull will bring it; its reply is the
			// server's copy meanwhile.
			if m, ok := decodeMessage(it.Result); ok && m.ID != "" {
				entries = append(entries, entry{c: m, item: it})
				continue
			}
		}
		var res []byte
		if req, err := outbox.DecodeRequest(*it); err == nil {
			res = req.Resource
		}
		m := record.DecodeCommunication(record.Resource{Type: "Communication", JSON: res})
		entries = append(entries, entry{c: m, item: it, local: true})
	}

	patientSide := func(e entry) bool { return e.local || c.FromPatientSide(e.c) }
	byKey := map[string]*MessageThread{}
	var order []string
	var members = map[string][]int{}
	for i, e := range entries {
		key := threadKey(e)
		t, ok := byKey[key]
		if !ok {
			t = &MessageThread{Key: key, CanReply: !strings.HasPrefix(key, "local-")}
			byKey[key] = t
			order = append(order, key)
		}
		if e.c.Thread.IsZero() && e.c.Topic != "" { // the header names the subject
			t.Subject = e.c.Topic
		}
		if len(e.c.Categories) > 0 && t.Topic == "" {
			t.Topic = e.c.Categories[0]
		}
		if e.c.Text == "" && len(e.c.Attachments) == 0 {
			continue // a thread header with no message of its own
		}
		members[key] = append(members[key], i)
	}

	var inbox Inbox
	unreadBy := map[string]int{}
	practice := i18n.L("Your practice") // who wrote, when the record does not say
	for _, key := range order {
		t := byKey[key]
		idx := members[key]
		if len(idx) == 0 {
			continue
		}
		sort.SliceStable(idx, func(i, j int) bool { return before(entries[idx[i]], entries[idx[j]]) })
		for _, i := range idx {
			e := entries[i]
			m := Message{
				ID: e.c.ID, Text: e.c.Text, FromPatient: patientSide(e), Sent: entryTime(e),
				From: messageName(c, e.c.Sender, practice), To: recipientNames(c, e.c.Recipients),
				Incomplete: e.c.Incomplete,
			}
			if e.local {
				m.ID = ""
			}
			if e.item != nil {
				m.LocalID, m.Seq, m.Attempts = "local-"+strconv.FormatInt(e.item.Seq, 10), e.item.Seq, e.item.Attempts
				m.CanDiscard = discardable(*e.item) == nil
				m.MayHaveReached = mayHaveReached(*e.item)
			}
			for n, f := range e.c.Attachments {
				m.Attachments = append(m.Attachments, MessageFile{Name: firstNonEmpty(f.Title, i18n.L("File {{.Number}}", map[string]any{"Number": n + 1})), ContentType: f.ContentType, Size: f.Size, Index: n,
					Missing: !f.Cached && f.URL == ""})
			}
			for _, ab := range e.c.About {
				m.About = append(m.About, messageName(c, ab, ab.Reference))
			}
			if m.FromPatient {
				m.From = i18n.L("You")
				if s := e.c.Sender; s.TargetType() == "RelatedPerson" {
					m.From = messageName(c, s, m.From)
				}
				patientState(&m, e, entries, idx, c.FromPatientSide)
				if t.Subject == "" {
					t.Subject = e.c.Topic
				}
			} else {
				m.State = MessageReceived
				if !read[e.c.ID] {
					m.State = MessageUnread
					t.Unread = append(t.Unread, e.c.ID)
					unreadBy[m.From]++
				}
				if t.With == "" || t.With == practice {
					t.With = m.From
				}
			}
			switch m.State {
			case MessageWaiting:
				inbox.Waiting++
			case MessageFailed:
				inbox.Failed++
			}
			t.Messages = append(t.Messages, m)
		}
		if t.With == "" {
			t.With = firstNonEmpty(t.Messages[0].To, practice)
		}
		t.Latest = t.Messages[len(t.Messages)-1].Sent
		inbox.Unread += len(t.Unread)
		inbox.Threads = append(inbox.Threads, *t)
	}
	sort.SliceStable(inbox.Threads, func(i, j int) bool { return inbox.Threads[i].Latest.After(inbox.Threads[j].Latest) })
	for from, n := range unreadBy {
		inbox.UnreadBy = append(inbox.UnreadBy, UnreadCount{From: from, Count: n})
	}
	sort.Slice(inbox.UnreadBy, func(i, j int) bool {
		a, b := inbox.UnreadBy[i], inbox.UnreadBy[j]
		return a.Count > b.Count || a.Count == b.Count && a.From < b.From
	})
	return inbox
}

// threadKey is the thread an entry belongs to.
func threadKey(e entry) string {
	if !e.c.Thread.IsZero() {
		return "Communication/" + strings.TrimPrefix(e.c.Thread.Reference, "Communication/")
	}
	if e.local {
		return "local-" + strconv.FormatInt(e.item.Seq, 10)
	}
	return e.c.Key()
}

// before orders the messages of a thread: by time, and within the same
// second a message before the one that answers it, then by the server's
// write time.
func before(a, b entry) bool {
	ta, tb := entryTime(a), entryTime(b)
	switch {
	case !ta.Equal(tb):
		return ta.Before(tb)
	case b.c.InResponseTo.Reference != "" && b.c.InResponseTo.Reference == a.c.Key():
		return true
	case a.c.InResponseTo.Reference != "" && a.c.InResponseTo.Reference == b.c.Key():
		return false
	}
	return a.c.LastUpdated.Before(b.c.LastUpdated)
}

// entryTime orders messages: when sent, else when the server last wrote
// it, else when it was stored here.
func entryTime(e entry) time.Time {
	if d := e.c.Date(); !d.IsZero() {
		return d.Time
	}
	if !e.c.LastUpdated.IsZero() {
		return e.c.LastUpdated
	}
	if e.item != nil {
		return e.item.CreatedAt
	}
	return time.Time{}
}

// patientState sets the state of one of the patient's messages: from its
// outbox item until the practice has it, then from the server's copy and
// what the practice wrote after it.
func patientState(m *Message, e entry, entries []entry, thread []int, patientSide func(record.Communication) bool) {
	if e.local {
		switch e.item.Status {
		case storage.OutboxFailed, storage.OutboxConflict:
			m.State, m.Error = MessageFailed, firstNonEmpty(outboxWords(e.item.LastError), i18n.L("The practice refused this message."))
		default:
			m.State = MessageWaiting
			m.UploadCut = outbox.UploadCut(*e.item) && !mayHaveReached(*e.item)
		}
		return
	}
	m.State = MessageSent
	if !e.c.Received.IsZero() {
		m.State, m.ReadAt = MessageRead, e.c.Received.Time
	}
	sent := entryTime(e)
	for _, i := range thread {
		o := entries[i]
		if o.local || patientSide(o.c) {
			continue
		}
		if o.c.InResponseTo.Reference == e.c.Key() || entryTime(o).After(sent) {
			m.State, m.AnsweredAt = MessageAnswered, entryTime(o)
			return
		}
	}
}

// messageName is how a message calls a party: its name in the record,
// else the reference's display, else fallback.
func messageName(c *record.Chart, r record.Ref, fallback string) string {
	if r.IsZero() {
		return fallback
	}
	return firstNonEmpty(c.Name(r), r.Display, fallback)
}

func recipientNames(c *record.Chart, refs []record.Ref) string {
	var names []string
	for _, r := range refs {
		if n := messageName(c, r, ""); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// decodeMessage decodes a Communication the server returned.
func decodeMessage(body []byte) (record.Communication, bool) {
	h := struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}{}
	if err := json.Unmarshal(body, &h); err != nil || h.ResourceType != "Communication" {
		return record.Communication{}, false
	}
	return record.DecodeCommunication(record.Resource{Type: "Communication", ID: h.ID, JSON: body}), true
}

// messageTypes are what the inbox reads of a record: the messages, the
// patient (whose side wrote what) and the people who write; sorted, as
// loadChart takes them.
var messageTypes = []string{"CareTeam", "Communication", "Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"}

// messagesChart is the record as far as messages need it: only
// messageTypes (a long record is mostly results the inbox does not need),
// read as a stream; the files of messages stay in the cache.
func (a *App) messagesChart(ctx context.Context, profileID string) (*record.Chart, error) {
	c, err := a.loadChart(ctx, profileID, messageTypes, nil)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return c, nil
}

// valueAnnounced lists (JSON) the ids of the practice's messages already
// announced with NewMessages.
const valueAnnounced = "messages-announced"

// announceNewMessages publishes NewMessages for the practice's messages
// that are unread and not announced before. It reads only the messages
// and the people of the cache, not the whole record. During the first
// sync of a profile it only records what is there.
func (a *App) announceNewMessages(ctx context.Context, profileID string) error {
	c, err := a.messagesChart(ctx, profileID)
	if err != nil {
		return fmt.Errorf("announce messages: %w", err)
	}
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("announce messages: %w", err)
	}
	read := readSet(p)
	var announced []string
	first := false
	if b, err := a.store.Value(ctx, profileID, valueAnnounced); err == nil {
		if err := json.Unmarshal(b, &announced); err != nil {
			first = true
		}
	} else if errors.Is(err, storage.ErrNotFound) {
		first = p.Settings[settingLastSync] == "" // the first sync brings the old messages
	} else {
		return fmt.Errorf("announce messages: %w", err)
	}
	done := map[string]bool{}
	for _, id := range announced {
		done[id] = true
	}
	var ev NewMessages
	for _, m := range c.Communications {
		if m.Status == "entered-in-error" || (m.Text == "" && len(m.Attachments) == 0) || c.FromPatientSide(m) ||
			read[m.ID] || done[m.ID] {
			continue
		}
		done[m.ID] = true
		announced = append(announced, m.ID)
		ev.IDs = append(ev.IDs, m.ID)
		ev.From = append(ev.From, messageName(c, m.Sender, i18n.L("Your practice")))
	}
	if len(ev.IDs) == 0 && !first {
		return nil
	}
	b, err := json.Marshal(announced)
	if err != nil {
		return fmt.Errorf("announce messages: %w", err)
	}
	if err := a.store.PutValue(ctx, profileID, valueAnnounced, b); err != nil {
		return fmt.Errorf("announce messages: %w", err)
	}
	if !first && len(ev.IDs) > 0 {
		ev.ProfileID = profileID
		a.bus.Publish(ev)
	}
	return nil
}
