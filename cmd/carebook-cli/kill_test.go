package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// killLoop kills runs of the real carebook-cli with SIGKILL at random
// moments, drawn from what a run takes on this machine, measured first:
// three uncut runs (or probes), each followed by a start (opening and
// unlocking the cache, as status does); the shortest start and the middle
// uncut run count. Most kills land in a run's work, after its start; one
// in five of the first kills lands during the start.
//
// The machine's load can change after that measure (other builds start or
// end), and with it where the kills land. So when, after the first kills,
// the test's checks that the kills interrupted work do not hold yet, the
// loop kills more runs, up to three times as many in all: later in their
// run while the runs got too little done before their kill (tooEarly) or
// none has yet landed in the window the test is for (missed: a window near
// the end of a run's work, such as between the practice's commit and its
// reply), and earlier while more than half of them finished before it. The
// test then makes its assertions on all the kills: the extra runs give a
// loaded machine the chance to interrupt work, they do not lower the bar.
type killLoop struct {
	bin string // the binary
	dir string // the cache the start probes open (status)

	// kills is how many runs are killed at least.
	kills int
	// probes is how many uncut runs are measured; 0 means 3.
	probes int
	// probe starts the i-th uncut run, which must exit 0.
	probe func(i int) *exec.Cmd
	// start starts the i-th run to kill.
	start func(i int) *exec.Cmd
	// wait, if set, waits for the moment to kill run i instead of
	// waiting delay, the moment drawn by the loop (another goroutine waits
	// for the process: wait must not). rng is the loop's.
	wait func(i int, cmd *exec.Cmd, delay time.Duration, rng *rand.Rand)
	// afterKill checks the cache after kill i.
	afterKill func(i int)
	// tooEarly reports whether, after n kills, too few runs had got far
	// enough into their work (storing what they send, say). Nil: never.
	tooEarly func(n int) bool
	// missed reports whether, after n kills, none has yet landed in the
	// window the test is for, near the end of a run's work (a write
	// committed at the practice, its reply not yet back, say). Nil: never.
	missed func(n int) bool
}

const (
	// killCap is how many times killLoop.kills the loop goes to at the most.
	killCap = 3
	// maxLater bounds how much later (or earlier) than measured the loop
	// draws its moments.
	maxLater = 8.0
)

// killStats is what a killLoop did.
type killStats struct {
	startup, whole time.Duration // the shortest start, the middle uncut run
	kills, extra   int           // kills in all; how many of them after the first killLoop.kills
	finished       int           // runs that had ended before their kill
	later          float64       // the factor the last kill's moment was drawn with
	seed           uint64
}

// run measures the runs, kills them and logs what it did. The seed of the
// moments is drawn anew each time, or read from CAREBOOK_SEED to replay
// them.
func (l killLoop) run(t *testing.T) killStats {
	t.Helper()
	s := killStats{seed: uint64(time.Now().UnixNano()), later: 1}
	if v := os.Getenv("CAREBOOK_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CAREBOOK_SEED=%q: %v", v, err)
		}
		s.seed = seed
	}
	rng := rand.New(rand.NewPCG(s.seed, 0))

	var wholes []time.Duration
	s.startup = time.Hour
	for i := range cmp.Or(l.probes, 3) {
		t0 := time.Now()
		if err := l.probe(i).Wait(); err != nil {
			t.Fatalf("uncut run %d: %v", i, err)
		}
		wholes = append(wholes, time.Since(t0))
		t0 = time.Now()
		if err := startCLI(t, l.bin, "status", "--data", l.dir).Wait(); err != nil {
			t.Fatalf("status: %v", err)
		}
		s.startup = min(s.startup, time.Since(t0))
	}
	slices.Sort(wholes)
	s.whole = wholes[len(wholes)/2]
	work := max(s.whole-s.startup, time.Millisecond)

	for s.kills < killCap*l.kills {
		if s.kills >= l.kills {
			early := l.tooEarly != nil && l.tooEarly(s.kills)
			late := s.finished > s.kills/2
			missed := l.missed != nil && l.missed(s.kills)
			if !early && !late && !missed {
				break
			}
			switch {
			case (early || missed) && !late:
				s.later = min(s.later*1.5, maxLater)
			case late && !early:
				s.later = max(s.later/1.5, 1/maxLater)
			}
			s.extra++
		}
		i := s.kills
		cmd := l.start(i)
		delay := s.startup + time.Duration(rng.Int64N(int64(work)))
		if i%5 == 4 && i < l.kills {
			delay = time.Duration(rng.Int64N(int64(s.startup)))
		}
		delay = time.Duration(float64(delay) * s.later)
		ended := make(chan struct{})
		go func() {
			cmd.Wait()
			close(ended)
		}()
		if l.wait != nil {
			l.wait(i, cmd, delay, rng)
		} else {
			select {
			case <-time.After(delay):
			case <-ended:
			}
		}
		cmd.Process.Signal(syscall.SIGKILL) // an error if it has ended: counted below
		<-ended
		if cmd.ProcessState.Exited() {
			s.finished++
		}
		s.kills++
		l.afterKill(i)
	}
	t.Logf("a start takes %v, an uncut run %v; %d kills (%d extra, the last drawn ×%.2g later), %d after the run had finished; seed %d (CAREBOOK_SEED replays it)",
		s.startup.Round(time.Millisecond), s.whole.Round(time.Millisecond), s.kills, s.extra, s.later, s.finished, s.seed)
	return s
}

