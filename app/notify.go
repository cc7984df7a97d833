package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
)

// Notifications: after each sync the app works out what to tell the
// patient (a new message, a new result, a request whose state changed, an
// appointment tomorrow or in an hour, preventive care due) and hands it to
// the Notifier the screens installed (system notifications). Each thing is
// notified once: what was notified is remembered, sealed with the profile.
//
// Privacy by default: a notification's text names no person, subject,
// test or value ("New message from your practice"), since a screen is
// seen by others; the patient may opt in to details per profile. When
// several people's records are in the app, each notification says whose
// it is without a name: "For you" for the signed-in patient's own record,
// the relationship the practice gave for a family member ("For your son"),
// else the initials of the record's label ("For L. O."). With details on,
// the first name is used instead.

// NotificationKind is a kind of notification the patient may switch off.
type NotificationKind string

// The kinds of notification.
const (
	NotifyMessages     NotificationKind = "messages"
	NotifyResults      NotificationKind = "results"
	NotifyRequests     NotificationKind = "requests"
	NotifyAppointments NotificationKind = "appointments"
	NotifyCareDue      NotificationKind = "care-due"
)

// NotificationKinds lists every kind, in the order Settings shows them.
var NotificationKinds = []NotificationKind{NotifyMessages, NotifyResults, NotifyRequests, NotifyAppointments, NotifyCareDue}

// Label is the kind in words, for Settings and the command line.
func (k NotificationKind) Label() string {
	switch k {
	case NotifyMessages:
		return i18n.L("New messages")
	case NotifyResults:
		return i18n.L("New results")
	case NotifyRequests:
		return i18n.L("Request updates")
	case NotifyAppointments:
		return i18n.L("Appointment reminders")
	case NotifyCareDue:
		return i18n.L("Preventive care due")
	}
	return string(k)
}

// Notification is one system notification. Keys name what it announces
// (a message, a result group, a request's state, an appointment reminder,
// a due item); none of them is announced again.
type Notification struct {
	ProfileID string
	Kind      NotificationKind
	Title     string
	Body      string
	Keys      []string
}

// Notifier shows notifications to the patient. The screens install one
// (SetNotifier); it must not block for long.
type Notifier interface {
	Notify(n Notification)
}

// NotificationSettings are a profile's notification choices.
type NotificationSettings struct {
	Off         map[NotificationKind]bool // kinds switched off; all are on by default
	ShowDetails bool                      // names, subjects and test names in the text (off by default)
}

// On reports whether kind k is switched on.
func (s NotificationSettings) On(k NotificationKind) bool { return !s.Off[k] }

// Settings keys of the notification choices (sealed with the profile).
const (
	settingNotifyOff     = "notify_off"     // comma-separated kinds switched off
	settingNotifyDetails = "notify_details" // "1": show details
)

// valueNotified holds (JSON) what was notified for a profile.
const valueNotified = "notifications-sent"

// notifiedKeep is how long a notified key is remembered: longer than any
// reminder stays due.
const notifiedKeep = 400 * 24 * time.Hour

// notifiedState is what was notified for a profile.
type notifiedState struct {
	// Keys maps what was notified to when (RFC 3339).
	Keys map[string]string `json:"keys"`
	// Requests maps each request (its Task id, else local id) to the
	// state it was last seen in.
	Requests map[string]RequestState `json:"requests"`
}

// NotificationSettings returns the profile's notification choices.
func (a *App) NotificationSettings(ctx context.Context, profileID string) (NotificationSettings, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return NotificationSettings{}, fmt.Errorf("notification settings: %w", err)
	}
	return notificationSettings(p.Settings), nil
}

func notificationSettings(s map[string]string) NotificationSettings {
	out := NotificationSettings{Off: map[NotificationKind]bool{}, ShowDetails: s[settingNotifyDetails] == "1"}
	for _, k := range strings.Split(s[settingNotifyOff], ",") {
		if k != "" {
			out.Off[NotificationKind(k)] = true
		}
	}
	return out
}

// SetNotificationSettings stores the profile's notification choices.
func (a *App) SetNotificationSettings(ctx context.Context, profileID string, ns NotificationSettings) error {
	var off []string
	for _, k := range NotificationKinds {
		if ns.Off[k] {
			off = append(off, string(k))
		}
	}
	err := a.updateSettings(ctx, profileID, func(s map[string]string) {
		s[settingNotifyOff] = strings.Join(off, ",")
		s[settingNotifyDetails] = ""
		if ns.ShowDetails {
			s[settingNotifyDetails] = "1"
		}
	})
	if err != nil {
		return fmt.Errorf("notification settings: %w", err)
	}
	return nil
}

// SetNotifier installs the notifier the app notifies through after each
// sync; nil stops notifying (nothing is then remembered as notified).
func (a *App) SetNotifier(n Notifier) {
	a.mu.Lock()
	a.notifier = n
	a.mu.Unlock()
}

