package record

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestChartLeavesLargeFilesInTheCache: a chart lists a message's photo
// and a report's PDF (name, type, size, PDF or not) without holding their
// bytes; text stays read, for the screens and the search; decoding the
// one resource holds every byte, to open it.
func TestChartLeavesLargeFilesInTheCache(t *testing.T) {
	photo := bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 40<<10) // 160 KiB
	pdf := append([]byte("%PDF-1.7\n"), make([]byte, 100<<10)...)
	note := strings.Repeat("Keep the wound dry. ", 5000) // 100 KB of text
	wrapped := func(b []byte) string {                   // as some servers send base64: 76 columns
		s := base64.StdEncoding.EncodeToString(b)
		var out strings.Builder
		for len(s) > 76 {
			out.WriteString(s[:76] + "\\n")
			s = s[76:]
		}
		out.WriteString(s)
		return out.String()
	}
	rs := []Resource{
		{Type: "Communication", ID: "m1", JSON: []byte(fmt.Sprintf(
			`{"resourceType":"Communication","id":"m1","payload":[{"contentString":"my rash"},{"contentAttachment":{"contentType":"image/jpeg","title":"rash.jpg","data":%q}}]}`,
			base64.StdEncoding.EncodeToString(photo)))},
		{Type: "DiagnosticReport", ID: "r1", JSON: []byte(fmt.Sprintf(
			`{"resourceType":"DiagnosticReport","id":"r1","code":{"text":"Biopsy"},"presentedForm":[{"contentType":"application/octet-stream","data":"%s"}]}`,
			wrapped(pdf)))},
		{Type: "DocumentReference", ID: "d1", JSON: []byte(fmt.Sprintf(
			`{"resourceType":"DocumentReference","id":"d1","content":[{"attachment":{"contentType":"text/plain","title":"After your visit","data":%q}},{"attachment":{"contentType":"image/png","size":8,"data":"iVBORw0KGgo="}}]}`,
			base64.StdEncoding.EncodeToString([]byte(note))))},
	}
	c := Load(rs)
	tests := []struct {
		name     string
		listed   Attachment
		whole    Attachment
		wantData bool // the chart holds the bytes
		wantSize int64
		wantPDF  bool
	}{
		{"a message's photo", c.Communications[0].Attachments[0], DecodeCommunication(rs[0]).Attachments[0], false, int64(len(photo)), false},
		{"a report's PDF, its type unsaid", c.Reports[0].PresentedForm[0], DecodeDiagnosticReport(rs[1]).PresentedForm[0], false, int64(len(pdf)), true},
		{"a long text", c.Documents[0].Attachments[0], DecodeDocumentReference(rs[2]).Attachments[0], true, int64(len(note)), false},
		{"a small picture", c.Documents[0].Attachments[1], DecodeDocumentReference(rs[2]).Attachments[1], true, 8, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, w := tc.listed, tc.whole
			if !l.Cached || l.Size != tc.wantSize || l.IsPDF != tc.wantPDF || (len(l.Data) > 0) != tc.wantData {
				t.Errorf("listed: cached %v, size %d, PDF %v, %d bytes held; want cached, size %d, PDF %v, bytes held %v",
					l.Cached, l.Size, l.IsPDF, len(l.Data), tc.wantSize, tc.wantPDF, tc.wantData)
			}
			if !w.Cached || int64(len(w.Data)) != w.Size || w.Size != tc.wantSize || w.IsPDF != tc.wantPDF {
				t.Errorf("whole: cached %v, %d bytes for a size of %d, PDF %v", w.Cached, len(w.Data), w.Size, w.IsPDF)
			}
			if l.Text != w.Text || l.Title != w.Title || l.ContentType != w.ContentType {
				t.Errorf("listed and whole differ in text, title or type: %q/%q %q/%q %q/%q", l.Text[:min(len(l.Text), 20)], w.Text[:min(len(w.Text), 20)], l.Title, w.Title, l.ContentType, w.ContentType)
			}
		})
	}
}

func TestBase64Size(t *testing.T) {
	for n := range 10 {
		b := bytes.Repeat([]byte{'x'}, n)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
			s := enc.EncodeToString(b)
			if got := base64Size(s); got != int64(n) {
				t.Errorf("base64Size(%q) = %d, want %d", s, got, n)
			}
			if got := base64Size(s[:len(s)/2] + "\r\n" + s[len(s)/2:]); got != int64(n) {
				t.Errorf("base64Size of %q with a line break = %d, want %d", s, got, n)
			}
		}
	}
}

// TestListedPDFWithLeadingSpace: a chart tells a PDF from its first bytes
// as decoding the whole file does, when its base64 begins with a line
// break and indentation (as text taken from an XML document often does).
func TestListedPDFWithLeadingSpace(t *testing.T) {
	pdf := append([]byte("%PDF-1.4\n"), make([]byte, 100<<10)...)
	for _, lead := range []string{"", "\\n", "\\n      ", "\\r\\n\\t\\t\\t\\t\\t\\t"} {
		r := Resource{Type: "DiagnosticReport", ID: "r1", JSON: []byte(`{"resourceType":"DiagnosticReport","id":"r1",` +
			`"presentedForm":[{"contentType":"application/octet-stream","data":"` + lead + base64.StdEncoding.EncodeToString(pdf) + `"}]}`)}
		listed := Load([]Resource{r}).Reports[0].PresentedForm[0]
		whole := DecodeDiagnosticReport(r).PresentedForm[0]
		if !whole.IsPDF || listed.IsPDF != whole.IsPDF || listed.Size != whole.Size {
			t.Errorf("base64 after %q: listed PDF %v, size %d; whole PDF %v, size %d", lead, listed.IsPDF, listed.Size, whole.IsPDF, whole.Size)
		}
	}
}
