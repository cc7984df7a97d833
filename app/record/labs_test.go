package record

import (
	"reflect"
	"testing"

	"github.com/carebook/carebook/app/record/plainnames"
)

func obsJSON(code, name, date, value string) string {
	return `{"resourceType":"Observation","status":"final","category":[{"coding":[{"code":"laboratory"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"` + code + `","display":"` + name + `"}]},
		"effectiveDateTime":"` + date + `","valueQuantity":` + value + `}`
}

func TestLabResults(t *testing.T) {
	c := Load([]Resource{
		res("Observation", "glu", obsJSON("2339-0", "Glucose", "2019-02-01T08:00:00Z", `{"value":130,"unit":"mg/dL"}`+`,"referenceRange":[{"high":{"value":99,"unit":"mg/dL"}}]`)),
		res("Observation", "na", obsJSON("2951-2", "Sodium", "2019-02-01T08:00:00Z", `{"value":140,"unit":"mmol/L"}`)),
		res("Observation", "k-err", `{"status":"entered-in-error","code":{"text":"Potassium"},"valueQuantity":{"value":9}}`),
		res("DiagnosticReport", "bmp", `{"status":"final","code":{"text":"Basic metabolic panel"},"effectiveDateTime":"2019-02-01T08:00:00Z","issued":"2019-02-01T12:00:00Z",
			"result":[{"reference":"urn:uuid:glu"},{"reference":"Observation/na"},{"reference":"Observation/k-err"},{"reference":"Observation/missing"}]}`),
		res("DiagnosticReport", "old", `{"status":"entered-in-error","code":{"text":"Wrong"},"effectiveDateTime":"2019-03-01"}`),
		// A panel Observation with members, listed by a report.
		res("Observation", "cbc", `{"status":"final","code":{"text":"CBC panel"},"effectiveDateTime":"2020-01-01","hasMember":[{"reference":"Observation/hgb"}]}`),
		res("Observation", "hgb", obsJSON("718-7", "Hemoglobin", "2020-01-01", `{"value":11,"unit":"g/dL"},"interpretation":[{"coding":[{"code":"L"}]}]`)),
		res("DiagnosticReport", "cbcrep", `{"status":"final","code":{"text":"Complete blood count"},"effectiveDateTime":"2020-01-01","result":[{"reference":"Observation/cbc"}]}`),
		// Standalone lab results on two days, and a vital sign that is not a lab result.
		res("Observation", "a1c", obsJSON("4548-4", "Hemoglobin A1c", "2018-05-05T09:00:00Z", `{"value":6.1,"unit":"%"}`)),
		res("Observation", "ldl", obsJSON("18262-6", "LDL", "2018-05-05T10:00:00Z", `{"value":90,"unit":"mg/dL"}`)),
		res("Observation", "tsh", obsJSON("3016-3", "TSH", "2017-01-01", `{"value":2,"unit":"mIU/L"}`)),
		res("Observation", "wt", `{"status":"final","category":[{"coding":[{"code":"vital-signs"}]}],"code":{"text":"Weight"},"effectiveDateTime":"2019-01-01","valueQuantity":{"value":70}}`),
	})
	groups := LabResults(c)
	type summary struct {
		Title    string
		Date     string
		Results  []string
		Abnormal int
		Report   bool
	}
	var got []summary
	for _, g := range groups {
		s := summary{Title: g.Title, Date: g.Date.String(), Abnormal: g.Abnormal, Report: g.Report != nil}
		for _, o := range g.Results {
			s.Results = append(s.Results, o.ID)
		}
		got = append(got, s)
	}
	want := []summary{
		{Title: "Complete blood count", Date: "1 Jan 2020", Results: []string{"hgb"}, Abnormal: 1, Report: true},
		{Title: "Basic metabolic panel", Date: "1 Feb 2019, 08:00", Results: []string{"glu", "na"}, Abnormal: 1, Report: true},
		{Title: "Lab results", Date: "5 May 2018", Results: []string{"a1c", "ldl"}},
		{Title: "Lab results", Date: "1 Jan 2017", Results: []string{"tsh"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LabResults =\n%+v\nwant\n%+v", got, want)
	}
	if g := groups[1]; g.Results[0].Flag != (Flag{Code: "H", Abnormal: true, Source: FlagComputed}) {
		t.Errorf("computed flag = %+v", g.Results[0].Flag)
	}
}

func TestTrends(t *testing.T) {
	bp := func(id, date string, sys, dia float64) Resource {
		return res("Observation", id, `{"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"effectiveDateTime":"`+date+`",
			"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":`+formatNumber(sys)+`,"unit":"mm[Hg]"}},
			{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":`+formatNumber(dia)+`,"unit":"mm[Hg]"}}]}`)
	}
	wt := func(id, date, value, unit string) Resource {
		return res("Observation", id, `{"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body Weight"}]},"effectiveDateTime":"`+date+`","valueQuantity":{"value":`+value+`,"unit":"`+unit+`"}}`)
	}
	c := Load([]Resource{
		wt("w2", "2020-01-01", "72", "kg"),
		wt("w1", "2019-01-01", "70", "kg"),
		wt("w3", "2021-01-01", "160", "[lb_av]"),
		wt("wx", "2022", `"n/a"`, "kg"),
		res("Observation", "nodate", `{"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"valueQuantity":{"value":71,"unit":"kg"}}`),
		bp("bp1", "2019-05-01", 120, 80),
		bp("bp2", "2019-06-01", 135, 85),
		res("Observation", "a1c", `{"status":"final","code":{"text":"HbA1c (uncoded)"},"effectiveDateTime":"2019-06-01","valueQuantity":{"value":6.5,"unit":"%"},"referenceRange":[{"high":{"value":5.7}}]}`),
		res("Observation", "a1c-2", `{"status":"final","code":{"text":"hba1c (UNCODED)"},"effectiveDateTime":"2019-01-01","valueQuantity":{"value":6.9,"unit":"%"}}`),
		res("Observation", "glu", `{"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"effectiveDateTime":"2019-01-01","valueQuantity":{"value":99,"unit":"mg/dL"}}`),
		res("Observation", "txt", `{"status":"final","code":{"text":"Mood"},"effectiveDateTime":"2019-01-01","valueString":"good"}`),
	})
	series := Trends(c.Observations)
	byKey := map[string]Series{}
	for _, s := range series {
		byKey[s.Key] = s
	}
	kg := byKey["http://loinc.org|29463-7|kg"]
	if kg.Name != "Weight" || len(kg.Points) != 2 || kg.Points[0].Value != 70 || kg.Points[1].Value != 72 || kg.Points[0].ObservationID != "w1" {
		t.Errorf("weight in kg = %+v", kg)
	}
	if lb := byKey["http://loinc.org|29463-7|[lb_av]"]; len(lb.Points) != 1 {
		t.Errorf("weight in lb = %+v", lb)
	}
	sys, dia := byKey["http://loinc.org|8480-6|mm[hg]"], byKey["http://loinc.org|8462-4|mm[hg]"]
	if len(sys.Points) != 2 || sys.Points[1].Value != 135 || sys.Name != "Systolic blood pressure (top number)" || len(dia.Points) != 2 || dia.Points[0].Value != 80 {
		t.Errorf("blood pressure series: %+v / %+v", sys, dia)
	}
	a1c := byKey["text:hba1c (uncoded)|%"]
	if len(a1c.Points) != 2 || a1c.Range == nil || a1c.Range.High.Value != 5.7 || a1c.Points[0].Value != 6.9 {
		t.Errorf("uncoded series keyed by text = %+v", a1c)
	}
	var names []string
	for _, s := range ChartCandidates(series) {
		names = append(names, s.Name)
	}
	if want := []string{"Weight", "Systolic blood pressure (top number)", "Diastolic blood pressure (bottom number)", "HbA1c (uncoded)"}; !reflect.DeepEqual(names, want) {
		t.Errorf("ChartCandidates = %q, want %q", names, want)
	}
	if s, ok := Find(series, LOINCBodyWeight); !ok || s.Unit != "kg" {
		t.Errorf("Find weight = %+v %v", s, ok)
	}
	if _, ok := Find(series, "0000-0"); ok {
		t.Error("Find of an absent code succeeded")
	}
}

// TestTrendsNamedAsElsewhere: every chart of a measurement the Trends tab
// knows (friendlyKinds) bears the name its results bear, in English and
// Spanish (plainnames), not one of the tab's own ("A1c", "LDL
// cholesterol", "Glucose"), whatever the practice's system calls it.
func TestTrendsNamedAsElsewhere(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want map[string]string // some of the names, by LOINC code
	}{
		{"en", map[string]string{"4548-4": "Hemoglobin A1c (average blood sugar)", "18262-6": `LDL cholesterol ("bad" cholesterol)`,
			"2339-0": "Blood sugar (glucose)", LOINCSystolic: "Systolic blood pressure (top number)"}},
		{"es", map[string]string{"4548-4": "Hemoglobina A1c (azúcar media en la sangre)", "18262-6": "Colesterol LDL (colesterol «malo»)",
			"2339-0": "Azúcar en la sangre (glucosa)", LOINCSystolic: "Presión arterial sistólica (número de arriba)"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			if tc.lang == "es" {
				speakSpanish(t)
			}
			for code := range friendlyKinds {
				c := Load([]Resource{res("Observation", "o", obsJSON(code, "Technical name [Mass/volume] in Blood", "2026-01-01", `{"value":6.1,"unit":"%"}`))})
				trends := Trends(c.Observations)
				if len(trends) != 1 || len(c.Observations) != 1 {
					t.Fatalf("LOINC %s: %d trends of %d results, want 1", code, len(trends), len(c.Observations))
				}
				result, chart := c.Observations[0].Name, trends[0].Name
				if chart != result || (tc.want[code] != "" && chart != tc.want[code]) {
					t.Errorf("LOINC %s: the chart is named %q, its result %q; want both %q", code, chart, result, firstNonEmpty(tc.want[code], result))
				}
				// LDL by calculation has none: its name at the practice
				// ("LDL cholesterol (calculated)", ui's testdata) says more.
				if _, plain := plainnames.Name(LOINC, code); !plain && code != "13457-7" {
					t.Errorf("LOINC %s: no plain name; the chart and its result read %q", code, chart)
				}
			}
		})
	}
}
