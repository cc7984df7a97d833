package record

import "strings"

// Communication is a secure message. Messages of one conversation point to
// the thread's header Communication with partOf; a reply names the message it
// answers with inResponseTo.
type Communication struct {
	Entry
	Thread       Ref // partOf: the thread header
	InResponseTo Ref
	Status       string // lower-cased: "completed", "in-progress", "entered-in-error", …
	Topic        string
	Categories   []string
	Sent         Date
	Received     Date
	Sender       Ref
	Recipients   []Ref
	About        []Ref  // what the message is about (a result, a report)
	Text         string // the text payloads, one paragraph each
	Attachments  []Attachment
	// Identifiers are its business identifiers; an app's client
	// identifier (system urn:ietf:rfc:3986) ties it to what the app sent.
	Identifiers []Identifier
}

// HasIdentifier reports whether the message carries the identifier
// system|value.
func (c Communication) HasIdentifier(system, value string) bool {
	for _, id := range c.Identifiers {
		if id.System == system && id.Value == value {
			return true
		}
	}
	return false
}

type wCommunication struct {
	wBase
	PartOf       []wRef     `json:"partOf"`
	InResponseTo []wRef     `json:"inResponseTo"`
	Status       string     `json:"status"`
	Category     []wConcept `json:"category"`
	Topic        wConcept   `json:"topic"`
	Sent         string     `json:"sent"`
	Received     string     `json:"received"`
	Sender       wRef       `json:"sender"`
	Recipient    []wRef     `json:"recipient"`
	About        []wRef     `json:"about"`
	Identifier   []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Payload []struct {
		ContentString     *string      `json:"contentString"`
		ContentAttachment *wAttachment `json:"contentAttachment"`
		ContentReference  *wRef        `json:"contentReference"`
	} `json:"payload"`
}

// DecodeCommunication decodes a Communication tolerantly; it never fails.
// Its files are in their attachments' Data.
func DecodeCommunication(r Resource) Communication { return decodeCommunication(r, false) }

// decodeCommunication is DecodeCommunication; listing leaves large files
// out (see Attachment.Cached).
func decodeCommunication(r Resource, listing bool) Communication {
	var w wCommunication
	d := begin(r, &w)
	d.listing = listing
	c := Communication{
		Status:     lower(w.Status),
		Topic:      d.concept(w.Topic).String(),
		Categories: d.conceptNames(w.Category),
		Sent:       d.date(w.Sent),
		Received:   d.date(w.Received),
		Sender:     d.ref(w.Sender),
		Recipients: d.refs(w.Recipient),
		About:      d.refs(w.About),
	}
	for _, id := range w.Identifier {
		if v := strings.TrimSpace(id.Value); v != "" {
			c.Identifiers = append(c.Identifiers, Identifier{System: strings.TrimSpace(id.System), Value: v})
		}
	}
	if refs := d.refs(w.PartOf); len(refs) > 0 {
		c.Thread = refs[0]
	}
	if refs := d.refs(w.InResponseTo); len(refs) > 0 {
		c.InResponseTo = refs[0]
	}
	var paragraphs []string
	for _, p := range w.Payload {
		switch {
		case p.ContentString != nil:
			if t := strings.TrimSpace(*p.ContentString); t != "" {
				paragraphs = append(paragraphs, t)
			}
		case p.ContentAttachment != nil:
			c.Attachments = append(c.Attachments, d.attachment(*p.ContentAttachment))
		case p.ContentReference != nil:
			if ref := d.ref(*p.ContentReference); ref.Display != "" {
				paragraphs = append(paragraphs, ref.Display)
			}
		}
	}
	c.Text = strings.Join(paragraphs, "\n\n")
	if c.Sent.IsZero() {
		c.Sent = d.fallbackDate("sent", "received")
	}
	c.Entry = d.entry()
	return c
}

// Date is when the message was sent, else received.
func (c Communication) Date() Date { return firstDate(c.Sent, c.Received) }

