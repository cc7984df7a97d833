package app

// Secure messaging: the patient writes to the practice, replies, attaches
// files, asks about a result, and sees where each message stands.
//
// A message is a plain FHIR R4 Communication (status completed, subject the
// patient, sender the signed-in user, recipient someone the practice
// offers, the subject line in topic.text, the text and files as payloads).
// A new message starts a thread and is its header; a reply has partOf the
// header and inResponseTo the message it answers. Every send goes through
// the outbox (submitCreate): stored sealed first, with a client identifier.
//
// The state of a message the patient wrote is derived, never stored: from
// its outbox item until the practice has it (waiting, failed with the
// practice's words), then from the server's copy (sent, read once the
// practice sets Communication.received, answered once the practice writes
// after it in the thread). The server's copy is found in the cache by the
// client identifier it carries, so after a pull the local copy is replaced
// by it, never shown twice.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// settingMessagePolicy keeps the practice's message policy (JSON).
const settingMessagePolicy = "message_policy"

// TopicSystem is the code system of message topics (Communication.category).
const TopicSystem = "http://carebook.app/fhir/CodeSystem/message-topic"

// Topic is what a message is about, so the practice can route it.
type Topic struct{ Code, Label string }

// topicCodes are the codes of the topics a patient chooses from, in the
// order offered.
var topicCodes = []string{"medical", "appointment", "billing", "prescription", "result", "other"}

// MessageTopics returns the topics a patient chooses from, named in the
// current language.
func MessageTopics() []Topic {
	out := make([]Topic, len(topicCodes))
	for i, code := range topicCodes {
		out[i] = Topic{Code: code, Label: topicLabel(code)}
	}
	return out
}

// topicLabel names a topic code in the current language; "" for a code
// that is not a topic.
func topicLabel(code string) string {
	switch code {
	case "medical":
		return i18n.L("Medical question")
	case "appointment":
		return i18n.L("Appointment")
	case "billing":
		return i18n.L("Billing")
	case "prescription":
		return i18n.L("Prescription")
	case "result":
		return i18n.L("Test result")
	case "other":
		return i18n.L("Other")
	}
	return ""
}

// Recipient is someone at the practice the patient may write to.
type Recipient struct {
	Ref  string // "Practitioner/id", "PractitionerRole/id", "Organization/id", "CareTeam/id"
	Name string // "Dr. Anna Park", "Riverside Family Medicine"
	Role string // why they are offered: "Your doctor", "Care team", "Front desk", …
	// Billing says the practice offers this recipient for questions about
	// statements.
	Billing bool
}

// Label is how a recipient is listed: name and role.
func (r Recipient) Label() string {
	if r.Role == "" {
		return r.Name
	}
	return r.Name + " (" + r.Role + ")"
}

// MessageAttachment is a file the patient adds to a message.
type MessageAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// Draft is a message being written: a new one, or a reply when Thread is
// set. Drafts are kept sealed with the profile (SaveDraft) so they survive
// a restart or a lock.
type Draft struct {
	To          string              `json:"to"`    // a Recipient.Ref
	Topic       string              `json:"topic"` // a MessageTopics code
	Subject     string              `json:"subject"`
	Text        string              `json:"text"`
	Attachments []MessageAttachment `json:"attachments,omitempty"`
	// About is what the message asks about ("DiagnosticReport/id"), and
	// AboutName how it is called.
	About     string `json:"about,omitempty"`
	AboutName string `json:"about_name,omitempty"`
	// Thread is the "Communication/id" of the thread header a reply
	// belongs to; InResponseTo the "Communication/id" it answers.
	Thread       string `json:"thread,omitempty"`
	InResponseTo string `json:"in_response_to,omitempty"`
	// DraftKey, when set, names the draft SendMessage removes once the
	// message is stored to be sent.
	DraftKey string `json:"-"`
	// Saved is when SaveDraft last kept it.
	Saved time.Time `json:"saved,omitzero"`
}

// IsEmpty reports whether nothing was written in d.
func (d Draft) IsEmpty() bool {
	return strings.TrimSpace(d.Subject) == "" && strings.TrimSpace(d.Text) == "" && len(d.Attachments) == 0
}

