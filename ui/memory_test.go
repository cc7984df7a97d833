package ui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/scalerecord"
	"github.com/carebook/carebook/storage"
)

// memoryFigures is what recordMemory measured: the Go heap in use after
// a full collection and the process's resident memory, on the lock
// screen and after opening every screen of the record.
type memoryFigures struct {
	resources         int
	lockHeap, lockRSS uint64
	openHeap, openRSS uint64
	screens           int
}

// recordMemory opens every screen of the scale patient's record (about
// scale×1,000 resources, as a first sync cached them) with the real app
// core and its encrypted cache on disk, and measures memory on the lock
// screen and then with every screen opened.
func recordMemory(t *testing.T, scale int) memoryFigures {
	ctx := context.Background()
	const passphrase = "memory passphrase"
	if os.Getenv("CAREBOOK_HEAP_PROFILE") != "" {
		runtime.MemProfileRate = 16 << 10
	}
	start := time.Now()
	rs, err := scalerecord.Resources(scale, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("record generated in %v", time.Since(start).Round(time.Millisecond))
	opts := storage.Options{KDF: &storage.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, NoKeyring: true}
	st, err := storage.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Setup(ctx, passphrase); err != nil {
		t.Fatal(err)
	}
	// The app core installs what every write of the cache does (the
	// search index, the months kept in clear): the record is written as
	// a sync through it would.
	core := app.OpenWithStore(app.Config{IdleTimeout: -1}, st)
	defer core.Close()
	p, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: scalerecord.PatientID, Label: "Quinn Taylor"})
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(rs); start += 1000 {
		if err := st.Put(ctx, p.ID, rs[start:min(start+1000, len(rs))]...); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("record written in %v", time.Since(start).Round(time.Millisecond))
	f := memoryFigures{resources: len(rs)}
	rs = nil
	core.Lock()

	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(fyne.NewSize(1280, 800))
	q.waitShows(t, w, "Carebook is locked")
	f.lockHeap, f.lockRSS = memoryNow()

	test.Type(findEntries(w.Content())[0], passphrase)
	test.Tap(findButton(t, w.Content(), "Unlock"))
	q.waitShows(t, w, "Hello, Quinn")
	f.screens++

	for _, def := range recordSections {
		u.shell.openSection(def.name)
		if def.name == "search" {
			// A search of one letter: the most hits the index gives, each
			// read and shown; then the details of the first, below.
			q.waitFor(t, "the search screen", func() bool {
				cur := u.shell.record.current
				return cur != nil && cur.def.name == "search" && cur.search != nil
			})
			u.shell.record.current.search.entry.SetText("c")
			q.waitFor(t, "hits of a search", func() bool {
				return len(u.shell.record.current.md.items) > 0
			})
		}
		q.waitFor(t, "section "+def.name, func() bool {
			cur := u.shell.record.current
			return cur != nil && cur.def.name == def.name && cur.gen > 0 && (!cur.md.status.Visible() || cur.md.status.Text != "Loading…")
		})
		if cur := u.shell.record.current; cur.md.onSelect != nil {
			for i, it := range cur.md.items {
				if !it.header {
					cur.md.onSelect(i) // the details of the first entry
					q.drain()
					break
				}
			}
		}
		f.screens++
	}
	for _, tab := range []string{"Messages", "Requests", "Settings", "Home"} {
		selectTab(t, w, tab)
		q.waitFor(t, tab, func() bool { return !strings.Contains(shownText(w.Content()), "Loading") })
		f.screens++
	}
	f.openHeap, f.openRSS = settledMemory()
	t.Logf("every screen opened in %v", time.Since(start).Round(time.Millisecond))
	if path := os.Getenv("CAREBOOK_HEAP_PROFILE"); path != "" {
		if out, err := os.Create(path); err == nil {
			pprof.Lookup("heap").WriteTo(out, 0)
			out.Close()
		}
	}
	return f
}

// settledMemory is memoryNow once the app has settled: what screens
// reload in the background when the patient moves on (the home screen
// after results were looked at) is not counted as what they keep. It
// waits until three readings a second apart agree within 2 MB, at most
// a minute.
func settledMemory() (heap, rss uint64) {
	start := time.Now()
	heap, rss = memoryNow()
	for stable := 0; stable < 2; {
		if time.Since(start) > time.Minute {
			break
		}
		time.Sleep(time.Second)
		h, r := memoryNow()
		if max(h, heap)-min(h, heap) < 2*mb {
			stable++
		} else {
			stable = 0
		}
		heap, rss = h, r
	}
	return heap, rss
}

// memoryNow is the Go heap in use after a full collection and the
// resident memory of the process after returning what it can to the
// system.
func memoryNow() (heap, rss uint64) {
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, residentBytes()
}

// residentBytes is the process's resident set size (Linux; 0 elsewhere).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

const mb = 1 << 20

