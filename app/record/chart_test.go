package record

import "testing"

func TestLoadKeepsUnreadableResources(t *testing.T) {
	// Each resource is cut off mid-way, so its JSON does not parse.
	tests := []struct {
		typ, json, date string
		dateOf          func(c *Chart) Date
	}{
		{"Encounter", `{"status":"finished","period":{"start":"2020-01-02T10:00:00Z","end":`, "2 Jan 2020, 10:00", func(c *Chart) Date { return c.Encounters[0].Period.Start }},
		{"Appointment", `{"status":"booked","start":"2030-05-06T09:00:00Z","participant":[`, "6 May 2030, 09:00", func(c *Chart) Date { return c.Appointments[0].Start }},
		{"Communication", `{"sent": "2024-01-01","payload":[{"contentString":"hel`, "1 Jan 2024", func(c *Chart) Date { return c.Communications[0].Sent }},
		{"MedicationRequest", `{"authoredOn":"2019-07","medicationCodeableConcept":{`, "Jul 2019", func(c *Chart) Date { return c.Medications[0].AuthoredOn }},
		{"Condition", `{"onsetDateTime":"2001","code":`, "2001", func(c *Chart) Date { return c.Conditions[0].Onset }},
		{"Immunization", `{"occurrenceDateTime":"2018-10-01",`, "1 Oct 2018", func(c *Chart) Date { return c.Immunizations[0].Date }},
		{"DiagnosticReport", `{"issued":"2019-02-02T08:00:00Z"`, "2 Feb 2019, 08:00", func(c *Chart) Date { return c.Reports[0].Effective }},
		{"ImagingStudy", `{"started":"2016-03-03", "series":[`, "3 Mar 2016", func(c *Chart) Date { return c.Others[0].Date }},
		{"Claim", `{"created":"2016-03-03T00:00:00Z", "item":[`, "3 Mar 2016, 00:00", func(c *Chart) Date { return c.Others[0].Date }},
		{"Task", `not json at all`, "", func(c *Chart) Date { return c.Tasks[0].AuthoredOn }},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			c := Load([]Resource{res(tt.typ, "x", tt.json)})
			if c.Len() != 1 || c.IncompleteCount != 1 {
				t.Fatalf("Len %d, IncompleteCount %d", c.Len(), c.IncompleteCount)
			}
			e := entries(c)[0]
			if e.Key() != tt.typ+"/x" || !e.Incomplete {
				t.Errorf("entry %+v", e)
			}
			if got := tt.dateOf(c).String(); got != tt.date {
				t.Errorf("date = %q, want %q", got, tt.date)
			}
		})
	}
}

func TestLoadMetaLastUpdated(t *testing.T) {
	c := Load([]Resource{res("Condition", "c", `{"meta":{"lastUpdated":"2024-02-03T04:05:06Z"},"code":{"text":"Asthma"}}`)})
	if got := c.Conditions[0].LastUpdated.Format("2006-01-02"); got != "2024-02-03" {
		t.Errorf("LastUpdated = %s", got)
	}
	if c.Name(Ref{Reference: "Condition/c"}) != "Asthma" {
		t.Error("Refs do not know the condition")
	}
}
