package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/outbox"
)

// Outcomes of an action (sending a message, booking, a refill request...)
// other than success. Every action stores what the patient wrote in the
// outbox before anything else, so only ErrInvalidInput and a locked app
// leave nothing stored.
var (
	// ErrQueued: stored, not accepted by the practice yet (it could not be
	// reached, answered 5xx or 429, or earlier items are still waiting).
	// The next sync sends it.
	ErrQueued = errors.New("app: stored, not sent yet")
	// ErrRefused: the practice refused it. The item stays in the outbox,
	// marked failed, with the practice's words (see RefusedError).
	ErrRefused = errors.New("app: refused by the practice")
	// ErrInvalidInput: what the patient entered cannot be sent; nothing
	// was stored.
	ErrInvalidInput = errors.New("app: invalid input")
)

// RefusedError carries the practice's words for a refused action. It
// matches ErrRefused with errors.Is.
type RefusedError struct {
	Seq int64
	// Message is the practice's own explanation (its OperationOutcome), or
	// a plain description when it gave none.
	Message string
	// Conflict says the practice reported a conflict (a slot taken, a
	// record changed meanwhile), not a plain refusal.
	Conflict bool
}

func (e *RefusedError) Error() string {
	return ErrRefused.Error() + ": " + e.Message
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// invalidf is bad input: ErrInvalidInput with a message for the patient.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// invalid is bad input: ErrInvalidInput with a message for the patient,
// already translated (i18n.L). The screens show what follows
// "invalid input: " as it is.
func invalid(text string) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, text)
}

// outboxWords are an item's LastError for a person: the practice's own
// words as the practice wrote them, the outbox's own (when the practice
// gave none) in the current language.
func outboxWords(lastError string) string {
	switch lastError {
	case outbox.WordsUnreadableRequest:
		return i18n.L("the stored request is unreadable")
	case outbox.WordsUnreachable:
		return i18n.L("not sent yet: the practice could not be reached")
	case outbox.WordsUploadCut:
		return i18n.L("not sent yet: the upload did not finish in time; it will be tried again")
	case outbox.WordsUnreadableAnswer:
		return i18n.L("the practice sent an unreadable answer")
	case outbox.WordsRefused:
		return i18n.L("the practice refused the request")
	}
	return lastError
}

// Submitted identifies what an action stored.
type Submitted struct {
	// Seq is the outbox item's local sequence number.
	Seq int64
	// LocalID is "local-<seq>", the name of the item until the practice
	// accepts it.
	LocalID string
	// Ref is "Type/id" of the practice's copy once accepted, else "".
	Ref string
}

// LocalID is the name of an outbox item before the practice names it.
func LocalID(seq int64) string { return "local-" + strconv.FormatInt(seq, 10) }

// ParseLocalID reads a name made by LocalID.
func ParseLocalID(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "local-"), 10, 64)
	return n, err == nil && strings.HasPrefix(s, "local-") && n > 0
}

// OutboxEntry is one item of a profile's outbox as the screens and the CLI
// show it.
type OutboxEntry struct {
	Seq        int64
	LocalID    string
	Kind       string // outbox.KindMessage, KindAppointment, ...
	Identifier string // the client identifier the created resource carries
	State      storage.OutboxStatus
	// Op, Type and ID say what is asked of the server: "create" of Type,
	// or "update" of Type/ID.
	Op, Type, ID string
	// Resource is the FHIR JSON being sent.
	Resource []byte
	// Result is the server's copy once accepted (may be empty: the next
	// sync brings it).
	Result []byte
	// Ref is "Type/id" of the server's copy once accepted, else "".
	Ref string
	// LastError explains the last failed attempt (the practice's words
	// when it refused).
	LastError string
	Attempts  int
	// CutAttempts counts the attempts that provably never reached the
	// practice (not all of the request could go out, or none of it).
	CutAttempts int
	// MayHaveReached says the item waits, and an attempt of it may have
	// reached the practice (its reply never came): Carebook searches for
	// it before sending it again, and it cannot be discarded.
	MayHaveReached       bool
	NextAttempt          time.Time
	CreatedAt, UpdatedAt time.Time
}

