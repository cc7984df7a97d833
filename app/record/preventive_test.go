package record

import (
	"strings"
	"testing"
	"time"
)

func TestPreventiveCare(t *testing.T) {
	day := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Add(12 * time.Hour)
	}
	patient := func(birth string, extra string) Resource {
		return res("Patient", "p", `{"resourceType":"Patient","id":"p","birthDate":"`+birth+`"`+extra+`}`)
	}
	imm := func(id, cvx, date string) Resource {
		return res("Immunization", id, `{"resourceType":"Immunization","id":"`+id+`","status":"completed",
			"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"`+cvx+`"}]},"occurrenceDateTime":"`+date+`"}`)
	}
	checkUp := func(id, date string) Resource {
		return res("Encounter", id, `{"resourceType":"Encounter","id":"`+id+`","status":"finished",
			"type":[{"coding":[{"system":"http://snomed.info/sct","code":"185349003","display":"Encounter for check up (procedure)"}]}],
			"period":{"start":"`+date+`"}}`)
	}
	rec := func(cvx, name, status, due string) Resource {
		return res("ImmunizationRecommendation", "r1", `{"resourceType":"ImmunizationRecommendation","id":"r1","date":"2026-11-01",
			"recommendation":[{"vaccineCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"`+cvx+`","display":"`+name+`"}]}],
			"forecastStatus":{"coding":[{"code":"`+status+`"}]},
			"dateCriterion":[{"code":{"coding":[{"system":"http://loinc.org","code":"30980-7"}]},"value":"`+due+`"}]}]}`)
	}
	upToDate := []Resource{imm("t", "115", "2022-03-01"), checkUp("e", "2026-06-01")}

	cases := []struct {
		name string
		now  string
		in   []Resource
		want []string // titles; "*" marks practice recommendations
	}{
		{"flu due in season", "2026-11-15", append([]Resource{patient("1980-01-01", "")}, upToDate...), []string{"flu vaccine"}},
		{"flu given this season", "2026-11-15", append([]Resource{patient("1980-01-01", ""), imm("f", "140", "2026-09-20")}, upToDate...), nil},
		{"last season's flu shot does not count", "2027-01-10", append([]Resource{patient("1980-01-01", ""), imm("f", "140", "2026-03-20")}, upToDate...), []string{"flu vaccine"}},
		{"no flu reminder out of season", "2026-06-15", append([]Resource{patient("1980-01-01", "")}, upToDate...), nil},
		{"no flu vaccine under 6 months", "2026-11-15", []Resource{patient("2026-08-01", ""), checkUp("e", "2026-10-01")}, nil},
		{"tetanus after 10 years", "2026-06-15", []Resource{patient("1980-01-01", ""), imm("t", "115", "2016-06-01"), checkUp("e", "2026-06-01")}, []string{"tetanus booster"}},
		{"tetanus within 10 years", "2026-06-15", []Resource{patient("1980-01-01", ""), imm("t", "113", "2016-06-20"), checkUp("e", "2026-06-01")}, nil},
		{"tetanus never recorded", "2026-06-15", []Resource{patient("1980-01-01", ""), checkUp("e", "2026-06-01")}, []string{"tetanus booster"}},
		{"young child: no tetanus rule", "2026-06-15", []Resource{patient("2020-01-01", ""), checkUp("e", "2026-06-01")}, nil},
		{"check-up over a year ago", "2026-06-15", []Resource{patient("1980-01-01", ""), imm("t", "115", "2022-03-01"), checkUp("e", "2025-06-01")}, []string{"annual check-up"}},
		{"check-up with a visit booked", "2026-06-15", []Resource{patient("1980-01-01", ""), imm("t", "115", "2022-03-01"), checkUp("e", "2025-06-01"),
			res("Appointment", "a", `{"resourceType":"Appointment","id":"a","status":"booked","start":"2026-07-01T09:00:00Z"}`)}, nil},
		{"practice recommendation due", "2026-06-15", append([]Resource{patient("1950-01-01", ""), rec("187", "Zoster vaccine recombinant", "due", "2026-06-01")}, upToDate...),
			[]string{"*Zoster vaccine recombinant"}},
		{"practice recommendation not due yet", "2026-06-15", append([]Resource{patient("1950-01-01", ""), rec("187", "Zoster", "due", "2027-06-01")}, upToDate...), nil},
		{"practice says immune", "2026-06-15", append([]Resource{patient("1950-01-01", ""), rec("187", "Zoster", "immune", "")}, upToDate...), nil},
		{"practice flu forecast replaces the rule", "2026-11-15", append([]Resource{patient("1980-01-01", ""), rec("140", "Influenza", "complete", "")}, upToDate...), nil},
		{"deceased: nothing", "2026-11-15", []Resource{patient("1940-01-01", `,"deceasedDateTime":"2026-01-02"`), rec("187", "Zoster", "due", "2026-06-01")}, nil},
		{"deceased boolean: nothing", "2026-11-15", []Resource{patient("1940-01-01", `,"deceasedBoolean":true`)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PreventiveCare(Load(c.in), day(c.now))
			var titles []string
			for _, d := range got {
				title := d.Title
				if !d.Guidance {
					title = "*" + title
				}
				titles = append(titles, title)
				if d.Key == "" || d.Detail == "" {
					t.Errorf("item %+v lacks a key or detail", d)
				}
			}
			if strings.Join(titles, "|") != strings.Join(c.want, "|") {
				t.Errorf("due = %q, want %q", titles, c.want)
			}
		})
	}
}

// TestPreventiveCareKeys: a flu reminder is one per season; a tetanus
// reminder changes with the last shot.
func TestPreventiveCareKeys(t *testing.T) {
	c := Load([]Resource{res("Patient", "p", `{"resourceType":"Patient","id":"p","birthDate":"1980-01-01"}`)})
	key := func(now time.Time, title string) string {
		for _, d := range PreventiveCare(c, now) {
			if d.Title == title {
				return d.Key
			}
		}
		return ""
	}
	nov := time.Date(2026, time.November, 2, 9, 0, 0, 0, time.UTC)
	feb := time.Date(2027, time.February, 2, 9, 0, 0, 0, time.UTC)
	next := time.Date(2027, time.October, 2, 9, 0, 0, 0, time.UTC)
	if key(nov, "flu vaccine") != key(feb, "flu vaccine") || key(nov, "flu vaccine") == key(next, "flu vaccine") {
		t.Errorf("flu keys: %q %q %q; want one per season", key(nov, "flu vaccine"), key(feb, "flu vaccine"), key(next, "flu vaccine"))
	}
}
