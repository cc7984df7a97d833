package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "practice:", err)
		os.Exit(1)
	}
}

// errUsage is returned by run for bad command-line arguments (already
// reported on stderr).
var errUsage = errors.New("usage")

// run parses args, starts the practice, prints where it is and how to sign
// in to stdout, and serves until ctx ends. started, when not nil, gets the
// running server once it serves (for tests).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, started func(*practice.Server)) error {
	var (
		cfg   practice.Config
		fc    faults.Config
		load  stringList
		quiet bool
	)
	fs := flag.NewFlagSet("practice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8085", "listen address (127.0.0.1 only unless you mean it)")
	fs.StringVar(&cfg.DataFile, "data", "", "SQLite data file (default: a temporary file removed at exit)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed of the synthetic demo data")
	fs.IntVar(&cfg.Scale, "scale", 0, "add a patient with about N×1,000 resources (N > 1)")
	fs.DurationVar(&cfg.StaffDelay, "staff-delay", 30*time.Second, "how long the simulated staff take to react")
	fs.DurationVar(&cfg.AccessTokenTTL, "token-ttl", time.Hour, "access token lifetime")
	fs.Var(&load, "load", "extra FHIR Bundle file to load, e.g. a Synthea patient (repeatable); its patients get activation codes")
	fs.DurationVar(&fc.Latency, "latency", 0, "fault: delay every request by this much before it is handled")
	fs.DurationVar(&fc.ReplyLatency, "reply-latency", 0, "fault: handle every request at once, then hold its reply back this much (a client gone meanwhile loses the reply of a done write)")
	fs.Float64Var(&fc.ErrorRate, "error-rate", 0, "fault: share of requests (0..1) answered with --error-status")
	fs.IntVar(&fc.ErrorStatus, "error-status", 503, "fault: status of injected errors (500, 503, 429)")
	fs.DurationVar(&fc.RetryAfter, "retry-after", time.Second, "fault: Retry-After of injected 429/503")
	fs.Float64Var(&fc.DropReplyAfterCommitRate, "drop-rate", 0, "fault: share of writes (0..1) carried out but never answered")
	fs.Float64Var(&fc.TruncateBodyRate, "truncate-rate", 0, "fault: share of replies (0..1) cut in half")
	fs.StringVar(&fc.OnlyPaths, "fault-paths", "", "fault: only for request paths with this prefix, e.g. /fhir/Communication")
	fs.BoolVar(&fc.OnlyWrites, "fault-writes", false, "fault: only for writes (POST, PUT, PATCH, DELETE), not searches and reads")
	fs.Int64Var(&fc.Seed, "fault-seed", 1, "fault: seed of the random choices")
	fs.BoolVar(&quiet, "quiet", false, "do not log operational messages")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "practice: unexpected argument %q (files to load go after --load)\n", fs.Arg(0))
		return errUsage
	}
	cfg.Load = load
	if !quiet {
		cfg.Logf = log.New(stderr, "", log.LstdFlags).Printf
	}

	srv, err := practice.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.Faults().Set(fc)
	invitations, err := srv.InviteLoadedPatients(ctx)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "FHIR base: %s\n", srv.FHIRBase())
	fmt.Fprintf(stdout, "SMART configuration: %s/.well-known/smart-configuration\n", srv.FHIRBase())
	fmt.Fprintln(stdout, "Demo accounts:")
	for _, a := range srv.DemoAccounts() {
		fmt.Fprintf(stdout, "  %-12s %-16s %s\n", a.Username, a.Password, a.Description)
	}
	if len(invitations) > 0 {
		fmt.Fprintf(stdout, "Activation codes of the loaded patients (enroll at %s/auth/enroll with the code and the birth date):\n", srv.URL())
		for _, inv := range invitations {
			fmt.Fprintf(stdout, "  %-16s %-10s %s\n", inv.Code, inv.BirthDate, inv.Name)
		}
	}
	if started != nil {
		started(srv)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "practice: shutting down")
	return nil
}
