package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// seedPerson puts one person's record on srv: allergy, prescription (its
// prescriber and visit by reference, neither in the patient's
// compartment), problem, visit, and an emergency contact.
func seedPerson(srv *fhirtest.Server, allergy, medication string) {
	srv.Put(`{"resourceType":"Patient","id":"p1","name":[{"given":["Rosa"],"family":"Núñez"}],"birthDate":"1961-04-09",
		"contact":[{"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"C"}],"text":"Daughter"}],
		"name":{"given":["Ana"],"family":"Núñez"},"telecom":[{"system":"phone","value":"+1 555 0100"}]}]}`)
	srv.Put(`{"resourceType":"Encounter","id":"e1","status":"finished","subject":{"reference":"Patient/p1"}}`)
	srv.Put(`{"resourceType":"AllergyIntolerance","id":"a1","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"` + allergy + `"},
		"patient":{"reference":"Patient/p1"},"reaction":[{"manifestation":[{"text":"Hives"}],"severity":"severe"}]}`)
	srv.Put(`{"resourceType":"MedicationRequest","id":"mr1","status":"active","intent":"order","medicationCodeableConcept":{"text":"` + medication + `"},
		"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"},"requester":{"reference":"Practitioner/dr1"},
		"dosageInstruction":[{"text":"One tablet every morning"}]}`)
	srv.Put(`{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"High blood pressure"},"subject":{"reference":"Patient/p1"}}`)
}

// TestExportThroughTheBinary runs the real carebook-cli for each format,
// for one record and merged over the same person's records at two
// practices: the PDF read back (pdftotext) holds the allergies and
// medications, the IPS is a document Bundle whose references all resolve,
// the whole record holds every resource of both practices.
func TestExportThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli")
	}
	bin := buildCLI(t)
	first := fhirtest.New(fhirtest.Features{Everything: true})
	defer first.Close()
	seedPerson(first, "Penicillin", "Lisinopril 10 mg tablet")
	second := fhirtest.New(fhirtest.Features{Everything: true})
	defer second.Close()
	seedPerson(second, "Peanuts", "Metformin 500 mg tablet")
	dir := newCache(t)
	var profiles []string
	for _, srv := range []*fhirtest.Server{first, second} {
		code, out, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1")
		if code != exitOK {
			t.Fatalf("connect: %d %s", code, errOut)
		}
		profiles = append(profiles, strings.TrimSpace(out))
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	run := func(args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"export", "--data", dir}, args...)...)
		cmd.Env = append(os.Environ(), passphraseVar+"="+testPassphrase)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("carebook-cli export %v: %v %s", args, err, stderr.String())
		}
		return string(out), stderr.String()
	}

	for _, tc := range []struct {
		name     string
		link     bool // link the two records first (carebook-cli link)
		args     []string
		has, not []string
	}{
		{"one record", false, []string{"--profile", profiles[0]}, []string{"Penicillin", "Lisinopril 10 mg tablet"}, []string{"Peanuts", "Metformin"}},
		// Not linked yet: --merged is that record alone.
		{"merged unlinked", false, []string{"--merged", "--profile", profiles[1]}, []string{"Peanuts", "Metformin 500 mg tablet"}, []string{"Penicillin", "Lisinopril"}},
		{"merged", true, []string{"--merged"}, []string{"Penicillin", "Lisinopril 10 mg tablet", "Peanuts", "Metformin 500 mg tablet"}, nil},
	} {
		if tc.link {
			if code, _, errOut := cli(t, testPassphrase, "link", "--data", dir, "--profile", profiles[0], "--with", profiles[1]); code != exitOK {
				t.Fatalf("link: %d %s", code, errOut)
			}
		}
		t.Run(tc.name+"/pdf", func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "summary.pdf")
			_, stderr := run(append(tc.args, "--format", "pdf", "--out", out)...)
			if !strings.Contains(stderr, "not encrypted") {
				t.Errorf("no warning that the file leaves the encryption: %q", stderr)
			}
			fi, err := os.Stat(out)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("the PDF: %v %v, want a file readable by its owner only", fi, err)
			}
			data, _ := os.ReadFile(out)
			text := pdftotext(t, data)
			for _, w := range append(tc.has, "Rosa Núñez", "Ana Núñez") {
				if !strings.Contains(text, w) {
					t.Errorf("the PDF's text lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(text, w) {
					t.Errorf("the PDF of one record holds %q of the other", w)
				}
			}
			// The problem both practices record is one line (and one on
			// the card), naming both practices when merged.
			if n := strings.Count(text, "High blood pressure"); n != 2 {
				t.Errorf("\"High blood pressure\" is %d times in the PDF, want 2 (the list and the card):\n%s", n, text)
			}
		})
		t.Run(tc.name+"/ips", func(t *testing.T) {
			out, _ := run(append(tc.args, "--format", "ips")...)
			checkIPSRefs(t, out)
			for _, w := range tc.has {
				if !strings.Contains(out, w) {
					t.Errorf("the IPS lacks %q", w)
				}
			}
			if strings.Contains(out, "Encounter/e1") || strings.Contains(out, "Practitioner/dr1") {
				t.Error("the IPS points to the visit or the prescriber, which it does not carry")
			}
		})
		t.Run(tc.name+"/bundle", func(t *testing.T) {
			out, _ := run(append(tc.args, "--format", "bundle")...)
			var b struct {
				Type  string
				Entry []struct{ FullURL string }
			}
			if err := json.Unmarshal([]byte(out), &b); err != nil {
				t.Fatal(err)
			}
			want := 5
			if tc.link {
				want = 10
			}
			if b.Type != "collection" || len(b.Entry) != want {
				t.Errorf("bundle: %s with %d entries, want a collection of %d", b.Type, len(b.Entry), want)
			}
		})
	}
	if code, _, _ := cli(t, testPassphrase, "export", "--data", dir, "--format", "pdf"); code != exitUsage {
		t.Errorf("two profiles without --profile or --merged: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := cli(t, testPassphrase, "export", "--data", dir, "--format", "csv", "--profile", profiles[0]); code != exitUsage {
		t.Errorf("--format csv: exit %d, want %d", code, exitUsage)
	}
}

