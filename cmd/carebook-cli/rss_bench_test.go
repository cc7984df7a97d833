package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// BenchmarkCLISyncPeakRSS measures the peak resident memory of the real
// carebook-cli binary during an initial sync of the practice's scale
// patient (CAREBOOK_BENCH_SCALE thousand resources, default 100), with the
// passphrase's real Argon2id cost (64 MiB), CAREBOOK_BENCH_RUNS times (3),
// each into a fresh cache. Target: <= 128 MB. Run by scripts/bench.sh with
// -benchtime 1x.
func BenchmarkCLISyncPeakRSS(b *testing.B) {
	scale, runs := 100, 3
	if v, err := strconv.Atoi(os.Getenv("CAREBOOK_BENCH_SCALE")); err == nil && v > 1 {
		scale = v
	}
	if v, err := strconv.Atoi(os.Getenv("CAREBOOK_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	bin := filepath.Join(b.TempDir(), "carebook-cli")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	t0 := time.Now()
	srv, err := practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, Scale: scale})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	fmt.Printf("practice with the scale patient (scale %d) ready in %.1f s\n", scale, time.Since(t0).Seconds())
	var acct *synth.Account
	for _, a := range srv.DemoAccounts() {
		if a.Username == "scale" {
			acct = &a
		}
	}
	if acct == nil {
		b.Fatal("the practice has no scale account")
	}
	var peaks []float64
	var took []time.Duration
	for range runs {
		dir := b.TempDir()
		st, err := storage.Open(dir, storage.Options{NoKeyring: true}) // the real Argon2id cost
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Setup(context.Background(), testPassphrase); err != nil {
			b.Fatal(err)
		}
		st.Close()
		var out, errb strings.Builder
		getenv := func(k string) string {
			if k == passphraseVar {
				return testPassphrase
			}
			return ""
		}
		browser := func(authURL string) error {
			go func() {
				redirect, err := psmart.SignIn(context.Background(), &http.Client{}, authURL, acct.Username, acct.Password, acct.PatientIDs[0])
				if err != nil {
					b.Errorf("browser: %v", err)
					return
				}
				if resp, err := http.Get(redirect.String()); err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		}
		if code := run(context.Background(), []string{"connect", "--data", dir, "--server", srv.FHIRBase(), "--timeout", "60s"},
			env{stdout: &out, stderr: &errb, getenv: getenv, openBrowser: browser}); code != exitOK {
			b.Fatalf("connect: %d %s", code, errb.String())
		}
		cmd := exec.Command(bin, "sync", "--data", dir, "--quiet")
		cmd.Env = append(os.Environ(), passphraseVar+"="+testPassphrase)
		var cout strings.Builder
		cmd.Stdout, cmd.Stderr = &cout, &cout
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		// The child's own high-water mark (VmHWM), read until it exits:
		// its rusage maxrss would count this test process too, whose
		// memory the child shares until it executes the binary.
		hwm := make(chan int)
		stop := make(chan struct{})
		go func() {
			peak := 0
			for {
				if kb, ok := vmHWM(cmd.Process.Pid); ok {
					peak = max(peak, kb)
				}
				select {
				case <-stop:
					hwm <- peak
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		err = cmd.Wait()
		close(stop)
		peakKB := <-hwm
		if err != nil {
			b.Fatalf("sync: %v\n%s", err, cout.String())
		}
		took = append(took, time.Since(start))
		if peakKB == 0 {
			b.Skip("no /proc/PID/status on this system")
		}
		peaks = append(peaks, float64(peakKB)/1024)
	}
	slices.Sort(peaks)
	slices.Sort(took)
	peak := peaks[len(peaks)-1]
	verdict := "ok"
	if peak > 128 {
		verdict = "MISSED"
	}
	runsMB := make([]string, len(peaks))
	for i, p := range peaks {
		runsMB[i] = fmt.Sprintf("%.0f", p)
	}
	fmt.Printf("carebook-cli sync of %dk resources: peak RSS %.0f MB, highest of %d runs (%s MB; Argon2id takes 64 MiB of it) (target <= 128 MB: %s); time median %.1f s\n",
		scale, peak, runs, strings.Join(runsMB, " "), verdict, took[len(took)/2].Seconds())
}

// vmHWM reads a process's peak resident set size (KiB) from /proc.
func vmHWM(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb, err == nil
		}
	}
	return 0, false
}