// PendingNotifications returns what would be notified for the profile now
// (what is new and not notified yet, of the kinds switched on), without
// notifying or remembering anything: the command line lists it.
func (a *App) PendingNotifications(ctx context.Context, profileID string) ([]Notification, error) {
	a.notifyMu.Lock()
	defer a.notifyMu.Unlock()
	ns, _, err := a.pendingNotifications(ctx, profileID)
	return ns, err
}

// PreventiveCare lists the preventive care due for the profile now: the
// practice's recommendations, then general guidance (CareDue.Guidance),
// nothing for a deceased patient. The dashboard shows the same list.
func (a *App) PreventiveCare(ctx context.Context, profileID string) ([]record.CareDue, error) {
	d, err := a.Dashboard(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("preventive care: %w", err)
	}
	return d.Due, nil
}

// notifyAfterSync notifies what is pending for the profile through the
// installed notifier and remembers it; it returns how many notifications
// it raised. Without a notifier, or while locked, it does nothing.
func (a *App) notifyAfterSync(ctx context.Context, profileID string) (int, error) {
	a.mu.Lock()
	n := a.notifier
	a.mu.Unlock()
	if n == nil || a.store.Locked() {
		return 0, nil
	}
	a.notifyMu.Lock()
	defer a.notifyMu.Unlock()
	list, state, err := a.pendingNotifications(ctx, profileID)
	if err != nil {
		return 0, err
	}
	// Remembered before shown: a notification lost to a crash is better
	// than one shown twice.
	now := a.cfg.Now().UTC()
	for _, x := range list {
		for _, k := range x.Keys {
			state.Keys[k] = now.Format(time.RFC3339)
		}
	}
	if err := a.saveNotified(ctx, profileID, state, now); err != nil {
		return 0, err
	}
	for _, x := range list {
		n.Notify(x)
	}
	return len(list), nil
}

