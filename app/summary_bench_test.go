package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/cputime"
	"github.com/carebook/carebook/storage"
)

// peakHeap runs fn and returns the most heap its objects took meanwhile
// (sampled every 2 ms, above what they took before) and the bytes it
// allocated.
func peakHeap(fn func() error) (peak, allocated uint64, err error) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	read := func() (uint64, uint64) {
		metrics.Read(sample)
		return sample[0].Value.Uint64(), sample[1].Value.Uint64()
	}
	runtime.GC()
	base, alloc0 := read()
	var top atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if h, _ := read(); h > top.Load() {
					top.Store(h)
				}
			}
		}
	}()
	err = fn()
	close(done)
	<-stopped
	h, alloc1 := read()
	top.Store(max(top.Load(), h))
	return max(top.Load(), base) - base, alloc1 - alloc0, err
}

// BenchmarkSummaryAndRequests measures, on a long record cached right
// after a first sync (20k and 100k resources), what the patient waits
// for outside the screens: the health summary, the IPS export, the
// record export and a request's form, each read cold (nothing decoded
// kept), beside the whole record decoded (what each read before issue
// 15): CPU time and the heap they take at most. CAREBOOK_BENCH_SIZES
// ("20" or "20,100") chooses the sizes; 20 by default. Run with
// -benchtime 1x: the repetitions are inside.
func BenchmarkSummaryAndRequests(b *testing.B) {
	sizes := []string{"20"}
	if s := os.Getenv("CAREBOOK_BENCH_SIZES"); s != "" {
		sizes = strings.Split(s, ",")
	}
	for _, size := range sizes {
		var scale int
		fmt.Sscan(size, &scale)
		b.Run(size+"k", func(b *testing.B) {
			ctx := context.Background()
			s := newScaleApp(b, scale, 1)
			a := s.open(b)
			defer a.Close()
			if err := a.Unlock(ctx, scalePassphrase); err != nil {
				b.Fatal(err)
			}
			pid := s.ids[0]
			// An entry of type typ, for a form about it.
			first := func(typ string) string {
				var id string
				err := a.store.Each(ctx, pid, typ, func(r storage.Resource) error {
					if id == "" || r.ID < id {
						id = r.ID
					}
					return nil
				})
				if err != nil || id == "" {
					b.Fatalf("the scale record has no %s (%v): a form needs one", typ, err)
				}
				return typ + "/" + id
			}
			report, result := first("DiagnosticReport"), first("Observation")
			cases := []struct {
				name string
				fn   func() error
			}{
				{"whole record decoded (a.Chart)", func() error { _, err := a.Chart(ctx, pid); return err }},
				{"health summary", func() error { _, err := a.HealthSummary(ctx, pid); return err }},
				{"IPS export", func() error {
					return a.WriteExport(ctx, Export{Format: ExportIPS, ProfileIDs: []string{pid}}, io.Discard)
				}},
				{"record export (bundle)", func() error {
					return a.WriteExport(ctx, Export{Format: ExportBundle, ProfileIDs: []string{pid}}, io.Discard)
				}},
				{"refill form (none to renew)", func() error {
					_, err := a.RequestForm(ctx, pid, RequestRefill, "MedicationRequest/none")
					if errors.Is(err, ErrInvalidInput) {
						err = nil
					}
					return err
				}},
				{"lab report copy form", func() error { _, err := a.RequestForm(ctx, pid, RequestLabReportCopy, report); return err }},
				{"correction form about a result", func() error { _, err := a.RequestForm(ctx, pid, RequestCorrection, result); return err }},
			}
			for _, c := range cases {
				var cpu, wall []time.Duration
				var peak, alloc uint64
				for range max(b.N, 3) {
					a.forget(pid)
					runtime.GC()
					start, startCPU := time.Now(), cputime.Used()
					p, al, err := peakHeap(c.fn)
					if err != nil {
						b.Fatalf("%s: %v", c.name, err)
					}
					wall = append(wall, time.Since(start))
					cpu = append(cpu, cputime.Used()-startCPU)
					peak, alloc = max(peak, p), al
				}
				cm, clo, chi := medianMS(cpu)
				wm, _, _ := medianMS(wall)
				fmt.Printf("summary and requests, %s (%d resources): %s: CPU time median %.0f ms (%.0f–%.0f), wall %.0f ms, heap at most %.0f MB above before, %.0f MB allocated\n",
					size+"k", s.size, c.name, cm, clo, chi, wm, float64(peak)/(1<<20), float64(alloc)/(1<<20))
			}
		})
	}
}
