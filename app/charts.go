package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"weak"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
)

// Charts by type: a screen asks for the types it shows (ChartOf), never
// for the whole record. A long record is mostly results; the medications
// screen need not decode them, and the results screen need not keep the
// visits' billing. Nothing keeps a chart: while a screen holds one,
// others asking for the same types share it (App.shared holds weak
// pointers), and once no screen holds it the collector frees it.

// SupportTypes are the resources other records point to for a name (who
// prescribed, where a visit was, which medicine): every chart of some
// types holds them too, so names resolve as in the whole record.
var SupportTypes = []string{
	"Patient", "Practitioner", "PractitionerRole", "Organization", "Location",
	"RelatedPerson", "HealthcareService", "Medication",
}

// ChartOf returns the resources of types in profileID's cache, decoded,
// with SupportTypes; no types means the whole record. It reads only the
// local cache, so it works offline. Callers that ask for the same types
// at the same time share one decode (a caller whose ctx ends stops
// waiting; the decode goes on for the others), and while a chart is in
// use, a caller asking again gets it without decoding it again. The chart
// is read-only.
func (a *App) ChartOf(ctx context.Context, profileID string, types ...string) (*record.Chart, error) {
	set := chartTypes(types)
	a.mu.Lock()
	gen := a.chartsGen
	// The generation is in the key: a chart read before a sync changed
	// the record is not handed to a caller who asked after it.
	key := fmt.Sprintf("%s@%d|%s", profileID, gen, strings.Join(set, ","))
	if c := a.shared[key].Value(); c != nil {
		a.mu.Unlock()
		return c, nil
	}
	a.mu.Unlock()
	done := a.decodes.DoChan(key, func() (any, error) {
		return a.decodeChart(context.WithoutCancel(ctx), profileID, set, key, gen)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("read record: %w", ctx.Err())
	case r := <-done:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*record.Chart), nil
	}
}

// chartTypes is types with SupportTypes, sorted, each once; nil (the
// whole record) for no types.
func chartTypes(types []string) []string {
	if len(types) == 0 {
		return nil
	}
	set := append(slices.Clone(types), SupportTypes...)
	slices.Sort(set)
	return slices.Compact(set)
}

// decodeChart reads and decodes the resources of set (nil: all) and
// shares the chart under key while it is in use, unless the app locked or
// the record changed (generation gen) meanwhile.
func (a *App) decodeChart(ctx context.Context, profileID string, set []string, key string, gen int) (*record.Chart, error) {
	a.decodeCount.Add(1)
	c, err := a.loadChart(ctx, profileID, set, nil)
	if err != nil {
		return nil, err
	}
	// The charts of some types that hold the results share their trends
	// (the results, the trends and a search each read the results).
	shareTrends := set != nil && slices.Contains(set, "Observation")
	trendsKey := fmt.Sprintf("%s@%d|trends", profileID, gen)
	if shareTrends {
		a.mu.Lock()
		t := a.trends[trendsKey].Value()
		a.mu.Unlock()
		if t == nil {
			t = c.Trends()
		}
		c.UseTrends(t)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store.Locked() || a.chartsGen != gen {
		return c, nil
	}
	for k, p := range a.trends {
		if p.Value() == nil {
			delete(a.trends, k)
		}
	}
	if shareTrends {
		if a.trends == nil {
			a.trends = map[string]weak.Pointer[record.TrendIndex]{}
		}
		if a.trends[trendsKey].Value() == nil {
			a.trends[trendsKey] = weak.Make(c.Trends())
		}
	}
	for k, p := range a.shared {
		if p.Value() == nil {
			delete(a.shared, k) // freed: no screen holds it any more
		}
	}
	if a.shared == nil {
		a.shared = map[string]weak.Pointer[record.Chart]{}
	}
	a.shared[key] = weak.Make(c)
	return c, nil
}

// chartWithRefs is the chart of types (see ChartOf) with the resources
// that refs(chart) point to ("Type/id") and that it lacks, read one by
// one: a request's list names the result or report it is about without
// decoding every result of a long record.
func (a *App) chartWithRefs(ctx context.Context, profileID string, types []string, refs func(*record.Chart) []string) (*record.Chart, error) {
	c, err := a.ChartOf(ctx, profileID, types...)
	if err != nil {
		return nil, err
	}
	have := chartTypes(types)
	var keys []string
	for _, ref := range refs(c) {
		keys = append(keys, relativeRef(ref))
	}
	extra, err := a.readEntries(ctx, profileID, keys, have)
	if err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return c, nil
	}
	// Decoded again with what they point to, so names resolve as they
	// would in the whole record.
	return a.loadChart(ctx, profileID, have, extra)
}

// ChartOfEntries returns the entries keys name ("Type/id"; those not in
// the cache are left out), decoded, with SupportTypes: what the details
// of one entry show, read when it is opened. It reads only the local
// cache, so it works offline.
func (a *App) ChartOfEntries(ctx context.Context, profileID string, keys ...string) (*record.Chart, error) {
	in, err := a.readEntries(ctx, profileID, keys, SupportTypes)
	if err != nil {
		return nil, err
	}
	return a.loadChart(ctx, profileID, slices.Sorted(slices.Values(SupportTypes)), in)
}

// readEntries reads the resources keys name ("Type/id") one by one, each
// once, leaving out those of the types in skip (read with them already)
// and those not in the cache.
func (a *App) readEntries(ctx context.Context, profileID string, keys, skip []string) ([]record.Resource, error) {
	var out []record.Resource
	seen := map[string]bool{}
	for _, key := range keys {
		typ, id, ok := strings.Cut(key, "/")
		if !ok || typ == "" || id == "" || seen[key] || slices.Contains(skip, typ) {
			continue
		}
		seen[key] = true
		r, err := a.store.Get(ctx, profileID, typ, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read record: %w", err)
		}
		out = append(out, record.Resource(r))
	}
	return out, nil
}

// loadChart reads the resources of types (sorted; nil: every type) from
// profileID's cache and decodes them with extra (resources of other types
// read one by one) into a chart, in the whole record's order (by type,
// then id: store.List's), so names resolve as they would there. It reads
// each type as a stream (store.Each), in batches the Loader decodes and
// drops: the JSON of a long record's results is never all in memory.
func (a *App) loadChart(ctx context.Context, profileID string, types []string, extra []record.Resource) (*record.Chart, error) {
	counts, err := a.store.Counts(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	if types == nil {
		types = slices.Sorted(maps.Keys(counts))
	}
	n := make(map[string]int, len(types)+len(extra))
	for _, typ := range types {
		n[typ] = counts[typ]
	}
	for _, r := range extra {
		n[r.Type]++
	}
	extra = slices.Clone(extra)
	slices.SortStableFunc(extra, func(x, y record.Resource) int {
		return cmp.Or(cmp.Compare(x.Type, y.Type), cmp.Compare(x.ID, y.ID))
	})
	all := slices.Clone(types)
	for _, r := range extra {
		all = append(all, r.Type)
	}
	slices.Sort(all)
	l := record.NewLoader(n)
	for _, typ := range slices.Compact(all) {
		if _, read := slices.BinarySearch(types, typ); read {
			err := a.store.Each(ctx, profileID, typ, func(r storage.Resource) error {
				l.Add(record.Resource(r))
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("read record: %w", err)
			}
		}
		for _, r := range extra {
			if r.Type == typ {
				l.Add(r)
			}
		}
	}
	return l.Chart(), nil
}
