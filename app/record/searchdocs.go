package record

import (
	"strings"

	"github.com/carebook/carebook/internal/i18n"
)

// chartDocs turns every entry of c into the title and body text the search
// index holds; name gives the display name of what a reference points at.
func chartDocs(c *Chart, name func(Ref) string) []searchDoc {
	docs := make([]searchDoc, 0, c.Len())
	add := func(e Entry, title string, date Date, body ...string) {
		if strings.TrimSpace(title) == "" {
			title = Label(e.Type)
		}
		docs = append(docs, searchDoc{typ: e.Type, id: e.ID, title: title, date: date, body: joinText(body...)})
	}
	names := func(refs ...Ref) string {
		var out []string
		for _, r := range refs {
			if n := name(r); n != "" {
				out = append(out, n)
			}
		}
		return strings.Join(out, ", ")
	}
	for _, p := range c.Patients {
		add(p.Entry, p.Name, p.BirthDate, p.MRN, p.Language)
	}
	for _, o := range c.Observations {
		parts := []string{o.Code.Technical(), o.Value.Text, o.Flag.Text, strings.Join(o.Categories, " ")}
		for _, comp := range o.Components {
			parts = append(parts, comp.Name, comp.Value.Text)
		}
		parts = append(parts, o.Notes...)
		add(o.Entry, o.Name, o.Date(), parts...)
	}
	for _, r := range c.Reports {
		parts := []string{r.Code.Technical(), r.Conclusion, strings.Join(r.Codes, ", "), names(r.Results...), names(r.Performers...)}
		for _, a := range r.PresentedForm {
			parts = append(parts, a.Title, a.Text)
		}
		add(r.Entry, r.Name, r.Date(), parts...)
	}
	for _, m := range c.Medications {
		parts := append([]string{m.Code.Technical(), m.Status, names(m.Requester)}, m.Dosage...)
		parts = append(parts, m.Reasons...)
		add(m.Entry, m.Medication, m.AuthoredOn, append(parts, m.Notes...)...)
	}
	for _, a := range c.Allergies {
		parts := []string{searchWords("allergy", "alergia"), a.Code.Technical(), a.Criticality, a.ClinicalStatus}
		for _, r := range a.Reactions {
			parts = append(parts, r.Substance, strings.Join(r.Manifestations, ", "), r.Severity, r.Description)
		}
		add(a.Entry, a.Substance, firstDate(a.Onset, a.Recorded), append(parts, a.Notes...)...)
	}
	for _, cd := range c.Conditions {
		add(cd.Entry, cd.Name, firstDate(cd.Onset, cd.Recorded), append([]string{cd.Code.Technical(), cd.ClinicalStatus, cd.OnsetText}, cd.Notes...)...)
	}
	for _, im := range c.Immunizations {
		add(im.Entry, im.Vaccine, im.Date, append([]string{searchWords("vaccine", "immunization", "vacuna", "inmunización"), im.VaccineCode.Technical(), im.Lot, names(im.Performers...)}, im.Notes...)...)
	}
	for _, p := range c.Procedures {
		add(p.Entry, p.Name, p.Performed, append(append([]string{p.Code.Technical(), names(p.Performers...)}, p.Reasons...), p.Notes...)...)
	}
	for _, e := range c.Encounters {
		add(e.Entry, firstNonEmpty(e.Type, e.Class, i18n.L("Visit")), e.Period.Start, append([]string{e.Technical, e.Class, names(e.Participants...), names(e.Locations...), names(e.Provider)}, e.Reasons...)...)
	}
	for _, d := range c.Documents {
		parts := []string{d.Type, strings.Join(d.Categories, ", "), names(d.Authors...)}
		for _, a := range d.Attachments {
			parts = append(parts, a.Title, a.Text)
		}
		add(d.Entry, d.Title, d.Date, parts...)
	}
	for _, p := range c.CarePlans {
		parts := []string{p.Description, strings.Join(p.Categories, ", ")}
		for _, a := range p.Activities {
			parts = append(parts, a.Name)
		}
		add(p.Entry, p.Title, p.Period.Start, parts...)
	}
	for _, g := range c.Goals {
		parts := []string{g.LifecycleStatus}
		for _, t := range g.Targets {
			parts = append(parts, t.Measure, t.Detail)
		}
		add(g.Entry, g.Description, g.Start, append(parts, g.Notes...)...)
	}
	for _, t := range c.CareTeams {
		var members []Ref
		for _, m := range t.Members {
			members = append(members, m.Member)
		}
		add(t.Entry, t.Name, t.Period.Start, names(members...))
	}
	for _, a := range c.Appointments {
		title := firstNonEmpty(strings.Join(a.ServiceTypes, ", "), a.Description, i18n.L("Appointment"))
		add(a.Entry, title, a.Start, a.Description, a.Comment, strings.Join(a.Reasons, ", "), names(a.Practitioners...), names(a.Locations...))
	}
	for _, m := range c.Communications {
		title := firstNonEmpty(m.Topic, firstLine(m.Text), i18n.L("Message"))
		parts := []string{m.Text, names(m.Sender)}
		for _, a := range m.Attachments {
			parts = append(parts, a.Title, a.Text)
		}
		add(m.Entry, title, m.Date(), parts...)
	}
	for _, t := range c.Tasks {
		add(t.Entry, firstNonEmpty(t.Code, t.Description, i18n.L("Request")), t.AuthoredOn, append([]string{t.Description, t.BusinessStatus, t.StatusReason, names(t.Focus)}, t.Notes...)...)
	}
	for _, a := range c.Accounts {
		add(a.Entry, firstNonEmpty(a.Name, i18n.L("Account")), a.ServicePeriod.Start, a.Type, a.Status)
	}
	for _, inv := range c.Invoices {
		add(inv.Entry, firstNonEmpty(inv.Type, i18n.L("Statement")), inv.Date, append([]string{searchWords("invoice", "bill", "statement", "factura", "cuenta"), names(inv.Issuer)}, inv.Lines...)...)
	}
	for _, cv := range c.Coverages {
		add(cv.Entry, firstNonEmpty(cv.Type, names(cv.Payors...), i18n.L("Insurance")), cv.Period.Start, append([]string{searchWords("insurance", "coverage", "seguro", "cobertura"), names(cv.Payors...)}, cv.Classes...)...)
	}
	for _, e := range c.Benefits {
		add(e.Entry, firstNonEmpty(e.Summary(), i18n.L("Explanation of benefit")), e.Created, append([]string{names(e.Provider, e.Insurer)}, e.Items...)...)
	}
	for _, p := range c.Parties {
		add(p.Entry, p.Name, Date{}, p.Address)
	}
	for _, o := range c.Others {
		add(o.Entry, firstNonEmpty(o.Title, o.Type), o.Date)
	}
	return docs
}

