package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/carebook/carebook/storage"
)

func cmdExport(ctx context.Context, args []string, e env) error {
	fs := newFlags("export", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	format := fs.String("format", "bundle", `output format: "bundle" (a FHIR Bundle of type collection)`)
	profile := fs.String("profile", "", "the profile to export (needed when there are several)")
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
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	if err := writeBundle(ctx, st, ps[0], w); err != nil {
		return err
	}
	return w.Flush()
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