// Outbox lists every item of the profile's outbox, oldest first.
func (a *App) Outbox(ctx context.Context, profileID string) ([]OutboxEntry, error) {
	items, err := a.store.Outbox(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	out := make([]OutboxEntry, 0, len(items))
	for _, it := range items {
		out = append(out, outboxEntry(it))
	}
	return out, nil
}

func outboxEntry(it storage.OutboxItem) OutboxEntry {
	e := OutboxEntry{
		Seq: it.Seq, LocalID: LocalID(it.Seq), Kind: it.Kind, Identifier: it.Identifier, State: it.Status,
		Result: it.Result, LastError: outboxWords(it.LastError), Attempts: it.Attempts, CutAttempts: it.CutAttempts, NextAttempt: it.NextAttempt,
		MayHaveReached: mayHaveReached(it), CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
	}
	if req, err := outbox.DecodeRequest(it); err == nil {
		e.Op, e.Type, e.ID, e.Resource = req.Op, req.Type, req.ID, req.Resource
	}
	e.Ref = resultRef(it)
	return e
}

// resultRef is "Type/id" of the server's copy of a sent item.
func resultRef(it storage.OutboxItem) string {
	if it.Status != storage.OutboxSent {
		return ""
	}
	if h, err := fhirapi.ParseHeader(it.Result); err == nil && h.ResourceType != "" && h.ID != "" {
		return h.ResourceType + "/" + h.ID
	}
	if req, err := outbox.DecodeRequest(it); err == nil && req.Op == "update" {
		return req.Type + "/" + req.ID
	}
	return ""
}

// submitCreate stores a create of resource in the profile's outbox, then
// sends the outbox at once and reports this item's outcome: nil (accepted;
// Submitted.Ref names the practice's copy), ErrQueued, ErrNeedsSignIn or a
// RefusedError. Validate before calling: anything stored will be sent.
func (a *App) submitCreate(ctx context.Context, profileID, kind string, resource []byte) (Submitted, error) {
	return a.submitCreateThen(ctx, profileID, kind, resource, nil)
}

// submitCreateThen is submitCreate calling stored (when not nil) once the
// item is in the outbox, before it is sent: what stood for it (a draft)
// goes before anything can stop the action midway.
func (a *App) submitCreateThen(ctx context.Context, profileID, kind string, resource []byte, stored func(context.Context)) (Submitted, error) {
	box := outbox.New(outbox.Config{Store: a.store, ProfileID: profileID, Now: a.cfg.Now})
	it, err := box.EnqueueCreate(ctx, kind, resource)
	if err != nil {
		return Submitted{}, fmt.Errorf("store %s: %w", kind, err)
	}
	if stored != nil {
		stored(context.WithoutCancel(ctx))
	}
	return a.afterEnqueue(ctx, profileID, it)
}

// submitUpdate is submitCreate for an update of resource (which carries
// its id), conditional on the version ifMatch ("" for none).
func (a *App) submitUpdate(ctx context.Context, profileID, kind string, resource []byte, ifMatch string) (Submitted, error) {
	return a.submitUpdateThen(ctx, profileID, kind, resource, ifMatch, nil)
}

// submitUpdateThen is submitUpdate calling stored (when not nil) once the
// item is in the outbox, as submitCreateThen does.
func (a *App) submitUpdateThen(ctx context.Context, profileID, kind string, resource []byte, ifMatch string, stored func(context.Context)) (Submitted, error) {
	box := outbox.New(outbox.Config{Store: a.store, ProfileID: profileID, Now: a.cfg.Now})
	it, err := box.EnqueueUpdate(ctx, kind, resource, ifMatch)
	if err != nil {
		return Submitted{}, fmt.Errorf("store %s: %w", kind, err)
	}
	if stored != nil {
		stored(context.WithoutCancel(ctx))
	}
	return a.afterEnqueue(ctx, profileID, it)
}

// afterEnqueue sends a new action, and what waits before it, at once. An
// upload cut short before (a large photo on a slow link) is left for the
// next sync, which pulls first, or for the patient's Send now, even when
// its retry is due: the patient waits for this action, which should not
// wait minutes for an upload the link may not carry. An item of the
// same type as that upload (another message) still waits behind it, so
// that nothing overtakes what it may answer; any other goes now.
func (a *App) afterEnqueue(ctx context.Context, profileID string, it storage.OutboxItem) (Submitted, error) {
	a.bus.Publish(OutboxChanged{ProfileID: profileID})
	return a.sendAndReport(ctx, profileID, it.Seq, true)
}

// sendAndReport sends the profile's outbox (in order), leaving the
// uploads cut short before when leaveCut is set (outbox.Config.LeaveCut),
// and reports what became of item seq, which is stored: whatever goes
// wrong, the outcome says so (ErrQueued at least), never that nothing was
// stored.
func (a *App) sendAndReport(ctx context.Context, profileID string, seq int64, leaveCut bool) (Submitted, error) {
	sub := Submitted{Seq: seq, LocalID: LocalID(seq)}
	sendErr := a.sendOutbox(ctx, profileID, outbox.Config{LeaveCut: leaveCut})
	// The item's fate is read back even when ctx ended: it is on disk.
	it, err := a.store.OutboxItem(context.WithoutCancel(ctx), profileID, seq)
	if err != nil {
		// The app locked meanwhile, say. Not wrapped: storage.ErrLocked
		// would say nothing was stored.
		return sub, fmt.Errorf("%w: %s could not be read back: %v", ErrQueued, sub.LocalID, err)
	}
	switch it.Status {
	case storage.OutboxSent:
		sub.Ref = resultRef(it)
		return sub, nil
	case storage.OutboxFailed, storage.OutboxConflict:
		return sub, &RefusedError{Seq: seq, Message: outboxWords(it.LastError), Conflict: it.Status == storage.OutboxConflict}
	}
	switch {
	case errors.Is(sendErr, ErrNeedsSignIn):
		// Stored, but it cannot go until a new sign-in.
		return sub, sendErr
	case errors.Is(sendErr, ErrAccessEnded):
		// Stored, but it cannot go: the practice ended the access (the
		// item is shown with what was not sent until the record is
		// removed). ErrQueued says it was stored: a screen that took
		// ErrAccessEnded alone for "nothing stored" kept the patient's
		// draft beside the stored item, and let it be stored again.
		return sub, fmt.Errorf("%w: %w", ErrQueued, sendErr)
	case sendErr != nil:
		return sub, fmt.Errorf("%w: %w", ErrQueued, sendErr)
	case it.LastError != "":
		return sub, fmt.Errorf("%w: %s", ErrQueued, it.LastError)
	default:
		return sub, fmt.Errorf("%w: earlier items are waiting to be sent first", ErrQueued)
	}
}

// SendOutbox sends the profile's waiting items now (a sync does it too).
// It fails with ErrNeedsSignIn when the practice wants a new sign-in and
// ErrOffline when it cannot be reached before anything was tried, and
// with ErrAccessEnded, sending nothing, once the practice ended this
// access to the record (an item waiting behind earlier ones would
// otherwise read as merely queued).
func (a *App) SendOutbox(ctx context.Context, profileID string) error {
	return a.sendOutbox(ctx, profileID, outbox.Config{})
}

// sendOutbox is SendOutbox with the choices of cfg (LeaveCut, IgnoreWait).
func (a *App) sendOutbox(ctx context.Context, profileID string, cfg outbox.Config) error {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if HasAccessEnded(p) {
		return fmt.Errorf("send: %w", ErrAccessEnded) // nothing more goes to the practice
	}
	p, api, err := a.practiceAPI(ctx, profileID)
	if err != nil {
		return err
	}
	cfg.Store, cfg.ProfileID, cfg.API, cfg.Now = a.store, p.ID, api, a.cfg.Now
	_, err = outbox.New(cfg).Send(ctx)
	a.bus.Publish(OutboxChanged{ProfileID: profileID})
	if err != nil {
		return a.syncError(ctx, p.ID, "send", err)
	}
	return nil
}

// RetryOutboxItem puts a failed item (or one waiting for a later attempt)
// back at the front of the queue and sends it now.
func (a *App) RetryOutboxItem(ctx context.Context, profileID string, seq int64) (Submitted, error) {
	it, err := a.store.OutboxItem(ctx, profileID, seq)
	if errors.Is(err, storage.ErrNotFound) {
		return Submitted{}, invalid(i18n.L("no outbox item {{.ID}}", map[string]any{"ID": LocalID(seq)}))
	}
	if err != nil {
		return Submitted{}, fmt.Errorf("retry: %w", err)
	}
	if it.Status == storage.OutboxSent {
		return Submitted{Seq: seq, LocalID: LocalID(seq), Ref: resultRef(it)}, nil
	}
	it.Status, it.NextAttempt = storage.OutboxPending, time.Time{}
	if err := a.store.SaveOutboxItem(ctx, it); err != nil {
		return Submitted{}, fmt.Errorf("retry: %w", err)
	}
	a.bus.Publish(OutboxChanged{ProfileID: profileID})
	// Send now of an upload cut short before tries it now; of any other
	// item, leaves such uploads as a new action does (afterEnqueue).
	return a.sendAndReport(ctx, profileID, seq, !outbox.UploadCut(it))
}

// discardable is nil when the patient may discard it (see
// DiscardOutboxItem), else why not.
func discardable(it storage.OutboxItem) error {
	switch {
	case it.Status == storage.OutboxSent:
		return invalid(i18n.L("{{.ID}} was already accepted by the practice", map[string]any{"ID": LocalID(it.Seq)}))
	case mayHaveReached(it):
		return invalid(i18n.L("{{.ID}} may already have reached the practice; it is kept until the practice answers", map[string]any{"ID": LocalID(it.Seq)}))
	}
	return nil
}

// mayHaveReached reports whether it waits to be sent while an attempt of
// it may already have reached the practice: one went out whole and its
// outcome is unknown (no answer came, or the practice's server failed);
// only an upload cut short provably left nothing there.
func mayHaveReached(it storage.OutboxItem) bool {
	return it.Status == storage.OutboxPending && it.Attempts > it.CutAttempts
}

// DiscardOutboxItem removes an item the practice refused, or one that
// never reached it (never tried, or every try cut short before all of it
// left). An item that may already be at the practice (an attempt went out
// with no answer) or was sent cannot be discarded.
func (a *App) DiscardOutboxItem(ctx context.Context, profileID string, seq int64) error {
	err := a.store.DeleteOutboxItem(ctx, profileID, seq, discardable)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return invalid(i18n.L("no outbox item {{.ID}}", map[string]any{"ID": LocalID(seq)}))
	case errors.Is(err, ErrInvalidInput):
		return err
	case err != nil:
		return fmt.Errorf("discard: %w", err)
	}
	a.bus.Publish(OutboxChanged{ProfileID: profileID})
	return nil
}

// practiceAPI returns a profile with a FHIR client for its practice: with
// its SMART tokens, or none for an open server. The demo practice is
// started (and the demo profile pointed at it) when needed.
func (a *App) practiceAPI(ctx context.Context, profileID string) (storage.Profile, *fhirapi.Client, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return p, nil, fmt.Errorf("profile: %w", err)
	}
	if p.Settings[settingDemo] == "true" {
		if p, err = a.reconnectDemo(ctx, p); err != nil {
			return p, nil, err
		}
	}
	api, err := a.client(p.ID, p.PracticeURL, p.Settings[settingAuth] != "none")
	if err != nil {
		return p, nil, fmt.Errorf("practice client: %w", err)
	}
	return p, api, nil
}
