package fhirserver

import (
	"strconv"
	"strings"
)

// MessagePolicy is what a practice publishes about patients' messages: its
// notice and the limits it enforces. The CapabilityStatement carries it in
// plain FHIR R4, so any app can read it from GET [base]/metadata without
// signing in:
//   - the notice is the documentation (markdown) of the Communication
//     entry of rest.resource;
//   - the limits are a StructureDefinition constraining Communication,
//     contained in the CapabilityStatement (id "patient-message") and named
//     by that entry's supportedProfile ("#patient-message"): payload's max
//     cardinality is the most parts, content[x]'s string slice has
//     maxLength, and its Attachment slice carries the core extensions
//     http://hl7.org/fhir/StructureDefinition/maxSize (decimal, in MB) and
//     http://hl7.org/fhir/StructureDefinition/mimeType (one per accepted
//     MIME type).
type MessagePolicy struct {
	Notice             string
	MaxText            int
	MaxAttachmentBytes int64
	MaxParts           int
	AttachmentTypes    []string
}

// MessageProfileID is the id of the contained StructureDefinition.
const MessageProfileID = "patient-message"

// Extension URLs of the core FHIR extensions used on ElementDefinition.
const (
	extMaxSize  = "http://hl7.org/fhir/StructureDefinition/maxSize"
	extMimeType = "http://hl7.org/fhir/StructureDefinition/mimeType"
)

// messageProfile is the StructureDefinition of a patient's message under p.
func messageProfile(base string, p MessagePolicy) map[string]any {
	var attExt []any
	if p.MaxAttachmentBytes > 0 {
		attExt = append(attExt, map[string]any{"url": extMaxSize, "valueDecimal": float64(p.MaxAttachmentBytes) / (1 << 20)})
	}
	for _, t := range p.AttachmentTypes {
		attExt = append(attExt, map[string]any{"url": extMimeType, "valueCode": t})
	}
	str := map[string]any{
		"id": "Communication.payload.content[x]:contentString", "path": "Communication.payload.content[x]",
		"sliceName": "contentString", "type": []any{map[string]any{"code": "string"}},
	}
	if p.MaxText > 0 {
		str["maxLength"] = p.MaxText
	}
	att := map[string]any{
		"id": "Communication.payload.content[x]:contentAttachment", "path": "Communication.payload.content[x]",
		"sliceName": "contentAttachment", "type": []any{map[string]any{"code": "Attachment"}},
	}
	if attExt != nil {
		att["extension"] = attExt
	}
	payload := map[string]any{"id": "Communication.payload", "path": "Communication.payload"}
	if p.MaxParts > 0 {
		payload["max"] = strconv.Itoa(p.MaxParts)
	}
	return map[string]any{
		"resourceType":   "StructureDefinition",
		"id":             MessageProfileID,
		"url":            strings.TrimRight(base, "/") + "/StructureDefinition/" + MessageProfileID,
		"name":           "PatientMessage",
		"title":          "A message from a patient to the practice",
		"status":         "active",
		"kind":           "resource",
		"abstract":       false,
		"type":           "Communication",
		"baseDefinition": "http://hl7.org/fhir/StructureDefinition/Communication",
		"derivation":     "constraint",
		"differential":   map[string]any{"element": []any{payload, str, att}},
	}
}
