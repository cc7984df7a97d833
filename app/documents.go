package app

import (
	"context"
	"fmt"
	"mime"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
)

// DocumentKind says what a document is; Label says it in the patient's
// words.
type DocumentKind string

// The kinds of documents.
const (
	DocVisitSummary DocumentKind = "visit-summary"
	DocLabReport    DocumentKind = "lab-report"
	DocLetter       DocumentKind = "letter"
	DocEducation    DocumentKind = "education"
	DocCarePlan     DocumentKind = "care-plan"
	DocMessageFile  DocumentKind = "message-file"
	DocOther        DocumentKind = "document"
)

// Label is the kind in the patient's words, in the current language.
func (k DocumentKind) Label() string {
	switch k {
	case DocVisitSummary:
		return i18n.L("Visit summary")
	case DocLabReport:
		return i18n.L("Lab report")
	case DocLetter:
		return i18n.L("Letter")
	case DocEducation:
		return i18n.L("Health information")
	case DocCarePlan:
		return i18n.L("Care plan")
	case DocMessageFile:
		return i18n.L("Sent with a message")
	}
	return i18n.L("Document")
}

// Document is one file of the record: an attachment of a DocumentReference
// (visit summaries, letters, the practice's health information), the
// presented form of a report (a lab report as PDF), or a file sent with a
// message.
type Document struct {
	Ref        string // "DocumentReference/id", "DiagnosticReport/id" or "Communication/id"
	Attachment int    // which attachment of Ref
	Title      string
	Kind       DocumentKind
	Date       record.Date
	Author     string // who wrote or sent it, "" when unknown
	// ContentType is the file's type ("application/pdf", "text/plain").
	ContentType string
	// Text is the document's readable text when it is text or HTML held in
	// the cache ("" otherwise: open or save it to read it).
	Text string
	// Offline says the content is in the cache: it opens and saves without
	// the practice. Otherwise it is fetched from the practice when asked.
	Offline bool
	Size    int64 // bytes, 0 when unknown
	// About names what the document is about, where it says so: the
	// health problems an education handout of the practice explains.
	About []string
}

// Key is the document's identity in a list: "Ref#attachment".
func (d Document) Key() string { return fmt.Sprintf("%s#%d", d.Ref, d.Attachment) }

// Documents lists every document of the profile's record, newest first,
// from the local cache (works offline). A non-blank query keeps those
// whose title, kind, author or text hold every word of it (any case).
func (a *App) Documents(ctx context.Context, profileID, query string) ([]Document, error) {
	c, err := a.chartWithRefs(ctx, profileID, documentTypes, documentRefs)
	if err != nil {
		return nil, fmt.Errorf("documents: %w", err)
	}
	docs := ChartDocuments(c)
	if words := strings.Fields(strings.ToLower(query)); len(words) > 0 {
		kept := docs[:0]
		for _, d := range docs {
			hay := strings.ToLower(strings.Join(append([]string{d.Title, d.Kind.Label(), d.Author, d.Text, d.ContentType}, d.About...), " "))
			all := true
			for _, w := range words {
				if !strings.Contains(hay, w) {
					all = false
					break
				}
			}
			if all {
				kept = append(kept, d)
			}
		}
		docs = kept
	}
	return docs, nil
}

// documentTypes are what the list of documents reads of a record,
// besides what the documents are about (documentRefs).
var documentTypes = []string{"DocumentReference", "DiagnosticReport", "Communication", "Condition"}

// documentRefs are the entries the documents of c say they are about.
func documentRefs(c *record.Chart) []string {
	var refs []string
	for _, d := range c.Documents {
		for _, r := range d.Related {
			refs = append(refs, r.Reference)
		}
	}
	return refs
}

// ChartDocuments lists the documents of a decoded record, newest first.
func ChartDocuments(c *record.Chart) []Document {
	var out []Document
	add := func(ref string, atts []record.Attachment, title string, kind DocumentKind, date record.Date, author string, about ...string) {
		for i, at := range atts {
			if !at.Cached && at.URL == "" {
				continue // nothing to read
			}
			t := title
			if len(atts) > 1 || t == "" || kind == DocMessageFile {
				t = joinNonBlank(" — ", title, at.Title)
			}
			out = append(out, Document{
				Ref: ref, Attachment: i, Title: firstNonBlank(t, kind.Label()), Kind: kind,
				Date: firstDateOf(date, at.Created), Author: author, ContentType: at.ContentType,
				Text: at.Text, Offline: at.Cached, Size: max(at.Size, int64(len(at.Data))), About: about,
			})
		}
	}
	for _, d := range c.Documents {
		if d.Status == "entered-in-error" {
			continue
		}
		var authors []string
		for _, r := range d.Authors {
			if n := c.Name(r); n != "" {
				authors = append(authors, n)
			}
		}
		add("DocumentReference/"+d.ID, d.Attachments, d.Title, documentKind(d), d.Date, strings.Join(authors, ", "), relatedNames(c, d.Related)...)
	}
	for _, r := range c.Reports {
		if r.Status == "entered-in-error" {
			continue
		}
		var who []string
		for _, p := range r.Performers {
			if n := c.Name(p); n != "" {
				who = append(who, n)
			}
		}
		add("DiagnosticReport/"+r.ID, r.PresentedForm, firstNonBlank(r.Name, i18n.L("Report")), DocLabReport, r.Date(), strings.Join(who, ", "))
	}
	for _, m := range c.Communications {
		if len(m.Attachments) == 0 {
			continue
		}
		add("Communication/"+m.ID, m.Attachments, firstNonBlank(m.Topic, i18n.L("Message")), DocMessageFile, m.Date(), c.Name(m.Sender))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[j].Date.Before(out[i].Date) })
	return out
}

