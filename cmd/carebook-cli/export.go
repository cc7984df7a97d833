package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/carebook/carebook/app"
)

func cmdExport(ctx context.Context, args []string, e env) error {
	fs := newFlags("export", e)
	pf := addProfileFlags(fs)
	merged := fs.Bool("merged", false, "one file of the person's records at every practice linked to it (carebook-cli link; with --profile: that person's)")
	format := fs.String("format", "bundle", `"pdf" (a readable health summary), "ips" (the International Patient Summary, a FHIR document Bundle) or "bundle" (the whole record, a FHIR collection Bundle)`)
	outFile := fs.String("out", "", "write to this file (created readable by you only) instead of standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	f, err := app.ParseExportFormat(*format)
	if err != nil {
		return usagef("unknown --format %q (pdf, ips or bundle)", *format)
	}
	a, err := openApp(ctx, *pf.data, e)
	if err != nil {
		return err
	}
	defer a.Close()
	ids, err := exportProfiles(ctx, a, *pf.profile, *merged)
	if err != nil {
		return err
	}
	ex := app.Export{Format: f, ProfileIDs: ids, Where: "standard output"}
	if *outFile == "" {
		fmt.Fprintln(e.stderr, "carebook-cli: the export is your health record in clear (not encrypted): keep it private.")
		return exportError(a.WriteExport(ctx, ex, e.stdout))
	}
	ex.Where = "a file"
	if err := writeFileAtomic(*outFile, func(w io.Writer) error { return a.WriteExport(ctx, ex, w) }); err != nil {
		return exportError(err)
	}
	fmt.Fprintf(e.stderr, "carebook-cli: wrote %s. It is your health record in clear (not encrypted), readable by you only: keep it private and delete it when you no longer need it.\n", *outFile)
	return nil
}

// exportError turns "the record has no patient yet" into bad input.
func exportError(err error) error {
	if errors.Is(err, app.ErrNoDocument) {
		return usagef("%v", err)
	}
	return err
}

// exportProfiles are the records to export: --profile's (or the only one),
// and with --merged every record of the same person on this device.
func exportProfiles(ctx context.Context, a *app.App, profile string, merged bool) ([]string, error) {
	if !merged {
		p, err := pickProfile(ctx, a, profile)
		if err != nil {
			return nil, err
		}
		if p.Closed {
			return nil, closedError(p)
		}
		return []string{p.ID}, nil
	}
	ps, err := a.Profiles(ctx)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, usagef("no profile yet: run carebook-cli connect first")
	}
	chosen := profile != ""
	if !chosen {
		profile = ps[0].ID
	}
	p, err := pickProfile(ctx, a, profile)
	if err != nil {
		return nil, err
	}
	if p.Closed {
		return nil, closedError(p)
	}
	ids, err := a.SamePerson(ctx, profile)
	if err != nil {
		return nil, err
	}
	live := 0
	for _, p := range ps {
		if !p.Ended && !p.Closed {
			live++
		}
	}
	if !chosen && len(ids) < live {
		return nil, usagef("the records on this device are not all linked as one person's (carebook-cli link): choose whose with --profile")
	}
	return ids, nil
}

// writeFileAtomic writes through write to a new file beside name, readable
// and writable by the owner only (0600, whatever the umask), and renames
// it to name once complete: an existing file with looser permissions is
// replaced, not reused, and a failed export leaves nothing half written.
func writeFileAtomic(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".carebook-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		done = true
		return fmt.Errorf("export: %w", err)
	}
	done = true
	return nil
}
