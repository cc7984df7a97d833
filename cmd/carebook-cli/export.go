package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/carebook/carebook/storage"
)

func cmdExport(ctx context.Context, args []string, e env) error {
	fs := newFlags("export", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	format := fs.String("format", "bundle", `output format: "bundle" (a FHIR Bundle of type collection)`)
	profile := fs.String("profile", "", "the profile to export (needed when there are several)")
	outFile := fs.String("out", "", "write to this file (created readable by you only) instead of standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "bundle" {
		return usagef("unknown --format %q (only \"bundle\")", *format)
	}
	st, err := openCache(ctx, *data, e)
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := pickProfiles(ctx, st, *profile)
	if err != nil {
		return err
	}
	if len(ps) > 1 {
		return usagef("%d profiles: choose one with --profile", len(ps))
	}
	// The trail records that the record left the app in clear, before it does.
	where := "bundle to standard output"
	if *outFile != "" {
		where = "bundle to a file"
	}
	if err := st.Audit(ctx, storage.AuditExport, ps[0].ID, where); err != nil {
		return err
	}
	if *outFile == "" {
		fmt.Fprintln(e.stderr, "carebook-cli: the export is your health record in clear (not encrypted): keep it private.")
		w := bufio.NewWriterSize(e.stdout, 64<<10)
		if err := writeBundle(ctx, st, ps[0], w); err != nil {
			return err
		}
		return w.Flush()
	}
	if err := exportToFile(ctx, st, ps[0], *outFile); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "carebook-cli: wrote %s. It is your health record in clear (not encrypted), readable by you only: keep it private and delete it when you no longer need it.\n", *outFile)
	return nil
}

// exportToFile writes the Bundle to a new file beside name, readable and
// writable by the owner only (0600, whatever the umask), and renames it to
// name once complete: an existing file with looser permissions is
// replaced, not reused, and a failed export leaves nothing half written.
func exportToFile(ctx context.Context, st *storage.Store, p storage.Profile, name string) error {
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
	w := bufio.NewWriterSize(f, 64<<10)
	if err := writeBundle(ctx, st, p, w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
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

// writeBundle streams the profile's records as a collection Bundle: one
// record at a time, so memory does not grow with the record.
func writeBundle(ctx context.Context, st *storage.Store, p storage.Profile, w *bufio.Writer) error {
	ts, _ := json.Marshal(time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, `{"resourceType":"Bundle","type":"collection","timestamp":%s,"entry":[`, ts)
	first := true
	err := st.Each(ctx, p.ID, "", func(r storage.Resource) error {
		if !json.Valid(r.JSON) {
			return nil // cannot happen for what pull stored; never emit broken JSON
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		full, _ := json.Marshal(p.PracticeURL + "/" + r.Type + "/" + r.ID)
		fmt.Fprintf(w, "\n{\"fullUrl\":%s,\"resource\":", full)
		w.Write(r.JSON)
		w.WriteByte('}')
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteString("\n]}\n")
	return nil
}
