// Package scalerecord builds the record of the practice's scale patient
// (practice/synth, about Scale×1,000 resources) as a sync would have
// cached it, for the benchmarks and memory tests of the app and the UI.
package scalerecord

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// PatientID is the scale patient's FHIR id.
const PatientID = synth.ScalePatientID

// Resources returns the scale patient's resources (about scale×1,000 of
// them) and the practice's shared ones, as a sync would have cached
// them: everything that names the patient, plus the practice's own
// resources, no other patient's data. allNew is what a first sync
// brings (every resource last updated now, as from a server that
// imported the whole history today); otherwise each resource was last
// updated when it was made, as on a server that records results as they
// happen.
func Resources(scale int, allNew bool, now time.Time) ([]storage.Resource, error) {
	bundles, _, err := synth.Generate(synth.Options{Seed: 1, Scale: scale, Now: now})
	if err != nil {
		return nil, fmt.Errorf("scale record: %w", err)
	}
	var out []storage.Resource
	for _, raw := range bundles {
		var bundle struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &bundle); err != nil {
			return nil, fmt.Errorf("scale record: %w", err)
		}
		for _, e := range bundle.Entry {
			var head struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
				Effective    string `json:"effectiveDateTime"`
				Issued       string `json:"issued"`
				Date         string `json:"date"`
				AuthoredOn   string `json:"authoredOn"`
			}
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				return nil, fmt.Errorf("scale record: %w", err)
			}
			text := string(e.Resource)
			if head.ResourceType != "Patient" && strings.Contains(text, `"Patient/`) && !strings.Contains(text, "Patient/"+PatientID) {
				continue
			}
			if head.ResourceType == "Patient" && head.ID != PatientID {
				continue
			}
			updated := now
			if !allNew {
				for _, d := range []string{head.Issued, head.Effective, head.Date, head.AuthoredOn} {
					if t, err := time.Parse(time.RFC3339, d); err == nil {
						updated = t
						break
					}
				}
			}
			out = append(out, storage.Resource{Type: head.ResourceType, ID: head.ID, LastUpdated: updated, JSON: e.Resource})
		}
	}
	return out, nil
}
