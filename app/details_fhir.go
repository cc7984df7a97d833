package app

// Reading and changing the patient's details in the Patient resource as
// the practice sent it. A change is a read-modify-write of the whole JSON:
// only the elements a changed value lives in are touched, and everything
// else the practice keeps (identifiers, extensions, newer fields) goes
// back as it came.

import (
	"encoding/json"
	"strings"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
)

const (
	systemBCP47       = "urn:ietf:bcp:47"
	systemContactRole = "http://terminology.hl7.org/CodeSystem/v2-0131"
)

func objs(v any) []any { l, _ := v.([]any); return l }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func str(m map[string]any, k string) string { s, _ := m[k].(string); return strings.TrimSpace(s) }

// versionOf is meta.versionId of a resource, "" when absent.
func versionOf(m map[string]any) string { return str(obj(m["meta"]), "versionId") }

// telecomIndex finds the first ContactPoint of system in list, -1 if none.
func telecomIndex(list []any, system string) int {
	for i, t := range list {
		if strings.EqualFold(str(obj(t), "system"), system) && str(obj(t), "value") != "" {
			return i
		}
	}
	return -1
}

// addressIndex is the home address (else the first not marked old), -1
// if none.
func addressIndex(list []any) int {
	first := -1
	for i, a := range list {
		if obj(a) == nil {
			continue // not an Address: left as it is
		}
		switch strings.ToLower(str(obj(a), "use")) {
		case "home":
			return i
		case "old":
		default:
			if first < 0 {
				first = i
			}
		}
	}
	return first
}

// contactIndex is the emergency contact (relationship C), else the first
// contact, -1 if none.
func contactIndex(list []any) int {
	for i, c := range list {
		for _, rel := range objs(obj(c)["relationship"]) {
			for _, cd := range objs(obj(rel)["coding"]) {
				if str(obj(cd), "code") == "C" || str(obj(cd), "code") == "EP" {
					return i
				}
			}
		}
	}
	return firstObject(list)
}

// firstObject is the index of the first JSON object in list, -1 if none.
func firstObject(list []any) int {
	for i, x := range list {
		if obj(x) != nil {
			return i
		}
	}
	return -1
}

// languageIndex is the preferred language (else the first), -1 if none.
func languageIndex(list []any) int {
	for i, c := range list {
		if b, _ := obj(c)["preferred"].(bool); b && obj(c) != nil {
			return i
		}
	}
	return firstObject(list)
}

// pharmacyExtension finds the preferred pharmacy extension, -1 if none.
func pharmacyExtension(list []any) int {
	for i, e := range list {
		if str(obj(e), "url") == record.PreferredPharmacyURL {
			return i
		}
	}
	return -1
}

