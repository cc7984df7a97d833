package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const testQuestionnaire = `{"resourceType":"Questionnaire","id":"q1","url":"http://example.org/Questionnaire/q1","version":"2",
 "title":"Intake","item":[
  {"linkId":"name","type":"string","text":"Preferred name"},
  {"linkId":"pain","type":"boolean","text":"Any pain?","required":true},
  {"linkId":"where","type":"choice","text":"Where?","required":true,
   "enableWhen":[{"question":"pain","operator":"=","answerBoolean":true}],
   "answerOption":[{"valueCoding":{"system":"http://example.org/cs","code":"knee","display":"Knee"}},{"valueString":"Back"}]},
  {"linkId":"more","type":"text","text":"Tell us more","required":true,
   "enableWhen":[{"question":"where","operator":"=","answerCoding":{"code":"knee"}}]},
  {"linkId":"since","type":"date","text":"Since when?"},
  {"linkId":"times","type":"integer","text":"How many times a week?"},
  {"linkId":"weight","type":"decimal","text":"Weight (kg)"},
  {"linkId":"note","type":"display","text":"Thank you."},
  {"linkId":"photo","type":"attachment","text":"A photo"},
  {"linkId":"group","type":"group","item":[{"linkId":"g1","type":"string","text":"x"}]},
  {"linkId":"empty-choice","type":"choice","text":"No options"},
  {"linkId":"","type":"string","text":"No link id"}
 ]}`

func TestDecodeQuestionnaire(t *testing.T) {
	q, err := decodeQuestionnaire([]byte(testQuestionnaire))
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, qu := range q.Questions {
		links = append(links, qu.LinkID)
	}
	if q.Ref != "Questionnaire/q1" || q.Canonical() != "http://example.org/Questionnaire/q1|2" || q.Title != "Intake" ||
		strings.Join(links, ",") != "name,pain,where,more,since,times,weight,note" || q.Skipped != 4 {
		t.Fatalf("decoded %+v (%s)", q, strings.Join(links, ","))
	}
	for _, canonical := range []string{"http://example.org/Questionnaire/q1|2", "http://example.org/Questionnaire/q1", "Questionnaire/q1"} {
		if !q.answeredBy(canonical) {
			t.Errorf("%q does not name it", canonical)
		}
	}
	if q.answeredBy("http://example.org/Questionnaire/q2") || q.answeredBy("") {
		t.Error("another questionnaire names it")
	}
	for _, bad := range []string{``, `[]`, `{"resourceType":"Patient","id":"x"}`, `{"resourceType":"Questionnaire"}`} {
		if _, err := decodeQuestionnaire([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestQuestionnaireProblems(t *testing.T) {
	q, err := decodeQuestionnaire([]byte(testQuestionnaire))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		answers map[string]string
		want    []string // linkIds with a problem
	}{
		{"nothing", nil, []string{"pain"}},
		{"no pain", map[string]string{"pain": "no"}, nil},
		{"pain asks where", map[string]string{"pain": "Yes"}, []string{"where"}},
		{"knee asks more (by display)", map[string]string{"pain": "y", "where": "knee"}, []string{"more"}},
		{"back asks no more", map[string]string{"pain": "true", "where": "Back"}, nil},
		{"all good", map[string]string{"pain": "yes", "where": "Knee", "more": "Stairs", "since": "2024-02", "times": "3", "weight": "71.5", "name": "Sam"}, nil},
		{"wrong types", map[string]string{"pain": "maybe", "since": "yesterday", "times": "3.5", "weight": "heavy", "name": "two\nlines"},
			[]string{"name", "pain", "since", "times", "weight"}},
		{"unknown choice", map[string]string{"pain": "yes", "where": "elbow"}, []string{"where"}},
		{"too long", map[string]string{"pain": "no", "name": strings.Repeat("a", MaxAnswerString+1)}, []string{"name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probs := q.Problems(tc.answers)
			var got []string
			for _, qu := range q.Questions {
				if _, ok := probs[qu.LinkID]; ok {
					got = append(got, qu.LinkID)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("problems with %v: %v, want %v", tc.answers, probs, tc.want)
			}
		})
	}
}

func TestBuildResponse(t *testing.T) {
	q, _ := decodeQuestionnaire([]byte(testQuestionnaire))
	body, err := buildResponse(responseSpec{
		Questionnaire: q, Patient: "Patient/p1", Author: "RelatedPerson/rp1", Appointment: "Appointment/a1",
		Authored: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		Answers:  map[string]string{"pain": AnswerYes, "where": "knee", "more": "Stairs", "since": "2024-02-01", "times": "3", "weight": "71.5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ResourceType, Status, Questionnaire, Authored string
		Subject, Author                               struct{ Reference string }
		Item                                          []struct {
			LinkID string           `json:"linkId"`
			Answer []map[string]any `json:"answer"`
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	values := map[string]any{}
	for _, it := range got.Item {
		for _, v := range it.Answer[0] {
			values[it.LinkID] = v
		}
	}
	if got.ResourceType != "QuestionnaireResponse" || got.Status != "completed" || got.Questionnaire != "http://example.org/Questionnaire/q1|2" ||
		got.Subject.Reference != "Patient/p1" || got.Author.Reference != "RelatedPerson/rp1" || got.Authored != "2026-12-01T09:00:00Z" ||
		len(got.Item) != 6 || values["pain"] != true || values["where"].(map[string]any)["system"] != "http://example.org/cs" ||
		values["times"] != float64(3) || values["weight"] != 71.5 || values["since"] != "2024-02-01" {
		t.Fatalf("response %s", body)
	}
	var w wResponse
	json.Unmarshal(body, &w)
	if w.appointment() != "Appointment/a1" {
		t.Errorf("appointment %q", w.appointment())
	}
	if _, err := buildResponse(responseSpec{Questionnaire: q, Answers: map[string]string{"where": "elbow"}}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("an answer not among the options: %v", err)
	}
}

// FuzzDecodeQuestionnaire: whatever a practice sends, decoding and checking
// answers against it never panics.
func FuzzDecodeQuestionnaire(f *testing.F) {
	f.Add([]byte(testQuestionnaire), "pain", "yes")
	f.Add([]byte(`{"resourceType":"Questionnaire","id":"x","item":[{"linkId":"a","type":"choice","text":"?","answerOption":[{}]}]}`), "a", "")
	f.Fuzz(func(t *testing.T, raw []byte, link, answer string) {
		q, err := decodeQuestionnaire(raw)
		if err != nil {
			return
		}
		answers := map[string]string{link: answer}
		q.Problems(answers)
		for _, qu := range q.Questions {
			q.Asks(qu, answers)
		}
	})
}

func TestScopeAllowsCreate(t *testing.T) {
	for _, tc := range []struct {
		scope string
		want  bool
	}{
		{"", true},
		{"openid fhirUser patient/*.rs patient/QuestionnaireResponse.c", true},
		{"patient/*.rs patient/*.cruds", true},
		{"patient/*.read patient/QuestionnaireResponse.write", true},
		{"patient/*.*", true},
		{"openid fhirUser patient/*.rs patient/Communication.c patient/Task.c", false},
		{"patient/QuestionnaireResponse.rs", false},
		{"user/QuestionnaireResponse.c patient/*.read", false},
	} {
		if got := scopeAllowsCreate(tc.scope, "QuestionnaireResponse"); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.scope, got, tc.want)
		}
	}
}