// DraftNew is the key of the draft of a new message; a reply's draft is
// keyed by its thread ("Communication/id").
const DraftNew = "new"

// InvalidMessageError is a message that cannot be sent as written: it
// breaks the practice's limits or lacks something. Problem says what, for
// the patient. It matches ErrInvalidInput.
type InvalidMessageError struct{ Problem string }

func (e *InvalidMessageError) Error() string { return "message: " + e.Problem }

// Unwrap makes errors.Is(err, ErrInvalidInput) true.
func (e *InvalidMessageError) Unwrap() error { return ErrInvalidInput }

func invalidMessage(format string, a ...any) error {
	return &InvalidMessageError{Problem: fmt.Sprintf(format, a...)}
}

// messageProblem is an *InvalidMessageError saying problem, a sentence
// already translated.
func messageProblem(problem string) error {
	return &InvalidMessageError{Problem: problem}
}

// MessageOptions is what the composer offers.
type MessageOptions struct {
	Recipients []Recipient
	Topics     []Topic
	Policy     MessagePolicy
}

// MessageOptions returns the recipients the practice offers, the topics
// and the practice's notice and limits. It reads only the local cache.
func (a *App) MessageOptions(ctx context.Context, profileID string) (MessageOptions, error) {
	c, err := a.ChartOf(ctx, profileID, recipientTypes...)
	if err != nil {
		return MessageOptions{}, fmt.Errorf("message options: %w", err)
	}
	mp, err := a.messagePolicy(ctx, profileID)
	if err != nil {
		return MessageOptions{}, err
	}
	return MessageOptions{Recipients: Recipients(c), Topics: MessageTopics(), Policy: mp}, nil
}

// recipientTypes are what Recipients reads of a record.
var recipientTypes = []string{"CareTeam", "Encounter", "Invoice"}

// recentVisits is how many of the latest visits offer their clinicians as
// recipients.
const recentVisits = 5

