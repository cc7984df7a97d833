package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// Kinds of outbox items the app enqueues. Kind is for display and
// grouping; what is sent is in the payload.
const (
	KindMessage               = "message"
	KindAppointment           = "appointment"
	KindAppointmentCancel     = "appointment-cancel"
	KindAppointmentReschedule = "appointment-reschedule"
	KindTask                  = "task"
	KindPatientUpdate         = "patient-update"
	// KindQuestionnaireResponse is the answers to a practice's questions
	// before a visit.
	KindQuestionnaireResponse = "questionnaire-response"
)

// IdentifierSystem is the system of client-generated identifiers.
const IdentifierSystem = "urn:ietf:rfc:3986"

// ErrNoIdentifierSlot is returned when a create's resource type has no
// identifier element to carry the client identifier.
var ErrNoIdentifierSlot = errors.New("outbox: resource type has no identifier element")

// ErrInvalidResource is a resource that is not a JSON object with a
// resourceType (or, for updates, an id).
var ErrInvalidResource = errors.New("outbox: invalid resource")

// payload is what OutboxItem.Payload holds.
type payload struct {
	Op       string          `json:"op"` // "create" or "update"
	Type     string          `json:"type"`
	ID       string          `json:"id,omitempty"`
	IfMatch  string          `json:"if_match,omitempty"`
	Resource json.RawMessage `json:"resource"`
}

// Request is what an outbox item asks the server to do, as decoded from
// its payload.
type Request struct {
	Op       string // "create" or "update"
	Type     string // the resource type
	ID       string // the resource id, for updates
	IfMatch  string // the ETag an update is conditional on, "" for none
	Resource []byte // the FHIR JSON sent (for creates, with the client identifier)
}

// DecodeRequest reads what item asks the server to do.
func DecodeRequest(item storage.OutboxItem) (Request, error) {
	p, ok := decodePayload(item)
	if !ok {
		return Request{}, fmt.Errorf("outbox item %d: %w: unreadable payload", item.Seq, ErrInvalidResource)
	}
	return Request{Op: p.Op, Type: p.Type, ID: p.ID, IfMatch: p.IfMatch, Resource: p.Resource}, nil
}

// payloadsDecoded counts decodePayload's calls: a test checks that Send
// decodes each item once (a pending photo is megabytes of base64).
var payloadsDecoded atomic.Int64

// decodePayload reads an item's payload; ok is false when it is
// unreadable.
func decodePayload(item storage.OutboxItem) (p payload, ok bool) {
	payloadsDecoded.Add(1)
	if err := json.Unmarshal(item.Payload, &p); err != nil || (p.Op != "create" && p.Op != "update") {
		return payload{}, false
	}
	return p, true
}

