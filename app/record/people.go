package record

import (
	"encoding/json"
	"strings"
)

// HumanName is a person's name as the record gives it.
type HumanName struct {
	Use    string // lower-cased: "official", "usual", "maiden", …
	Text   string
	Family string
	Given  []string
	Prefix []string
	Suffix []string
}

// String is the name as shown: the text, else given names and family name.
func (n HumanName) String() string {
	return formatName(wHumanName{Text: n.Text, Family: n.Family, Given: n.Given, Suffix: n.Suffix}, false)
}

// Identifier is a business identifier (MRN, insurance member number…).
type Identifier struct {
	System string
	Value  string
	Type   string // the type's code when given (e.g. "MR"), else its text
	Label  string // the type's display, for showing
}

// ContactPoint is a phone number, email address, etc.
type ContactPoint struct {
	System string // lower-cased: "phone", "email", …
	Value  string
	Use    string // lower-cased: "home", "work", "mobile", …
}

// Address is a postal address.
type Address struct {
	Use        string
	Lines      []string
	City       string
	District   string
	State      string
	PostalCode string
	Country    string
	Text       string
}

// String formats the address on one line.
func (a Address) String() string {
	if a.Text != "" {
		return a.Text
	}
	var parts []string
	parts = append(parts, a.Lines...)
	cityLine := strings.TrimSpace(strings.Join(strings.Fields(a.City+" "+a.State+" "+a.PostalCode), " "))
	for _, p := range []string{cityLine, a.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// Patient is the person whose record this is.
type Patient struct {
	Entry
	Name        string // the official name (given and family), else the usual one
	Names       []HumanName
	BirthDate   Date
	Gender      string // lower-cased: "female", "male", "other", "unknown"
	MRN         string // the medical record number, when an identifier is typed MR
	Identifiers []Identifier
	Telecom     []ContactPoint
	Addresses   []Address
	Language    string // preferred language, else the first listed
	Deceased    bool
	DeceasedAt  Date
	// GeneralPractitioners are the patient's own clinicians (or practice).
	GeneralPractitioners []Ref
	ManagingOrganization Ref
	// PreferredPharmacies are the pharmacies the patient prefers (the HL7
	// patient-preferredPharmacy extension), in the order given.
	PreferredPharmacies []Ref
}

// PreferredPharmacyURL is the HL7 extension naming a patient's preferred
// pharmacy (sub-extensions "pharmacy", a Reference to an Organization, and
// "type").
const PreferredPharmacyURL = "http://hl7.org/fhir/StructureDefinition/patient-preferredPharmacy"

type wPatient struct {
	wBase
	Name                 []wHumanName    `json:"name"`
	BirthDate            string          `json:"birthDate"`
	Gender               string          `json:"gender"`
	Identifier           []wIdentifier   `json:"identifier"`
	Telecom              []wContactPoint `json:"telecom"`
	Address              []wAddress      `json:"address"`
	DeceasedBoolean      *bool           `json:"deceasedBoolean"`
	DeceasedDateTime     string          `json:"deceasedDateTime"`
	GeneralPractitioner  []wRef          `json:"generalPractitioner"`
	ManagingOrganization wRef            `json:"managingOrganization"`
	Communication        []struct {
		Language  wConcept `json:"language"`
		Preferred bool     `json:"preferred"`
	} `json:"communication"`
	Extension []struct {
		URL       string `json:"url"`
		Extension []struct {
			URL            string `json:"url"`
			ValueReference *wRef  `json:"valueReference"`
		} `json:"extension"`
	} `json:"extension"`
}

// DecodePatient decodes a Patient tolerantly; it never fails.
func DecodePatient(r Resource) Patient {
	var w wPatient
	d := begin(r, &w)
	p := Patient{
		BirthDate:  d.date(w.BirthDate),
		Gender:     lower(w.Gender),
		DeceasedAt: d.date(w.DeceasedDateTime),

		GeneralPractitioners: d.refs(w.GeneralPractitioner),
		ManagingOrganization: d.ref(w.ManagingOrganization),
	}
	if n, ok := pickName(w.Name); ok {
		p.Name = formatName(n, false)
	}
	for _, n := range w.Name {
		p.Names = append(p.Names, HumanName{Use: lower(n.Use), Text: strings.TrimSpace(n.Text), Family: strings.TrimSpace(n.Family), Given: n.Given, Prefix: n.Prefix, Suffix: n.Suffix})
	}
	p.Deceased = !p.DeceasedAt.IsZero() || (w.DeceasedBoolean != nil && *w.DeceasedBoolean)
	for _, id := range w.Identifier {
		c := d.concept(id.Type)
		x := Identifier{System: strings.TrimSpace(id.System), Value: strings.TrimSpace(id.Value), Type: firstNonEmpty(c.Code(""), c.Text), Label: c.String()}
		p.Identifiers = append(p.Identifiers, x)
		if p.MRN == "" && strings.EqualFold(x.Type, "MR") {
			p.MRN = x.Value
		}
	}
	for _, t := range w.Telecom {
		if v := strings.TrimSpace(t.Value); v != "" {
			p.Telecom = append(p.Telecom, ContactPoint{System: lower(t.System), Value: v, Use: lower(t.Use)})
		}
	}
	for _, a := range w.Address {
		p.Addresses = append(p.Addresses, Address{Use: lower(a.Use), Lines: a.Line, City: a.City, District: a.District, State: a.State, PostalCode: a.PostalCode, Country: a.Country, Text: strings.TrimSpace(a.Text)})
	}
	for _, c := range w.Communication {
		lang := d.concept(c.Language).String()
		if lang != "" && (p.Language == "" || c.Preferred) {
			p.Language = lang
			if c.Preferred {
				break
			}
		}
	}
	for _, ext := range w.Extension {
		if ext.URL != PreferredPharmacyURL {
			continue
		}
		for _, sub := range ext.Extension {
			if sub.URL == "pharmacy" && sub.ValueReference != nil {
				p.PreferredPharmacies = append(p.PreferredPharmacies, d.ref(*sub.ValueReference))
			}
		}
	}
	p.Entry = d.entry()
	return p
}

// Party is a Practitioner, Organization, Location or other resource that
// matters mostly for its name, used to resolve references.
type Party struct {
	Entry
	Name    string
	Address string // first address, on one line
	Phone   string // first phone number
}

type wParty struct {
	wBase
	Name    json.RawMessage `json:"name"`
	Alias   []string        `json:"alias"`
	Address json.RawMessage `json:"address"` // Address[] or Address (Location)
	Telecom []wContactPoint `json:"telecom"`
}

// DecodeParty decodes a Practitioner, Organization or Location tolerantly;
// it never fails.
func DecodeParty(r Resource) Party {
	var w wParty
	d := begin(r, &w)
	p := Party{Name: nameFromRaw(w.Name)}
	if p.Name == "" && len(w.Alias) > 0 {
		p.Name = strings.TrimSpace(w.Alias[0])
	}
	var addrs []wAddress
	if json.Unmarshal(w.Address, &addrs) != nil {
		var one wAddress
		if json.Unmarshal(w.Address, &one) == nil {
			addrs = []wAddress{one}
		}
	}
	if len(addrs) > 0 {
		a := addrs[0]
		p.Address = Address{Lines: a.Line, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country, Text: a.Text}.String()
	}
	for _, t := range w.Telecom {
		if lower(t.System) == "phone" && p.Phone == "" {
			p.Phone = strings.TrimSpace(t.Value)
		}
	}
	p.Entry = d.entry()
	return p
}

// CareTeam is the people who look after the patient for some purpose.
type CareTeam struct {
	Entry
	Name       string
	Status     string // lower-cased
	Categories []string
	Members    []CareTeamMember
	Period     Period
}

// CareTeamMember is one participant of a care team.
type CareTeamMember struct {
	Role   string
	Member Ref
}

type wCareTeam struct {
	wBase
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	Category    []wConcept `json:"category"`
	Period      wPeriod    `json:"period"`
	Participant []struct {
		Role   []wConcept `json:"role"`
		Member wRef       `json:"member"`
	} `json:"participant"`
}

// DecodeCareTeam decodes a CareTeam tolerantly; it never fails.
func DecodeCareTeam(r Resource) CareTeam {
	var w wCareTeam
	d := begin(r, &w)
	ct := CareTeam{
		Name:       strings.TrimSpace(w.Name),
		Status:     lower(w.Status),
		Categories: d.conceptNames(w.Category),
		Period:     d.period(w.Period),
	}
	for _, p := range w.Participant {
		roles := d.conceptNames(p.Role)
		ct.Members = append(ct.Members, CareTeamMember{Role: strings.Join(roles, ", "), Member: d.ref(p.Member)})
	}
	if ct.Name == "" && len(ct.Categories) > 0 {
		ct.Name = ct.Categories[0]
	}
	ct.Entry = d.entry()
	return ct
}
