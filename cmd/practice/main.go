package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/faults"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var (
		cfg   practice.Config
		fc    faults.Config
		load  stringList
		quiet bool
	)
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8085", "listen address (127.0.0.1 only unless you mean it)")
	flag.StringVar(&cfg.DataFile, "data", "", "SQLite data file (default: a temporary file removed at exit)")
	flag.Int64Var(&cfg.Seed, "seed", 1, "seed of the synthetic demo data")
	flag.IntVar(&cfg.Scale, "scale", 0, "add a patient with about N×1,000 resources (N > 1)")
	flag.DurationVar(&cfg.StaffDelay, "staff-delay", 30*time.Second, "how long the simulated staff take to react")
	flag.DurationVar(&cfg.AccessTokenTTL, "token-ttl", time.Hour, "access token lifetime")
	flag.Var(&load, "load", "extra FHIR Bundle file to load (repeatable)")
	flag.DurationVar(&fc.Latency, "latency", 0, "fault: delay every request by this much")
	flag.Float64Var(&fc.ErrorRate, "error-rate", 0, "fault: share of requests (0..1) answered with --error-status")
	flag.IntVar(&fc.ErrorStatus, "error-status", 503, "fault: status of injected errors (500, 503, 429)")
	flag.DurationVar(&fc.RetryAfter, "retry-after", time.Second, "fault: Retry-After of injected 429/503")
	flag.Float64Var(&fc.DropReplyAfterCommitRate, "drop-rate", 0, "fault: share of writes (0..1) carried out but never answered")
	flag.Float64Var(&fc.TruncateBodyRate, "truncate-rate", 0, "fault: share of replies (0..1) cut in half")
	flag.StringVar(&fc.OnlyPaths, "fault-paths", "", "fault: only for request paths with this prefix, e.g. /fhir/Communication")
	flag.Int64Var(&fc.Seed, "fault-seed", 1, "fault: seed of the random choices")
	flag.BoolVar(&quiet, "quiet", false, "do not log operational messages")
	flag.Parse()
	cfg.Load = load
	if !quiet {
		cfg.Logf = log.Printf
	}
	if err := run(cfg, fc); err != nil {
		fmt.Fprintln(os.Stderr, "practice:", err)
		os.Exit(1)
	}
}

func run(cfg practice.Config, fc faults.Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := practice.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.Faults().Set(fc)
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Printf("FHIR base: %s\n", srv.FHIRBase())
	fmt.Printf("SMART configuration: %s/.well-known/smart-configuration\n", srv.FHIRBase())
	fmt.Println("Demo accounts:")
	for _, a := range srv.DemoAccounts() {
		fmt.Printf("  %-12s %-16s %s\n", a.Username, a.Password, a.Description)
	}
	<-ctx.Done()
	fmt.Println("practice: shutting down")
	return nil
}
