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
	"syscall"
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
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sync: %v\n%s", err, out)
		}
		took = append(took, time.Since(start))
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			b.Skip("no resource usage on this system")
		}
		peaks = append(peaks, float64(ru.Maxrss)/1024) // KiB on Linux
	}
	slices.Sort(peaks)
	slices.Sort(took)
	peak := peaks[len(peaks)-1]
	verdict := "ok"
	if peak > 128 {
		verdict = "MISSED"
	}
	fmt.Printf("carebook-cli sync of %dk resources: peak RSS %.0f MB, highest of %d runs (%s MB; Argon2id takes 64 MiB of it) (target <= 128 MB: %s); time median %.1f s\n",
		scale, peak, runs, strings.Trim(fmt.Sprint(peaks), "[]"), verdict, took[len(took)/2].Seconds())
}