// startCLI starts the real binary with args and the test passphrase.
func startCLI(t *testing.T, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), passphraseVar+"="+testPassphrase)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// outboxAfterKill checks that the cache in dir opens after kill i (status,
// in this process) and returns how many items its outbox holds.
func outboxAfterKill(t *testing.T, dir string, i int) int {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "status", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("after kill %d the cache is unusable: %d %s", i, code, errOut)
	}
	var ps []profileStatus
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		t.Fatalf("status --json after kill %d: %v\n%s", i, err, out)
	}
	n := 0
	for _, p := range ps {
		for _, count := range p.Outbox {
			n += count
		}
	}
	return n
}

// outboxOfOnlyProfile opens the cache in dir and returns the outbox of
// its one profile.
func outboxOfOnlyProfile(t *testing.T, dir string) []storage.OutboxItem {
	t.Helper()
	ctx := context.Background()
	st := unlockedCache(t, dir)
	defer st.Close()
	ps, err := st.Profiles(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("profiles: %v %v", ps, err)
	}
	items, err := st.Outbox(ctx, ps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// killSends is the kill loop of a test of an action that sends one item
// (a message, a request: outbox kind, FHIR type typ, called noun in what
// it says), started by start with the run's name. A quarter of the kills,
// besides the three uncut runs, must come after the run stored its item,
// and one at least between the practice's commit and its reply: the loop
// kills more until they do (killLoop), and the test fails when no kill
// left an item committed at the practice but waiting in the cache.
func killSends(t *testing.T, bin, dir string, srv *practice.Server, kind, typ, noun string, start func(name string) *exec.Cmd) killStats {
	t.Helper()
	storedNow := 0
	lost := lostReplies{srv: srv, dir: dir, kind: kind, typ: typ}
	loop := killLoop{bin: bin, dir: dir, kills: longLoop(10, 30), // CAREBOOK_LONG=1: 30
		probe: func(i int) *exec.Cmd { return start(fmt.Sprintf("Kill test probe %d", i)) },
		start: func(i int) *exec.Cmd { return start(fmt.Sprintf("Kill test %02d", i)) },
		afterKill: func(i int) {
			storedNow = outboxAfterKill(t, dir, i)
			lost.afterKill(t)
		},
		tooEarly: func(n int) bool { return storedNow < 3+n/4 },
		missed:   func(int) bool { return lost.kills == 0 },
	}
	killed := loop.run(t)
	t.Logf("%d of %d kills left a %s committed at the practice but waiting in the cache (its reply lost); the kills landed %v",
		lost.kills, killed.kills, noun, &lost)
	lost.requireHit(t, noun, killed.kills)
	return killed
}

// checkSendsInterrupted is the end of a killSends test: stored items
// (those of the uncut runs among them) after its kills; a quarter of the
// kills must have come after their run stored its item, and at most half
// after the run had finished.
func checkSendsInterrupted(t *testing.T, noun string, stored int, killed killStats) {
	t.Helper()
	t.Logf("%d kills (%d extra), %d after the run had finished; %d %ss stored",
		killed.kills, killed.extra, killed.finished, stored, noun)
	if stored < 3+killed.kills/4 {
		t.Errorf("only %d %ss were stored after %d kills: the kills came too early to test sending", stored, noun, killed.kills)
	}
	if killed.finished > killed.kills/2 {
		t.Errorf("%d of %d kills came after the run had finished", killed.finished, killed.kills)
	}
}

// lostReplies watches the outbox items of kind (typ resources at the
// practice) after each kill, and sorts the kills by what they interrupted.
// Above all it counts the kills that left an item in the lost-reply
// window: committed at the practice (a typ resource there carries its
// client identifier) while the cache still holds it waiting to be sent,
// its reply never received. A resend that does not first look for such an
// item makes it twice.
type lostReplies struct {
	srv            *practice.Server
	dir, kind, typ string

	kills int // kills that left a new item in the lost-reply window

	// The other kills: before the run stored its item; during a send,
	// before the practice had the item (an item's attempts grew, it is not
	// at the practice); after the run's item was answered; the rest, with
	// no send under way (opening, reading, looking for an earlier item).
	unstored, onItsWay, answered, between int

	seen     map[string]bool // the identifiers of the items with a lost reply
	attempts map[string]int  // each item's attempts at the last kill
	lastSeq  int64           // the newest item at the last kill
}

// afterKill checks the cache and the practice after a kill.
func (l *lostReplies) afterKill(t *testing.T) {
	t.Helper()
	items := outboxOfOnlyProfile(t, l.dir)
	if l.seen == nil {
		l.seen, l.attempts = map[string]bool{}, map[string]int{}
	}
	at := practiceIdentifiers(t, l.srv, l.typ, nil)
	lost, onItsWay := false, false
	var own *storage.OutboxItem
	for i, it := range items {
		if it.Kind != l.kind {
			continue
		}
		pending := it.Status == storage.OutboxPending
		switch {
		case pending && at[it.Identifier] > 0:
			lost = lost || !l.seen[it.Identifier]
			l.seen[it.Identifier] = true
		case pending && it.Attempts > l.attempts[it.Identifier]:
			onItsWay = true
		}
		l.attempts[it.Identifier] = it.Attempts
		if it.Seq > l.lastSeq && (own == nil || it.Seq > own.Seq) {
			own = &items[i]
		}
	}
	switch {
	case lost:
		l.kills++
	case onItsWay:
		l.onItsWay++
	case own == nil:
		l.unstored++
	case own.Status != storage.OutboxPending:
		l.answered++
	default:
		l.between++
	}
	if own != nil {
		l.lastSeq = own.Seq
	}
}

// String tells where the kills landed.
// requireHit fails the test when none of its kills left an item (called
// noun) committed at the practice but waiting in the cache.
func (l *lostReplies) requireHit(t *testing.T, noun string, kills int) {
	t.Helper()
	if l.kills == 0 {
		t.Errorf("none of %d kills left a %s committed at the practice but waiting in the cache: the kills missed the lost-reply window", kills, noun)
	}
}

func (l *lostReplies) String() string {
	return fmt.Sprintf("%d before the run stored its item, %d with no send under way, %d during a send before the practice had the item, %d after it had it (the reply lost), %d after the run's item was answered",
		l.unstored, l.between, l.onItsWay, l.kills, l.answered)
}

// practiceIdentifiers counts the typ resources at the practice by the
// client identifier they carry, among those ours accepts (nil: all).
func practiceIdentifiers(t *testing.T, srv *practice.Server, typ string, ours func(resource []byte) bool) map[string]int {
	t.Helper()
	q, _, err := store.ParseQuery(typ, url.Values{}, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Count = store.MaxCount
	rs, _, err := srv.Store().Search(context.Background(), typ, q)
	if err != nil {
		t.Fatal(err)
	}
	atPractice := map[string]int{}
	for _, r := range rs {
		if ours != nil && !ours(r.JSON) {
			continue
		}
		var res struct {
			Identifier []struct{ System, Value string }
		}
		if err := json.Unmarshal(r.JSON, &res); err != nil {
			t.Fatal(err)
		}
		for _, id := range res.Identifier {
			if id.System == outbox.IdentifierSystem {
				atPractice[id.Value]++
			}
		}
	}
	return atPractice
}

// sentOnce checks the end of a kill test, after its last sync: every item
// of kind in the outbox of the cache in dir has been sent, and is at the
// practice exactly once (a typ resource carrying its client identifier);
// and the practice has no resource of the test's (ours) that the cache
// does not know. It returns how many such items the cache holds.
func sentOnce(t *testing.T, srv *practice.Server, dir, kind, typ string, ours func(resource []byte) bool) int {
	t.Helper()
	items := outboxOfOnlyProfile(t, dir)
	stored := map[string]bool{}
	for _, it := range items {
		if it.Kind != kind {
			continue
		}
		if it.Status != storage.OutboxSent {
			t.Errorf("outbox item %d is %s after the sync (%s)", it.Seq, it.Status, it.LastError)
		}
		stored[it.Identifier] = true
	}

	atPractice := practiceIdentifiers(t, srv, typ, ours)
	for ident := range stored {
		if atPractice[ident] != 1 {
			t.Errorf("%s %s is at the practice %d times, want once", typ, ident, atPractice[ident])
		}
	}
	for ident := range atPractice {
		if !stored[ident] {
			t.Errorf("the practice has %s %s that the cache does not know", typ, ident)
		}
	}
	return len(stored)
}