func (a *App) loadNotified(ctx context.Context, profileID string) (notifiedState, bool, error) {
	st := notifiedState{Keys: map[string]string{}, Requests: map[string]RequestState{}}
	b, err := a.store.Value(ctx, profileID, valueNotified)
	if errors.Is(err, storage.ErrNotFound) {
		return st, true, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("notifications: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		// Unreadable: start again as on a first run (nothing old is
		// announced again, as a first run announces nothing old).
		return notifiedState{Keys: map[string]string{}, Requests: map[string]RequestState{}}, true, nil
	}
	if st.Keys == nil {
		st.Keys = map[string]string{}
	}
	if st.Requests == nil {
		st.Requests = map[string]RequestState{}
	}
	return st, false, nil
}

func (a *App) saveNotified(ctx context.Context, profileID string, st notifiedState, now time.Time) error {
	for k, at := range st.Keys {
		if t, err := time.Parse(time.RFC3339, at); err != nil || now.Sub(t) > notifiedKeep {
			delete(st.Keys, k)
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	if err := a.store.PutValue(ctx, profileID, valueNotified, b); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	return nil
}

// pendingNotifications works out what to notify for the profile now and
// the notified state to keep once it is notified (the request states seen
// now; on a first run, everything already there marked as notified). The
// caller holds notifyMu.
func (a *App) pendingNotifications(ctx context.Context, profileID string) ([]Notification, notifiedState, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return nil, notifiedState{}, fmt.Errorf("notifications: %w", err)
	}
	state, first, err := a.loadNotified(ctx, profileID)
	if err != nil {
		return nil, notifiedState{}, err
	}
	if HasAccessEnded(p) {
		return nil, state, nil
	}
	d, chart, err := a.dashboard(ctx, profileID)
	if err != nil {
		return nil, notifiedState{}, fmt.Errorf("notifications: %w", err)
	}
	entries, err := a.Outbox(ctx, profileID)
	if err != nil {
		return nil, notifiedState{}, fmt.Errorf("notifications: %w", err)
	}
	requests := listRequests(chart, entries)
	settings := notificationSettings(p.Settings)
	who, err := a.whose(ctx, p, settings.ShowDetails)
	if err != nil {
		return nil, notifiedState{}, err
	}
	now := a.cfg.Now()
	w := notificationWriter{profileID: profileID, details: settings.ShowDetails, who: who, now: now, state: state}

	if first {
		// What a profile already held when notifications began is not
		// news: messages, results and requests are remembered unannounced.
		for _, m := range d.Unread {
			state.Keys[messageKey(m)] = now.UTC().Format(time.RFC3339)
		}
		for _, g := range d.NewResults {
			state.Keys[resultKey(g)] = now.UTC().Format(time.RFC3339)
		}
	} else {
		w.messages(chart, d.Unread, settings.On(NotifyMessages))
		w.results(d.NewResults, settings.On(NotifyResults))
	}
	w.requests(requests, !first && settings.On(NotifyRequests))
	if settings.On(NotifyAppointments) {
		w.appointments(chart, d.Upcoming)
	}
	if settings.On(NotifyCareDue) {
		w.careDue(d.Due)
	}
	return w.out, state, nil
}

// notificationWriter writes the notifications of one profile.
type notificationWriter struct {
	profileID string
	details   bool
	who       string // "For your son", "" with a single profile
	now       time.Time
	state     notifiedState
	out       []Notification
}

func (w *notificationWriter) add(kind NotificationKind, title, body string, keys []string) {
	if w.who != "" {
		body = strings.TrimSpace(w.who + ". " + body)
	}
	w.out = append(w.out, Notification{ProfileID: w.profileID, Kind: kind, Title: title, Body: body, Keys: keys})
}

func (w *notificationWriter) notified(key string) bool {
	_, ok := w.state.Keys[key]
	return ok
}

// unnotified keeps the items not notified yet, with their keys (key gives
// an item's).
func unnotified[T any](w *notificationWriter, items []T, key func(T) string) ([]T, []string) {
	var fresh []T
	var keys []string
	for _, it := range items {
		if k := key(it); !w.notified(k) {
			fresh = append(fresh, it)
			keys = append(keys, k)
		}
	}
	return fresh, keys
}

func messageKey(m record.Communication) string { return "message/" + m.Key() }
func resultKey(g record.LabGroup) string       { return "result/" + g.Key() }

func (w *notificationWriter) messages(c *record.Chart, unread []record.Communication, on bool) {
	fresh, keys := unnotified(w, unread, messageKey)
	if len(fresh) == 0 || !on {
		// Switched off: what arrived meanwhile is not announced later.
		w.remember(keys)
		return
	}
	n := len(fresh)
	title := i18n.N("{{.Count}} new messages from your practice", n, map[string]any{"Count": n})
	body := i18n.N("Open Carebook to read them.", n)
	if w.details {
		m := fresh[0] // newest first
		from := messageName(c, m.Sender, i18n.L("your practice"))
		title = i18n.N("{{.Count}} new messages; the latest from {{.Sender}}", n, map[string]any{"Count": n, "Sender": from})
		if m.Topic != "" {
			body = m.Topic
		}
	}
	w.add(NotifyMessages, title, body, keys)
}

func (w *notificationWriter) results(groups []record.LabGroup, on bool) {
	fresh, keys := unnotified(w, groups, resultKey)
	if len(fresh) == 0 || !on {
		w.remember(keys)
		return
	}
	n := len(fresh)
	title := i18n.N("{{.Count}} new results", n, map[string]any{"Count": n})
	body := i18n.N("Open Carebook to see them.", n)
	if w.details {
		var names []string
		for _, g := range fresh {
			names = append(names, g.Title)
		}
		body = strings.Join(names, ", ")
	}
	w.add(NotifyResults, title, body, keys)
}

// requestID names a request in the notified state.
func requestID(r Request) string {
	if r.ID != "" {
		return "Task/" + r.ID
	}
	return r.LocalID
}

// requests notifies the requests whose state changed since last seen,
// except to the states the patient's own sending explains (waiting,
// sent). The states seen are remembered whether notified or not.
func (w *notificationWriter) requests(rs []Request, on bool) {
	// A request accepted by the practice changes name (local id to Task
	// id): carry its last state over so the change of name is no news.
	for _, r := range rs {
		if r.ID != "" && r.LocalID != "" {
			if prev, ok := w.state.Requests[r.LocalID]; ok {
				if _, known := w.state.Requests[requestID(r)]; !known {
					w.state.Requests[requestID(r)] = prev
				}
				delete(w.state.Requests, r.LocalID)
			}
		}
	}
	for _, r := range rs {
		id := requestID(r)
		prev, known := w.state.Requests[id]
		w.state.Requests[id] = r.State
		if !on || prev == r.State || r.State == RequestWaiting || r.State == RequestSent {
			continue
		}
		if !known && r.Seq == 0 && r.State.Open() {
			continue // the practice's own new task, not yet news
		}
		key := "request/" + id + "/" + string(r.State)
		if w.notified(key) {
			continue
		}
		title, body := i18n.L("A request has an update"), i18n.L("Open Carebook to see where it stands.")
		if w.details {
			title = r.Title
			body = r.State.Headline()
			if r.Words != "" {
				body += ": " + r.Words
			}
		}
		w.add(NotifyRequests, title, body, []string{key})
	}
}

// Appointment reminders: the day before (any time that day) and in the
// hour before it starts.
func (w *notificationWriter) appointments(c *record.Chart, upcoming []record.Appointment) {
	loc := w.now.Location()
	y, m, d := w.now.Date()
	tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	dayAfter := time.Date(y, m, d+2, 0, 0, 0, 0, loc)
	for _, ap := range upcoming {
		if ap.Status != "booked" && ap.Status != "pending" {
			continue
		}
		start := ap.Start.Time.In(loc)
		at := start.UTC().Format(time.RFC3339)
		with := ""
		if len(ap.Practitioners) > 0 {
			with = messageName(c, ap.Practitioners[0], "")
		}
		detail := func(tomorrow bool) (string, string) {
			at := map[string]any{"Time": locfmt.Current().Time(start)}
			title := i18n.L("Appointment today at {{.Time}}", at)
			if tomorrow {
				title = i18n.L("Appointment tomorrow at {{.Time}}", at)
			}
			body := ""
			if with != "" {
				body = i18n.L("With {{.Name}}.", map[string]any{"Name": with})
			}
			if len(ap.ServiceTypes) > 0 {
				body = strings.TrimSpace(body + " " + ap.ServiceTypes[0] + ".")
			}
			return title, body
		}
		if until := start.Sub(w.now); until > 0 && until <= time.Hour {
			key := "appointment/" + ap.Key() + "/hour/" + at
			if !w.notified(key) {
				title, body := i18n.L("Appointment in an hour"), i18n.L("Open Carebook for the details.")
				if w.details {
					title, body = detail(false)
				}
				w.add(NotifyAppointments, title, body, []string{key})
			}
			continue // the day-before reminder would come after this one
		}
		if !start.Before(tomorrow) && start.Before(dayAfter) {
			key := "appointment/" + ap.Key() + "/day/" + at
			if !w.notified(key) {
				title, body := i18n.L("Appointment tomorrow"), i18n.L("Open Carebook for the time and place.")
				if w.details {
					title, body = detail(true)
				}
				w.add(NotifyAppointments, title, body, []string{key})
			}
		}
	}
}

func (w *notificationWriter) careDue(items []record.CareDue) {
	var fresh []record.CareDue
	var keys []string
	for _, it := range items {
		if k := "due/" + it.Key; !w.notified(k) {
			fresh = append(fresh, it)
			keys = append(keys, k)
		}
	}
	if len(fresh) == 0 {
		return
	}
	n := len(fresh)
	title := i18n.N("{{.Count}} health reminders are due", n, map[string]any{"Count": n})
	body := i18n.L("Open Carebook to see what.")
	if w.details {
		var lines []string
		for _, it := range fresh {
			lines = append(lines, CareDueHeading(it))
		}
		body = strings.Join(lines, "\n")
	}
	w.add(NotifyCareDue, title, body, keys)
}

// CareDueHeading is a due item's heading: "Due: flu vaccine — general
// guidance", or "Overdue: …" once its date has gone by, as its detail
// says ("Overdue since 20 Nov 2026.").
func CareDueHeading(it record.CareDue) string {
	if it.Overdue {
		return i18n.L("Overdue: {{.What}}", map[string]any{"What": CareDueLine(it)})
	}
	return i18n.L("Due: {{.What}}", map[string]any{"What": CareDueLine(it)})
}

// CareDueLine is a due item in words with where it comes from: "flu
// vaccine — general guidance" or "Shingles vaccine — recommended by your
// practice".
func CareDueLine(it record.CareDue) string {
	if it.Guidance {
		return i18n.L("{{.Title}} — general guidance", map[string]any{"Title": it.Title})
	}
	return i18n.L("{{.Title}} — recommended by your practice", map[string]any{"Title": it.Title})
}

// remember marks keys as notified without notifying them.
func (w *notificationWriter) remember(keys []string) {
	for _, k := range keys {
		w.state.Keys[k] = w.now.UTC().Format(time.RFC3339)
	}
}

// whose says whose record a notification is about, without a name unless
// details are on; "" when the app holds a single profile.
func (a *App) whose(ctx context.Context, p storage.Profile, details bool) (string, error) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return "", fmt.Errorf("notifications: %w", err)
	}
	if len(ps) < 2 {
		return "", nil
	}
	info := profileInfo(p)
	switch {
	case details && info.Label != "":
		return i18n.L("For {{.Who}}", map[string]any{"Who": strings.Fields(info.Label)[0]}), nil
	case info.Self:
		return i18n.L("For you"), nil
	case info.Relationship != "":
		return i18n.L("For {{.Who}}", map[string]any{"Who": info.Relationship}), nil
	}
	var initials []string
	for _, r := range strings.Fields(info.Label) {
		initials = append(initials, strings.ToUpper(string([]rune(r)[0]))+".")
	}
	if len(initials) == 0 {
		return i18n.L("For another person"), nil
	}
	return i18n.L("For {{.Who}}", map[string]any{"Who": strings.Join(initials, " ")}), nil
}
