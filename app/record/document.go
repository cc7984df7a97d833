package record

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// DocumentReference is a clinical document: a visit summary, a discharge
// letter, a scanned form.
type DocumentReference struct {
	Entry
	Title       string // description, else the document type, else the first attachment title
	Type        string
	Categories  []string
	Status      string // lower-cased: "current", "superseded", "entered-in-error"
	DocStatus   string // lower-cased: "preliminary", "final", …
	Date        Date   // date, else the period of care it covers
	Authors     []Ref
	Custodian   Ref
	Attachments []Attachment
	// Codes are the codings of its type and categories, to tell what it is
	// by code (patient education: LOINC 69730-0, SNOMED CT 311401005).
	Codes []Coding
	// Related is what the document is about (context.related): the
	// condition a handout explains, say.
	Related []Ref
}

type wDocumentReference struct {
	wBase
	Status      string     `json:"status"`
	DocStatus   string     `json:"docStatus"`
	Type        wConcept   `json:"type"`
	Category    []wConcept `json:"category"`
	Date        string     `json:"date"`
	Author      []wRef     `json:"author"`
	Custodian   wRef       `json:"custodian"`
	Description string     `json:"description"`
	Content     []struct {
		Attachment wAttachment `json:"attachment"`
	} `json:"content"`
	Context struct {
		Period  wPeriod `json:"period"`
		Related []wRef  `json:"related"`
	} `json:"context"`
}

// DecodeDocumentReference decodes a DocumentReference tolerantly; it never fails.
// Its files are in their attachments' Data.
func DecodeDocumentReference(r Resource) DocumentReference { return decodeDocumentReference(r, false) }

// decodeDocumentReference is DecodeDocumentReference; listing leaves
// large files out (see Attachment.Cached).
func decodeDocumentReference(r Resource, listing bool) DocumentReference {
	var w wDocumentReference
	d := begin(r, &w)
	d.listing = listing
	doc := DocumentReference{
		Type:       d.concept(w.Type).String(),
		Categories: d.conceptNames(w.Category),
		Status:     lower(w.Status),
		DocStatus:  lower(w.DocStatus),
		Date:       firstDate(d.date(w.Date), d.date(w.Context.Period.Start)),
		Authors:    d.refs(w.Author),
		Custodian:  d.ref(w.Custodian),
		Related:    d.refs(w.Context.Related),
	}
	for _, c := range append([]wConcept{w.Type}, w.Category...) {
		doc.Codes = append(doc.Codes, d.concept(c).Codings...)
	}
	for _, c := range w.Content {
		doc.Attachments = append(doc.Attachments, d.attachment(c.Attachment))
	}
	doc.Title = strings.TrimSpace(w.Description)
	if doc.Title == "" {
		doc.Title = doc.Type
	}
	if doc.Title == "" && len(doc.Attachments) > 0 {
		doc.Title = doc.Attachments[0].Title
	}
	if doc.Date.IsZero() {
		doc.Date = d.fallbackDate("date", "start", "creation")
	}
	doc.Entry = d.entry()
	return doc
}

// blockElements end a line of text when they open or close.
var blockElements = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "tr": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "table": true, "ul": true, "ol": true,
	"section": true, "article": true, "header": true, "footer": true, "pre": true,
	"blockquote": true, "hr": true, "dt": true, "dd": true, "title": true,
}

// skipElements hold no readable text.
var skipElements = map[string]bool{
	"script": true, "style": true, "head": true, "noscript": true, "template": true,
	"iframe": true, "object": true, "svg": true,
}

// HTMLText turns HTML (a document attachment, a narrative) into plain
// readable text: tags dropped, entities decoded, scripts and styles removed,
// one line per block element, runs of spaces collapsed. It parses with the
// HTML5 tokenizer, so malformed markup cannot smuggle tags through.
func HTMLText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var out strings.Builder
	skip := 0
	line := false  // the current output line has text
	space := false // a space is due before the next text
	newline := func() {
		if line {
			out.WriteByte('\n')
		}
		line, space = false, false
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(out.String())
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch {
			case skipElements[tag] && tt == html.StartTagToken:
				skip++
			case skipElements[tag] && tt == html.EndTagToken && skip > 0:
				skip--
			}
			if blockElements[tag] {
				newline()
			} else if tag == "td" || tag == "th" {
				space = true
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			raw := string(z.Text())
			text := strings.Join(strings.Fields(raw), " ")
			if text == "" {
				space = space || raw != ""
				continue
			}
			if line && (space || startsWithSpace(raw)) {
				out.WriteByte(' ')
			}
			out.WriteString(text)
			line = true
			space = endsWithSpace(raw)
		}
	}
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

func endsWithSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(r)
}
