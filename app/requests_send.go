package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// RequestInput is what the patient asks for.
type RequestInput struct {
	Kind RequestKind
	// About is the record entry the request is about, "Type/id": the
	// prescription to refill, the report to copy, the condition a referral
	// is for, the entry that is wrong.
	About string
	// Pharmacy (refills) is where the renewal should go: a pharmacy's
	// reference ("Organization/id") or its name as the record gives it.
	// Empty means the patient's preferred pharmacy, else one the record
	// knows, else the one the practice has on file.
	Pharmacy string
	// Text (referrals) says what the referral is for, in the patient's
	// words; needed when About names no condition.
	Text string
	// Wrong and ShouldSay (corrections) say what is wrong in the entry and
	// what it should say; Wrong is needed.
	Wrong, ShouldSay string
	// Note is anything else for the office.
	Note string
	// DraftKey, when set, names the form draft (RequestDraftKey)
	// SendRequest removes once the request is stored to be sent.
	DraftKey string
}

// SendRequest makes a request to the practice: it checks it against the
// local record, stores its Task in the outbox and sends it at once. The
// outcome is that of every action (see submitCreate): nil when the
// practice accepted it (Submitted.Ref is its Task), ErrQueued,
// ErrNeedsSignIn, a RefusedError, or ErrInvalidInput with nothing stored.
// Once stored, the form draft in.DraftKey is removed.
func (a *App) SendRequest(ctx context.Context, profileID string, in RequestInput) (Submitted, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("request: %w", err)
	}
	c, err := a.requestChart(ctx, profileID, in.Kind, strings.TrimSpace(in.About))
	if err != nil {
		return Submitted{}, fmt.Errorf("request: %w", err)
	}
	existing, err := a.requestList(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("request: %w", err)
	}
	spec, err := requestSpec(c, in, existing)
	if err != nil {
		return Submitted{}, err
	}
	spec.Patient = "Patient/" + p.PatientID
	spec.Requester = requesterRef(p.Settings, p.PatientID)
	spec.AuthoredOn = a.cfg.Now()
	body, err := buildTask(spec)
	if err != nil {
		return Submitted{}, err
	}
	return a.submitCreateThen(ctx, profileID, outbox.KindTask, body, a.discardFormDraftOnceStored(profileID, in.DraftKey))
}

// requestSpec checks in against the record and says what its Task holds
// (all but who and when).
func requestSpec(c *record.Chart, in RequestInput, existing []Request) (taskSpec, error) {
	in.About = strings.TrimSpace(in.About)
	for _, s := range []*string{&in.Text, &in.Wrong, &in.ShouldSay, &in.Note, &in.Pharmacy} {
		*s = strings.TrimSpace(*s)
	}
	for _, s := range []string{in.Text, in.Wrong, in.ShouldSay, in.Note} {
		if utf8.RuneCountInString(s) > MaxRequestText {
			return taskSpec{}, invalid(i18n.L("a request's text can be at most {{.Max}} characters", map[string]any{"Max": MaxRequestText}))
		}
	}
	form, err := requestForm(c, in.Kind, in.About, existing)
	if err != nil {
		return taskSpec{}, err
	}
	spec := taskSpec{Kind: in.Kind, Focus: in.About, FocusName: form.AboutName, Note: in.Note}
	switch in.Kind {
	case RequestRefill:
		if !form.CanSend {
			return taskSpec{}, invalid(form.Why)
		}
		ph, err := choosePharmacy(form.Pharmacies, in.Pharmacy)
		if err != nil {
			return taskSpec{}, err
		}
		spec.Pharmacy, spec.PharmacyName = ph.Ref, ph.Name
		spec.Description = i18n.L("Refill: {{.Name}}", map[string]any{"Name": form.AboutName})
	case RequestLabReportCopy:
		spec.Description = i18n.L("Copy of lab reports (the latest)")
		if in.About != "" {
			spec.Description = i18n.L("Copy of lab report: {{.Name}}", map[string]any{"Name": form.AboutName})
		}
	case RequestReferral:
		what := firstNonBlank(in.Text, form.AboutName)
		if what == "" {
			return taskSpec{}, invalid(i18n.L("say what the referral is for, or choose the condition it is about"))
		}
		spec.Description = i18n.L("Referral: {{.What}}", map[string]any{"What": what})
		if in.Text != "" && form.AboutName != "" && !strings.EqualFold(in.Text, form.AboutName) {
			spec.Description = i18n.L("Referral: {{.What}} (for {{.Name}})", map[string]any{"What": in.Text, "Name": form.AboutName})
		}
	case RequestCorrection:
		if in.Wrong == "" {
			return taskSpec{}, invalid(i18n.L("say what is wrong in this entry"))
		}
		spec.Description = i18n.L("Correction of the record: {{.Name}}", map[string]any{"Name": form.AboutName})
		note := i18n.L("What is wrong: {{.Wrong}}", map[string]any{"Wrong": in.Wrong})
		if in.ShouldSay != "" {
			note += "\n" + i18n.L("What it should say: {{.Text}}", map[string]any{"Text": in.ShouldSay})
		}
		if in.Note != "" {
			note += "\n" + in.Note
		}
		spec.Note = note
	}
	return spec, nil
}

