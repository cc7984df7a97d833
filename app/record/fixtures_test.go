package record

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixturesDir finds ../shared/fixtures next to the repository root (the
// directory holding go.mod), or skips the test.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("fixtures: no go.mod above the package directory")
		}
		dir = parent
	}
	fx := filepath.Join(dir, "..", "shared", "fixtures")
	if _, err := os.Stat(fx); err != nil {
		t.Skipf("fixtures: %s not found; the real FHIR test data lives there in the team workspace", fx)
	}
	return fx
}

type bundleFile struct {
	name      string
	resources []Resource
}

// loadBundles reads every bundle of the fixtures into Resources, as the
// cache would hand them over.
func loadBundles(t testing.TB) []bundleFile {
	t.Helper()
	fx := fixturesDir(t)
	paths, _ := filepath.Glob(filepath.Join(fx, "synthea", "*.json"))
	more, _ := filepath.Glob(filepath.Join(fx, "hl7-r4-examples", "*.json"))
	paths = append(paths, more...)
	if len(paths) == 0 {
		t.Skipf("fixtures: no bundles under %s", fx)
	}
	var out []bundleFile
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("parse %s: %v", p, err)
		}
		bf := bundleFile{name: filepath.Base(p)}
		for _, e := range b.Entry {
			var head struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
			}
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				t.Fatalf("parse entry of %s: %v", p, err)
			}
			bf.resources = append(bf.resources, Resource{Type: head.ResourceType, ID: head.ID, JSON: e.Resource})
		}
		out = append(out, bf)
	}
	return out
}

// entries lists the Entry of everything in c.
func entries(c *Chart) []Entry {
	var out []Entry
	add := func(e Entry) { out = append(out, e) }
	for _, v := range c.Patients {
		add(v.Entry)
	}
	for _, v := range c.Observations {
		add(v.Entry)
	}
	for _, v := range c.Reports {
		add(v.Entry)
	}
	for _, v := range c.Medications {
		add(v.Entry)
	}
	for _, v := range c.Allergies {
		add(v.Entry)
	}
	for _, v := range c.Conditions {
		add(v.Entry)
	}
	for _, v := range c.Immunizations {
		add(v.Entry)
	}
	for _, v := range c.Recommendations {
		add(v.Entry)
	}
	for _, v := range c.Procedures {
		add(v.Entry)
	}
	for _, v := range c.Encounters {
		add(v.Entry)
	}
	for _, v := range c.Documents {
		add(v.Entry)
	}
	for _, v := range c.CarePlans {
		add(v.Entry)
	}
	for _, v := range c.Goals {
		add(v.Entry)
	}
	for _, v := range c.CareTeams {
		add(v.Entry)
	}
	for _, v := range c.Appointments {
		add(v.Entry)
	}
	for _, v := range c.Communications {
		add(v.Entry)
	}
	for _, v := range c.Tasks {
		add(v.Entry)
	}
	for _, v := range c.Accounts {
		add(v.Entry)
	}
	for _, v := range c.Invoices {
		add(v.Entry)
	}
	for _, v := range c.Coverages {
		add(v.Entry)
	}
	for _, v := range c.Benefits {
		add(v.Entry)
	}
	for _, v := range c.Parties {
		add(v.Entry)
	}
	for _, v := range c.Others {
		add(v.Entry)
	}
	return out
}

// expectedNames are the official names of the fixture patients, by file
// name prefix (non-ASCII included).
var expectedNames = map[string]string{
	"Arla_Lang":        "Arla Lang",
	"Carla_Echevarria": "Carla Echevarría",
	"Clemente_Kreiger": "Clemente Kreiger",
	"Cleo_Friesen":     "Cleo Friesen",
	"Dannie_Schmitt":   "Dannie Schmitt",
	"Eleonor_Becker":   "Eleonor Becker",
	"Errol_Prohaska":   "Errol Prohaska",
	"Jesus_Alvarez":    "Jesús Alvarez",
	"Karan_Gerhold":    "Karan Gerhold",
	"Mitch_Leannon":    "Mitch Leannon",
	"Noel_Reynolds":    "Noel Reynolds",
	"Wendell_Lesch":    "Wendell Lesch",
	"patient-example":  "Peter James Chalmers",
}

