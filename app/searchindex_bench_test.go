package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/cputime"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// BenchmarkSearchIndexer measures what the search index costs a sync of
// the 20k scale record: the indexer alone (IndexForSearch over pages of
// 1,000 resources, as a sync writes them) and the same pages written to a
// cache with the index and without, median CPU time of 5 runs each (the
// runs with and without take turns), with the load average they ran at.
func BenchmarkSearchIndexer(b *testing.B) {
	ctx := context.Background()
	rs := scaleRecord(b, 20, true)
	byKey := map[string]storage.Resource{}
	for _, r := range rs {
		byKey[r.Type+"/"+r.ID] = r
	}
	lookup := func(typ, id string) (storage.Resource, bool) { r, ok := byKey[typ+"/"+id]; return r, ok }
	load := loadAvg()
	var alone []time.Duration
	for range 5 {
		cpu := cputime.Used()
		for page := range slices.Chunk(rs, 1000) {
			IndexForSearch(page, lookup)
		}
		alone = append(alone, cputime.Used()-cpu)
	}
	write := func(indexed bool) time.Duration {
		a, err := Open(Config{DataDir: b.TempDir(), Storage: storage.Options{NoKeyring: true, KDF: cheapKDF}, IdleTimeout: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close()
		if err := a.Setup(ctx, "a long passphrase"); err != nil {
			b.Fatal(err)
		}
		p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: synth.ScalePatientID, Label: "Quinn Taylor"})
		if err != nil {
			b.Fatal(err)
		}
		if !indexed {
			a.store.SetSearchIndexer(nil)
		}
		cpu := cputime.Used()
		for page := range slices.Chunk(rs, 1000) {
			if err := a.store.Put(ctx, p.ID, page...); err != nil {
				b.Fatal(err)
			}
		}
		return cputime.Used() - cpu
	}
	var with, without []time.Duration
	for range 5 {
		without = append(without, write(false))
		with = append(with, write(true))
	}
	am, alo, ahi := medianMS(alone)
	wm, _, _ := medianMS(with)
	nm, _, _ := medianMS(without)
	fmt.Printf("search indexer, %d resources in pages of 1,000: indexer alone CPU median %.0f ms (%.0f–%.0f); writes CPU median %.0f ms with the index, %.0f ms without (the index %.0f ms, %.2fx); load average %s → %s\n",
		len(rs), am, alo, ahi, wm, nm, wm-nm, wm/nm, load, loadAvg())
}

// loadAvg is the machine's load averages ("?" where unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