// choosePharmacy picks the pharmacy named by want (a reference or a name)
// among those the record knows, or the first (the preferred one) when want
// is empty. Any Organization reference is accepted: the patient may know
// a pharmacy the record does not name yet.
func choosePharmacy(known []Pharmacy, want string) (Pharmacy, error) {
	if want == "" {
		if len(known) == 0 {
			return Pharmacy{}, nil // the practice's pharmacy on file
		}
		return known[0], nil
	}
	for _, ph := range known {
		if strings.EqualFold(ph.Ref, want) || strings.EqualFold(ph.Name, want) {
			return ph, nil
		}
	}
	if typ, id, ok := strings.Cut(want, "/"); ok && typ == "Organization" && id != "" && !strings.ContainsAny(id, "/?#") {
		return Pharmacy{Ref: want}, nil
	}
	var names []string
	for _, ph := range known {
		names = append(names, ph.Name+" ("+ph.Ref+")")
	}
	if len(names) == 0 {
		return Pharmacy{}, invalid(i18n.L("unknown pharmacy {{.Pharmacy}}: give it as Organization/ID", map[string]any{"Pharmacy": strconv.Quote(want)}))
	}
	return Pharmacy{}, invalid(i18n.L("unknown pharmacy {{.Pharmacy}}; the record knows {{.Known}}",
		map[string]any{"Pharmacy": strconv.Quote(want), "Known": strings.Join(names, ", ")}))
}

// Requests is a profile's requests, as the Requests screen and the
// command line list them.
type Requests struct {
	// Items are the requests, newest first.
	Items []Request
	// AccessEnded says the practice ended this access to the record: a
	// request waiting cannot be sent unless the practice gives the access
	// back.
	AccessEnded bool
}

// Requests lists the profile's requests, newest first: those waiting in
// this device's outbox or refused by the practice, and every request Task
// in the record (made here or elsewhere), each with its state, and
// whether anything waiting can still be sent. It reads the local cache
// only.
func (a *App) Requests(ctx context.Context, profileID string) (Requests, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Requests{}, fmt.Errorf("requests: %w", err)
	}
	items, err := a.requestList(ctx, profileID)
	if err != nil {
		return Requests{}, err
	}
	return Requests{Items: items, AccessEnded: HasAccessEnded(p)}, nil
}

// requestList is the requests of Requests.
func (a *App) requestList(ctx context.Context, profileID string) ([]Request, error) {
	entries, err := a.Outbox(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("requests: %w", err)
	}
	c, err := a.chartWithRefs(ctx, profileID, requestTypes, func(c *record.Chart) []string { return requestRefs(c, entries) })
	if err != nil {
		return nil, fmt.Errorf("requests: %w", err)
	}
	return listRequests(c, entries), nil
}