// Recipients lists who at the practice the patient may write to, found in
// the record: the patient's own clinicians (Patient.generalPractitioner),
// the members of active care teams, the clinicians of recent visits, and
// the practice itself (front desk, and billing where statements name who
// issued them). Each appears once, with the first reason found.
func Recipients(c *record.Chart) []Recipient {
	var out []Recipient
	seen := map[string]bool{}
	// role is a recipient's reason to be offered: one of the roles below
	// or a care team member's role as the practice wrote it.
	const (
		roleDoctor  = "doctor"
		roleTeam    = "team"
		roleVisit   = "visit"
		roleDesk    = "desk"
		roleBilling = "billing"
	)
	roleText := func(role string) string {
		switch role {
		case roleDoctor:
			return i18n.L("Your doctor")
		case roleTeam:
			return i18n.L("Care team")
		case roleVisit:
			return i18n.L("Recent visit")
		case roleDesk:
			return i18n.L("Front desk")
		case roleBilling:
			return i18n.L("Billing")
		}
		return role
	}
	add := func(ref record.Ref, role string) {
		switch ref.TargetType() {
		case "Practitioner", "PractitionerRole", "Organization", "CareTeam":
		default:
			return
		}
		key := ref.Reference + "|" + role
		if seen[ref.Reference] && role != roleBilling || seen[key] {
			return
		}
		name := strings.TrimSpace(c.Name(ref))
		if name == "" {
			return // nobody the patient could recognise
		}
		seen[ref.Reference], seen[key] = true, true
		out = append(out, Recipient{Ref: ref.Reference, Name: name, Role: roleText(role), Billing: role == roleBilling})
	}
	pt, _ := c.Patient()
	for _, gp := range pt.GeneralPractitioners {
		add(gp, roleDoctor)
	}
	for _, team := range c.CareTeams {
		if team.Status != "" && team.Status != "active" {
			continue
		}
		for _, m := range team.Members {
			add(m.Member, firstNonEmpty(m.Role, roleTeam))
		}
	}
	visits := append([]record.Encounter(nil), c.Encounters...)
	sort.SliceStable(visits, func(i, j int) bool { return visits[i].Period.Start.After(visits[j].Period.Start) })
	for i, e := range visits {
		if i == recentVisits {
			break
		}
		for _, p := range e.Participants {
			add(p, roleVisit)
		}
	}
	var orgs []record.Ref
	if !pt.ManagingOrganization.IsZero() {
		orgs = append(orgs, pt.ManagingOrganization)
	}
	for _, e := range visits {
		if !e.Provider.IsZero() {
			orgs = append(orgs, e.Provider)
		}
	}
	for _, o := range orgs {
		add(o, roleDesk)
	}
	for _, inv := range c.Invoices {
		if !inv.Issuer.IsZero() {
			add(inv.Issuer, roleBilling)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// AttachmentFromFile names and types a file the patient picked: its MIME
// type from its name (else from its first bytes).
func AttachmentFromFile(name string, data []byte) MessageAttachment {
	ct := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	if ct == "" {
		ct = sniffType(data)
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return MessageAttachment{Name: filepath.Base(name), ContentType: strings.ToLower(strings.TrimSpace(ct)), Data: data}
}

func sniffType(data []byte) string {
	switch {
	case len(data) >= 5 && string(data[:5]) == "%PDF-":
		return "application/pdf"
	case len(data) >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff:
		return "image/jpeg"
	case len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	case len(data) >= 12 && string(data[4:12]) == "ftypheic":
		return "image/heic"
	case utf8.Valid(data):
		return "text/plain"
	}
	return "application/octet-stream"
}

// CheckMessage checks d against the practice's policy mp. It returns an
// *InvalidMessageError saying the first problem, or nil.
func CheckMessage(d Draft, mp MessagePolicy) error {
	if d.Thread == "" {
		if d.To == "" {
			return messageProblem(i18n.L("Choose who the message is for."))
		}
		if strings.TrimSpace(d.Subject) == "" {
			return messageProblem(i18n.L("Write a subject."))
		}
	}
	if strings.TrimSpace(d.Text) == "" && len(d.Attachments) == 0 {
		return messageProblem(i18n.L("Write a message or add a file."))
	}
	if n := utf8.RuneCountInString(d.Text); mp.MaxText > 0 && n > mp.MaxText {
		return messageProblem(i18n.L("The message is {{.Length}} characters long; your practice accepts at most {{.Max}}. Please shorten it.",
			map[string]any{"Length": locfmt.Current().Number(float64(n), 0), "Max": locfmt.Current().Number(float64(mp.MaxText), 0)}))
	}
	if mp.MaxAttachments > 0 && len(d.Attachments) > mp.MaxAttachments {
		return messageProblem(i18n.N("Your practice accepts at most {{.Count}} files with a message.", mp.MaxAttachments,
			map[string]any{"Count": mp.MaxAttachments}))
	}
	for _, f := range d.Attachments {
		if mp.MaxAttachmentBytes > 0 && int64(len(f.Data)) > mp.MaxAttachmentBytes {
			return messageProblem(i18n.L("{{.File}} is {{.Size}}; your practice accepts files of at most {{.Max}}.",
				map[string]any{"File": f.Name, "Size": SizeText(int64(len(f.Data))), "Max": SizeText(mp.MaxAttachmentBytes)}))
		}
		if len(f.Data) == 0 {
			return messageProblem(i18n.L("{{.File}} is empty.", map[string]any{"File": f.Name}))
		}
		if len(mp.AttachmentTypes) > 0 && !containsFold(mp.AttachmentTypes, f.ContentType) {
			return messageProblem(i18n.L("{{.File}} can't be sent: your practice accepts {{.Types}}.",
				map[string]any{"File": f.Name, "Types": TypesText(mp.AttachmentTypes)}))
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// SizeText says a size in bytes for people: "5 MB", "1.5 MB", "300 KB".
func SizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return locfmt.Current().Number(float64(n)/(1<<20), 1) + " MB"
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	default:
		return i18n.N("{{.Count}} bytes", int(n), map[string]any{"Count": n})
	}
}

// TypesText names MIME types for people: "PDF, JPEG, PNG or text files".
func TypesText(types []string) string {
	var names []string
	for _, t := range types {
		name := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(t, "application/"), "image/"), "text/"))
		if name == "PLAIN" {
			name = i18n.L("text")
		}
		names = append(names, name)
	}
	switch len(names) {
	case 0:
		return i18n.L("any file")
	case 1:
		return i18n.L("{{.Type}} files", map[string]any{"Type": names[0]})
	}
	return i18n.L("{{.Types}} or {{.Last}} files",
		map[string]any{"Types": strings.Join(names[:len(names)-1], ", "), "Last": names[len(names)-1]})
}

// buildMessage is the Communication the practice receives for d.
func buildMessage(d Draft, patientID, sender, recipientName string, now time.Time) ([]byte, error) {
	m := map[string]any{
		"resourceType": "Communication",
		"status":       "completed",
		"subject":      map[string]any{"reference": "Patient/" + patientID},
		"sender":       map[string]any{"reference": sender},
		"sent":         now.UTC().Format(time.RFC3339),
	}
	to := map[string]any{"reference": d.To}
	if recipientName != "" {
		to["display"] = recipientName
	}
	if d.To != "" {
		m["recipient"] = []any{to}
	}
	if label := topicLabel(d.Topic); label != "" {
		m["category"] = []any{map[string]any{
			"coding": []any{map[string]any{"system": TopicSystem, "code": d.Topic, "display": label}},
			"text":   label,
		}}
	}
	if s := strings.TrimSpace(d.Subject); s != "" {
		m["topic"] = map[string]any{"text": s}
	}
	if d.About != "" {
		about := map[string]any{"reference": d.About}
		if d.AboutName != "" {
			about["display"] = d.AboutName
		}
		m["about"] = []any{about}
	}
	if d.Thread != "" {
		m["partOf"] = []any{map[string]any{"reference": d.Thread}}
	}
	if d.InResponseTo != "" {
		m["inResponseTo"] = []any{map[string]any{"reference": d.InResponseTo}}
	}
	var payload []any
	if t := strings.TrimSpace(d.Text); t != "" {
		payload = append(payload, map[string]any{"contentString": t})
	}
	for _, f := range d.Attachments {
		payload = append(payload, map[string]any{"contentAttachment": map[string]any{
			"contentType": f.ContentType,
			"title":       f.Name,
			"size":        len(f.Data),
			"data":        base64.StdEncoding.EncodeToString(f.Data),
			"creation":    now.UTC().Format(time.RFC3339),
		}})
	}
	m["payload"] = payload
	return json.Marshal(m)
}

// draftOf reads a message the app built back into a draft (to edit a
// message the practice refused).
func draftOf(resource []byte) (Draft, error) {
	c := record.DecodeCommunication(record.Resource{Type: "Communication", JSON: resource})
	var w struct {
		Category []struct {
			Coding []struct{ System, Code string } `json:"coding"`
		} `json:"category"`
		Payload []struct {
			ContentString *string `json:"contentString"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(resource, &w); err != nil {
		return Draft{}, fmt.Errorf("read message: %w", err)
	}
	d := Draft{Subject: c.Topic, Thread: c.Thread.Reference, InResponseTo: c.InResponseTo.Reference}
	var texts []string
	for _, p := range w.Payload {
		if p.ContentString != nil {
			texts = append(texts, *p.ContentString)
		}
	}
	d.Text = strings.Join(texts, "\n\n")
	if len(c.Recipients) > 0 {
		d.To = c.Recipients[0].Reference
	}
	if len(c.About) > 0 {
		d.About, d.AboutName = c.About[0].Reference, c.About[0].Display
	}
	for _, cat := range w.Category {
		for _, cd := range cat.Coding {
			if cd.System == TopicSystem {
				d.Topic = cd.Code
			}
		}
	}
	for _, f := range c.Attachments {
		d.Attachments = append(d.Attachments, MessageAttachment{Name: f.Title, ContentType: f.ContentType, Data: f.Data})
	}
	return d, nil
}

// SendMessage checks d against the practice's limits and sends it through
// the outbox: a new message, or a reply when d.Thread is set. Outcomes are
// those of every action (see submitCreate): nil (the practice has it;
// Submitted.Ref names its copy), ErrQueued, ErrRefused, ErrNeedsSignIn;
// an *InvalidMessageError (ErrInvalidInput) or storage.ErrLocked store
// nothing. Once stored, the draft d.DraftKey is removed.
func (a *App) SendMessage(ctx context.Context, profileID string, d Draft) (Submitted, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("send message: %w", err)
	}
	mp, err := a.messagePolicy(ctx, profileID)
	if err != nil {
		return Submitted{}, err
	}
	if err := CheckMessage(d, mp); err != nil {
		return Submitted{}, err
	}
	c, err := a.messagesChart(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("send message: %w", err)
	}
	if d.Thread != "" && d.To == "" {
		d.To = replyRecipient(c, d.Thread)
	}
	if d.To == "" {
		return Submitted{}, messageProblem(i18n.L("Choose who the message is for."))
	}
	switch (record.Ref{Reference: d.To}).TargetType() {
	case "Practitioner", "PractitionerRole", "Organization", "CareTeam":
	default:
		return Submitted{}, messageProblem(i18n.L("Messages go to someone at the practice ({{.To}} is not).", map[string]any{"To": d.To}))
	}
	sender := "Patient/" + p.PatientID
	if u := p.Settings[settingFHIRUser]; u != "" {
		sender = u
	}
	body, err := buildMessage(d, p.PatientID, sender, strings.TrimSpace(c.Name(record.Ref{Reference: d.To})), a.cfg.Now())
	if err != nil {
		return Submitted{}, fmt.Errorf("send message: %w", err)
	}
	var discardDraft func(context.Context)
	if d.DraftKey != "" {
		discardDraft = func(ctx context.Context) {
			// Best effort: the message is safe in the outbox. The draft
			// goes before the message is sent, so that a lock or an
			// error on the way cannot leave it behind to be sent again;
			// only a failure of this write does (then it is listed).
			_ = a.DiscardDraft(ctx, profileID, d.DraftKey)
		}
	}
	sub, err := a.submitCreateThen(ctx, profileID, outbox.KindMessage, body, discardDraft)
	if Stored(err) {
		a.bus.Publish(MessagesChanged{ProfileID: profileID})
	}
	return sub, err
}

// Stored reports whether an action's outcome (SendMessage, SendRequest,
// Book, ...) means the item is safe in the outbox: sent, waiting to be
// sent (ErrQueued, also when the practice ended the access as it was
// sent), refused and kept to be shown, or waiting for a sign-in. Any other
// error means nothing was stored: what the patient wrote is still theirs.
func Stored(err error) bool {
	return err == nil || errors.Is(err, ErrQueued) || errors.Is(err, ErrRefused) || errors.Is(err, ErrNeedsSignIn)
}

// replyRecipient is who a reply in thread goes to: the latest person of
// the practice who wrote in it, else whom its first message was sent to.
func replyRecipient(c *record.Chart, thread string) string {
	patientSide := patientSideFunc(c)
	var latest record.Communication
	var first string
	for _, m := range c.Communications {
		if m.Key() != thread && m.Thread.Reference != thread {
			continue
		}
		if patientSide(m) {
			if first == "" && len(m.Recipients) > 0 {
				first = m.Recipients[0].Reference
			}
			continue
		}
		if latest.ID == "" || m.Date().After(latest.Date()) {
			latest = m
		}
	}
	if latest.ID != "" && latest.Sender.TargetType() != "" {
		return latest.Sender.Reference
	}
	return first
}

// patientSideFunc tells messages of the patient (or someone for them)
// from the practice's.
func patientSideFunc(c *record.Chart) func(record.Communication) bool {
	return func(m record.Communication) bool { return c.FromPatientSide(m) }
}

// ReplyDraft starts a reply to the message communicationID (its server
// id): in its thread, answering it, to the practice member who wrote it
// (or to whom the patient wrote).
func (a *App) ReplyDraft(ctx context.Context, profileID, communicationID string) (Draft, error) {
	c, err := a.messagesChart(ctx, profileID)
	if err != nil {
		return Draft{}, fmt.Errorf("reply: %w", err)
	}
	key := "Communication/" + strings.TrimPrefix(communicationID, "Communication/")
	for _, m := range c.Communications {
		if m.Key() != key {
			continue
		}
		thread := m.Key()
		if !m.Thread.IsZero() {
			thread = m.Thread.Reference
		}
		d := Draft{Thread: thread, InResponseTo: key, Subject: m.Topic}
		if !c.FromPatientSide(m) && m.Sender.TargetType() != "" {
			d.To = m.Sender.Reference
		} else {
			d.To = replyRecipient(c, thread)
		}
		return d, nil
	}
	return Draft{}, messageProblem(i18n.L("There is no message {{.ID}} in this record (sync first if it is new).", map[string]any{"ID": communicationID}))
}

// AskAboutResult starts a new message about a result or report (ref,
// "DiagnosticReport/id" or "Observation/id"): its subject names it, the
// topic is "Test result", and it goes to the patient's doctor (else the
// first recipient offered). The message refers to it (Communication.about).
func (a *App) AskAboutResult(ctx context.Context, profileID, ref string) (Draft, error) {
	c, err := a.chartWithRefs(ctx, profileID, recipientTypes, func(*record.Chart) []string { return []string{ref} })
	if err != nil {
		return Draft{}, fmt.Errorf("ask about result: %w", err)
	}
	name, when := "", record.Date{}
	for _, r := range c.Reports {
		if r.Key() == ref {
			name, when = r.Name, r.Date()
		}
	}
	for _, o := range c.Observations {
		if o.Key() == ref {
			name, when = o.Name, o.Date()
		}
	}
	if name == "" {
		return Draft{}, messageProblem(i18n.L("There is no result {{.Ref}} in this record.", map[string]any{"Ref": ref}))
	}
	aboutName := name
	if !when.IsZero() {
		aboutName = i18n.L("{{.Name}} of {{.Date}}", map[string]any{"Name": name, "Date": locfmt.Current().Date(when.Time)})
	}
	d := Draft{Topic: "result", Subject: i18n.L("Question about my {{.What}}", map[string]any{"What": aboutName}), About: ref, AboutName: aboutName}
	if rs := Recipients(c); len(rs) > 0 {
		d.To = rs[0].Ref
	}
	return d, nil
}

// EditFailedMessage turns a message the practice refused (outbox item
// seq) back into a draft, kept under its key (DraftNew, or its thread; a
// NewDraftKey when a draft is in progress there), and
// removes the refused item, so the patient can change it and send it
// again. The draft is saved before the item goes: nothing is lost.
func (a *App) EditFailedMessage(ctx context.Context, profileID string, seq int64) (d Draft, key string, err error) {
	it, err := a.store.OutboxItem(ctx, profileID, seq)
	if errors.Is(err, storage.ErrNotFound) {
		return Draft{}, "", messageProblem(i18n.L("There is no message {{.ID}} waiting or refused.", map[string]any{"ID": LocalID(seq)}))
	}
	if err != nil {
		return Draft{}, "", fmt.Errorf("edit message: %w", err)
	}
	if it.Kind != outbox.KindMessage {
		return Draft{}, "", messageProblem(i18n.L("{{.ID}} is not a message.", map[string]any{"ID": LocalID(seq)}))
	}
	if it.Status != storage.OutboxFailed && it.Status != storage.OutboxConflict {
		return Draft{}, "", messageProblem(i18n.L("Only a message the practice refused can be edited."))
	}
	req, err := outbox.DecodeRequest(it)
	if err != nil {
		return Draft{}, "", fmt.Errorf("edit message: %w", err)
	}
	if d, err = draftOf(req.Resource); err != nil {
		return Draft{}, "", fmt.Errorf("edit message: %w", err)
	}
	key = DraftNew
	if d.Thread != "" {
		key = d.Thread
	}
	// A draft in progress under that key stays: this one gets its own.
	if key, err = a.putDraft(ctx, profileID, key, d, true); err != nil {
		return Draft{}, "", err
	}
	if err := a.DiscardOutboxItem(ctx, profileID, seq); err != nil {
		return Draft{}, "", err
	}
	a.bus.Publish(MessagesChanged{ProfileID: profileID})
	d.DraftKey = key
	return d, key, nil
}
