package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/carebook/carebook/storage"
)

// ExportFormat is what an export writes.
type ExportFormat string

// The export formats.
const (
	// ExportPDF is the readable health summary (WriteSummaryPDF).
	ExportPDF ExportFormat = "pdf"
	// ExportIPS is the International Patient Summary, a FHIR document
	// Bundle (WriteIPS).
	ExportIPS ExportFormat = "ips"
	// ExportBundle is the whole cached record as a FHIR collection Bundle.
	ExportBundle ExportFormat = "bundle"
)

// ParseExportFormat reads "pdf", "ips" or "bundle".
func ParseExportFormat(s string) (ExportFormat, error) {
	switch f := ExportFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case ExportPDF, ExportIPS, ExportBundle:
		return f, nil
	}
	return "", fmt.Errorf("export: %w: unknown format %q (pdf, ips or bundle)", ErrInvalidInput, s)
}

// Export is one export of one person's record.
// ExportToAppFile is Export.Where for a file the patient saved from the
// app's screens: a key, said in the activity list's language when listed
// (the trail keeps what was recorded).
const ExportToAppFile = "app-file"

type Export struct {
	Format ExportFormat
	// ProfileIDs are the records exported: one profile, or the profiles of
	// one person at several practices (SamePerson), merged into one file.
	ProfileIDs []string
	// Where says where the file goes ("a file", "standard output"), for the
	// activity trail.
	Where string
}

// FileName is the name a save dialog suggests for the export of name's
// record made at t.
func (e Export) FileName(name string, t time.Time) string {
	slug := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, name)
	slug = strings.Trim(strings.Join(strings.FieldsFunc(slug, func(r rune) bool { return r == '-' }), "-"), "-")
	if slug != "" {
		slug = "-" + slug
	}
	day := t.Format("2006-01-02")
	switch e.Format {
	case ExportPDF:
		return "health-summary" + slug + "-" + day + ".pdf"
	case ExportIPS:
		return "patient-summary-ips" + slug + "-" + day + ".json"
	}
	return "health-record" + slug + "-" + day + ".json"
}

// WriteExport writes the export to w. Before anything leaves, the
// activity trail records that the record left the encryption, for each
// profile exported. It reads only the local cache (works offline).
func (a *App) WriteExport(ctx context.Context, e Export, w io.Writer) error {
	if len(e.ProfileIDs) == 0 {
		return fmt.Errorf("export: %w: no record chosen", ErrInvalidInput)
	}
	if _, err := ParseExportFormat(string(e.Format)); err != nil {
		return err
	}
	var s HealthSummary
	if e.Format != ExportBundle {
		var err error
		if s, err = a.HealthSummary(ctx, e.ProfileIDs...); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	where := string(e.Format) + " to " + firstNonBlank(e.Where, "a file")
	for _, id := range e.ProfileIDs {
		if err := a.store.Audit(ctx, storage.AuditExport, id, where); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	switch e.Format {
	case ExportPDF:
		return WriteSummaryPDF(w, s)
	case ExportIPS:
		return a.WriteIPS(ctx, w, s)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := a.writeBundle(ctx, bw, e.ProfileIDs); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// ExportBytes is WriteExport into memory, for a save dialog, with the
// name to suggest.
func (a *App) ExportBytes(ctx context.Context, e Export) (data []byte, name string, err error) {
	var buf bytes.Buffer
	if err := a.WriteExport(ctx, e, &buf); err != nil {
		return nil, "", err
	}
	p, err := a.store.Profile(ctx, e.ProfileIDs[0])
	if err != nil {
		return nil, "", fmt.Errorf("export: %w", err)
	}
	return buf.Bytes(), e.FileName(p.Label, a.cfg.Now()), nil
}

// PrintSummary opens the health summary PDF of the profiles in the system
// viewer, where the patient prints it. Like OpenDocument, the PDF is never
// written to a file by Carebook: it is served once from memory on
// 127.0.0.1.
func (a *App) PrintSummary(ctx context.Context, profileIDs ...string) error {
	if a.cfg.OpenBrowser == nil {
		return fmt.Errorf("print: no way to open a viewer")
	}
	data, name, err := a.ExportBytes(ctx, Export{Format: ExportPDF, ProfileIDs: profileIDs, Where: auditViewer})
	if err != nil {
		return err
	}
	u, err := serveOnce(data, "application/pdf", name)
	if err != nil {
		return fmt.Errorf("print: %w", err)
	}
	if err := a.cfg.OpenBrowser(u); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	return nil
}

// writeBundle streams the profiles' records as one collection Bundle: one
// record at a time, so memory does not grow with the record. Each entry's
// fullUrl is the resource's address at its practice, so the records of two
// practices never collide.
func (a *App) writeBundle(ctx context.Context, w *bufio.Writer, profileIDs []string) error {
	ts, _ := json.Marshal(a.cfg.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, `{"resourceType":"Bundle","type":"collection","timestamp":%s,"entry":[`, ts)
	first := true
	for _, id := range profileIDs {
		p, err := a.store.Profile(ctx, id)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		base := strings.TrimRight(p.PracticeURL, "/")
		err = a.store.Each(ctx, p.ID, "", func(r storage.Resource) error {
			if !json.Valid(r.JSON) {
				return nil // cannot happen for what pull stored; never emit broken JSON
			}
			if !first {
				w.WriteByte(',')
			}
			first = false
			full, _ := json.Marshal(base + "/" + r.Type + "/" + r.ID)
			fmt.Fprintf(w, "\n{\"fullUrl\":%s,\"resource\":", full)
			w.Write(r.JSON)
			w.WriteByte('}')
			return nil
		})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	w.WriteString("\n]}\n")
	return nil
}

// SamePerson returns the profiles holding the record of the same person
// as profileID (profileID first): the person's records at the practices
// the user linked (LinkedProfiles, the merged model), without those whose
// own lock is closed (they cannot be read now). A profile linked to none
// gives itself only.
func (a *App) SamePerson(ctx context.Context, profileID string) ([]string, error) {
	ps, err := a.LinkedProfiles(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("same person: %w", err)
	}
	out := []string{profileID}
	for _, p := range ps[1:] {
		if !p.Closed {
			out = append(out, p.ID)
		}
	}
	return out, nil
}