// Config wires an Outbox.
type Config struct {
	Store     *storage.Store
	ProfileID string
	// API sends the items (needed by Send only).
	API fhirapi.API
	// Capabilities says whether conditional create is offered; nil means
	// read them from API on the first Send.
	Capabilities *fhirapi.Capabilities
	// IgnoreWait makes Send try every pending item now, ignoring
	// the wait a transient failure set (NextAttempt): a sync someone asked
	// for, often because they are back online. An item whose last upload
	// was cut (UploadCut) keeps its wait: being back online does not make
	// a slow link carry it.
	IgnoreWait bool
	// LeaveCut makes Send leave the items whose last upload was cut, due
	// or not, for a later Send (Report.LeftCut counts those due): a sync
	// pulls first and sends them after, so that the record does not wait
	// for an upload the link may not carry; a new action's send leaves
	// them to a sync, so that the action does not wait either. Their
	// lanes stay held: nothing overtakes them.
	LeaveCut bool
	// MinBackoff and MaxBackoff bound the delay before a transient failure
	// is retried (30 s, 1 h).
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Outbox is one profile's outbox.
type Outbox struct {
	cfg Config
}

// New returns the outbox of cfg.ProfileID.
func New(cfg Config) *Outbox {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 30 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Outbox{cfg: cfg}
}

// typesWithIdentifier are the types the outbox creates; all have
// identifier as a list of Identifier, except those of singleIdentifier.
var typesWithIdentifier = map[string]bool{
	"Communication": true, "Appointment": true, "Task": true, "ServiceRequest": true, "DocumentReference": true,
	"QuestionnaireResponse": true,
}

// singleIdentifier are the types whose identifier is one Identifier (0..1
// in FHIR R4), not a list: the client identifier is that one.
var singleIdentifier = map[string]bool{"QuestionnaireResponse": true}

// EnqueueCreate adds a create of resource (FHIR JSON) to the outbox. The
// client identifier is added to the resource; the stored item is returned.
func (o *Outbox) EnqueueCreate(ctx context.Context, kind string, resource []byte) (storage.OutboxItem, error) {
	var m map[string]any
	if err := json.Unmarshal(resource, &m); err != nil {
		return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w: not a JSON object", kind, ErrInvalidResource)
	}
	typ, _ := m["resourceType"].(string)
	if typ == "" {
		return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w: no resourceType", kind, ErrInvalidResource)
	}
	if !typesWithIdentifier[typ] {
		return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w: %s", kind, ErrNoIdentifierSlot, typ)
	}
	ident := "urn:uuid:" + uuid.NewString()
	if singleIdentifier[typ] {
		if _, taken := m["identifier"]; taken {
			return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w: %s already has its one identifier", kind, ErrNoIdentifierSlot, typ)
		}
		m["identifier"] = map[string]any{"system": IdentifierSystem, "value": ident}
	} else {
		ids, _ := m["identifier"].([]any)
		m["identifier"] = append(ids, map[string]any{"system": IdentifierSystem, "value": ident})
	}
	delete(m, "id")
	delete(m, "meta")
	body, err := json.Marshal(m)
	if err != nil {
		return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return o.enqueue(ctx, kind, ident, payload{Op: "create", Type: typ, Resource: body})
}

// EnqueueUpdate adds an update of resource (which must carry its id) to the
// outbox, conditional on ifMatch (the ETag the patient's edit started
// from; "" for an unconditional update).
func (o *Outbox) EnqueueUpdate(ctx context.Context, kind string, resource []byte, ifMatch string) (storage.OutboxItem, error) {
	h, err := fhirapi.ParseHeader(resource)
	if err != nil || h.ResourceType == "" || h.ID == "" {
		return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w: needs resourceType and id", kind, ErrInvalidResource)
	}
	ident := "urn:uuid:" + uuid.NewString()
	return o.enqueue(ctx, kind, ident, payload{Op: "update", Type: h.ResourceType, ID: h.ID, IfMatch: ifMatch, Resource: resource})
}

func (o *Outbox) enqueue(ctx context.Context, kind, ident string, p payload) (storage.OutboxItem, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	it, err := o.cfg.Store.Enqueue(ctx, storage.OutboxItem{ProfileID: o.cfg.ProfileID, Kind: kind, Identifier: ident, Payload: b})
	if err != nil {
		return storage.OutboxItem{}, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return it, nil
}

// Retry puts a failed or conflicting item back in the queue (the patient
// chose to try again).
func (o *Outbox) Retry(ctx context.Context, seq int64) error {
	it, err := o.cfg.Store.OutboxItem(ctx, o.cfg.ProfileID, seq)
	if err != nil {
		return fmt.Errorf("retry outbox item: %w", err)
	}
	if it.Status == storage.OutboxSent {
		return nil
	}
	it.Status, it.NextAttempt = storage.OutboxPending, time.Time{}
	return o.cfg.Store.SaveOutboxItem(ctx, it)
}

// Report sums up one Send.
type Report struct {
	Sent, Failed, Conflicts, Deferred int
	// NextAttempt is the earliest time a deferred item is due (zero when
	// none is).
	NextAttempt time.Time
	// LeftCut counts the deferred items whose last upload was cut that
	// are due, left by Config.LeaveCut.
	LeftCut int
}

// UploadCut reports whether the last attempt of a pending item was an
// upload cut short (fhirapi.ErrUploadCut): not all of it left in the time
// allowed, as a large photo on a slow link.
func UploadCut(it storage.OutboxItem) bool {
	return it.Status == storage.OutboxPending && it.LastError == WordsUploadCut
}

// senders serializes Send per profile inside this process: one-slot
// channels by profile id.
var senders sync.Map

// lock serializes Send per profile: first among this process's senders,
// then, with the data folder's process lock, among every process using
// the folder (the app and a scheduled carebook-cli sync), so two
// processes never send the same pending item at once.
func (o *Outbox) lock(ctx context.Context) (func(), error) {
	v, _ := senders.LoadOrStore(o.cfg.ProfileID, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	unlock, err := o.cfg.Store.ProcessLock(ctx, "outbox-"+o.cfg.ProfileID)
	if err != nil {
		<-ch
		return nil, err
	}
	return func() { unlock(); <-ch }, nil
}

// Send sends the pending items that are due, oldest first. Items of one
// resource type keep their order (a booking goes before its change): an
// item that waits (its retry is not due yet, or this attempt failed for a
// while) holds back the later items of its type, not the others, so a
// message the practice's gateway keeps refusing does not hold back a
// refill request. It stops early (without error) when the practice could
// not be reached or asked to slow down, since the others would fare no
// better, and with an error when the profile needs sign-in, no access
// token can be had, the server refuses the token, storage fails or ctx
// ends.
func (o *Outbox) Send(ctx context.Context) (Report, error) {
	var rep Report
	if o.cfg.API == nil {
		return rep, errors.New("outbox: send: no API configured")
	}
	unlock, err := o.lock(ctx)
	if err != nil {
		return rep, fmt.Errorf("outbox: send: %w", err)
	}
	defer unlock()
	items, err := o.cfg.Store.Outbox(ctx, o.cfg.ProfileID, storage.OutboxPending)
	if err != nil {
		return rep, fmt.Errorf("outbox: send: %w", err)
	}
	now := o.cfg.Now()
	held := map[string]bool{} // resource types whose earlier item waits
	for i, it := range items {
		// The lane is the resource type the item creates or changes; an
		// unreadable item has a lane of its own (""): its send fails it
		// at once.
		p, readable := decodePayload(it)
		lane := p.Type
		if held[lane] {
			rep.Deferred++
			continue
		}
		cut := UploadCut(it)
		if it.NextAttempt.After(now) && (!o.cfg.IgnoreWait || cut) {
			rep.Deferred++
			rep.NextAttempt = earliest(rep.NextAttempt, it.NextAttempt)
			held[lane] = true
			continue
		}
		if cut && o.cfg.LeaveCut {
			rep.Deferred++
			rep.LeftCut++
			held[lane] = true
			continue
		}
		outcome, practiceDown, err := o.sendOne(ctx, it, p, readable)
		if errors.Is(err, storage.ErrNotFound) {
			continue // discarded by the patient since the list was read: never sent
		}
		if err != nil {
			return rep, err
		}
		switch outcome.Status {
		case storage.OutboxSent:
			rep.Sent++
		case storage.OutboxFailed:
			rep.Failed++
		case storage.OutboxConflict:
			rep.Conflicts++
		case storage.OutboxPending:
			rep.NextAttempt = earliest(rep.NextAttempt, outcome.NextAttempt)
			if practiceDown {
				rep.Deferred += len(items) - i
				return rep, nil
			}
			rep.Deferred++
			held[lane] = true
		}
	}
	return rep, nil
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// sendOne makes one attempt of it, whose payload is p (readable false:
// it could not be read), and records its outcome. practiceDown
// reports an attempt left pending because the practice could not be
// reached or asked to slow down (not because of a reply to this item
// alone). The returned error is reserved for what must stop the whole
// drain.
func (o *Outbox) sendOne(ctx context.Context, it storage.OutboxItem, p payload, readable bool) (_ storage.OutboxItem, practiceDown bool, _ error) {
	if !readable {
		it.Status, it.LastError = storage.OutboxFailed, WordsUnreadableRequest
		return it, false, o.save(ctx, it)
	}
	// Count the attempt durably before the request leaves: from now on the
	// server may have the item even if no reply ever comes.
	it.Attempts++
	if err := o.save(ctx, it); err != nil {
		return it, false, err
	}
	resp, err := o.deliver(ctx, it, p)
	switch {
	case err == nil:
		it.Status, it.LastError, it.Result, it.NextAttempt = storage.OutboxSent, "", resp, time.Time{}
		if err := o.cache(ctx, resp); err != nil {
			return it, false, err
		}
		it, _ = withoutFileData(it) // the practice's copy keeps the files now
	case nothingSent(err):
		// The item stays pending, untouched by a problem that is not its
		// own, and the attempt that never left is not counted: the
		// patient can still discard an item that never reached the
		// practice.
		it.Attempts--
		if err := o.save(ctx, it); err != nil {
			return it, false, err
		}
		return it, false, fmt.Errorf("outbox: send: %w", err)
	case stopsDrain(err):
		// This attempt stays counted: it may have reached the practice
		// (an earlier try of it did, say, before the sign-in lapsed), so
		// it was no upload cut short, whatever the one before was.
		if it.LastError == WordsUploadCut {
			it.LastError = WordsUnreachable
			if err := o.save(context.WithoutCancel(ctx), it); err != nil {
				return it, false, err
			}
		}
		return it, false, fmt.Errorf("outbox: send: %w", err)
	case fhirapi.IsTransient(err):
		it.LastError = WordsUnreachable
		switch {
		case errors.Is(err, fhirapi.ErrUploadCut):
			// Not all of it left: the practice has nothing of this
			// attempt, and the patient may still discard the item.
			it.LastError = WordsUploadCut
			it.CutAttempts++
		case errors.Is(err, errNothingLeft):
			// Offline, say: nothing of this attempt left, and it is
			// no reason to think the practice may have the item.
			it.CutAttempts++
		}
		it.NextAttempt = o.cfg.Now().Add(o.backoff(it.Attempts, err))
		// A reply of the practice's server (5xx), or an upload that could
		// not go out in full in the time allowed (a large attachment on a
		// slow link), is about this request; no connection, no reply, or
		// a reply asking to slow down, about the practice.
		practiceDown = !errors.Is(err, fhirapi.ErrServer) && !errors.Is(err, fhirapi.ErrUploadCut)
	case errors.Is(err, fhirapi.ErrConflict) || errors.Is(err, fhirapi.ErrPreconditionFailed):
		it.Status, it.LastError = storage.OutboxConflict, serverMessage(err)
	default:
		it.Status, it.LastError = storage.OutboxFailed, serverMessage(err)
	}
	return it, practiceDown, o.save(ctx, it)
}

// nothingSent reports whether err shows that the request never reached
// the practice or that the practice processed nothing of it (refusedEarly),
// unless an earlier try of the same request may have reached it
// (fhirapi.ErrMayHaveReached). Each also stops the drain.
func nothingSent(err error) bool {
	return refusedEarly(err) && !errors.Is(err, fhirapi.ErrMayHaveReached)
}

// refusedEarly reports a failure that is no answer of the practice to the
// request: no access token could be had (the profile needs sign-in, a
// locked keyring, a token endpoint refusing the client), the practice
// refused the token (401), or it has moved (it processed nothing: the
// item waits, pending, for the patient to sign in at its new address).
func refusedEarly(err error) bool {
	return errors.Is(err, smart.ErrNeedsSignIn) || errors.Is(err, fhirapi.ErrUnauthorized) || errors.Is(err, fhirapi.ErrMoved) ||
		errors.Is(err, fhirapi.ErrAccessToken) && !fhirapi.IsTransient(err)
}

// stopsDrain reports a failure after which no later item can go either:
// refusedEarly, or the send was stopped.
func stopsDrain(err error) bool {
	return refusedEarly(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// The outbox's own words in an item's LastError, where the practice gave
// none. They are English; the screens show them translated (app compares
// with these), the practice's own words as the practice wrote them.
const (
	WordsUnreadableRequest = "the stored request is unreadable"
	WordsUnreachable       = "not sent yet: the practice could not be reached"
	WordsUploadCut         = "not sent yet: the upload did not finish in time; it will be tried again"
	WordsUnreadableAnswer  = "the practice sent an unreadable answer"
	WordsRefused           = "the practice refused the request"
)

func serverMessage(err error) string {
	var oe *fhirapi.OperationOutcomeError
	if errors.As(err, &oe) {
		return oe.Message()
	}
	if errors.Is(err, fhirapi.ErrBadResponse) {
		return WordsUnreadableAnswer
	}
	return WordsRefused
}

func (o *Outbox) save(ctx context.Context, it storage.OutboxItem) error {
	if err := o.cfg.Store.SaveOutboxItem(ctx, it); err != nil {
		return fmt.Errorf("outbox: save item: %w", err)
	}
	return nil
}

// backoff is jittered exponential in the attempt number, or Retry-After
// when the server asked for longer.
func (o *Outbox) backoff(attempts int, err error) time.Duration {
	d := o.cfg.MinBackoff
	for i := 1; i < attempts && d < o.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.cfg.MaxBackoff)
	d = d/2 + rand.N(d/2+1)
	var oe *fhirapi.OperationOutcomeError
	if errors.As(err, &oe) && oe.RetryAfter > d {
		d = oe.RetryAfter
	}
	return d
}

// deliver sends one payload and returns the server's resource.
func (o *Outbox) deliver(ctx context.Context, it storage.OutboxItem, p payload) ([]byte, error) {
	if p.Op == "update" {
		return o.deliverUpdate(ctx, it, p)
	}
	caps, err := o.capabilities(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNothingLeft, err)
	}
	if it.Attempts > 1 {
		// An earlier attempt may have reached the server with its reply
		// lost: look before every resend, on any server, and take only a
		// resource that carries this item's identifier.
		found, err := o.findByIdentifier(ctx, p.Type, it.Identifier)
		switch {
		case found != nil:
			return found, nil
		case err != nil && (fhirapi.IsTransient(err) || stopsDrain(err)):
			return nil, fmt.Errorf("%w: %w", errNothingLeft, err)
		}
		// Not found, or the server refused the search (some servers
		// reject a search parameter they do not know): the create below
		// is still conditional where the server offers it.
	}
	ifNoneExist := ""
	if caps.SupportsConditionalCreate(p.Type) {
		ifNoneExist = "identifier=" + IdentifierSystem + "|" + it.Identifier
	}
	resp, err := o.cfg.API.Create(ctx, p.Type, p.Resource, ifNoneExist)
	if err != nil {
		return nil, err
	}
	return o.resultBody(ctx, resp)
}

func (o *Outbox) deliverUpdate(ctx context.Context, it storage.OutboxItem, p payload) ([]byte, error) {
	resp, err := o.cfg.API.Update(ctx, p.Type, p.ID, p.Resource, p.IfMatch)
	if errors.Is(err, fhirapi.ErrPreconditionFailed) {
		// The version moved: maybe by our own earlier attempt whose reply
		// was lost (here or in the client's own retry). If the server
		// holds what we sent, it is done.
		cur, gerr := o.cfg.API.Get(ctx, p.Type+"/"+url.PathEscape(p.ID), nil)
		if gerr == nil && sameContent(cur.Body, p.Resource) {
			return cur.Body, nil
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return o.resultBody(ctx, resp)
}

// resultBody is the created or updated resource: the reply body, or a read
// of its Location when the server answered without a body.
func (o *Outbox) resultBody(ctx context.Context, resp *fhirapi.Response) ([]byte, error) {
	if len(bytes.TrimSpace(resp.Body)) > 0 {
		return resp.Body, nil
	}
	loc := resp.Location
	if i := strings.Index(loc, "/_history/"); i >= 0 {
		loc = loc[:i]
	}
	parts := strings.Split(strings.TrimRight(loc, "/"), "/")
	if len(parts) < 2 {
		return nil, nil // accepted, nothing to cache
	}
	got, err := o.cfg.API.Get(ctx, parts[len(parts)-2]+"/"+parts[len(parts)-1], nil)
	if err != nil {
		return nil, nil // sent is sent; the next pull brings the resource
	}
	return got.Body, nil
}

// errNothingLeft marks a failure before the item's own request was sent
// (the practice's capabilities, or the search before a resend, could not
// be read): nothing of that attempt reached the practice.
var errNothingLeft = errors.New("outbox: the request was not sent")

// errFound stops a search once the item's resource turned up.
var errFound = errors.New("outbox: found")

// findByIdentifier searches typ for the resource carrying the client
// identifier ident. It checks every entry's identifiers itself, so a server
// that ignores the search parameter (and answers with every resource of
// the type) cannot make another resource pass for ours.
func (o *Outbox) findByIdentifier(ctx context.Context, typ, ident string) ([]byte, error) {
	var found []byte
	_, err := o.cfg.API.Search(ctx, typ, url.Values{"identifier": {IdentifierSystem + "|" + ident}}, fhirapi.SearchHandler{
		Entry: func(e fhirapi.Entry) error {
			if e.Search.Mode == "outcome" || !CarriesIdentifier(e.Resource, typ, ident) {
				return nil
			}
			found = append([]byte(nil), e.Resource...)
			return errFound
		},
	})
	if found != nil {
		return found, nil
	}
	return nil, err
}

// CarriesIdentifier reports whether resource is of type typ and lists the
// client identifier ident (system IdentifierSystem). The identifier may be
// a list or, for the types that have only one, a single Identifier.
func CarriesIdentifier(resource []byte, typ, ident string) bool {
	var r struct {
		ResourceType string          `json:"resourceType"`
		Identifier   json.RawMessage `json:"identifier"`
	}
	if json.Unmarshal(resource, &r) != nil || r.ResourceType != typ {
		return false
	}
	type identifier struct {
		System string `json:"system"`
		Value  string `json:"value"`
	}
	var list []identifier
	if err := json.Unmarshal(r.Identifier, &list); err != nil {
		var one identifier
		if json.Unmarshal(r.Identifier, &one) != nil {
			return false
		}
		list = []identifier{one}
	}
	for _, id := range list {
		if id.System == IdentifierSystem && id.Value == ident {
			return true
		}
	}
	return false
}

func (o *Outbox) capabilities(ctx context.Context) (*fhirapi.Capabilities, error) {
	if o.cfg.Capabilities != nil {
		return o.cfg.Capabilities, nil
	}
	caps, err := o.cfg.API.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	o.cfg.Capabilities = caps
	return caps, nil
}

// cache writes the server's resource into the cache so the patient sees it
// at once, before the next pull.
func (o *Outbox) cache(ctx context.Context, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	h, err := fhirapi.ParseHeader(body)
	if err != nil || h.ResourceType == "" || h.ID == "" {
		return nil // nothing the cache can file; the next pull brings it
	}
	r := storage.Resource{Type: h.ResourceType, ID: h.ID, JSON: body}
	if t, err := fhirapi.ParseInstant(h.Meta.LastUpdated); err == nil {
		r.LastUpdated = t
	}
	if err := o.cfg.Store.Put(ctx, o.cfg.ProfileID, r); err != nil {
		return fmt.Errorf("outbox: cache result: %w", err)
	}
	return nil
}

// sameContent reports whether the server's resource holds every element
// of ours (meta and text aside, which servers rewrite).
func sameContent(server, ours []byte) bool {
	var s, m map[string]any
	if json.Unmarshal(server, &s) != nil || json.Unmarshal(ours, &m) != nil {
		return false
	}
	for k, v := range m {
		if k == "meta" || k == "text" {
			continue
		}
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(s[k])
		if !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}