// relatedNames names what a document is about: a condition by its name in
// the record (as the record's lists show it), anything else by its
// display.
func relatedNames(c *record.Chart, refs []record.Ref) []string {
	var out []string
	for _, r := range refs {
		name := ""
		if r.TargetType() == "Condition" {
			for _, cd := range c.Conditions {
				if "Condition/"+cd.ID == r.Reference {
					name = cd.Name
				}
			}
		}
		if name = firstNonBlank(name, c.Name(r)); name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// snomedSystem is SNOMED CT's system URI.
const snomedSystem = "http://snomed.info/sct"

// Codes that mark patient education: the LOINC document types
// "Instructions" and "Education note", and SNOMED CT's "Patient education"
// and "Education" (as a type or a category).
var educationCodes = map[record.Coding]bool{
	{System: record.LOINC, Code: "69730-0"}:   true,
	{System: record.LOINC, Code: "34895-3"}:   true,
	{System: snomedSystem, Code: "311401005"}: true,
	{System: snomedSystem, Code: "409073007"}: true,
}

// documentKind reads what a DocumentReference is from its type and
// categories: by code where it has one Carebook knows, else by words.
func documentKind(d record.DocumentReference) DocumentKind {
	for _, cd := range d.Codes {
		if educationCodes[record.Coding{System: cd.System, Code: cd.Code}] {
			return DocEducation
		}
	}
	words := strings.ToLower(d.Type + " " + strings.Join(d.Categories, " ") + " " + d.Title)
	switch {
	case strings.Contains(words, "education") || strings.Contains(words, "patient information") || strings.Contains(words, "handout"):
		return DocEducation
	case strings.Contains(words, "plan of care") || strings.Contains(words, "care plan"):
		return DocCarePlan
	case strings.Contains(words, "letter") || strings.Contains(words, "referral") || strings.Contains(words, "correspondence"):
		return DocLetter
	case strings.Contains(words, "lab") || strings.Contains(words, "pathology") || strings.Contains(words, "radiology") || strings.Contains(words, "imaging"):
		return DocLabReport
	case strings.Contains(words, "summary") || strings.Contains(words, "progress note") || strings.Contains(words, "visit") ||
		strings.Contains(words, "discharge") || strings.Contains(words, "clinical note") || strings.Contains(words, "consult"):
		return DocVisitSummary
	}
	return DocOther
}

// DocumentFile returns a document's content and a file name for it, to
// save where the patient chooses. Content only linked from the cache is
// fetched from the practice. The activity trail records that it left the
// encryption.
func (a *App) DocumentFile(ctx context.Context, profileID, ref string, attachment int) (data []byte, name string, err error) {
	att, err := a.attachment(ctx, profileID, ref, attachment)
	if err != nil {
		return nil, "", err
	}
	if err := a.store.Audit(ctx, storage.AuditExport, profileID, auditDocumentFile); err != nil {
		return nil, "", fmt.Errorf("save document: %w", err)
	}
	return att.Data, documentFileName(att), nil
}

// documentFileName is a safe file name for an attachment: its title made
// plain, with the extension its type calls for.
func documentFileName(att record.Attachment) string {
	base := strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|', 0:
			return '-'
		}
		if r < ' ' {
			return -1
		}
		return r
	}, strings.TrimSpace(att.Title))
	base = strings.Trim(base, ". ")
	if base == "" {
		base = "document"
	}
	if len(base) > 80 {
		base = base[:80]
	}
	ext := path.Ext(base)
	want := ""
	switch {
	case att.IsPDF || att.ContentType == "application/pdf":
		want = ".pdf"
	case att.ContentType == "text/plain":
		want = ".txt"
	case att.ContentType == "text/html":
		want = ".html"
	default:
		if exts, _ := mime.ExtensionsByType(att.ContentType); len(exts) > 0 {
			want = exts[0]
		}
	}
	if want != "" && !strings.EqualFold(ext, want) {
		base += want
	}
	return base
}
