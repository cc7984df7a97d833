package record

import (
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app/locfmt"
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

// TestPreventiveCareDueWording: a practice's recommendation whose date is
// past reads as overdue since that date, never "Due" a day gone by
// ("Due 20 Nov 2026." on 6 Dec 2026); today's and later dates read as
// due, in English and Spanish.
func TestPreventiveCareDueWording(t *testing.T) {
	now := time.Date(2026, time.December, 6, 12, 0, 0, 0, time.UTC)
	rec := func(status, due string) Resource {
		return res("ImmunizationRecommendation", "r1", `{"resourceType":"ImmunizationRecommendation","id":"r1","date":"2026-11-01",
			"recommendation":[{"vaccineCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"187","display":"Zoster vaccine"}]}],
			"forecastStatus":{"coding":[{"code":"`+status+`"}]},
			"dateCriterion":[{"code":{"coding":[{"system":"http://loinc.org","code":"30980-7"}]},"value":"`+due+`"}]}]}`)
	}
	for _, tc := range []struct {
		name, status, due string
		spanish           bool
		want              string
	}{
		{"overdue", "overdue", "2026-11-20", false, "Overdue since 20 Nov 2026."},
		{"due, its day gone by", "due", "2026-11-20", false, "Overdue since 20 Nov 2026."},
		{"yesterday", "due", "2026-12-05", false, "Overdue since 5 Dec 2026."},
		{"today", "due", "2026-12-06", false, "Due 6 Dec 2026."},
		{"later", "due", "2026-12-20", false, "Due 20 Dec 2026."},
		{"a time gone by today", "due", "2026-12-06T08:00:00Z", false, "Overdue since 6 Dec 2026, 08:00."},
		{"a month gone by", "overdue", "2026-10", false, "Overdue since Oct 2026."},
		{"overdue in Spanish", "overdue", "2026-11-20", true, "Pendiente desde el 20 nov 2026."},
		{"later in Spanish", "due", "2026-12-20", true, "Toca el 20 dic 2026."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.spanish {
				speakSpanish(t)
				locfmt.SetCurrent(locfmt.Parse("es-ES"))
				t.Cleanup(func() { locfmt.SetCurrent(locfmt.Parse("en-GB")) }) // as TestMain sets it
			}
			c := Load([]Resource{res("Patient", "p", `{"resourceType":"Patient","id":"p","birthDate":"1950-01-01"}`), rec(tc.status, tc.due)})
			var details []string
			for _, d := range PreventiveCare(c, now) {
				if !d.Guidance {
					details = append(details, d.Detail)
				}
			}
			if len(details) != 1 || details[0] != tc.want {
				t.Errorf("the practice's recommendation due %s on %s reads %q, want %q", tc.due, now.Format(time.DateOnly), details, tc.want)
			}
		})
	}
}
