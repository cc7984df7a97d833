package synth

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// simplePDF renders lines of ASCII text as a valid one-page PDF 1.4 document
// (Helvetica 11 pt, US Letter) with a correct cross-reference table. Other
// characters are replaced by '?', as the standard font has no Unicode map.
func simplePDF(title string, lines []string) []byte {
	var content bytes.Buffer
	content.WriteString("BT\n/F1 16 Tf\n72 720 Td\n(" + pdfString(title) + ") Tj\n/F1 11 Tf\n16 TL\nT*\nT*\n")
	for _, l := range lines {
		content.WriteString("(" + pdfString(l) + ") Tj\nT*\n")
	}
	content.WriteString("ET\n")

	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return out.Bytes()
}

// pdfString escapes s for a PDF literal string, keeping printable ASCII.
func pdfString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '(' || r == ')':
			b.WriteRune('\\')
			b.WriteRune(r)
		case r == '–' || r == '—':
			b.WriteRune('-')
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteRune('?')
		}
	}
	return b.String()
}

// addCarePlanPDF adds the care plan handout given at the last annual visit
// as a PDF DocumentReference.
func (b *patientBuilder) addCarePlanPDF() {
	var last *visit
	for _, v := range b.visits {
		if v.vt == visitPhysical || v.vt == visitWellChild {
			last = v
		}
	}
	if last == nil {
		return
	}
	cp := b.p.carePlan
	lines := []string{
		"Patient: " + b.displayName(),
		"Date: " + fhirDate(last.at),
		"Clinician: " + practitionerByID(last.practitioner).display(),
		"",
		"Goal: " + cp.description,
		"",
		"What to do:",
	}
	for _, a := range cp.activities {
		lines = append(lines, "  - "+a)
	}
	lines = append(lines, "", "Questions? Send us a message or call (555) 201-4400.")
	pdf := simplePDF(cp.title+" - your care plan", lines)
	b.addDocument(last, "18776-5", "Plan of care note", obj{
		"contentType": "application/pdf",
		"language":    "en-US",
		"title":       cp.title + " – care plan handout",
		"creation":    fhirInstant(last.at.Add(time.Hour)),
		"data":        b64(pdf),
		"size":        len(pdf),
	})
}
