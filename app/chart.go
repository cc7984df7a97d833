package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/pull"
)

// Chart returns the profile's whole cached record, decoded for display.
// It reads only the local cache, so it works offline. The chart is not
// kept: screens ask ChartOf for only the types they show.
func (a *App) Chart(ctx context.Context, profileID string) (*record.Chart, error) {
	return a.ChartOf(ctx, profileID)
}

// Dashboard is the home screen of one profile: what matters today.
type Dashboard struct {
	record.Dashboard
	Profile     ProfileInfo
	PatientName string
	// Access says what the practice shares with whoever signed in (a
	// parent of a teenager sees part of the record).
	Access       Access
	PendingSends int // outbox items not confirmed by the server yet
	FailedSends  int // outbox items the server refused: the patient must look
	// UnreadBy counts the unread messages per person who wrote them, most
	// first.
	UnreadBy []UnreadCount
	// Requests are the patient's open requests (waiting to be sent, or at
	// the practice without an outcome yet), newest first.
	Requests []Request
	// Due is the preventive care due now: the practice's recommendations
	// first, then general guidance (CareDue.Guidance), which screens must
	// label as such.
	Due []record.CareDue
	// FileDamaged is set when the check of the data file that runs in
	// the background found damage: the next start offers to rebuild the
	// file (storage.RebuildDamaged).
	FileDamaged bool
	// Incomplete is set while the record has not been downloaded in full:
	// no sync of the profile has finished yet, or its cache is empty (a
	// rebuilt data file). What the dashboard shows may then lack what
	// the practice has, so it leaves out general guidance, which reads
	// what the record does not show ("your record shows none").
	Incomplete bool
}

// Dashboard computes the profile's dashboard from the cache (works offline).
func (a *App) Dashboard(ctx context.Context, profileID string) (Dashboard, error) {
	d, _, err := a.dashboard(ctx, profileID)
	return d, err
}

// dashboard is Dashboard, also returning the chart it read.
func (a *App) dashboard(ctx context.Context, profileID string) (Dashboard, *record.Chart, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Dashboard{}, nil, fmt.Errorf("dashboard: %w", err)
	}
	now := a.cfg.Now()
	since := resultsBaseline(p, now)
	chart, err := a.keptDashboardChart(ctx, profileID, since)
	if err != nil {
		return Dashboard{}, nil, err
	}
	d, err := a.dashboardOf(ctx, p, chart, now, since)
	return d, chart, err
}