// detailValues reads every detail of a Patient.
func detailValues(m map[string]any) map[DetailKey]string {
	v := map[DetailKey]string{}
	tel := objs(m["telecom"])
	if i := telecomIndex(tel, "phone"); i >= 0 {
		v[DetailPhone] = str(obj(tel[i]), "value")
	}
	if i := telecomIndex(tel, "email"); i >= 0 {
		v[DetailEmail] = str(obj(tel[i]), "value")
	}
	addrs := objs(m["address"])
	if i := addressIndex(addrs); i >= 0 {
		a := obj(addrs[i])
		var lines []string
		for _, l := range objs(a["line"]) {
			if s, _ := l.(string); strings.TrimSpace(s) != "" {
				lines = append(lines, strings.TrimSpace(s))
			}
		}
		v[DetailStreet] = strings.Join(lines, ", ")
		v[DetailCity], v[DetailState], v[DetailPostalCode] = str(a, "city"), str(a, "state"), str(a, "postalCode")
		if v[DetailStreet] == "" && v[DetailCity] == "" {
			v[DetailStreet] = str(a, "text")
		}
	}
	comms := objs(m["communication"])
	if i := languageIndex(comms); i >= 0 {
		lang := obj(obj(comms[i])["language"])
		for _, cd := range objs(lang["coding"]) {
			if strings.EqualFold(str(obj(cd), "system"), systemBCP47) && v[DetailLanguage] == "" {
				v[DetailLanguage] = str(obj(cd), "code")
			}
		}
		if v[DetailLanguage] == "" {
			v[DetailLanguage] = firstNonBlank(languageCode(str(lang, "text")), str(lang, "text"))
		}
	}
	contacts := objs(m["contact"])
	if i := contactIndex(contacts); i >= 0 {
		c := obj(contacts[i])
		name := obj(c["name"])
		v[DetailEmergencyName] = str(name, "text")
		if v[DetailEmergencyName] == "" {
			var parts []string
			for _, g := range objs(name["given"]) {
				if s, _ := g.(string); s != "" {
					parts = append(parts, s)
				}
			}
			if f := str(name, "family"); f != "" {
				parts = append(parts, f)
			}
			v[DetailEmergencyName] = strings.Join(parts, " ")
		}
		for _, rel := range objs(c["relationship"]) {
			if t := str(obj(rel), "text"); t != "" && v[DetailEmergencyRelationship] == "" {
				v[DetailEmergencyRelationship] = t
			}
			for _, cd := range objs(obj(rel)["coding"]) {
				if code := str(obj(cd), "code"); code != "C" && code != "EP" && v[DetailEmergencyRelationship] == "" {
					v[DetailEmergencyRelationship] = str(obj(cd), "display")
				}
			}
		}
		ct := objs(c["telecom"])
		if j := telecomIndex(ct, "phone"); j >= 0 {
			v[DetailEmergencyPhone] = str(obj(ct[j]), "value")
		}
	}
	exts := objs(m["extension"])
	if i := pharmacyExtension(exts); i >= 0 {
		for _, sub := range objs(obj(exts[i])["extension"]) {
			if str(obj(sub), "url") == "pharmacy" && v[DetailPharmacy] == "" {
				v[DetailPharmacy] = relativeRef(str(obj(obj(sub)["valueReference"]), "reference"))
			}
		}
	}
	n := record.DecodePatient(record.Resource{Type: "Patient", JSON: mustJSON(m)})
	v[DetailName] = n.Name
	if !n.BirthDate.IsZero() {
		v[DetailBirthDate] = locfmt.Current().Date(n.BirthDate.Time)
	}
	v[DetailGender] = genderText(n.Gender)
	return v
}

func mustJSON(m map[string]any) []byte {
	b, _ := json.Marshal(m) // a decoded object always encodes
	return b
}

func genderText(g string) string {
	switch g {
	case "female":
		return i18n.L("Female")
	case "male":
		return i18n.L("Male")
	case "other":
		return i18n.L("Other (sex)") // "Other" alone is a reserved word of the translation files
	case "unknown":
		return i18n.L("Unknown")
	}
	return g
}

// setTelecom sets the first ContactPoint of system in list to value (or
// removes it when value is empty), adding one when there is none.
func setTelecom(list []any, system, use, value string) []any {
	i := telecomIndex(list, system)
	switch {
	case i < 0 && value == "":
		return list
	case i < 0:
		return append(list, map[string]any{"system": system, "value": value, "use": use})
	case value == "":
		return append(list[:i:i], list[i+1:]...)
	}
	obj(list[i])["value"] = value
	return list
}

