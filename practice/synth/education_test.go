package synth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestEducationHandouts: every demo patient gets the practice's handout
// about each current condition it has one for (Maya: high blood pressure,
// cholesterol and prediabetes), typed LOINC 69730-0 and categorized SNOMED
// CT 311401005, from the practice, about a Condition of that same patient,
// its text inline.
func TestEducationHandouts(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow})
	byPatient := map[string][]string{}
	for _, d := range g.ofType("DocumentReference") {
		cats, _ := d["category"].([]any)
		if len(cats) == 0 || !strings.Contains(toJSON(t, cats[0]), `"code":"`+snomedPatientEducation+`"`) {
			continue
		}
		if !strings.Contains(toJSON(t, d["type"]), `"code":"`+loincInstructions+`"`) {
			t.Errorf("%v: type %v, want LOINC %s", d["id"], d["type"], loincInstructions)
		}
		patient := d["subject"].(map[string]any)["reference"].(string)
		related := d["context"].(map[string]any)["related"].([]any)[0].(map[string]any)["reference"].(string)
		cond, ok := g.resources[related]
		if !ok || cond["subject"].(map[string]any)["reference"] != patient {
			t.Errorf("%v is about %s, not a Condition of %s", d["id"], related, patient)
		}
		if a := d["author"].([]any)[0].(map[string]any)["reference"]; a != "Organization/"+PracticeOrgID {
			t.Errorf("%v: author %v, want the practice", d["id"], a)
		}
		att := d["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
		text, err := base64.StdEncoding.DecodeString(att["data"].(string))
		if err != nil || !strings.Contains(string(text), d["description"].(string)) {
			t.Errorf("%v: content %.60q (%v), want the handout titled %q", d["id"], text, err, d["description"])
		}
		byPatient[patient] = append(byPatient[patient], d["description"].(string))
	}
	maya := byPatient["Patient/"+MayaID]
	want := []string{"Living with high blood pressure", "High cholesterol: what it means for you", "Prediabetes: lowering your risk of diabetes"}
	if strings.Join(maya, "|") != strings.Join(want, "|") {
		t.Errorf("Maya's handouts %q, want %q", maya, want)
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
