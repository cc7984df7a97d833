package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
)

// ErrUnsent means an operation would lose what the patient wrote and has
// not sent yet (messages, bookings, requests). errors.As(err, *UnsentError)
// gives the items, so the patient can see, copy or send them first. CLI
// exit 2.
var ErrUnsent = errors.New("app: there are items that were not sent")

// UnsentError lists the outbox items an operation would lose.
type UnsentError struct {
	Items []OutboxEntry
	// AccessEnded says the practice ended this access to the record:
	// what waits there cannot be sent unless it gives the access back.
	AccessEnded bool
}

func (e *UnsentError) Error() string {
	return fmt.Sprintf("%s (%d)", ErrUnsent.Error(), len(e.Items))
}

// Is makes errors.Is(err, ErrUnsent) true.
func (e *UnsentError) Is(target error) bool { return target == ErrUnsent }

// unsentStates are the outbox states whose items have not reached the
// practice: waiting, refused, or in conflict.
var unsentStates = []storage.OutboxStatus{storage.OutboxPending, storage.OutboxFailed, storage.OutboxConflict}

// KindDraft is the Kind of an entry of Unsent that stands for a message
// draft: written, never sent, not in the outbox (its Seq is 0).
const KindDraft = "draft"

// KindFormDraft is the Kind of an entry of Unsent that stands for a form
// draft (a request's words, a booking's reason): written, never sent, not
// in the outbox (its Seq is 0). Its Type is that of what the form would
// send: "Task", "Appointment" or "QuestionnaireResponse".
const KindFormDraft = "form-draft"

// Unsent lists what the patient wrote that has not reached the practice:
// the profile's outbox items waiting, refused or in conflict, oldest
// first, then its message drafts with words or files in them (Kind
// KindDraft), then its form drafts (KindFormDraft), the latest saved
// first.
func (a *App) Unsent(ctx context.Context, profileID string) ([]OutboxEntry, error) {
	items, err := a.store.Outbox(ctx, profileID, unsentStates...)
	if err != nil {
		return nil, fmt.Errorf("unsent items: %w", err)
	}
	drafts, err := a.Drafts(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("unsent items: %w", err)
	}
	out := make([]OutboxEntry, 0, len(items)+len(drafts))
	for _, it := range items {
		out = append(out, outboxEntry(it))
	}
	for _, d := range drafts {
		if !d.Draft.IsEmpty() {
			out = append(out, draftEntry(d.Draft))
		}
	}
	forms, err := a.FormDrafts(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("unsent items: %w", err)
	}
	for _, d := range forms {
		out = append(out, formDraftEntry(d))
	}
	return out, nil
}

// formDraftEntry is a form draft as an entry of Unsent: its words are
// those of a Task's description or an Appointment's comment, where Text
// finds them.
func formDraftEntry(d SavedFormDraft) OutboxEntry {
	typ, id, field := "Task", "", "description"
	switch {
	case d.Key == BookingDraftKey:
		typ, field = "Appointment", "comment"
	case strings.HasPrefix(d.Key, cancelDraftPrefix):
		// A change of the appointment: its ID says which.
		typ, id, field = "Appointment", strings.TrimPrefix(d.Key, cancelDraftPrefix), "comment"
	case strings.HasPrefix(d.Key, questionsDraftPrefix):
		typ = "QuestionnaireResponse"
	}
	b, _ := json.Marshal(map[string]string{field: d.Draft.Words()}) // strings only: cannot fail
	return OutboxEntry{LocalID: KindFormDraft, Kind: KindFormDraft, Op: KindFormDraft, Type: typ, ID: id, Resource: b,
		CreatedAt: d.Draft.Saved, UpdatedAt: d.Draft.Saved}
}

// draftEntry is a draft as an entry of Unsent: its Resource holds its
// subject, text and the names of its files where Text finds them.
func draftEntry(d Draft) OutboxEntry {
	type content struct {
		ContentString string `json:"contentString"`
	}
	var r struct {
		Topic struct {
			Text string `json:"text,omitempty"`
		} `json:"topic"`
		Payload []content `json:"payload"`
	}
	r.Topic.Text = d.Subject
	r.Payload = append(r.Payload, content{d.Text})
	for _, f := range d.Attachments {
		r.Payload = append(r.Payload, content{i18n.L("File: {{.Name}}", map[string]any{"Name": f.Name})})
	}
	b, _ := json.Marshal(r) // strings only: cannot fail
	return OutboxEntry{LocalID: KindDraft, Kind: KindDraft, Op: KindDraft, Type: "Communication", Resource: b,
		CreatedAt: d.Saved, UpdatedAt: d.Saved}
}

// Title names an outbox item for people ("Message", "Request", ...).
func (e OutboxEntry) Title() string {
	switch {
	case e.Kind == KindDraft:
		return i18n.L("Message draft")
	case e.Kind == KindFormDraft && e.Type == "Appointment" && e.ID != "":
		return i18n.L("Draft of a reason to cancel a visit")
	case e.Kind == KindFormDraft && e.Type == "Appointment":
		return i18n.L("Draft of a visit's reason")
	case e.Kind == KindFormDraft && e.Type == "QuestionnaireResponse":
		return i18n.L("Draft of answers before a visit")
	case e.Kind == KindFormDraft:
		return i18n.L("Request draft")
	}
	switch e.Type {
	case "Communication":
		return i18n.L("Message")
	case "Appointment":
		return i18n.L("Appointment request")
	case "Task":
		return i18n.L("Request")
	case "Patient":
		return i18n.L("Change of details")
	}
	return i18n.L("Unsent item")
}

// Text is the readable text of what the item sends: a message's subject
// and text, a request's description and notes. "(nothing to read)" when
// it holds no words.
func (e OutboxEntry) Text() string {
	var texts []string
	collectStrings(e.Resource, &texts)
	if len(texts) == 0 {
		return i18n.L("(nothing to read)")
	}
	return strings.Join(texts, "\n")
}

// collectStrings gathers the words a person wrote in a FHIR resource: a
// message's text and subject, a request's description and notes.
func collectStrings(raw []byte, out *[]string) {
	var r struct {
		Topic struct {
			Text string `json:"text"`
		} `json:"topic"`
		Payload []struct {
			ContentString string `json:"contentString"`
		} `json:"payload"`
		Description string `json:"description"`
		Comment     string `json:"comment"`
		Note        []struct {
			Text string `json:"text"`
		} `json:"note"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return
	}
	add := func(s string) {
		if strings.TrimSpace(s) != "" {
			*out = append(*out, s)
		}
	}
	if r.Topic.Text != "" {
		add(i18n.L("Subject: {{.Subject}}", map[string]any{"Subject": r.Topic.Text}))
	}
	for _, pl := range r.Payload {
		add(pl.ContentString)
	}
	add(r.Description)
	add(r.Comment)
	for _, n := range r.Note {
		add(n.Text)
	}
}

// RemoveOptions change what RemoveProfile does.
type RemoveOptions struct {
	// DiscardUnsent removes the profile even when its outbox holds items
	// that have not reached the practice; they are lost with it. Set it
	// only after the patient saw them (UnsentError lists them).
	DiscardUnsent bool
}
