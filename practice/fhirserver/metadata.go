package fhirserver

import (
	"net/http"
	"time"

	"github.com/carebook/carebook/practice/store"
)

// startedAt is the CapabilityStatement's date.
var startedAt = time.Now().UTC()

// capabilityStatement describes truthfully what this server supports.
func (s *Server) capabilityStatement(r *http.Request) map[string]any {
	base := baseURL(r)
	security := map[string]any{
		"cors": false,
		"service": []any{map[string]any{
			"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
				"code":   "SMART-on-FHIR",
			}},
			"text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
		}},
	}
	if s.cfg.SMARTConfiguration != nil {
		conf := s.cfg.SMARTConfiguration()
		var uris []any
		for _, k := range [][2]string{
			{"authorize", "authorization_endpoint"},
			{"token", "token_endpoint"},
			{"revoke", "revocation_endpoint"},
			{"introspect", "introspection_endpoint"},
		} {
			if v, ok := conf[k[1]].(string); ok && v != "" {
				uris = append(uris, map[string]any{"url": k[0], "valueUri": v})
			}
		}
		security["extension"] = []any{map[string]any{
			"url":       "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
			"extension": uris,
		}}
	}
	var resources []any
	for _, typ := range store.ResourceTypes() {
		if typ == "AuditEvent" {
			if s.cfg.Audit != nil {
				resources = append(resources, auditCapability())
			}
			continue
		}
		params := []any{
			map[string]any{"name": "_id", "type": "token"},
			map[string]any{"name": "_lastUpdated", "type": "date"},
		}
		var includes []any
		for _, p := range store.SearchParams(typ) {
			params = append(params, map[string]any{"name": p.Name, "type": p.Kind.String()})
			if p.Kind == store.KindReference {
				includes = append(includes, typ+":"+p.Name)
			}
		}
		res := map[string]any{
			"type": typ,
			"interaction": []any{
				map[string]any{"code": "read"}, map[string]any{"code": "vread"},
				map[string]any{"code": "update"}, map[string]any{"code": "delete"},
				map[string]any{"code": "history-instance"}, map[string]any{"code": "history-type"},
				map[string]any{"code": "create"}, map[string]any{"code": "search-type"},
			},
			"versioning":        "versioned-update",
			"readHistory":       true,
			"updateCreate":      true,
			"conditionalCreate": true,
			"conditionalUpdate": false,
			"conditionalDelete": "not-supported",
			"searchParam":       params,
		}
		if includes != nil {
			res["searchInclude"] = includes
		}
		if typ == "Communication" && s.cfg.Messages != nil {
			if mp := s.cfg.Messages(); mp.Notice != "" {
				res["documentation"] = mp.Notice
			}
			res["supportedProfile"] = []any{"#" + MessageProfileID}
		}
		if typ == "Patient" {
			res["operation"] = []any{map[string]any{
				"name":       "everything",
				"definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
			}}
			if s.cfg.PatientEditable != nil {
				res["extension"] = []any{patientEditable(s.cfg.PatientEditable, s.cfg.PatientAsk)}
			}
		}
		if typ == "Invoice" && s.cfg.PaymentPage != "" {
			res["extension"] = []any{map[string]any{"url": PaymentPageURL, "valueUrl": s.cfg.PaymentPage}}
		}
		resources = append(resources, res)
	}
	cs := map[string]any{
		"resourceType":   "CapabilityStatement",
		"status":         "active",
		"date":           startedAt.Format(time.RFC3339),
		"publisher":      s.cfg.Name,
		"kind":           "instance",
		"software":       map[string]any{"name": "Carebook practice server"},
		"implementation": map[string]any{"description": s.cfg.Name, "url": base},
		"fhirVersion":    "4.0.1",
		"format":         []any{"application/fhir+json", "json"},
		"rest": []any{map[string]any{
			"mode":        "server",
			"security":    security,
			"resource":    resources,
			"interaction": []any{map[string]any{"code": "transaction"}, map[string]any{"code": "batch"}, map[string]any{"code": "history-system"}},
			"operation": []any{map[string]any{
				"name":       "everything",
				"definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
			}},
		}},
	}
	if s.cfg.Messages != nil {
		cs["contained"] = []any{messageProfile(base, s.cfg.Messages())}
	}
	return cs
}

// PatientEditableURL is the extension of the CapabilityStatement's Patient
// entry (rest.resource) that says which Patient elements a patient may
// change through an update: sub-extensions "element" (valueCode, an
// element name such as "telecom"; "extension" means the preferred
// pharmacy) and "ask" (valueString, who to ask for any other change).
const PatientEditableURL = "http://carebook.app/fhir/StructureDefinition/patient-editable"

// PaymentPageURL is the extension of the CapabilityStatement's Invoice
// entry (rest.resource) whose valueUrl is the practice's page for paying a
// bill online.
const PaymentPageURL = "http://carebook.app/fhir/StructureDefinition/payment-page"

func patientEditable(elements []string, ask string) map[string]any {
	var subs []any
	for _, e := range elements {
		subs = append(subs, map[string]any{"url": "element", "valueCode": e})
	}
	if ask != "" {
		subs = append(subs, map[string]any{"url": "ask", "valueString": ask})
	}
	return map[string]any{"url": PatientEditableURL, "extension": subs}
}

// auditCapability is the AuditEvent entry: search only, by the patient the
// token was granted, with the scope AuditScope.
func auditCapability() map[string]any {
	return map[string]any{
		"type":          "AuditEvent",
		"documentation": "Who reached your record: search with patient (or entity) set to the patient the access token was granted for; needs the scope " + AuditScope + ". Newest first.",
		"interaction":   []any{map[string]any{"code": "search-type"}},
		"searchParam": []any{
			map[string]any{"name": "patient", "type": "reference"},
			map[string]any{"name": "entity", "type": "reference"},
		},
	}
}
