package app

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/cputime"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// TestBenchFirstSearch (issue 15, run by scripts/bench.sh with
// CAREBOOK_BENCH=1, never by make test): the first search after unlock in
// a record of CAREBOOK_BENCH_SEARCH_SCALES thousand resources (default
// 100), median of 3 runs each, and the Go heap in use after it, for words
// of one letter and more (CAREBOOK_BENCH_SEARCH_QUERIES, comma-separated,
// replaces them); and what the index costs the writes of a sync (the same
// pages of 1,000 resources written with and without it).
func TestBenchFirstSearch(t *testing.T) {
	if os.Getenv("CAREBOOK_BENCH") == "" {
		t.Skip("a benchmark: set CAREBOOK_BENCH=1 (scripts/bench.sh does)")
	}
	scales := []int{100}
	if v := os.Getenv("CAREBOOK_BENCH_SEARCH_SCALES"); v != "" {
		scales = nil
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				t.Fatal(err)
			}
			scales = append(scales, n)
		}
	}
	ctx := context.Background()
	const passphrase = "correct horse battery staple"
	for _, scale := range scales {
		rs := scaleRecord(t, scale, false)
		// The writes of a sync, in its pages, without and then with the index.
		var write, writeCPU [2]time.Duration
		var a *App
		var profileID string
		var rebuild, rebuildCPU time.Duration
		for i, indexed := range []bool{false, true} {
			if a != nil {
				// The cache written without the index is one from before
				// it: the app builds its index in the background.
				a.store.SetSearchIndexer(IndexForSearch)
				start, cpu := time.Now(), cputime.Used()
				for {
					p, err := a.store.RebuildSearchStep(ctx, profileID)
					if err != nil {
						t.Fatal(err)
					}
					if p.Built {
						break
					}
				}
				rebuild, rebuildCPU = time.Since(start), cputime.Used()-cpu
				a.Close()
			}
			var err error
			a, err = Open(Config{DataDir: t.TempDir(), Storage: storage.Options{NoKeyring: true, KDF: cheapKDF}, IdleTimeout: -1})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Setup(ctx, passphrase); err != nil {
				t.Fatal(err)
			}
			p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: synth.ScalePatientID, Label: "Quinn Taylor"})
			if err != nil {
				t.Fatal(err)
			}
			profileID = p.ID
			if !indexed {
				a.store.SetSearchIndexer(nil)
			}
			start, cpu := time.Now(), cputime.Used()
			for page := range slices.Chunk(rs, 1000) {
				if err := a.store.Put(ctx, profileID, page...); err != nil {
					t.Fatal(err)
				}
			}
			write[i], writeCPU[i] = time.Since(start), cputime.Used()-cpu
		}
		defer a.Close()
		// After a sync the app merges what its writes added to the index.
		start, cpu := time.Now(), cputime.Used()
		if err := a.store.CompactSearch(ctx, profileID); err != nil {
			t.Fatal(err)
		}
		compact, compactCPU := time.Since(start), cputime.Used()-cpu
		n := len(rs)
		rs = nil // the heap figures below are the app's, not the fixture's
		fmt.Printf("search index %3dk: writing %d resources in pages of 1,000: %.2f s without the index, %.2f s with it (%.2fx); CPU %.2f s and %.2f s (%.2fx)\n",
			scale, n, write[0].Seconds(), write[1].Seconds(), write[1].Seconds()/write[0].Seconds(),
			writeCPU[0].Seconds(), writeCPU[1].Seconds(), writeCPU[1].Seconds()/writeCPU[0].Seconds())
		fmt.Printf("search index %3dk: merged after the sync (in the background) in %.2f s, CPU %.2f s\n", scale, compact.Seconds(), compactCPU.Seconds())
		fmt.Printf("search index %3dk: built for a cache from before the index (in the background after unlock) in %.2f s, CPU %.2f s\n",
			scale, rebuild.Seconds(), rebuildCPU.Seconds())
		// Words of every length: one and two letters have tokens of their
		// own, longer ones stand for the words they start.
		queries := []string{"chol", "hemoglobin blood", "c", "s", "2", "co", "he", "blo", "hemoglobin b", "b c"}
		if v := os.Getenv("CAREBOOK_BENCH_SEARCH_QUERIES"); v != "" {
			queries = strings.Split(v, ",")
		}
		for _, q := range queries {
			var ds, cpus []time.Duration
			var hits int
			var heap, alloc uint64
			for range 3 {
				a.Lock() // drops every key and what was read with them
				if err := a.Unlock(ctx, passphrase); err != nil {
					t.Fatal(err)
				}
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start, cpu := time.Now(), cputime.Used()
				h, err := a.Search(ctx, profileID, q, 100)
				ds, cpus = append(ds, time.Since(start)), append(cpus, cputime.Used()-cpu)
				if err != nil {
					t.Fatal(err)
				}
				hits = len(h)
				runtime.ReadMemStats(&after)
				alloc = max(alloc, after.TotalAlloc-before.TotalAlloc)
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = max(heap, after.HeapInuse)
			}
			slices.Sort(ds)
			slices.Sort(cpus)
			fmt.Printf("first search %3dk %-18q: %d hits, median %.1f ms (%s) (target <= 100 ms at 100k), CPU median %.1f ms; allocated %.1f MB, Go heap in use after it %.1f MB\n",
				scale, q, hits, float64(ds[1].Microseconds())/1000, fmtMs(ds), float64(cpus[1].Microseconds())/1000, float64(alloc)/(1<<20), float64(heap)/(1<<20))
		}
	}
}

func fmtMs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.1f", float64(d.Microseconds())/1000)
	}
	return strings.Join(parts, ", ") + " ms"
}
