package syncbench_test

// The scale benchmarks of issue 15, run by scripts/bench.sh (never by
// make test): initial sync of the practice's scale patient at two sizes in
// $everything mode and in per-type mode, each beside a bare paged download
// of the same pages (same page size, warm, taken several times), and the
// removal of 0.5 % entered-in-error records at two sizes. Each figure is
// the median of CAREBOOK_BENCH_RUNS runs (3) and is printed beside its
// target.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/cputime"
	"github.com/carebook/carebook/internal/practicetest"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/pull"
)

// envInts reads a comma-separated list of numbers from the environment.
func envInts(b *testing.B, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			b.Fatalf("%s: %q is not a list of numbers", name, v)
		}
		out = append(out, n)
	}
	return out
}

// appCache is a cache that, as the app's, indexes what a sync writes for
// search and keeps the month of each result's own date in clear
// (CAREBOOK_BENCH_NO_INDEX=1: without the index, to see what it costs).
func appCache(b *testing.B) *storage.Store {
	st := practicetest.OpenCache(b)
	app.InstallCacheHooks(st)
	if os.Getenv("CAREBOOK_BENCH_NO_INDEX") != "" {
		st.SetSearchIndexer(nil)
	}
	return st
}

func benchRuns(b *testing.B) int { return envInts(b, "CAREBOOK_BENCH_RUNS", []int{3})[0] }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func secs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.2f", d.Seconds())
	}
	return strings.Join(parts, " ")
}

// secs3 is secs with milliseconds.
func secs3(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.3f", d.Seconds())
	}
	return strings.Join(parts, " ")
}

// verdict is "ok" or "MISSED" for a figure against its upper bound.
func verdict(got, limit float64) string {
	if got <= limit {
		return "ok"
	}
	return "MISSED"
}

// noEverything hides $everything from the CapabilityStatement: the sync
// then runs in per-type mode, as against a server without it.
type noEverything struct{ fhirapi.API }