// requestTypes are what the list of requests reads of a record, besides
// the entries the requests are about (requestRefs).
var requestTypes = []string{"Task", "MedicationRequest", "DocumentReference"}

// requestRefs are the entries the requests of c and of the outbox's
// entries point to: what they are about, their pharmacies and outcomes.
func requestRefs(c *record.Chart, entries []OutboxEntry) []string {
	tasks := slices.Clone(c.Tasks)
	for _, e := range entries {
		if e.Kind != outbox.KindTask || e.Op != "create" {
			continue
		}
		for _, js := range [][]byte{e.Resource, e.Result} {
			if len(js) > 0 {
				tasks = append(tasks, record.DecodeTask(record.Resource{Type: "Task", JSON: js}))
			}
		}
	}
	var refs []string
	for _, t := range tasks {
		refs = append(refs, t.Focus.Reference)
		for _, in := range t.Inputs {
			refs = append(refs, in.Ref.Reference)
		}
		for _, o := range t.Outputs {
			refs = append(refs, o.Ref.Reference)
		}
	}
	return refs
}

// listRequests merges the outbox's Task items with the record's Tasks: an
// item the practice accepted is shown from the practice's copy (found by
// the client identifier it carries), so nothing shows twice.
func listRequests(c *record.Chart, entries []OutboxEntry) []Request {
	var out []Request
	shown := map[string]bool{} // Task ids already listed
	for _, e := range entries {
		if e.Kind != outbox.KindTask || e.Op != "create" {
			continue
		}
		var t record.Task
		found := false
		for _, x := range c.Tasks {
			if x.HasIdentifier(outbox.IdentifierSystem, e.Identifier) {
				t, found = x, true
				break
			}
		}
		if !found && e.State == storage.OutboxSent && len(e.Result) > 0 {
			t, found = record.DecodeTask(record.Resource{Type: "Task", JSON: e.Result}), true
		}
		var r Request
		if found {
			r = fromTask(c, t)
			shown[t.ID] = true
		} else {
			r = fromTask(c, record.DecodeTask(record.Resource{Type: "Task", JSON: e.Resource}))
			r.ID = ""
			r.State, r.Words, r.Outcomes = RequestWaiting, "", nil
			r.MayHaveReached = e.MayHaveReached
			if e.State == storage.OutboxFailed || e.State == storage.OutboxConflict {
				r.State, r.Words = RequestFailed, e.LastError
			}
			r.Updated = e.UpdatedAt
		}
		r.Seq, r.LocalID = e.Seq, e.LocalID
		if r.Created.IsZero() {
			r.Created = e.CreatedAt
		}
		out = append(out, r)
	}
	for _, t := range c.Tasks {
		if shown[t.ID] || t.CodeConcept.Code(RequestTypeSystem) == "" {
			continue
		}
		out = append(out, fromTask(c, t))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// fromTask is a request as the practice's Task shows it.
func fromTask(c *record.Chart, t record.Task) Request {
	r := Request{
		ID:    t.ID,
		Kind:  RequestKind(t.CodeConcept.Code(RequestTypeSystem)),
		About: relativeRef(t.Focus.Reference),
	}
	if r.About != "" {
		r.AboutName = firstNonBlank(c.Name(t.Focus), itemName(c, r.About))
	}
	r.Title = firstNonBlank(t.Description, requestTitle(r.Kind, t.Code, r.AboutName))
	for _, in := range t.Inputs {
		if in.Type.Has(RequestInputSystem, InputPharmacy) {
			r.Pharmacy = firstNonBlank(c.Name(in.Ref), in.Ref.Display, i18n.L("the pharmacy you chose"))
		}
	}
	if len(t.Notes) > 0 {
		r.Note = strings.Join(t.Notes, "\n")
	}
	r.State, r.Words = taskState(t.Status, t.BusinessStatus, t.StatusReason)
	if r.State == RequestDone {
		for _, o := range t.Outputs {
			out := RequestOutcome{Label: firstNonBlank(o.Type.String(), i18n.L("Result")), Ref: relativeRef(o.Ref.Reference)}
			switch {
			case out.Ref != "":
				out.Name = firstNonBlank(outcomeName(c, out.Ref), o.Ref.Display)
			default:
				out.Name = o.Text
			}
			r.Outcomes = append(r.Outcomes, out)
		}
	}
	r.Created = dateOr(t.AuthoredOn, t.LastUpdated)
	r.Updated = dateOr(t.LastModified, t.LastUpdated)
	return r
}

// outcomeName describes what an output points to: a renewed prescription
// with its refills, a document by title, anything else by name.
func outcomeName(c *record.Chart, ref string) string {
	for _, m := range c.Medications {
		if m.Key() == ref {
			name := firstNonBlank(m.Medication, i18n.L("Prescription"))
			if m.HasRefills {
				name = i18n.N("{{.Name}}, {{.Count}} refills", m.Refills, map[string]any{"Name": name, "Count": m.Refills})
			}
			if ph := c.Name(m.Dispenser); ph != "" {
				name = i18n.L("{{.Name}}, sent to {{.Pharmacy}}", map[string]any{"Name": name, "Pharmacy": ph})
			}
			return name
		}
	}
	for _, d := range c.Documents {
		if d.Key() == ref {
			return firstNonBlank(d.Title, i18n.L("Document"))
		}
	}
	return c.Refs.Lookup(ref)
}

func requestTitle(kind RequestKind, code, about string) string {
	label := firstNonBlank(code, kind.Label())
	if about != "" {
		return label + ": " + about
	}
	return label
}

// dateOr is d as a time, or t when d is not set.
func dateOr(d record.Date, t time.Time) time.Time {
	if !d.IsZero() {
		return d.Time
	}
	return t
}

// RequestMessageDraftKey is the key of the draft of a message about the
// request Task/taskID (AskAboutRequest): a new message's draft, one per
// request.
func RequestMessageDraftKey(taskID string) string {
	return DraftNew + "/request/" + strings.TrimPrefix(taskID, "Task/")
}

// AskAboutRequest starts a message to the practice about one of the
// patient's requests (a declined refill, a failed request): its subject
// names the request, the message refers to the Task (Communication.about)
// and goes to the patient's doctor (else the first recipient offered).
// The message started before and not sent, when there is one (its draft,
// under RequestMessageDraftKey), comes back instead. Send it with
// SendMessage once the patient wrote the text; its DraftKey is set.
func (a *App) AskAboutRequest(ctx context.Context, profileID, taskID string) (Draft, error) {
	key := RequestMessageDraftKey(taskID)
	if d, ok, err := a.Draft(ctx, profileID, key); err != nil || ok {
		d.DraftKey = key
		return d, err
	}
	rs, err := a.requestList(ctx, profileID)
	if err != nil {
		return Draft{}, fmt.Errorf("ask about request: %w", err)
	}
	c, err := a.ChartOf(ctx, profileID, recipientTypes...)
	if err != nil {
		return Draft{}, fmt.Errorf("ask about request: %w", err)
	}
	taskID = strings.TrimPrefix(taskID, "Task/")
	for _, r := range rs {
		if r.ID == "" || r.ID != taskID {
			continue
		}
		d := Draft{Topic: "other", Subject: i18n.L("About my request: {{.Title}}", map[string]any{"Title": r.Title}), About: "Task/" + r.ID, AboutName: r.Title}
		if r.Kind == RequestRefill {
			d.Topic = "prescription"
		}
		if rcp := Recipients(c); len(rcp) > 0 {
			d.To = rcp[0].Ref
		}
		d.DraftKey = key
		return d, nil
	}
	return Draft{}, invalid(i18n.L("there is no request Task/{{.ID}} at the practice in this record", map[string]any{"ID": taskID}))
}
