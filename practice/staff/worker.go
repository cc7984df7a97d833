package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/carebook/carebook/practice/audit"
	"github.com/carebook/carebook/practice/store"
)

// Config tunes the simulated staff.
type Config struct {
	// Delay is how long the staff take: a message is answered Delay after
	// it was read, a request is accepted Delay after it was made and
	// completed Delay after it was accepted.
	Delay time.Duration
	// Now is the practice's clock; nil means time.Now.
	Now func() time.Time
	// Seed picks among the replies (same seed and message, same reply).
	Seed int64
	// Poll is how often Run looks for work; 0 means Delay/4, kept between
	// 20 milliseconds and 2 seconds.
	Poll time.Duration
	// Audit, when not nil, records the staff's accesses to patients' charts
	// as AuditEvents by the practitioner who acted.
	Audit *audit.Log
	// Logger receives Run's errors (never patient data); nil means
	// slog.Default().
	Logger *slog.Logger
}

// Worker is the practice's simulated front desk and clinicians.
type Worker struct {
	st  *store.Store
	cfg Config

	passes atomic.Int64 // passes Run made (for tests)
}

// New returns a Worker acting on st.
func New(st *store.Store, cfg Config) *Worker {
	return &Worker{st: st, cfg: cfg}
}

func (w *Worker) now() time.Time {
	if w.cfg.Now != nil {
		return w.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

// Run looks for work every Poll until ctx is done, and makes a pass (Step)
// only when there can be some: after a write to the practice's records,
// until a pass ran more than Delay after that write (everything the write
// started is due by then, and a pass that acts writes again), and at most
// a minute apart in any case. A practice nobody writes to costs nothing
// between those passes (the demo's idle app used to make a full pass of
// queries every 2 seconds). Errors are logged and the next pass tries again.
func (w *Worker) Run(ctx context.Context) {
	poll := w.cfg.Poll
	if poll <= 0 {
		poll = min(max(w.cfg.Delay/4, 20*time.Millisecond), 2*time.Second)
	}
	logger := w.cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	var (
		seen       int64     // the store's write mark at the last look
		deadline   time.Time // passes go on until one runs after it
		lastPass   time.Time // real time of the last pass
		passedLate bool      // a pass ran after deadline
	)
	for first := true; ; first = false {
		now := w.now()
		if mark := w.st.WriteMark(); first || mark != seen {
			seen, deadline, passedLate = mark, now.Add(w.cfg.Delay+2*poll), false
		}
		if !passedLate || time.Since(lastPass) >= max(poll, idleRecheck) {
			w.passes.Add(1)
			if err := w.Step(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("practice staff: pass failed", "err", err)
			}
			lastPass = time.Now()
			passedLate = now.After(deadline)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// idleRecheck is how often Run makes a pass when nothing was written: a
// safety net for writes it cannot see (another process's).
const idleRecheck = time.Minute

// Step makes one pass: it reads new patient messages, answers those read at
// least Delay ago, accepts or rejects requests made at least Delay ago and
// completes those accepted at least Delay ago, and confirms bookings waiting
// for the office. Each action commits in its
// own transaction; Step goes on after a failed one and returns all errors.
func (w *Worker) Step(ctx context.Context) error {
	now := w.now()
	return errors.Join(
		w.readMessages(ctx, now),
		w.answerMessages(ctx, now),
		w.reviewRequests(ctx, now),
		w.completeRequests(ctx, now),
		w.confirmAppointments(ctx, now),
	)
}

// searchAll returns every current resource of typ matching params.
func (w *Worker) searchAll(ctx context.Context, typ string, params url.Values) ([]store.Resource, error) {
	q, _, err := store.ParseQuery(typ, params, false)
	if err != nil {
		return nil, fmt.Errorf("staff: search %s: %w", typ, err)
	}
	q.Count = store.MaxCount
	var all []store.Resource
	for {
		page, _, err := w.st.Search(ctx, typ, q)
		if err != nil {
			return nil, fmt.Errorf("staff: search %s: %w", typ, err)
		}
		all = append(all, page...)
		if len(page) < q.Count {
			return all, nil
		}
		q.Offset += len(page)
	}
}

// due reports whether a change made at t is at least Delay old at now.
func (w *Worker) due(t, now time.Time) bool { return !t.Add(w.cfg.Delay).After(now) }

// decode parses a resource, keeping numbers exact.
func decode(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

func encode(m map[string]any) ([]byte, error) { return json.Marshal(m) }

// readIn reads and decodes typ/id inside tx.
func readIn(ctx context.Context, tx *store.Tx, typ, id string) (store.Resource, map[string]any, error) {
	r, err := tx.Read(ctx, typ, id)
	if err != nil {
		return store.Resource{}, nil, fmt.Errorf("staff: read %s: %w", typ, err)
	}
	m, err := decode(r.JSON)
	if err != nil {
		return store.Resource{}, nil, fmt.Errorf("staff: decode %s: %w", typ, err)
	}
	return r, m, nil
}

// updateIn writes m as the next version of r, failing if r changed since.
func updateIn(ctx context.Context, tx *store.Tx, r store.Resource, m map[string]any) error {
	body, err := encode(m)
	if err != nil {
		return fmt.Errorf("staff: encode %s: %w", r.Type, err)
	}
	if _, err := tx.Update(ctx, r.Type, r.ID, body, r.VersionID); err != nil {
		return fmt.Errorf("staff: update %s: %w", r.Type, err)
	}
	return nil
}

// createIn creates a resource of typ from m and returns its id.
func createIn(ctx context.Context, tx *store.Tx, typ string, m map[string]any) (string, error) {
	m["resourceType"] = typ
	body, err := encode(m)
	if err != nil {
		return "", fmt.Errorf("staff: encode %s: %w", typ, err)
	}
	r, err := tx.Create(ctx, typ, body)
	if err != nil {
		return "", fmt.Errorf("staff: create %s: %w", typ, err)
	}
	return r.ID, nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func refOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["reference"].(string)
	return s
}

// refs returns the references of element key (one Reference or a list).
func refs(m map[string]any, key string) []string {
	switch v := m[key].(type) {
	case map[string]any:
		if r := refOf(v); r != "" {
			return []string{r}
		}
	case []any:
		var out []string
		for _, x := range v {
			if r := refOf(x); r != "" {
				out = append(out, r)
			}
		}
		return out
	}
	return nil
}

func ref(s string) map[string]any { return map[string]any{"reference": s} }

func text(s string) map[string]any { return map[string]any{"text": s} }

func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// audit records events after the transaction that made them committed.
func (w *Worker) audit(ctx context.Context, events []audit.Event) error {
	if w.cfg.Audit == nil {
		return nil
	}
	var errs []error
	for _, e := range events {
		errs = append(errs, w.cfg.Audit.Record(ctx, e))
	}
	return errors.Join(errs...)
}

// practitionerName is the display name of a Practitioner reference ("" when
// it cannot be read).
func practitionerName(ctx context.Context, tx *store.Tx, ref string) string {
	id, ok := strings.CutPrefix(ref, "Practitioner/")
	if !ok {
		return ""
	}
	_, p, err := readIn(ctx, tx, "Practitioner", id)
	if err != nil {
		return ""
	}
	names, _ := p["name"].([]any)
	if len(names) == 0 {
		return ""
	}
	n, _ := names[0].(map[string]any)
	if t := str(n, "text"); t != "" {
		return t
	}
	var parts []string
	for _, k := range []string{"prefix", "given"} {
		parts = append(parts, asList(n[k])...)
	}
	if f := str(n, "family"); f != "" {
		parts = append(parts, f)
	}
	return strings.Join(parts, " ")
}

func asList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