// dashboardOf computes the dashboard of profile p from its chart.
func (a *App) dashboardOf(ctx context.Context, p storage.Profile, chart *record.Chart, now, since time.Time) (Dashboard, error) {
	profileID := p.ID
	opened, err := a.openedResults(ctx, profileID)
	if err != nil {
		return Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	d := Dashboard{
		Dashboard:   record.BuildDashboard(chart, now, since, readSet(p)),
		Profile:     profileInfo(p),
		PatientName: p.Label,
		Access:      accessOf(p.Settings),
		Due:         record.PreventiveCare(chart, now),
		FileDamaged: a.store.IntegrityProblem() != nil,
	}
	d.Incomplete, err = a.recordIncomplete(ctx, p)
	if err != nil {
		return Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	if d.Incomplete {
		d.Due = slices.DeleteFunc(d.Due, func(c record.CareDue) bool { return c.Guidance })
	}
	// The flu reminder is among the preventive care, labelled as general
	// guidance: not twice on the dashboard.
	d.Attention = slices.DeleteFunc(d.Attention, func(at record.Attention) bool { return at.Kind == record.AttentionFluShotDue })
	if hidden, _ := d.Access.Hides("Immunization"); hidden {
		// Guidance from a record the practice shares only in part would
		// be wrong: only the practice's own recommendations stay.
		d.Due = slices.DeleteFunc(d.Due, func(c record.CareDue) bool { return c.Guidance })
	}
	if hidden, _ := d.Access.Hides("Encounter"); hidden {
		// The check-up guidance reads the visits: with them not shared,
		// "your record shows none" would be false.
		d.Due = slices.DeleteFunc(d.Due, func(c record.CareDue) bool {
			return c.Guidance && strings.HasPrefix(c.Key, record.CheckUpGuidanceKey)
		})
	}
	if len(opened) > 0 {
		seen := openedObservations(d.NewResults, opened)
		d.NewResults = unseenResults(d.NewResults, opened)
		d.Attention = slices.DeleteFunc(d.Attention, func(at record.Attention) bool {
			return at.Kind == record.AttentionAbnormalResult && seen[at.Key]
		})
	}
	if pt, ok := chart.Patient(); ok && pt.Name != "" {
		d.PatientName = pt.Name
	}
	d.UnreadBy = unreadBy(chart, d.Unread)
	items, err := a.store.Outbox(ctx, profileID, storage.OutboxPending, storage.OutboxFailed, storage.OutboxConflict)
	if err != nil {
		return Dashboard{}, fmt.Errorf("dashboard: outbox: %w", err)
	}
	for _, it := range items {
		if it.Status == storage.OutboxPending {
			d.PendingSends++
		} else {
			d.FailedSends++
		}
	}
	entries, err := a.Outbox(ctx, profileID)
	if err != nil {
		return Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	for _, r := range listRequests(chart, entries) {
		if r.State.Open() {
			d.Requests = append(d.Requests, r)
		}
	}
	return d, nil
}

// RecordIncomplete reports whether the profile's record has not been
// downloaded in full yet (see Dashboard.Incomplete): general guidance is
// then left out of the preventive care.
func (a *App) RecordIncomplete(ctx context.Context, profileID string) (bool, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return false, fmt.Errorf("record incomplete: %w", err)
	}
	return a.recordIncomplete(ctx, p)
}

// recordIncomplete reports whether profile p's record has not been
// downloaded in full: no sync of it has finished yet, or none since the
// data file was rebuilt without the cached record (the next sync
// downloads it again). A record the practice shares nothing of is
// complete once a sync finished, empty as it is.
func (a *App) recordIncomplete(ctx context.Context, p storage.Profile) (bool, error) {
	if p.Settings[settingLastSync] == "" {
		return true, nil
	}
	downloaded, err := pull.Downloaded(ctx, a.store, p.ID)
	if err != nil {
		return false, err
	}
	return !downloaded, nil
}

// dashboardTypes are the resource types the dashboard reads in full;
// Observations it reads only from the day results were last looked at,
// DiagnosticReports only from the month before, and of the Encounters
// the last check-up (see dashboardChart).
var dashboardTypes = []string{
	"Patient", "Appointment", "Communication", "Task", "Invoice", "Account",
	"MedicationRequest", "Medication", "Immunization", "ImmunizationRecommendation",
	"Practitioner", "PractitionerRole", "Organization", "Location", "RelatedPerson", "HealthcareService",
}

// dashboardChart returns what the dashboard needs of a record: only the
// types the dashboard shows, with just the Observations updated since the
// patient last looked (a long record is mostly old Observations, and
// decoding them all would keep the patient waiting after unlock), the
// reports that may be new and the last check-up of the visits.
func (a *App) dashboardChart(ctx context.Context, profileID string, since time.Time) (*record.Chart, error) {
	var in []record.Resource
	collect := func(r storage.Resource) error {
		in = append(in, record.Resource(r))
		return nil
	}
	for _, typ := range dashboardTypes {
		if err := a.store.Each(ctx, profileID, typ, collect); err != nil {
			return nil, fmt.Errorf("read record: %w", err)
		}
	}
	// The visits count for the check-up guidance alone, which reads the
	// last check-up.
	if err := a.checkUpEncounters(ctx, profileID, collect); err != nil {
		return nil, err
	}
	// A day of margin: only the day of lastUpdated is stored in clear, and
	// results are new by their own dates, which never follow their update.
	cutoff := since.AddDate(0, 0, -1)
	// Of the reports, only those issued or taken in cutoff's month or
	// later (the month of their own date is kept in clear, see ownDate),
	// or without a date storage could keep: an older report's results
	// are not new. Those that could list a new result still are read
	// below (readOlderReports).
	reports := map[string]bool{}
	err := a.store.EachDatedSince(ctx, profileID, "DiagnosticReport", time.Time{}, cutoff, func(r storage.Resource) error {
		in = append(in, record.Resource(r))
		reports[r.ID] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	// Of the results updated since, only those dated since (by the month
	// of their own date, kept in clear) or without a date storage could
	// keep are read: a first sync brings years of results, all updated
	// that day, and the old ones stay sealed on disk.
	var updated []record.Resource
	read := map[string]bool{}
	err = a.store.EachDatedSince(ctx, profileID, "Observation", cutoff, cutoff, func(r storage.Resource) error {
		updated = append(updated, record.Resource(r))
		read[r.ID] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	// Results of reports issued since then are new whatever their own
	// dates say: those dated earlier are read one by one.
	ofNewReports := record.ResultsOfReportsSince(in, cutoff)
	day := cutoff.UTC().Format(time.DateOnly)
	for id := range ofNewReports {
		if read[id] {
			continue
		}
		r, err := a.store.Get(ctx, profileID, "Observation", id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read record: %w", err)
		}
		if r.LastUpdated.IsZero() || r.LastUpdated.UTC().Format(time.DateOnly) >= day {
			updated = append(updated, record.Resource(r))
		}
	}
	if len(updated) > decodeAllBelow {
		// Many still (a first sync of a long record, whose results of the
		// last weeks are many): the old ones are passed over without
		// decoding.
		updated = slices.DeleteFunc(updated, func(r record.Resource) bool {
			return !ofNewReports[r.ID] && !record.MayBeNewSince(r.JSON, cutoff)
		})
	}
	in = append(in, updated...)
	c := record.Load(in)
	return a.readOlderReports(ctx, profileID, c, in, reports, since)
}

// readOlderReports completes chart c (decoded from in) with the older
// reports that list one of its new results not grouped by a report: the
// dashboard counts a result a report of any date lists as that report's,
// not as a new result of its own. Reports already read are in read. Most
// records have no such result, and the older reports stay sealed.
func (a *App) readOlderReports(ctx context.Context, profileID string, c *record.Chart, in []record.Resource, read map[string]bool, since time.Time) (*record.Chart, error) {
	loose := record.UnreportedNewResults(c, since)
	if len(loose) == 0 {
		return c, nil
	}
	more := 0
	err := a.store.Each(ctx, profileID, "DiagnosticReport", func(r storage.Resource) error {
		if !read[r.ID] && record.ReportMentions(r.JSON, loose) {
			in = append(in, record.Resource(r))
			more++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	if more == 0 {
		return c, nil
	}
	return record.Load(in), nil
}

// decodeAllBelow is how many results updated since the last look the
// dashboard decodes without sorting out old ones first: sorting costs a
// pass over the reports, worth it only for many results.
const decodeAllBelow = 300

// forget drops the decoded record of one profile ("" = all of them).
func (a *App) forget(profileID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.chartsGen++
	if profileID == "" {
		a.dashCharts = nil
		a.shared, a.trends = nil, nil
		return
	}
	delete(a.dashCharts, profileID)
	for key := range a.shared {
		if strings.HasPrefix(key, profileID+"@") {
			delete(a.shared, key)
		}
	}
	for key := range a.trends {
		if strings.HasPrefix(key, profileID+"@") {
			delete(a.trends, key)
		}
	}
}

// unreadBy counts unread messages per person who wrote them, most first.
func unreadBy(c *record.Chart, unread []record.Communication) []UnreadCount {
	counts := map[string]int{}
	for _, m := range unread {
		counts[messageName(c, m.Sender, i18n.L("Your practice"))]++
	}
	out := make([]UnreadCount, 0, len(counts))
	for from, n := range counts {
		out = append(out, UnreadCount{From: from, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].From < out[j].From
	})
	return out
}