// applyDetails changes m (a Patient) to hold the values of changes; names
// gives a pharmacy's name for its reference.
func applyDetails(m map[string]any, changes map[DetailKey]string, names func(ref string) string) {
	has := func(keys ...DetailKey) bool {
		for _, k := range keys {
			if _, ok := changes[k]; ok {
				return true
			}
		}
		return false
	}
	if has(DetailPhone) {
		m["telecom"] = setTelecom(objs(m["telecom"]), "phone", "mobile", changes[DetailPhone])
	}
	if has(DetailEmail) {
		m["telecom"] = setTelecom(objs(m["telecom"]), "email", "home", changes[DetailEmail])
	}
	if l, ok := m["telecom"].([]any); ok && len(l) == 0 {
		delete(m, "telecom")
	}
	if has(DetailStreet, DetailCity, DetailState, DetailPostalCode) {
		addrs := objs(m["address"])
		i := addressIndex(addrs)
		if i < 0 {
			addrs = append(addrs, map[string]any{"use": "home"})
			i = len(addrs) - 1
		}
		a := obj(addrs[i])
		set := func(k DetailKey, field string) {
			v, ok := changes[k]
			switch {
			case !ok:
			case v == "":
				delete(a, field)
			case field == "line":
				a[field] = []any{v}
			default:
				a[field] = v
			}
		}
		set(DetailStreet, "line")
		set(DetailCity, "city")
		set(DetailState, "state")
		set(DetailPostalCode, "postalCode")
		delete(a, "text") // it would say the old address
		m["address"] = addrs
	}
	if has(DetailLanguage) {
		comms := objs(m["communication"])
		code := changes[DetailLanguage]
		lang := map[string]any{"coding": []any{map[string]any{"system": systemBCP47, "code": code, "display": LanguageName(code)}},
			"text": LanguageName(code)}
		switch i := languageIndex(comms); {
		case code == "" && i >= 0:
			comms = append(comms[:i:i], comms[i+1:]...)
		case code == "":
		case i >= 0:
			obj(comms[i])["language"] = lang
			obj(comms[i])["preferred"] = true
		default:
			comms = append(comms, map[string]any{"language": lang, "preferred": true})
		}
		m["communication"] = comms
		if len(comms) == 0 {
			delete(m, "communication")
		}
	}
	if has(DetailEmergencyName, DetailEmergencyRelationship, DetailEmergencyPhone) {
		applyContact(m, changes)
	}
	if has(DetailPharmacy) {
		exts := objs(m["extension"])
		i := pharmacyExtension(exts)
		ref := changes[DetailPharmacy]
		switch {
		case ref == "" && i >= 0:
			exts = append(exts[:i:i], exts[i+1:]...)
		case ref == "":
		default:
			r := map[string]any{"reference": ref}
			if n := names(ref); n != "" {
				r["display"] = n
			}
			e := map[string]any{"url": record.PreferredPharmacyURL, "extension": []any{map[string]any{"url": "pharmacy", "valueReference": r}}}
			if i >= 0 {
				exts[i] = e
			} else {
				exts = append(exts, e)
			}
		}
		m["extension"] = exts
		if len(exts) == 0 {
			delete(m, "extension")
		}
	}
}

// applyContact changes the emergency contact (Patient.contact with
// relationship C, "Emergency Contact").
func applyContact(m map[string]any, changes map[DetailKey]string) {
	contacts := objs(m["contact"])
	i := contactIndex(contacts)
	cur := detailValues(m)
	val := func(k DetailKey) string {
		if v, ok := changes[k]; ok {
			return v
		}
		return cur[k]
	}
	name, rel, phone := val(DetailEmergencyName), val(DetailEmergencyRelationship), val(DetailEmergencyPhone)
	if name == "" && rel == "" && phone == "" {
		if i >= 0 {
			contacts = append(contacts[:i:i], contacts[i+1:]...)
		}
		m["contact"] = contacts
		if len(contacts) == 0 {
			delete(m, "contact")
		}
		return
	}
	if i < 0 {
		contacts = append(contacts, map[string]any{})
		i = len(contacts) - 1
	}
	c := obj(contacts[i])
	if _, ok := changes[DetailEmergencyName]; ok {
		if name == "" {
			delete(c, "name")
		} else {
			c["name"] = map[string]any{"text": name}
		}
	}
	if _, ok := changes[DetailEmergencyRelationship]; ok || c["relationship"] == nil {
		rels := []any{map[string]any{"coding": []any{map[string]any{"system": systemContactRole, "code": "C", "display": "Emergency Contact"}}}}
		if rel != "" {
			rels = append(rels, map[string]any{"text": rel})
		}
		c["relationship"] = rels
	}
	if _, ok := changes[DetailEmergencyPhone]; ok {
		c["telecom"] = setTelecom(objs(c["telecom"]), "phone", "mobile", phone)
		if len(objs(c["telecom"])) == 0 {
			delete(c, "telecom")
		}
	}
	m["contact"] = contacts
}