// checkIPSRefs checks the IPS is a document Bundle led by a Composition
// coded 60591-5 with the three required sections, and that every
// reference resolves to an entry.
func checkIPSRefs(t *testing.T, data string) {
	t.Helper()
	var b struct {
		Type  string
		Entry []struct {
			FullURL  string
			Resource struct {
				ResourceType string
				Type         struct{ Coding []struct{ Code string } }
				Section      []struct {
					Code struct{ Coding []struct{ Code string } }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(data), &b); err != nil {
		t.Fatalf("IPS: %v", err)
	}
	if b.Type != "document" || len(b.Entry) == 0 || b.Entry[0].Resource.ResourceType != "Composition" ||
		len(b.Entry[0].Resource.Type.Coding) == 0 || b.Entry[0].Resource.Type.Coding[0].Code != "60591-5" {
		t.Fatalf("IPS: not a document Bundle led by a Composition coded 60591-5")
	}
	sections := map[string]bool{}
	for _, s := range b.Entry[0].Resource.Section {
		if len(s.Code.Coding) > 0 {
			sections[s.Code.Coding[0].Code] = true
		}
	}
	for _, code := range []string{"48765-2", "10160-0", "11450-4"} {
		if !sections[code] {
			t.Errorf("IPS lacks the section %s", code)
		}
	}
	urls := map[string]bool{}
	for _, e := range b.Entry {
		urls[e.FullURL] = true
	}
	var all any
	json.Unmarshal([]byte(data), &all)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["reference"].(string); ok && !strings.HasPrefix(ref, "#") && !urls[ref] {
				t.Errorf("reference %q does not resolve inside the Bundle", ref)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(all)
}

// pdftotext extracts a PDF's text with poppler's pdftotext, white space
// made single spaces; it skips where pdftotext is not installed.
func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	exe, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is not installed (Debian package poppler-utils; scripts/deps.sh installs it): cannot read the PDF back")
	}
	name := filepath.Join(t.TempDir(), "read.pdf")
	if err := os.WriteFile(name, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "-enc", "UTF-8", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
