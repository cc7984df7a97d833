package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/carebook/carebook/app/record"
)

// MergedRecord is one person's record at every practice linked to it (see
// LinkProfiles), for the merged views: each practice's decoded record,
// named by its practice. The record package merges them (record.Merge*):
// items carry their sources, the same item from two practices is one.
type MergedRecord struct {
	// Profiles are the person's profiles, the one asked for first.
	Profiles []ProfileInfo
	// Parts are their records, parallel to Profiles.
	Parts []record.Part
}

// Linked reports whether the record spans more than one practice.
func (m MergedRecord) Linked() bool { return len(m.Parts) > 1 }

// sourceOf names a profile as the source of merged items.
func sourceOf(p ProfileInfo) record.Source {
	return record.Source{ProfileID: p.ID, Practice: p.Practice}
}

// MergedRecord reads the records of profileID's person from the cache
// (works offline). For a profile linked to no other it holds that profile
// alone.
func (a *App) MergedRecord(ctx context.Context, profileID string) (MergedRecord, error) {
	return a.MergedRecordOf(ctx, profileID)
}

// MergedRecordOf is MergedRecord reading only the resources of types (and
// SupportTypes) of each practice's record (see ChartOf); no types reads
// the whole records.
func (a *App) MergedRecordOf(ctx context.Context, profileID string, types ...string) (MergedRecord, error) {
	ps, err := a.LinkedProfiles(ctx, profileID)
	if err != nil {
		return MergedRecord{}, fmt.Errorf("merged record: %w", err)
	}
	m := MergedRecord{Profiles: ps}
	for _, p := range ps {
		c, err := a.ChartOf(ctx, p.ID, types...)
		if err != nil {
			return MergedRecord{}, fmt.Errorf("merged record: %w", err)
		}
		m.Parts = append(m.Parts, record.Part{Source: sourceOf(p), Chart: c})
	}
	return m, nil
}

// MergedDashboard is the home screen of a person seen at several
// practices: each practice's dashboard, and what the merged home screen
// lists, each item with where it comes from.
type MergedDashboard struct {
	Profiles   []ProfileInfo // the person's profiles, the one asked for first
	Dashboards []Dashboard   // parallel to Profiles
	// Upcoming appointments at every practice, soonest first.
	Upcoming []record.Sourced[record.Appointment]
	// NewResults at every practice, newest first.
	NewResults []record.Sourced[record.LabGroup]
	// Medications are the active prescriptions, the same one from two
	// practices once, by name.
	Medications []record.Sourced[record.MedicationRequest]
	// Attention is every practice's "needs attention" items.
	Attention []record.Sourced[record.Attention]
	// Unread, PendingSends and FailedSends add up the practices'.
	Unread, PendingSends, FailedSends int
}

// Linked reports whether the dashboard spans more than one practice.
func (d MergedDashboard) Linked() bool { return len(d.Profiles) > 1 }

// MergedDashboard computes the person's home screen over every practice
// linked to profileID, from the cache (works offline).
func (a *App) MergedDashboard(ctx context.Context, profileID string) (MergedDashboard, error) {
	ps, err := a.LinkedProfiles(ctx, profileID)
	if err != nil {
		return MergedDashboard{}, fmt.Errorf("merged dashboard: %w", err)
	}
	out := MergedDashboard{Profiles: ps}
	parts := make([]record.Part, 0, len(ps))
	// Each practice's dashboard reads its own encrypted records: side by
	// side on as many cores as there are.
	dashes := make([]Dashboard, len(ps))
	charts := make([]*record.Chart, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dashes[i], charts[i], errs[i] = a.dashboard(ctx, p.ID)
		}()
	}
	wg.Wait()
	for i, p := range ps {
		d, chart, err := dashes[i], charts[i], errs[i]
		if err != nil {
			return MergedDashboard{}, fmt.Errorf("merged dashboard: %w", err)
		}
		src := sourceOf(p)
		out.Dashboards = append(out.Dashboards, d)
		parts = append(parts, record.Part{Source: src, Chart: chart})
		for _, ap := range d.Upcoming {
			out.Upcoming = append(out.Upcoming, one(ap, chart, src, ap.Key()))
		}
		for _, g := range d.NewResults {
			out.NewResults = append(out.NewResults, one(g, chart, src, g.Key()))
		}
		for _, at := range d.Attention {
			out.Attention = append(out.Attention, one(at, chart, src, at.Key))
		}
		out.Unread += len(d.Unread)
		out.PendingSends += d.PendingSends
		out.FailedSends += d.FailedSends
	}
	sort.SliceStable(out.Upcoming, func(i, j int) bool { return out.Upcoming[i].Item.Start.Before(out.Upcoming[j].Item.Start) })
	sort.SliceStable(out.NewResults, func(i, j int) bool { return out.NewResults[i].Item.Date.After(out.NewResults[j].Item.Date) })
	for _, m := range record.MergeMedications(parts) {
		if m.Item.Active() {
			out.Medications = append(out.Medications, m)
		}
	}
	sort.SliceStable(out.Medications, func(i, j int) bool {
		return strings.ToLower(out.Medications[i].Item.Medication) < strings.ToLower(out.Medications[j].Item.Medication)
	})
	return out, nil
}

// one is an item from a single practice.
func one[T any](item T, c *record.Chart, src record.Source, key string) record.Sourced[T] {
	return record.Sourced[T]{Item: item, Chart: c, Sources: []record.Source{src}, Keys: []string{key}}
}

// dashChart is what a profile's dashboard read of its record, kept while
// the app is unlocked and the record unchanged: going back to a person
// (or to a person's merged home screen, which reads every practice's)
// does not decrypt and decode it again. forget drops it.
type dashChart struct {
	chart *record.Chart
	since time.Time
	gen   int
}

// keptDashboardChart is dashboardChart, kept (see dashChart).
func (a *App) keptDashboardChart(ctx context.Context, profileID string, since time.Time) (*record.Chart, error) {
	a.mu.Lock()
	kept, ok := a.dashCharts[profileID]
	gen := a.chartsGen
	a.mu.Unlock()
	if ok && kept.gen == gen && kept.since.Equal(since) {
		return kept.chart, nil
	}
	c, err := a.dashboardChart(ctx, profileID, since)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	// Never kept after a lock, nor when a sync changed the record
	// meanwhile (forget ran: the generation moved on).
	if !a.store.Locked() && a.chartsGen == gen {
		if a.dashCharts == nil {
			a.dashCharts = map[string]dashChart{}
		}
		a.dashCharts[profileID] = dashChart{chart: c, since: since, gen: gen}
	}
	a.mu.Unlock()
	return c, nil
}
