package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/carebook/carebook/storage"
)

// What the patient types in a form other than a message's (a request's
// fields, a booking's reason, the answers to a visit's questions, the
// reason for cancelling a visit) is a form draft: kept sealed in the
// profile's values as a message draft is, under a key that says which
// form it belongs to (RequestDraftKey, BookingDraftKey,
// QuestionsDraftKey, CancelDraftKey), until the request or booking it
// was written for is stored to be sent (its DraftKey; a cancellation's,
// by Cancel) or the patient discards it. Value names are sealed, so an
// index value names every form draft's key, written in the same
// transaction as the draft (Unsent lists them).

// formDraftIndexName is the value listing the keys of the profile's form
// drafts.
const formDraftIndexName = "form-drafts"

// formDraftName is the storage value name of a form draft.
func formDraftName(key string) string { return "form-draft/" + key }

// BookingDraftKey is the key of the draft of a new booking's reason: one
// per profile, whichever time the patient picks.
const BookingDraftKey = "booking"

// RequestDraftKey is the key of the draft of a request of kind about the
// record entry about ("Type/id", or "" for none): the form of the same
// request finds it again.
func RequestDraftKey(kind RequestKind, about string) string {
	return "request/" + string(kind) + "/" + strings.TrimSpace(about)
}

// QuestionsDraftKey is the key of the draft of the answers to the
// questions questionnaire ("Questionnaire/id") appointment appointmentID
// asks.
func QuestionsDraftKey(appointmentID, questionnaire string) string {
	return questionsDraftPrefix + appointmentID + "/" + questionnaire
}

const questionsDraftPrefix = "questions/"

// CancelDraftKey is the key of the draft of the reason for cancelling
// appointment appointmentID (the practice's id). Cancel removes it once
// the cancellation is stored.
func CancelDraftKey(appointmentID string) string { return cancelDraftPrefix + appointmentID }

const cancelDraftPrefix = "cancel/"

// FormDraft is what the patient wrote in a form and has not sent yet.
type FormDraft struct {
	// Text is the form's main words: what a referral is for, the reason
	// for a visit.
	Text string `json:"text,omitempty"`
	// Wrong and ShouldSay are a correction's.
	Wrong     string `json:"wrong,omitempty"`
	ShouldSay string `json:"should_say,omitempty"`
	// Note is the note for the office.
	Note string `json:"note,omitempty"`
	// Pharmacy is the pharmacy a refill goes to (RequestInput.Pharmacy):
	// a choice, kept with the words.
	Pharmacy string `json:"pharmacy,omitempty"`
	// Answers are a visit's questions' answers by linkId, as the form
	// shows them (a choice's text, a date as it was typed).
	Answers map[string]string `json:"answers,omitempty"`
	// Saved is when SaveFormDraft last kept it.
	Saved time.Time `json:"saved,omitzero"`
}

// IsEmpty reports whether no words were written in d (a pharmacy chosen
// alone is not worth keeping).
func (d FormDraft) IsEmpty() bool { return d.Words() == "" }

// Words are d's words, one field (or answer, in the order of their
// linkIds) a line, for a list of what was not sent.
func (d FormDraft) Words() string {
	fields := []string{d.Text, d.Wrong, d.ShouldSay, d.Note}
	for _, link := range slices.Sorted(maps.Keys(d.Answers)) {
		fields = append(fields, d.Answers[link])
	}
	var lines []string
	for _, s := range fields {
		if strings.TrimSpace(s) != "" {
			lines = append(lines, s)
		}
	}
	return strings.Join(lines, "\n")
}

// FormDraft is what the form of in holds, to be kept as its draft.
func (in RequestInput) FormDraft() FormDraft {
	return FormDraft{Text: in.Text, Wrong: in.Wrong, ShouldSay: in.ShouldSay, Note: in.Note, Pharmacy: in.Pharmacy}
}

// SavedFormDraft is a form draft with the key it is kept under.
type SavedFormDraft = savedValue[FormDraft]

// SaveFormDraft keeps d as the form draft under key, sealed with the
// profile; an empty draft (IsEmpty) removes it. It blocks on storage:
// never on the UI goroutine.
func (a *App) SaveFormDraft(ctx context.Context, profileID, key string, d FormDraft) error {
	if d.IsEmpty() {
		return a.DiscardFormDraft(ctx, profileID, key)
	}
	d.Saved = a.cfg.Now().UTC()
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("save form draft: %w", err)
	}
	err = a.store.Update(ctx, profileID, func(tx *storage.Tx) error {
		return putIndexed(tx, formDraftIndexName, key, formDraftName(key), b)
	})
	if err != nil {
		return fmt.Errorf("save form draft: %w", err)
	}
	return nil
}

// FormDraft returns the form draft kept under key; ok is false when there
// is none. It blocks on storage.
func (a *App) FormDraft(ctx context.Context, profileID, key string) (d FormDraft, ok bool, err error) {
	d, ok, err = readValue[FormDraft](ctx, a.store, profileID, formDraftName(key))
	if err != nil {
		return FormDraft{}, false, fmt.Errorf("read form draft: %w", err)
	}
	return d, ok, nil
}

// FormDrafts lists the profile's form drafts, the latest saved first.
func (a *App) FormDrafts(ctx context.Context, profileID string) ([]SavedFormDraft, error) {
	ds, err := readDrafts(ctx, a.store, profileID, formDraftIndexName, formDraftName, func(d FormDraft) time.Time { return d.Saved })
	if err != nil {
		return nil, fmt.Errorf("form drafts: %w", err)
	}
	return ds, nil
}

// DiscardFormDraft removes the form draft kept under key, if any.
func (a *App) DiscardFormDraft(ctx context.Context, profileID, key string) error {
	err := a.store.Update(ctx, profileID, func(tx *storage.Tx) error {
		return deleteIndexed(tx, formDraftIndexName, key, formDraftName(key))
	})
	if err != nil {
		return fmt.Errorf("discard form draft: %w", err)
	}
	return nil
}

// discardFormDraftOnceStored is what submitCreateThen calls once the
// request or booking written in the form of key is in the outbox: its
// draft goes, before the item is sent (a lock or error on the way cannot
// leave it behind to be sent again). Best effort: the item is safe in the
// outbox, and a failure leaves the draft listed. nil for no key.
func (a *App) discardFormDraftOnceStored(profileID, key string) func(context.Context) {
	if key == "" {
		return nil
	}
	return func(ctx context.Context) { _ = a.DiscardFormDraft(ctx, profileID, key) }
}