func (n noEverything) Capabilities(ctx context.Context) (*fhirapi.Capabilities, error) {
	caps, err := n.API.Capabilities(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(caps.Raw, &m); err != nil {
		return nil, err
	}
	rests, _ := m["rest"].([]any)
	for _, r := range rests {
		rest, _ := r.(map[string]any)
		delete(rest, "operation")
		resources, _ := rest["resource"].([]any)
		for _, res := range resources {
			if rm, _ := res.(map[string]any); rm != nil {
				delete(rm, "operation")
			}
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	out, err := fhirapi.ParseCapabilities(raw)
	if err != nil {
		return nil, err
	}
	if out.SupportsEverything() {
		return nil, fmt.Errorf("$everything still offered")
	}
	return out, nil
}

// scalePractice starts the practice with its scale patient (about
// scale×1,000 resources) in a process of its own, as a patient's app
// meets it (see practiceProc), and signs in to that chart.
func scalePractice(b *testing.B, scale int) (*practiceProc, storage.Profile) {
	proc := startPracticeProc(b, scale)
	st := appCache(b)
	return proc, practicetest.ConnectAt(b, proc.Base, st, proc.User, proc.Pass, proc.Patient)
}

// bareDownload fetches exactly the pages the sync asks for in this mode,
// hands each page's entries to keep (unless nil) and drops them, and
// returns how many entries came.
func bareDownload(b *testing.B, api fhirapi.API, mode string, keep func([]fhirapi.Entry)) int {
	ctx := context.Background()
	count := fmt.Sprint(pull.DefaultPageSize)
	var (
		mu sync.Mutex
		n  int
	)
	search := func(path string, q url.Values) {
		var page []fhirapi.Entry
		_, err := api.Search(ctx, path, q, fhirapi.SearchHandler{
			Entry: func(e fhirapi.Entry) error {
				mu.Lock()
				n++
				mu.Unlock()
				if keep != nil {
					page = append(page, e)
				}
				return nil
			},
			PageDone: func(fhirapi.Page) error {
				if keep != nil && len(page) > 0 {
					keep(page)
					page = nil
				}
				return nil
			},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if mode == "everything" {
		search("Patient/"+synth.ScalePatientID+"/$everything", url.Values{"_count": {count}})
		return n
	}
	caps, err := api.Capabilities(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// The same searches, in the same order and with the same
	// concurrency, as pull's units.
	todo := make(chan string)
	go func() {
		defer close(todo)
		for _, typ := range pull.DefaultTypes {
			if caps.HasType(typ) {
				todo <- typ
			}
		}
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for typ := range todo {
				q := url.Values{"_count": {count}}
				switch {
				case typ == "Patient":
					q.Set("_id", synth.ScalePatientID)
				default:
					param := "patient"
					for _, p := range []string{"patient", "subject", "beneficiary"} {
						if caps.SupportsSearchParam(typ, p) {
							param = p
							break
						}
					}
					q.Set(param, synth.ScalePatientID)
				}
				search(typ, q)
			}
		}()
	}
	wg.Wait()
	return n
}

// floorDownload is bareDownload keeping what it downloads as plainly as
// SQLite allows: each page's resources, as they came, in one table keyed
// by their URL (no encryption, no search index, no decoding, and
// synchronous=NORMAL where the app's file is FULL), written by one
// goroutine while the next page downloads. It is about the least a cache
// that keeps the record in SQLite does, so the sync's target (1.1× the
// bare download) is within reach only where this floor is well below it.
func floorDownload(b *testing.B, api fhirapi.API, mode string) int {
	db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), "floor.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE kept (url TEXT PRIMARY KEY, json BLOB)"); err != nil {
		b.Fatal(err)
	}
	pages := make(chan []fhirapi.Entry, 1) // one page waits, as in the sync
	written := make(chan error, 1)
	go func() {
		var err error
		for page := range pages {
			if err == nil {
				err = keepPage(db, page)
			}
		}
		written <- err
	}()
	n := bareDownload(b, api, mode, func(page []fhirapi.Entry) { pages <- page })
	close(pages)
	if err := <-written; err != nil {
		b.Fatal(err)
	}
	var kept int
	if err := db.QueryRow("SELECT COUNT(*) FROM kept").Scan(&kept); err != nil {
		b.Fatal(err)
	}
	if kept != n {
		b.Fatalf("the floor kept %d of %d entries", kept, n)
	}
	return n
}

// keepPage writes one page of floorDownload in one transaction.
func keepPage(db *sql.DB, page []fhirapi.Entry) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare("INSERT INTO kept (url, json) VALUES (?, ?) ON CONFLICT (url) DO UPDATE SET json = excluded.json")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, e := range page {
		if _, err := stmt.Exec(e.FullURL, []byte(e.Resource)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// profiled runs fn and, when CAREBOOK_BENCH_CPUPROFILE names a
// directory, writes the CPU profile of fn alone to name.prof there (merge
// them with go tool pprof -proto). The practice runs in another process:
// the profile is the app's alone.
func profiled(b *testing.B, name string, fn func()) {
	dir := os.Getenv("CAREBOOK_BENCH_CPUPROFILE")
	if dir != "" {
		f, err := os.Create(filepath.Join(dir, name+".prof"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	fn()
}

// loadAverage is the machine's one-minute load average ("?" where
// unknown): figures taken on a busy machine say so.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// syncRun is one timed run: wall and CPU time (of this process and the
// practice's together) of the bare download, of the floor (see
// floorDownload; zero where not measured) and of the sync.
type syncRun struct {
	bare, floor, sync          time.Duration
	bareCPU, floorCPU, syncCPU time.Duration
	load                       string
}

// scaleSide is one practice of BenchmarkSyncScale with its runs.
type scaleSide struct {
	scale   int
	proc    *practiceProc
	profile storage.Profile
	runs    map[string][]syncRun // by mode
	entries map[string]int
	stored  map[string]int
	// api is the client of the practice each run uses (loopbackAPI, or
	// one over a simulated network).
	api func(*storage.Store, storage.Profile) fhirapi.API
	// floor: each run measures floorDownload too, between the bare
	// download and the sync.
	floor bool
}

// cpu is the CPU time this process and the practice's have used.
func (side *scaleSide) cpu() time.Duration { return cputime.Used() + side.proc.cpu() }

// runSyncOnce syncs a fresh cache of side's profile in mode, after a bare
// download of the same pages; count reports whether the run is counted
// (the first one of each side and mode warms the server and is not).
func runSyncOnce(b *testing.B, side *scaleSide, mode string, count bool) {
	st := appCache(b)
	defer st.Close()
	pp := practicetest.ConnectAt(b, side.proc.Base, st, side.proc.User, side.proc.Pass, side.profile.PatientID)
	api := side.api(st, pp)
	if mode == "per-type" {
		api = noEverything{api}
	}
	// Each timed part starts after a collection, so garbage of the run
	// before is not paid in this one.
	runtime.GC()
	load := loadAverage()
	run := len(side.runs[mode])
	var entries int
	start, cpu := time.Now(), side.cpu()
	profiled(b, fmt.Sprintf("bare-%s-%dk-%d", mode, side.scale, run), func() { entries = bareDownload(b, api, mode, nil) })
	bare, bareCPU := time.Since(start), side.cpu()-cpu
	var floor, floorCPU time.Duration
	if side.floor {
		runtime.GC()
		start, cpu = time.Now(), side.cpu()
		profiled(b, fmt.Sprintf("floor-%s-%dk-%d", mode, side.scale, run), func() {
			if n := floorDownload(b, api, mode); n != entries {
				b.Fatalf("the floor's download brought %d entries, the bare one %d", n, entries)
			}
		})
		floor, floorCPU = time.Since(start), side.cpu()-cpu
	}
	runtime.GC()
	var res pull.Result
	var err error
	start, cpu = time.Now(), side.cpu()
	profiled(b, fmt.Sprintf("sync-%s-%dk-%d", mode, side.scale, run), func() {
		res, err = pull.Run(context.Background(), pull.Config{API: api, Store: st, ProfileID: pp.ID, PatientID: pp.PatientID})
	})
	d, dCPU := time.Since(start), side.cpu()-cpu
	if err != nil {
		b.Fatal(err)
	}
	if res.Mode != mode {
		b.Fatalf("synced in %s mode, want %s", res.Mode, mode)
	}
	stored := 0
	for _, c := range res.Stored {
		stored += c
	}
	side.entries[mode], side.stored[mode] = entries, stored
	if count {
		side.runs[mode] = append(side.runs[mode], syncRun{bare: bare, floor: floor, sync: d, bareCPU: bareCPU, floorCPU: floorCPU, syncCPU: dCPU, load: load})
	}
}

func medianOf(runs []syncRun, f func(syncRun) time.Duration) time.Duration {
	ds := make([]time.Duration, len(runs))
	for i, r := range runs {
		ds[i] = f(r)
	}
	return median(ds)
}

func secsOf(runs []syncRun, f func(syncRun) time.Duration) string {
	ds := make([]time.Duration, len(runs))
	for i, r := range runs {
		ds[i] = f(r)
	}
	return secs(ds)
}

// BenchmarkSyncScale: initial sync of the scale patient at the sizes in
// CAREBOOK_BENCH_SCALES (thousands of resources, default 20,100), in the
// modes of CAREBOOK_BENCH_MODES ($everything and per-type: a server
// without $everything), each run beside a bare paged download of the same
// pages (same page size, same client, the server warm) and the floor of
// any cache in SQLite (floorDownload). Run with -benchtime 1x: the
// repetitions are inside.
//
// The sizes take turns (20k, 100k, 20k, 100k, ...) rather than running
// one after the other, so a change in the machine's load during the
// minutes this takes weighs on both sides of a ratio alike; each figure
// is printed with the load average when its runs started, and beside the
// wall-clock figures the CPU time of the process (server and client),
// which a busy machine disturbs far less.
func BenchmarkSyncScale(b *testing.B) {
	scales := envInts(b, "CAREBOOK_BENCH_SCALES", []int{20, 100})
	runs := benchRuns(b)
	modes := []string{"everything", "per-type"}
	if v := os.Getenv("CAREBOOK_BENCH_MODES"); v != "" {
		modes = strings.Split(v, ",")
	}
	var sides []*scaleSide
	for _, scale := range scales {
		proc, p := scalePractice(b, scale)
		sides = append(sides, &scaleSide{scale: scale, proc: proc, profile: p, api: loopbackAPI(b), floor: true,
			runs: map[string][]syncRun{}, entries: map[string]int{}, stored: map[string]int{}})
	}
	for _, mode := range modes {
		for i := range runs + 1 {
			for _, side := range sides {
				runSyncOnce(b, side, mode, i > 0)
			}
		}
		for _, side := range sides {
			rs := side.runs[mode]
			ms, mb := medianOf(rs, func(r syncRun) time.Duration { return r.sync }), medianOf(rs, func(r syncRun) time.Duration { return r.bare })
			ratio := ms.Seconds() / mb.Seconds()
			loads := make([]string, len(rs))
			for i, r := range rs {
				loads[i] = r.load
			}
			fmt.Printf("initial sync %-10s %4dk: %d entries, %d stored, page size %d: sync median %.2f s (%s), bare download median %.2f s (%s); sync/bare %.2fx (target <= 1.10x: %s); load average %s\n",
				mode, side.scale, side.entries[mode], side.stored[mode], pull.DefaultPageSize,
				ms.Seconds(), secsOf(rs, func(r syncRun) time.Duration { return r.sync }),
				mb.Seconds(), secsOf(rs, func(r syncRun) time.Duration { return r.bare }),
				ratio, verdict(ratio, 1.10), strings.Join(loads, " "))
			cs, cb := medianOf(rs, func(r syncRun) time.Duration { return r.syncCPU }), medianOf(rs, func(r syncRun) time.Duration { return r.bareCPU })
			fmt.Printf("initial sync %-10s %4dk: CPU (server and client): sync median %.2f s, bare download median %.2f s: %.2fx\n",
				mode, side.scale, cs.Seconds(), cb.Seconds(), cs.Seconds()/cb.Seconds())
			mf, cf := medianOf(rs, func(r syncRun) time.Duration { return r.floor }), medianOf(rs, func(r syncRun) time.Duration { return r.floorCPU })
			fmt.Printf("initial sync %-10s %4dk: floor (the bare download keeping each page in plain SQLite, nothing else) median %.2f s (%s), CPU %.2f s: floor/bare %.2fx (CPU %.2fx), about the least an SQLite cache adds here; sync/floor %.2fx (CPU %.2fx)\n",
				mode, side.scale, mf.Seconds(), secsOf(rs, func(r syncRun) time.Duration { return r.floor }), cf.Seconds(),
				mf.Seconds()/mb.Seconds(), cf.Seconds()/cb.Seconds(), ms.Seconds()/mf.Seconds(), cs.Seconds()/cf.Seconds())
		}
		if len(sides) >= 2 {
			lo, hi := sides[0], sides[len(sides)-1]
			wall := func(r syncRun) time.Duration { return r.sync }
			cpu := func(r syncRun) time.Duration { return r.syncCPU }
			r := medianOf(hi.runs[mode], wall).Seconds() / medianOf(lo.runs[mode], wall).Seconds()
			rc := medianOf(hi.runs[mode], cpu).Seconds() / medianOf(lo.runs[mode], cpu).Seconds()
			limit := 1.1 * float64(hi.scale) / float64(lo.scale)
			fmt.Printf("initial sync %-10s %dk/%dk: %.2fx (target <= %.2fx: %s); CPU time %.2fx\n",
				mode, hi.scale, lo.scale, r, limit, verdict(r, limit), rc)
		}
	}
}

// BenchmarkDeletions: an incremental sync that removes 0.5 % of the scale
// patient's records (the practice marked them entered-in-error), at the
// sizes in CAREBOOK_BENCH_DELETE_SCALES (default 20,40). The practice
// runs in a process of its own (startPracticeProc): in this one, its
// writes between runs took the app's pages out of the page cache SQLite
// shares among a process's connections, which no patient's app has to
// bear, and its CPU time would count as the sync's.
func BenchmarkDeletions(b *testing.B) {
	scales := envInts(b, "CAREBOOK_BENCH_DELETE_SCALES", []int{20, 40})
	runs := benchRuns(b)
	ctx := context.Background()
	medians, cpuMedians := map[int]time.Duration{}, map[int]time.Duration{}
	for _, scale := range scales {
		proc := startPracticeProc(b, scale)
		st := appCache(b)
		p := practicetest.ConnectAt(b, proc.Base, st, proc.User, proc.Pass, proc.Patient)
		cfg := pull.Config{API: practicetest.API(b, st, p), Store: st, ProfileID: p.ID, PatientID: p.PatientID}
		if _, err := pull.Run(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		var took, tookCPU []time.Duration
		var loads []string
		mark := 0
		for run := range runs {
			mark = proc.mark(b, run, runs)
			time.Sleep(1100 * time.Millisecond) // past the checkpoint overlap
			runtime.GC()
			loads = append(loads, loadAverage())
			var res pull.Result
			var err error
			start, cpu := time.Now(), cputime.Used()
			profiled(b, fmt.Sprintf("deletions-%dk-%d", scale, run), func() { res, err = pull.Run(ctx, cfg) })
			d, dCPU := time.Since(start), cputime.Used()-cpu
			if err != nil {
				b.Fatal(err)
			}
			if got := res.Removed["Observation"]; got != mark {
				b.Fatalf("removed %d, want %d", got, mark)
			}
			took = append(took, d)
			tookCPU = append(tookCPU, dCPU)
		}
		medians[scale], cpuMedians[scale] = median(took), median(tookCPU)
		fmt.Printf("deletions %4dk: %d entered-in-error of %d removed by an incremental sync: median %.3f s (%s), CPU (the app's; the practice runs in another process) median %.3f s (%s); load average %s\n",
			scale, mark, proc.Total, medians[scale].Seconds(), secs3(took), cpuMedians[scale].Seconds(), secs3(tookCPU), strings.Join(loads, " "))
	}
	if len(scales) >= 2 {
		lo, hi := scales[0], scales[len(scales)-1]
		r := medians[hi].Seconds() / medians[lo].Seconds()
		limit := 1.1 * float64(hi) / float64(lo)
		fmt.Printf("deletions %dk/%dk: %.2fx (target <= %.2fx: %s); CPU time %.2fx\n", hi, lo, r, limit, verdict(r, limit),
			cpuMedians[hi].Seconds()/cpuMedians[lo].Seconds())
	}
}
