package record

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzTypes are the resource types FuzzDecode feeds its input to.
var fuzzTypes = []string{
	"Patient", "Observation", "DiagnosticReport", "MedicationRequest", "AllergyIntolerance",
	"Condition", "Immunization", "Procedure", "Encounter", "DocumentReference", "CarePlan",
	"Goal", "CareTeam", "Appointment", "Communication", "Task", "Account", "Invoice",
	"Coverage", "ExplanationOfBenefit", "Practitioner", "Claim",
}

// FuzzDecode checks that no input makes a decoder panic or lose the
// resource, and that the derived views (labs, trends, search, dashboard)
// accept whatever the decoders produce.
func FuzzDecode(f *testing.F) {
	seeds := []struct {
		typ  uint8
		json string
	}{
		{1, `{"status":"final","code":{"text":"Glucose"},"effectiveDateTime":"2019-03","valueQuantity":{"value":"5.4","comparator":"\u003c","unit":"mmol/L"},"referenceRange":[{"low":{"value":3},"high":{"value":6}}]}`},
		{1, `{"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"effectiveDateTime":"2019","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120}}]}`},
		{0, `{"name":[{"use":"official","given":["Jesús"],"family":"Álvarez"}],"birthDate":"1984-10","identifier":{"value":"x"}}`},
		{3, `{"status":"Active","contained":[{"resourceType":"Medication","id":"m","code":{"text":"Amoxicillin"}}],"medicationReference":{"reference":"#m"},"dispenseRequest":{"numberOfRepeatsAllowed":"2"}}`},
		{8, `{"status":"Finished","class":{"code":"AMB"},"period":{"start":"2020-01-01T10:00"}}`},
		{9, `{"content":[{"attachment":{"contentType":"text/html","data":"PHA+aGk8L3A+"}}]}`},
		{14, `{"partOf":[{"reference":"Communication/1"}],"payload":[{"contentString":"hi"},{"contentAttachment":{"data":"%%%"}}]}`},
		{16, `{"balance":{"amount":{"value":1,"currency":"usd"}}}`},
		{2, `{"result":[{"reference":"urn:uuid:x"}],"effectiveDateTime":"2019-02-30"}`},
		{1, `{"status":"final","valueQuantity":{"value":1`},
		{1, `null`},
		{9, `{"content":[{"attachment":{"size":1e300,"data":""}}]}`},
		{3, `{"dispenseRequest":{"numberOfRepeatsAllowed":1e300}}`},
		{5, `[]`},
	}
	for _, s := range seeds {
		f.Add(s.typ, []byte(s.json))
	}
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		r := Resource{Type: fuzzTypes[int(typ)%len(fuzzTypes)], ID: "fuzz", JSON: data}
		c := Load([]Resource{r, r})
		if c.Len() != 2 {
			t.Fatalf("chart holds %d entries for 2 resources", c.Len())
		}
		for _, e := range entries(c) {
			if e.Type != r.Type || e.ID != "fuzz" {
				t.Fatalf("entry %s/%s, want %s/fuzz", e.Type, e.ID, r.Type)
			}
		}
		LabResults(c)
		ChartCandidates(Trends(c.Observations))
		BuildDashboard(c, now, now.AddDate(-1, 0, 0), nil)
		for _, h := range BuildChart(c).Search("a", 10) {
			if !utf8.ValidString(h.Snippet) && utf8.ValidString(string(data)) {
				t.Fatalf("snippet %q is not valid UTF-8", h.Snippet)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2019", "2019-03", "2019-03-04", "2019-03-04T10:30:00Z", "2019-03-04T10:30:00.5+02:00", "2019-03-04 10:30", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !d.IsZero() {
				t.Fatalf("error with a non-zero date %v", d)
			}
			if len(s) > 3 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q repeats its input", err)
			}
			return
		}
		if d.IsZero() || d.Time.IsZero() && d.Precision == PrecisionNone {
			t.Fatalf("no error but zero date for %q", s)
		}
		if d.End().Before(d.Time) {
			t.Fatalf("End %v before start %v", d.End(), d.Time)
		}
		_ = d.String()
	})
}

func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "<script>x</script>y", "<b>unclosed", "&amp;&lt;", "<style>p{}</style><div>t</div>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input: %q", out)
		}
		if strings.TrimSpace(out) != out || strings.Contains(out, "  ") || strings.Contains(out, "\n\n") || strings.Contains(out, " \n") {
			t.Fatalf("whitespace not normalised: %q", out)
		}
		// Script and style content never survives when the element is
		// opened in ordinary body context.
		if got := HTMLText("<p>x</p><script>" + strings.ReplaceAll(s, "<", "") + "</script>"); got != "x" {
			t.Fatalf("script content leaked: %q", got)
		}
	})
}
