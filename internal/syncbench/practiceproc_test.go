package syncbench_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
)

// practiceProcVar, set to a scale, makes this test binary serve the
// practice with its scale patient instead of running tests (see
// startPracticeProc).
const practiceProcVar = "CAREBOOK_BENCH_PRACTICE_PROCESS"

func TestMain(m *testing.M) {
	if v := os.Getenv(practiceProcVar); v != "" {
		if err := servePractice(v, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "practice process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// practiceHello is what the practice process says once it serves.
type practiceHello struct {
	Base, User, Pass, Patient string
	Total                     int // resources in the scale patient's record
}

// servePractice runs the practice with the scale patient of the given
// scale until in ends, and answers each line "mark RUN RUNS" of in by
// marking entered-in-error a different 0.5 % of the record's
// Observations for each of RUNS runs, then "ok N" on out.
func servePractice(scale string, in io.Reader, out io.Writer) error {
	n, err := strconv.Atoi(scale)
	if err != nil {
		return err
	}
	ctx := context.Background()
	srv, err := practice.New(ctx, practice.Config{Scale: n, PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		return err
	}
	hello := practiceHello{Base: srv.FHIRBase(), Patient: synth.ScalePatientID}
	for _, a := range srv.DemoAccounts() {
		if a.Username == "scale" {
			hello.User, hello.Pass = a.Username, a.Password
		}
	}
	// The observations, in write order.
	var obs []store.Resource
	for page := ""; ; {
		rs, _, next, err := srv.Store().Everything(ctx, store.EverythingQuery{Patient: synth.ScalePatientID, Count: 1000, Page: page})
		if err != nil {
			return err
		}
		hello.Total += len(rs)
		for _, r := range rs {
			if r.Type == "Observation" {
				obs = append(obs, r)
			}
		}
		if page = next; page == "" {
			break
		}
	}
	if err := json.NewEncoder(out).Encode(hello); err != nil {
		return err
	}
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		var run, runs int
		if _, err := fmt.Sscanf(lines.Text(), "mark %d %d", &run, &runs); err != nil || runs < 1 || run >= runs {
			return fmt.Errorf("unknown command %q", lines.Text())
		}
		mark := hello.Total / 200
		stride := len(obs) / (mark * runs)
		for k := range mark {
			r := obs[(k*runs+run)*stride]
			var m map[string]any
			if err := json.Unmarshal(r.JSON, &m); err != nil {
				return err
			}
			m["status"] = "entered-in-error"
			delete(m, "meta")
			body, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if _, err := srv.Store().Update(ctx, r.Type, r.ID, body, ""); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(out, "ok %d\n", mark); err != nil {
			return err
		}
	}
	return lines.Err()
}

// practiceProc is the practice with its scale patient served by another
// process (this test binary again), as a patient's app meets it: not in
// the app's process, where it would share SQLite's page cache (the
// driver keeps one for every connection of a process) and the CPU time
// the benchmark reads.
type practiceProc struct {
	practiceHello
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startPracticeProc starts the practice process at scale and waits until
// it serves; it stops when the benchmark ends.
func startPracticeProc(b *testing.B, scale int) *practiceProc {
	b.Helper()
	t0 := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), practiceProcVar+"="+strconv.Itoa(scale))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &practiceProc{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	b.Cleanup(func() {
		p.in.Close() // the process ends at the end of its input
		if err := p.cmd.Wait(); err != nil {
			b.Errorf("practice process: %v", err)
		}
	})
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		b.Fatalf("practice process did not start: %v", err)
	}
	if err := json.Unmarshal(line, &p.practiceHello); err != nil || p.User == "" {
		b.Fatalf("practice process said %q (%v)", line, err)
	}
	fmt.Printf("practice with the scale patient (scale %d) ready in another process in %.1f s\n", scale, time.Since(t0).Seconds())
	return p
}

// cpu is the CPU time the practice process has used, from
// /proc/PID/stat (in clock ticks, 100 a second on Linux); 0 where that
// cannot be read.
func (p *practiceProc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The name (field 2) may hold spaces: fields are counted after its ")".
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * time.Second / 100
}

// mark has the practice mark entered-in-error its share of run (of runs)
// and returns how many it marked.
func (p *practiceProc) mark(b *testing.B, run, runs int) int {
	b.Helper()
	if _, err := fmt.Fprintf(p.in, "mark %d %d\n", run, runs); err != nil {
		b.Fatal(err)
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		b.Fatalf("practice process: %v", err)
	}
	var n int
	if _, err := fmt.Sscanf(line, "ok %d", &n); err != nil {
		b.Fatalf("practice process said %q", line)
	}
	return n
}