// Label is the everyday word for a resource type ("Observation" →
// "Result", "Communication" → "Message") in the current language, as the
// screens name them; types without one are returned unchanged. Screens
// use it for the kind of an entry, and when a record has no name of its
// own.
func Label(typ string) string {
	switch typ {
	case "Observation":
		return i18n.L("Result")
	case "DiagnosticReport":
		return i18n.L("Test report")
	case "MedicationRequest":
		return i18n.L("Medication")
	case "AllergyIntolerance":
		return i18n.L("Allergy")
	case "Condition":
		return i18n.L("Condition")
	case "Procedure":
		return i18n.L("Procedure")
	case "Immunization":
		return i18n.L("Vaccine")
	case "Encounter":
		return i18n.L("Visit")
	case "DocumentReference":
		return i18n.L("Document")
	case "CarePlan":
		return i18n.L("Care plan")
	case "CareTeam":
		return i18n.L("Care team")
	case "Communication":
		return i18n.L("Message")
	case "Appointment":
		return i18n.L("Appointment")
	case "Task":
		return i18n.L("Request")
	case "Account":
		return i18n.L("Account")
	case "Invoice":
		return i18n.L("Statement")
	case "Coverage":
		return i18n.L("Insurance")
	case "ExplanationOfBenefit":
		return i18n.L("Claim")
	case "Practitioner":
		return i18n.L("Clinician")
	case "Organization":
		return i18n.L("Organization")
	}
	return typ
}

// searchWords joins words a kind of entry is found by, in every language
// Carebook speaks: the index is kept across a change of language.
func searchWords(words ...string) string { return strings.Join(words, " ") }

func joinText(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " · ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const max = 80
	if len(s) > max {
		s = truncateUTF8(s, max) + "…"
	}
	return strings.TrimSpace(s)
}