// Task is a request the patient made (a refill, a copy of a report, a
// correction) and its progress at the practice.
type Task struct {
	Entry
	Code           string // what is asked, e.g. "Refill"
	CodeConcept    Concept
	Description    string
	Status         string // lower-cased: "requested", "accepted", "in-progress", "completed", …
	BusinessStatus string // the practice's own words for where it stands
	StatusReason   string
	Intent         string
	Focus          Ref // e.g. the MedicationRequest to refill
	For            Ref
	Requester      Ref
	Owner          Ref
	AuthoredOn     Date
	LastModified   Date
	Notes          []string
	Identifiers    []Identifier
	Inputs         []TaskValue // what goes with the request (a refill's pharmacy)
	Outputs        []TaskValue // what the practice produced (a renewed prescription, a document)
}

// TaskValue is one input or output of a Task: its type and a reference
// or a text.
type TaskValue struct {
	Type Concept
	Ref  Ref
	Text string
}

// HasIdentifier reports whether t carries the identifier system|value.
func (t Task) HasIdentifier(system, value string) bool {
	for _, id := range t.Identifiers {
		if id.System == system && id.Value == value {
			return true
		}
	}
	return false
}

// Open reports whether the task still awaits an outcome.
func (t Task) Open() bool {
	switch t.Status {
	case "completed", "rejected", "cancelled", "entered-in-error", "failed":
		return false
	}
	return true
}

type wTask struct {
	wBase
	Status         string        `json:"status"`
	StatusReason   wConcept      `json:"statusReason"`
	BusinessStatus wConcept      `json:"businessStatus"`
	Intent         string        `json:"intent"`
	Code           wConcept      `json:"code"`
	Description    string        `json:"description"`
	Focus          wRef          `json:"focus"`
	For            wRef          `json:"for"`
	AuthoredOn     string        `json:"authoredOn"`
	LastModified   string        `json:"lastModified"`
	Requester      wRef          `json:"requester"`
	Owner          wRef          `json:"owner"`
	Note           []wAnnotation `json:"note"`
	Identifier     []wIdentifier `json:"identifier"`
	Input          []wTaskValue  `json:"input"`
	Output         []wTaskValue  `json:"output"`
}

type wTaskValue struct {
	Type           wConcept `json:"type"`
	ValueReference *wRef    `json:"valueReference"`
	ValueString    string   `json:"valueString"`
	ValueMarkdown  string   `json:"valueMarkdown"`
}

func (d *decoder) taskValues(vs []wTaskValue) []TaskValue {
	var out []TaskValue
	for _, v := range vs {
		tv := TaskValue{Type: d.concept(v.Type), Text: strings.TrimSpace(firstNonEmpty(v.ValueString, v.ValueMarkdown))}
		if v.ValueReference != nil {
			tv.Ref = d.ref(*v.ValueReference)
		}
		out = append(out, tv)
	}
	return out
}

// DecodeTask decodes a Task tolerantly; it never fails.
func DecodeTask(r Resource) Task {
	var w wTask
	d := begin(r, &w)
	t := Task{
		Code:           d.concept(w.Code).String(),
		CodeConcept:    d.concept(w.Code),
		Description:    strings.TrimSpace(w.Description),
		Status:         lower(w.Status),
		BusinessStatus: d.concept(w.BusinessStatus).String(),
		StatusReason:   d.concept(w.StatusReason).String(),
		Intent:         lower(w.Intent),
		Focus:          d.ref(w.Focus),
		For:            d.ref(w.For),
		Requester:      d.ref(w.Requester),
		Owner:          d.ref(w.Owner),
		AuthoredOn:     d.date(w.AuthoredOn),
		LastModified:   d.date(w.LastModified),
		Notes:          d.notes(w.Note),
		Inputs:         d.taskValues(w.Input),
		Outputs:        d.taskValues(w.Output),
	}
	for _, id := range w.Identifier {
		t.Identifiers = append(t.Identifiers, Identifier{System: strings.TrimSpace(id.System), Value: strings.TrimSpace(id.Value)})
	}
	if t.AuthoredOn.IsZero() {
		t.AuthoredOn = d.fallbackDate("authoredOn", "lastModified")
	}
	t.Entry = d.entry()
	return t
}
