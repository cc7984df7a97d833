package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/carebook/carebook/storage"
)

// TestPracticeEducationOffline: the demo practice's education handouts
// (DocumentReference typed LOINC 69730-0 "Instructions", categorized
// SNOMED CT 311401005 "Patient education", about the patient's
// conditions), synced over HTTP like any document, are listed under
// Documents as health information from the practice, each naming the
// health problem it explains; a search by title or by that problem finds
// them; with the practice gone, their text is there and their content
// saves to a file.
func TestPracticeEducationOffline(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (DemoPractice, error) { return practice, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatalf("ConnectDemo: %v", err)
	}
	if err := core.Sync(ctx, p.ID); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	c, err := core.Chart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, cd := range c.Conditions {
		problems = append(problems, cd.Name)
	}

	// The network is gone from here on.
	if err := practice.Close(); err != nil {
		t.Fatal(err)
	}

	docs, err := core.Documents(ctx, p.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var education []Document
	for _, d := range docs {
		if d.Kind == DocEducation && d.Author == "Riverside Family Medicine" {
			education = append(education, d)
		}
	}
	if len(education) < 3 {
		t.Fatalf("%d education documents from the practice, want one per condition it has a handout for (3): %+v", len(education), docs)
	}
	var pressure *Document
	for i, d := range education {
		if !d.Offline || strings.TrimSpace(d.Text) == "" || d.Kind.Label() != "Health information" {
			t.Errorf("%q: offline %v, %d characters of text, labelled %q; want its text kept on the device, labelled Health information",
				d.Title, d.Offline, len(d.Text), d.Kind.Label())
		}
		if len(d.About) != 1 || !slices.Contains(problems, d.About[0]) {
			t.Errorf("%q is about %q, want one of the record's health problems %q", d.Title, d.About, problems)
		}
		if d.Title == "Living with high blood pressure" {
			pressure = &education[i]
		}
	}
	if pressure == nil {
		t.Fatalf("no handout about high blood pressure among %+v", education)
	}
	if !strings.Contains(pressure.Text, "Checking at home: sit quietly for 5 minutes") || strings.Contains(pressure.Text, "<p>") {
		t.Errorf("the handout's readable text: %q", pressure.Text)
	}

	for _, query := range []string{"high blood pressure", "LIVING WITH", pressure.About[0]} {
		found, err := core.Documents(ctx, p.ID, query)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(found, func(d Document) bool { return d.Key() == pressure.Key() }) {
			t.Errorf("searching %q does not find the handout (found %d documents)", query, len(found))
		}
	}

	data, name, err := core.DocumentFile(ctx, p.ID, pressure.Ref, pressure.Attachment)
	if err != nil {
		t.Fatalf("the handout's content offline: %v", err)
	}
	if name != "Living with high blood pressure.html" || !strings.Contains(string(data), "<h1>Living with high blood pressure</h1>") {
		t.Errorf("saved as %q: %.80q…", name, data)
	}
}
