package pull

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// benchTypes spread the large record over several types, like a real chart.
var benchTypes = []string{"Observation", "Condition", "Encounter"}

// newBenchServer is the in-memory server with one patient of n records.
func newBenchServer(b *testing.B, n int) *fhirtest.Server {
	srv := fhirtest.New(fhirtest.Features{Everything: true, SystemHistory: true})
	b.Cleanup(srv.Close)
	srv.Put(`{"resourceType":"Patient","id":"big"}`)
	for i := range n {
		typ := benchTypes[i%len(benchTypes)]
		srv.Put(fmt.Sprintf(`{"resourceType":%q,"id":"r%d","status":"final","subject":{"reference":"Patient/big"},"code":{"coding":[{"system":"http://loinc.org","code":"%d-1","display":"Something measured"}]},"valueQuantity":{"value":%d.5,"unit":"mg/dL"},"effectiveDateTime":"2020-01-01T10:00:00Z"}`, typ, i, i%9000, i%300))
	}
	return srv
}

// peakHeap samples the heap while fn runs and returns the highest
// HeapInuse seen, in bytes.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

func benchStore(b *testing.B) (*storage.Store, string) {
	ctx := context.Background()
	st, err := storage.Open(b.TempDir(), storage.Options{Keyring: storage.NewMemoryKeyring(), KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Setup(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	p, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: "http://127.0.0.1/fhir", PatientID: "big"})
	if err != nil {
		b.Fatal(err)
	}
	return st, p.ID
}

// RunSyncBench measures, on api's server, an initial sync against a bare
// paged download of the same pages, then an incremental sync with nothing
// new. requests reports the server's request count. (Exported for the
// external test package's practice benchmark; test-only.)
func RunSyncBench(b *testing.B, api *fhirapi.Client, patientID string, requests func() int64) {
	ctx := context.Background()
	pageSize := DefaultPageSize // as the app pages
	var bare, initial, incr time.Duration
	var incrRequests int64
	var peakInitial, peakIncr uint64
	var stored int
	time.Sleep(overlap) // records written within the checkpoint overlap would come again
	bareDownload := func() (int, error) {
		n := 0
		_, err := api.Search(ctx, "Patient/"+patientID+"/$everything", map[string][]string{"_count": {fmt.Sprint(pageSize)}},
			fhirapi.SearchHandler{Entry: func(fhirapi.Entry) error { n++; return nil }})
		return n, err
	}
	// A first bare download, not counted, warms the server and the
	// connections: the floor is measured warm.
	if _, err := bareDownload(); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		// The bare download: the same pages, entries read and dropped.
		start := time.Now()
		n, err := bareDownload()
		if err != nil {
			b.Fatal(err)
		}
		bare += time.Since(start)

		st, pid := benchStore(b)
		cfg := Config{API: api, Store: st, ProfileID: pid, PatientID: patientID, PageSize: pageSize}
		runtime.GC()
		start = time.Now()
		peakInitial = max(peakInitial, peakHeap(func() {
			res, err := Run(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			stored = 0
			for _, c := range res.Stored {
				stored += c
			}
		}))
		initial += time.Since(start)
		if stored < n {
			b.Fatalf("stored %d of %d", stored, n)
		}

		time.Sleep(overlap) // records written within the overlap would come again
		runtime.GC()
		before := requests()
		start = time.Now()
		peakIncr = max(peakIncr, peakHeap(func() {
			if _, err := Run(ctx, cfg); err != nil {
				b.Fatal(err)
			}
		}))
		incr += time.Since(start)
		incrRequests += requests() - before
	}
	nf := float64(b.N)
	b.ReportMetric(float64(stored), "resources")
	b.ReportMetric(bare.Seconds()/nf, "bare-download-s")
	b.ReportMetric(initial.Seconds()/nf, "initial-sync-s")
	b.ReportMetric(initial.Seconds()/bare.Seconds(), "sync/bare-ratio")
	b.ReportMetric(float64(incr.Milliseconds())/nf, "incremental-ms")
	b.ReportMetric(float64(incrRequests)/nf, "incremental-requests")
	b.ReportMetric(float64(peakInitial)/(1<<20), "initial-peak-heap-MB")
	b.ReportMetric(float64(peakIncr)/(1<<20), "incremental-peak-heap-MB")
}

// BenchmarkInitialSyncFake runs the sync benchmark against the in-memory
// server with 20,000 records (BenchmarkInitialSyncPractice does the same
// against the reference practice server).
func BenchmarkInitialSyncFake(b *testing.B) {
	srv := newBenchServer(b, 20000)
	api, err := fhirapi.New(srv.Base(), fhirapi.Options{})
	if err != nil {
		b.Fatal(err)
	}
	RunSyncBench(b, api, "big", srv.Requests.Load)
}
