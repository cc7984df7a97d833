package staff

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/audit"
	"github.com/carebook/carebook/practice/store"
)

// message is one Communication as the staff see it.
type message struct {
	res         store.Resource
	m           map[string]any
	thread      string // "Communication/<id>" of the thread header
	patientSide bool   // sent by a Patient or RelatedPerson
	hasPayload  bool
	received    time.Time // zero when not read yet
	order       time.Time // sent, or the server's time of the last write
}

func parseMessage(r store.Resource) (message, error) {
	m, err := decode(r.JSON)
	if err != nil {
		return message{}, fmt.Errorf("staff: decode Communication: %w", err)
	}
	msg := message{res: r, m: m, thread: "Communication/" + r.ID, order: r.LastUpdated}
	if p := refs(m, "partOf"); len(p) > 0 {
		msg.thread = p[0]
	}
	for _, s := range refs(m, "sender") {
		msg.patientSide = strings.HasPrefix(s, "Patient/") || strings.HasPrefix(s, "RelatedPerson/")
	}
	payload, _ := m["payload"].([]any)
	msg.hasPayload = len(payload) > 0
	if t, err := time.Parse(time.RFC3339, str(m, "received")); err == nil {
		msg.received = t
	}
	if t, err := time.Parse(time.RFC3339, str(m, "sent")); err == nil {
		msg.order = t
	}
	return msg, nil
}

func (w *Worker) allMessages(ctx context.Context) ([]message, error) {
	rs, err := w.searchAll(ctx, "Communication", url.Values{"_sort": {"_lastUpdated"}})
	if err != nil {
		return nil, err
	}
	var out []message
	var errs []error
	for _, r := range rs {
		msg, err := parseMessage(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, msg)
	}
	return out, errors.Join(errs...)
}

// readMessages sets "received" on every unread patient message: the read
// receipt the patient's app shows.
func (w *Worker) readMessages(ctx context.Context, now time.Time) error {
	msgs, err := w.allMessages(ctx)
	var errs []error
	errs = append(errs, err)
	for _, msg := range msgs {
		if !msg.patientSide || !msg.hasPayload || !msg.received.IsZero() {
			continue
		}
		errs = append(errs, w.st.InTx(ctx, func(tx *store.Tx) error {
			r, m, err := readIn(ctx, tx, "Communication", msg.res.ID)
			if err != nil {
				return err
			}
			if _, read := m["received"]; read {
				return nil
			}
			m["received"] = instant(now)
			return updateIn(ctx, tx, r, m)
		}))
	}
	return errors.Join(errs...)
}

// answerMessages replies in every thread whose latest message is a patient's,
// read at least Delay ago.
func (w *Worker) answerMessages(ctx context.Context, now time.Time) error {
	msgs, err := w.allMessages(ctx)
	errs := []error{err}
	latest := map[string]message{}
	var threads []string
	replied := map[string]bool{}
	for _, msg := range msgs {
		for _, r := range refs(msg.m, "inResponseTo") {
			if !msg.patientSide {
				replied[r] = true
			}
		}
		if !msg.hasPayload {
			continue
		}
		cur, seen := latest[msg.thread]
		if !seen {
			threads = append(threads, msg.thread)
		}
		if !seen || !msg.order.Before(cur.order) {
			latest[msg.thread] = msg
		}
	}
	for _, thread := range threads {
		msg := latest[thread]
		if !msg.patientSide || msg.received.IsZero() || !w.due(msg.received, now) ||
			replied["Communication/"+msg.res.ID] {
			continue
		}
		var events []audit.Event
		err := w.st.InTx(ctx, func(tx *store.Tx) error {
			var err error
			events, err = w.reply(ctx, tx, msg, now)
			return err
		})
		if err == nil {
			err = w.audit(ctx, events)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// reply writes the practice's answer to msg: from the clinician it was sent
// to (or the patient's own clinician, or the practice), to its sender, in
// the same thread. It returns the AuditEvents of what the practitioner did
// (read the message, wrote the answer), to record once it committed.
func (w *Worker) reply(ctx context.Context, tx *store.Tx, msg message, now time.Time) ([]audit.Event, error) {
	// Check again inside the transaction that nobody answered meanwhile.
	q, _, err := store.ParseQuery("Communication", url.Values{"part-of": {msg.thread}}, false)
	if err != nil {
		return nil, fmt.Errorf("staff: search replies: %w", err)
	}
	q.Count = store.MaxCount
	others, _, err := tx.Search(ctx, "Communication", q)
	if err != nil {
		return nil, fmt.Errorf("staff: search replies: %w", err)
	}
	for _, o := range others {
		om, err := decode(o.JSON)
		if err == nil && o.LastUpdated.After(msg.res.LastUpdated) && str(om, "status") != "entered-in-error" {
			for _, s := range refs(om, "sender") {
				if !strings.HasPrefix(s, "Patient/") && !strings.HasPrefix(s, "RelatedPerson/") {
					return nil, nil
				}
			}
		}
	}
	subject := refs(msg.m, "subject")
	sender := w.replySender(ctx, tx, msg.m, subject)
	if sender == "" {
		return nil, nil // nobody at the practice was addressed; nobody answers
	}
	body := map[string]any{
		"status":       "completed",
		"partOf":       []any{ref(msg.thread)},
		"inResponseTo": []any{ref("Communication/" + msg.res.ID)},
		"sender":       ref(sender),
		"recipient":    []any{ref(refs(msg.m, "sender")[0])},
		"sent":         instant(now),
		"payload":      []any{map[string]any{"contentString": w.replyText(msg)}},
	}
	if len(subject) > 0 {
		body["subject"] = ref(subject[0])
	}
	if topic, ok := msg.m["topic"]; ok {
		body["topic"] = topic
	}
	created, err := createIn(ctx, tx, "Communication", body)
	if err != nil {
		return nil, err
	}
	about := firstOf(subject)
	if about == "" {
		about = refs(msg.m, "sender")[0]
	}
	patient, ok := strings.CutPrefix(about, "Patient/")
	if !ok {
		return nil, nil
	}
	name := practitionerName(ctx, tx, sender)
	return []audit.Event{
		{Time: now, Subtype: audit.Read, Who: sender, WhoName: name, Patient: patient, What: "Communication/" + msg.res.ID},
		{Time: now, Subtype: audit.Create, Who: sender, WhoName: name, Patient: patient, What: "Communication/" + created},
	}, nil
}

func firstOf(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// replySender picks who answers: a clinician the message was sent to, the
// patient's general practitioner, or the practice the message went to.
func (w *Worker) replySender(ctx context.Context, tx *store.Tx, m map[string]any, subject []string) string {
	recipients := refs(m, "recipient")
	for _, r := range recipients {
		if strings.HasPrefix(r, "Practitioner/") || strings.HasPrefix(r, "PractitionerRole/") {
			return r
		}
	}
	if len(subject) > 0 {
		if id, ok := strings.CutPrefix(subject[0], "Patient/"); ok {
			if _, p, err := readIn(ctx, tx, "Patient", id); err == nil {
				if gp := refs(p, "generalPractitioner"); len(gp) > 0 {
					return gp[0]
				}
			}
		}
	}
	if len(recipients) > 0 {
		return recipients[0]
	}
	return ""
}