func TestFixturesDecodeEverything(t *testing.T) {
	bundles := loadBundles(t)
	total, quantities := 0, 0
	for _, b := range bundles {
		t.Run(b.name, func(t *testing.T) {
			c := Load(b.resources)
			total += len(b.resources)

			// No resource is lost: every input appears exactly once, as
			// its own type and id.
			if c.Len() != len(b.resources) {
				t.Fatalf("chart holds %d entries, want %d", c.Len(), len(b.resources))
			}
			got := map[string]int{}
			for _, e := range entries(c) {
				got[e.Key()]++
			}
			for _, r := range b.resources {
				if got[r.Type+"/"+r.ID] == 0 {
					t.Errorf("%s/%s is missing from the chart", r.Type, r.ID)
				}
			}
			if c.IncompleteCount != 0 {
				for _, e := range entries(c) {
					if e.Incomplete {
						t.Errorf("%s marked incomplete in well-formed fixture data", e.Key())
					}
				}
			}

			// Every valueQuantity with a number yields that number.
			byID := map[string]Observation{}
			for _, o := range c.Observations {
				byID[o.ID] = o
			}
			for _, r := range b.resources {
				if r.Type != "Observation" {
					continue
				}
				var raw struct {
					ValueQuantity *struct {
						Value *float64 `json:"value"`
					} `json:"valueQuantity"`
					Component []struct {
						ValueQuantity *struct {
							Value *float64 `json:"value"`
						} `json:"valueQuantity"`
					} `json:"component"`
				}
				if err := json.Unmarshal(r.JSON, &raw); err != nil {
					t.Fatalf("raw %s: %v", r.ID, err)
				}
				o := byID[r.ID]
				if raw.ValueQuantity != nil && raw.ValueQuantity.Value != nil {
					quantities++
					if n, ok := o.Value.Number(); !ok || n != *raw.ValueQuantity.Value {
						t.Errorf("Observation/%s: number %v,%v, want %v", r.ID, n, ok, *raw.ValueQuantity.Value)
					}
				}
				for i, comp := range raw.Component {
					if comp.ValueQuantity == nil || comp.ValueQuantity.Value == nil {
						continue
					}
					if i >= len(o.Components) {
						t.Errorf("Observation/%s: component %d missing", r.ID, i)
						continue
					}
					if n, ok := o.Components[i].Value.Number(); !ok || n != *comp.ValueQuantity.Value {
						t.Errorf("Observation/%s component %d: number %v,%v, want %v", r.ID, i, n, ok, *comp.ValueQuantity.Value)
					}
				}
			}

			// Every result a report lists is found and grouped under it, and
			// every clinician of a visit has a name.
			listed, grouped := 0, 0
			for _, rep := range c.Reports {
				listed += len(rep.Results)
			}
			for _, g := range LabResults(c) {
				if g.Report != nil {
					grouped += len(g.Results)
				}
			}
			if strings.HasPrefix(b.name, "patient-example") {
				// HL7's examples point to results that are not in the set.
				if grouped > listed {
					t.Errorf("grouped %d results, reports list %d", grouped, listed)
				}
			} else {
				if grouped != listed {
					t.Errorf("grouped %d results under reports, reports list %d", grouped, listed)
				}
				for _, e := range c.Encounters {
					for _, p := range e.Participants {
						if c.Name(p) == "" {
							t.Errorf("Encounter/%s: participant %q has no name", e.ID, p.Reference)
						}
					}
				}
			}

			// The patient's name comes out right.
			p, ok := c.Patient()
			if !ok {
				t.Fatal("no patient")
			}
			want := ""
			for prefix, name := range expectedNames {
				if strings.HasPrefix(b.name, prefix) {
					want = name
				}
			}
			if want == "" {
				t.Fatalf("no expected name for %s", b.name)
			}
			if p.Name != want {
				t.Errorf("patient name %q, want %q", p.Name, want)
			}
			// Searching the name without accents finds the patient.
			found := false
			for _, h := range BuildChart(c).Search(fold(p.Name), 5) {
				found = found || (h.Type == "Patient" && h.ID == p.ID)
			}
			if !found {
				t.Errorf("search for %q does not find the patient", fold(p.Name))
			}
			if p.BirthDate.Precision != PrecisionDay {
				t.Errorf("birth date %v has precision %d", p.BirthDate, p.BirthDate.Precision)
			}

			// Adults have weight and blood pressure trends.
			if strings.HasPrefix(b.name, "patient-example") {
				return
			}
			if ageAt(p, time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)) < 18 {
				return
			}
			series := Trends(c.Observations)
			for _, code := range []string{LOINCBodyWeight, LOINCSystolic, LOINCDiastolic} {
				s, ok := Find(series, code)
				if !ok || len(s.Points) < 2 {
					t.Errorf("no trend with 2+ points for LOINC %s (adult patient)", code)
				}
			}
		})
	}
	if total < 4000 || quantities < 1000 {
		t.Errorf("decoded %d resources, %d with valueQuantity: fixtures look truncated", total, quantities)
	}
}

// ageAt is the patient's age in whole years at t (or at death, if earlier).
func ageAt(p Patient, t time.Time) int {
	if p.Deceased && !p.DeceasedAt.IsZero() && p.DeceasedAt.Time.Before(t) {
		t = p.DeceasedAt.Time
	}
	b := p.BirthDate.Time
	age := t.Year() - b.Year()
	if t.YearDay() < b.YearDay() {
		age--
	}
	return age
}
