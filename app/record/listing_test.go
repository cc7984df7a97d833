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

// TestBase64Scan: base64Scan tells the size of what a string holds in
// base64 and whether it decodes, as decodeBase64 does.
func TestBase64Scan(t *testing.T) {
	var tests []string
	for n := range 10 {
		b := bytes.Repeat([]byte{0xfb}, n) // "+/" in the standard alphabet, "-_" in the URL one
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			s := enc.EncodeToString(b)
			tests = append(tests, s, s[:len(s)/2]+"\r\n"+s[len(s)/2:], "\n  "+s+"\n", s+"A", s+"!", "=="+s, s+"=\n=")
		}
	}
	tests = append(tests, "", "=", "A", "AB", "ABC", "AB==", "AB=C", "AB\f==", "+-AA", "/_AA", "AAAA\x80", "AAAA\u00e9")
	for _, s := range tests {
		data, err := decodeBase64(s)
		size, ok := base64Scan(s)
		if ok != (err == nil) || (ok && size != int64(len(data))) {
			t.Errorf("base64Scan(%q) = %d, %v; decoding it: %d bytes, %v", s, size, ok, len(data), err)
		}
	}
}

// FuzzBase64Scan: base64Scan agrees with decodeBase64 on any string.
func FuzzBase64Scan(f *testing.F) {
	for _, s := range []string{"", "AAAA", "AB==", "AB=C", "-_+/", "QUJD\nREVG\n", "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data, err := decodeBase64(s)
		size, ok := base64Scan(s)
		if ok != (err == nil) || (ok && size != int64(len(data))) {
			t.Errorf("base64Scan(%q) = %d, %v; decoding it: %d bytes, %v", s, size, ok, len(data), err)
		}
	})
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

// TestListedBrokenFile: a chart lists a large file whose base64 is broken
// as decoding the one resource reads it: not in the cache to open, and
// the resource marked incomplete. Sound base64 in any of the forms
// decoding accepts stays listed as in the cache.
func TestListedBrokenFile(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 34<<10)) // "++++..."
	tests := []struct {
		name   string
		data   string
		broken bool
	}{
		{"a character outside base64", good[:1000] + "!" + good[1000:], true},
		{"padding in the middle", good[:1000] + "=" + good[1000:], true},
		{"one character too many", good + "A", true},
		{"two alphabets", good[:1000] + "-_" + good[1000:], true},
		{"a form feed", good[:1000] + "\\f" + good[1000:], true},
		{"sound", good, false},
		{"sound, line breaks and padding at the end", good[:1000] + "\\r\\n" + good[1000:] + "AA==\\n", false},
		{"sound, the URL alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(good), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Resource{Type: "DocumentReference", ID: "d1", JSON: []byte(`{"resourceType":"DocumentReference","id":"d1",` +
				`"content":[{"attachment":{"contentType":"image/jpeg","title":"scan","data":"` + tc.data + `"}}]}`)}
			listed := Load([]Resource{r}).Documents[0]
			whole := DecodeDocumentReference(r)
			l, w := listed.Attachments[0], whole.Attachments[0]
			if l.Cached != w.Cached || listed.Incomplete != whole.Incomplete || l.Size != w.Size || l.IsPDF != w.IsPDF {
				t.Errorf("listed cached %v, incomplete %v, size %d, PDF %v; whole cached %v, incomplete %v, size %d, PDF %v",
					l.Cached, listed.Incomplete, l.Size, l.IsPDF, w.Cached, whole.Incomplete, w.Size, w.IsPDF)
			}
			if listed.Incomplete != tc.broken || l.Cached == tc.broken || len(l.Data) > 0 {
				t.Errorf("listed incomplete %v, cached %v, %d bytes held; want incomplete %v, cached %v, no bytes held",
					listed.Incomplete, l.Cached, len(l.Data), tc.broken, !tc.broken)
			}
		})
	}
}
