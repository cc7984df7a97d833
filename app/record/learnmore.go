package record

import (
	"net/url"
	"strings"
)

// medlinePlusSystems are the code systems MedlinePlus Connect answers for,
// with the OIDs it names them by (HL7's OIDs for those systems).
var medlinePlusSystems = []struct{ uri, oid string }{
	{"http://loinc.org", "2.16.840.1.113883.6.1"},
	{"http://snomed.info/sct", "2.16.840.1.113883.6.96"},
	{"http://www.nlm.nih.gov/research/umls/rxnorm", "2.16.840.1.113883.6.88"},
	{"http://hl7.org/fhir/sid/icd-10-cm", "2.16.840.1.113883.6.90"},
}

// medlinePlusConnect is the MedlinePlus Connect web application: given a
// code, it answers with the MedlinePlus pages about it, for patients.
const medlinePlusConnect = "https://connect.medlineplus.gov/application"

// LearnMore returns the address of MedlinePlus Connect's page about the
// first coding of c in a system it knows (LOINC, SNOMED CT, RxNorm,
// ICD-10-CM), in language lang ("en" or "es"; anything else is English),
// or "" when c has no such coding.
func LearnMore(c Concept, lang string) string {
	for _, cd := range c.Codings {
		code := strings.TrimSpace(cd.Code)
		if code == "" {
			continue
		}
		sys := strings.TrimSuffix(strings.Replace(strings.ToLower(strings.TrimSpace(cd.System)), "https://", "http://", 1), "/")
		for _, s := range medlinePlusSystems {
			if sys != s.uri {
				continue
			}
			q := url.Values{}
			q.Set("mainSearchCriteria.v.cs", s.oid)
			q.Set("mainSearchCriteria.v.c", code)
			if lang == "es" {
				q.Set("informationRecipient.languageCode.c", "es")
			} else {
				q.Set("informationRecipient.languageCode.c", "en")
			}
			return medlinePlusConnect + "?" + q.Encode()
		}
	}
	return ""
}