// TestMemoryBoundedEveryScreen keeps memory bounded: with every screen
// of a record opened (the dashboard, each section of the record with
// the details of its first entry, messages, requests, settings), the Go
// heap in use stays under a bound. A record of about 3,500 resources
// here, against 44 MB (34 MB measured, 17 of them the lock screen's:
// the screens keep what they show, not the record), with the app's
// build tags (no_emoji: see the Makefile; built without it, Fyne's emoji
// font adds 16 MB, and so does the bound); CAREBOOK_LONG=1
// runs the 100,000-resource one against 1.5 times its target (80 MB). The targets at 20k and 100k are measured
// in make bench (TestBenchRecordMemory), which runs this test with
// CAREBOOK_MEMORY_SCALE set: it then reports its figures without a bound.
//
// Memory is measured without the race detector (which allocates
// differently and takes a minute here): scripts/test.sh runs this test
// so, beside the race run of the package.
func TestMemoryBoundedEveryScreen(t *testing.T) {
	if raceEnabled {
		t.Skip("memory is measured without the race detector: scripts/test.sh runs this test without it")
	}
	if os.Getenv("CAREBOOK_MEMORY_CHILD") != "1" {
		// In a process of its own: the heap must not count what the tests
		// that ran before it in this process left behind (the Fyne test
		// driver keeps what their windows drew).
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBoundedEveryScreen$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "CAREBOOK_MEMORY_CHILD=1")
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("the memory test in its own process failed: %v", err)
		}
		return
	}
	scale, limit := 2, uint64(44*mb)
	if os.Getenv("CAREBOOK_LONG") == "1" {
		scale, limit = 100, 120*mb
	}
	if theme.DefaultEmojiFont() != nil {
		// Built without the app's no_emoji tag: Fyne parses its emoji
		// font for each text style.
		limit += 16 * mb
	}
	n, err := strconv.Atoi(os.Getenv("CAREBOOK_MEMORY_SCALE"))
	if err == nil {
		scale = n
	}
	f := recordMemory(t, scale)
	t.Logf("%d resources, %d screens: heap %d MB (lock screen %d MB), RSS %d MB (lock screen %d MB)", f.resources, f.screens,
		f.openHeap/mb, f.lockHeap/mb, f.openRSS/mb, f.lockRSS/mb)
	if err == nil {
		fmt.Printf("memory-figures %d %d %d %d %d %d\n", f.resources, f.screens, f.openHeap, f.lockHeap, f.openRSS, f.lockRSS)
		return
	}
	if f.openHeap > limit {
		t.Errorf("heap in use with every screen of a %d-resource record opened: %d MB, want at most %d MB", f.resources, f.openHeap/mb, limit/mb)
	}
}

// TestBenchRecordMemory prints, for make bench (CAREBOOK_BENCH=1), the
// heap in use and the RSS with every screen of a 20k and a 100k record
// opened, beside the targets (heap ≤ 50 MB at 20k and ≤ 80 MB at 100k;
// RSS at most 100 MB above the lock screen's), median of 3 runs, each
// in a process of its own (the Fyne test driver keeps what a closed
// window drew, so runs in one process would add up).
func TestBenchRecordMemory(t *testing.T) {
	if os.Getenv("CAREBOOK_BENCH") != "1" {
		t.Skip("a benchmark: CAREBOOK_BENCH=1 (make bench)")
	}
	sizes := []struct {
		scale    int
		name     string
		heapGoal uint64
	}{{20, "20k", 50}, {100, "100k", 80}}
	for _, s := range sizes {
		if only := os.Getenv("CAREBOOK_BENCH_SCALES"); only != "" && !strings.Contains(","+only+",", ","+strconv.Itoa(s.scale)+",") {
			continue
		}
		var heaps, above, lockHeaps []uint64
		var resources, screens uint64
		for range 3 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBoundedEveryScreen$", "-test.count=1")
			cmd.Env = append(os.Environ(), "CAREBOOK_MEMORY_SCALE="+strconv.Itoa(s.scale), "CAREBOOK_BENCH=", "CAREBOOK_LONG=", "CAREBOOK_MEMORY_CHILD=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", s.name, err, out)
			}
			var fig [6]uint64
			found := false
			for _, line := range strings.Split(string(out), "\n") {
				if rest, ok := strings.CutPrefix(line, "memory-figures "); ok {
					for i, field := range strings.Fields(rest) {
						fig[i], _ = strconv.ParseUint(field, 10, 64)
					}
					found = true
				}
			}
			if !found {
				t.Fatalf("%s: no figures in\n%s", s.name, out)
			}
			resources, screens = fig[0], fig[1]
			heaps = append(heaps, fig[2])
			lockHeaps = append(lockHeaps, fig[3])
			above = append(above, fig[4]-min(fig[4], fig[5]))
		}
		fmt.Printf("memory with every screen open, %s (%d resources, %d screens): heap in use median %d MB (%s; target ≤ %d MB; lock screen %d MB), RSS above the lock screen median %d MB (%s; target ≤ 100 MB)\n",
			s.name, resources, screens, median(heaps)/mb, listMB(heaps), s.heapGoal, median(lockHeaps)/mb, median(above)/mb, listMB(above))
	}
}

func median(xs []uint64) uint64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func listMB(xs []uint64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, strconv.FormatUint(x/mb, 10))
	}
	return strings.Join(parts, ", ")
}
