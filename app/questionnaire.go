package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carebook/carebook/internal/i18n"
)

// A practice asks questions before some visits with a plain FHIR R4
// Questionnaire that the Appointment names in supportingInformation; the
// patient's answers go back as a QuestionnaireResponse (status completed,
// questionnaire its canonical URL, subject the patient, author the
// signed-in user) naming the Appointment with the core extension
// event-basedOn (R4's QuestionnaireResponse.basedOn admits only CarePlan
// and ServiceRequest).

// BasedOnExtension is the FHIR core extension naming what an event
// fulfils: on a QuestionnaireResponse, the Appointment it answers for.
const BasedOnExtension = "http://hl7.org/fhir/StructureDefinition/event-basedOn"

// Question types the app asks (Questionnaire.item.type). Other types are
// counted in Questionnaire.Skipped and not asked.
const (
	QuestionString  = "string"  // one line of text
	QuestionText    = "text"    // free text, several lines
	QuestionBoolean = "boolean" // yes or no
	QuestionChoice  = "choice"  // one of Options
	QuestionDate    = "date"    // YYYY-MM-DD (or YYYY-MM, YYYY)
	QuestionInteger = "integer"
	QuestionDecimal = "decimal"
	QuestionDisplay = "display" // text to read, nothing to answer
)

// Limits on answers.
const (
	MaxAnswerString = 500  // characters of a one-line answer
	MaxAnswerText   = 4000 // characters of a free-text answer
)

// Answers written for boolean questions.
const (
	AnswerYes = "yes"
	AnswerNo  = "no"
)

// Questionnaire is a practice's questions, as the form shows them.
type Questionnaire struct {
	Ref         string // "Questionnaire/id"
	URL         string // its canonical URL ("" when it has none)
	Version     string
	Title       string
	Description string
	Questions   []Question
	// Skipped counts the questions of types the app cannot ask (they are
	// left unanswered; the practice asks them at the visit).
	Skipped int
}

// Question is one item of a Questionnaire.
type Question struct {
	LinkID   string
	Text     string
	Type     string // one of the Question* constants
	Required bool
	Options  []AnswerOption // for QuestionChoice
	// When lists the conditions under which it is asked (enableWhen);
	// WhenAll says all must hold (else any).
	When    []Condition
	WhenAll bool
}

// AnswerOption is one choice of a choice question. Code is what an answer
// gives (a coding's code, or the option's text).
type AnswerOption struct {
	Code, System, Display string
	coded                 bool
}

// Condition asks a question only when the answer to Question compares
// (Operator "=", "!=" or "exists") to Answer, written as answers are.
type Condition struct {
	Question, Operator, Answer string
}

// Answerable reports whether the question takes an answer.
func (q Question) Answerable() bool { return q.Type != QuestionDisplay }

// Asked reports whether q is asked given the answers so far (its
// conditions hold; a condition the app cannot evaluate counts as holding).
func (q Question) Asked(answers map[string]string) bool {
	if len(q.When) == 0 {
		return true
	}
	for _, c := range q.When {
		ok := c.holds(answers)
		if ok && !q.WhenAll {
			return true
		}
		if !ok && q.WhenAll {
			return false
		}
	}
	return q.WhenAll
}

func (c Condition) holds(answers map[string]string) bool {
	got := strings.TrimSpace(answers[c.Question])
	switch c.Operator {
	case "=":
		return got != "" && strings.EqualFold(got, c.Answer)
	case "!=":
		return !strings.EqualFold(got, c.Answer)
	case "exists":
		return (got != "") == (c.Answer == AnswerYes)
	}
	return true
}

// Asks reports whether question qu is asked given the answers so far
// (written as the form and the CLI take them).
func (q Questionnaire) Asks(qu Question, answers map[string]string) bool {
	return qu.Asked(q.normalized(answers))
}

// normalized is answers with each valid one in its usual form (so that a
// condition on a choice matches its code whatever was written).
func (q Questionnaire) normalized(answers map[string]string) map[string]string {
	out := make(map[string]string, len(answers))
	for k, v := range answers {
		out[k] = v
	}
	for _, qu := range q.Questions {
		if v, ok := answers[qu.LinkID]; ok && qu.Answerable() {
			if n, err := qu.Normalize(v); err == nil {
				out[qu.LinkID] = n
			}
		}
	}
	return out
}

// Problems checks answers (by linkId, written as the CLI and the form
// take them: see Normalize) and returns what is wrong, by linkId; an empty
// map means they can be sent. Answers to questions not asked are ignored.
// Any goroutine: it does no I/O.
func (q Questionnaire) Problems(answers map[string]string) map[string]string {
	out := map[string]string{}
	norm := q.normalized(answers)
	for _, qu := range q.Questions {
		if !qu.Answerable() || !qu.Asked(norm) {
			continue
		}
		v := strings.TrimSpace(answers[qu.LinkID])
		if v == "" {
			if qu.Required {
				out[qu.LinkID] = i18n.L("Please answer this question.")
			}
			continue
		}
		if _, err := qu.Normalize(v); err != nil {
			out[qu.LinkID] = err.Error()
		}
	}
	return out
}

// Normalize checks one answer and returns it in its usual form: "yes" or
// "no" for a boolean, the option's code for a choice, YYYY-MM-DD for a
// date, the number for integer and decimal.
func (q Question) Normalize(v string) (string, error) {
	v = strings.TrimSpace(v)
	switch q.Type {
	case QuestionBoolean:
		switch strings.ToLower(v) {
		case "yes", "y", "true":
			return AnswerYes, nil
		case "no", "n", "false":
			return AnswerNo, nil
		}
		return "", errors.New(i18n.L("answer yes or no"))
	case QuestionChoice:
		for _, o := range q.Options {
			if strings.EqualFold(v, o.Code) || strings.EqualFold(v, o.Display) {
				return o.Code, nil
			}
		}
		var names []string
		for _, o := range q.Options {
			names = append(names, o.Display)
		}
		return "", errors.New(i18n.L("choose one of: {{.Options}}", map[string]any{"Options": strings.Join(names, ", ")}))
	case QuestionDate:
		for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
			if _, err := time.Parse(layout, v); err == nil {
				return v, nil
			}
		}
		return "", errors.New(i18n.L("write the date as YYYY-MM-DD (for example 2024-03-15)"))
	case QuestionInteger:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return "", errors.New(i18n.L("write a whole number"))
		}
		return strconv.FormatInt(n, 10), nil
	case QuestionDecimal:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return "", errors.New(i18n.L("write a number"))
		}
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	case QuestionString:
		if strings.ContainsAny(v, "\r\n") {
			return "", errors.New(i18n.L("write it on one line"))
		}
		if utf8.RuneCountInString(v) > MaxAnswerString {
			return "", errors.New(i18n.L("at most {{.Max}} characters", map[string]any{"Max": MaxAnswerString}))
		}
		return v, nil
	case QuestionText:
		if utf8.RuneCountInString(v) > MaxAnswerText {
			return "", errors.New(i18n.L("at most {{.Max}} characters", map[string]any{"Max": MaxAnswerText}))
		}
		return v, nil
	}
	return "", errors.New(i18n.L("this question can't be answered in Carebook"))
}

// Canonical is what a QuestionnaireResponse names as its questionnaire:
// the canonical URL (with |version when there is one), else the relative
// reference.
func (q Questionnaire) Canonical() string {
	if q.URL == "" {
		return q.Ref
	}
	if q.Version != "" {
		return q.URL + "|" + q.Version
	}
	return q.URL
}

// answeredBy reports whether canonical (a QuestionnaireResponse's
// questionnaire) names q.
func (q Questionnaire) answeredBy(canonical string) bool {
	base, _, _ := strings.Cut(canonical, "|")
	return base != "" && (base == q.URL || base == q.Ref || strings.HasSuffix(base, "/"+q.Ref))
}

// wQuestionnaire is the part of a FHIR Questionnaire the app reads.
type wQuestionnaire struct {
	ResourceType string  `json:"resourceType"`
	ID           string  `json:"id"`
	URL          string  `json:"url"`
	Version      string  `json:"version"`
	Name         string  `json:"name"`
	Title        string  `json:"title"`
	Description  string  `json:"description"`
	Item         []wItem `json:"item"`
}

type wItem struct {
	LinkID         string    `json:"linkId"`
	Text           string    `json:"text"`
	Type           string    `json:"type"`
	Required       bool      `json:"required"`
	EnableBehavior string    `json:"enableBehavior"`
	AnswerOption   []wOption `json:"answerOption"`
	EnableWhen     []struct {
		Question      string   `json:"question"`
		Operator      string   `json:"operator"`
		AnswerBoolean *bool    `json:"answerBoolean"`
		AnswerString  *string  `json:"answerString"`
		AnswerDate    *string  `json:"answerDate"`
		AnswerInteger *int64   `json:"answerInteger"`
		AnswerDecimal *float64 `json:"answerDecimal"`
		AnswerCoding  *wCoding `json:"answerCoding"`
	} `json:"enableWhen"`
	Item []wItem `json:"item"`
}

type wCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type wOption struct {
	ValueCoding  *wCoding `json:"valueCoding"`
	ValueString  *string  `json:"valueString"`
	ValueInteger *int64   `json:"valueInteger"`
}

// decodeQuestionnaire reads a Questionnaire tolerantly: items of a type
// the app cannot ask (groups, attachments...) are counted, not asked.
func decodeQuestionnaire(raw []byte) (Questionnaire, error) {
	var w wQuestionnaire
	if err := json.Unmarshal(raw, &w); err != nil || w.ResourceType != "Questionnaire" || w.ID == "" {
		return Questionnaire{}, fmt.Errorf("questionnaire: not a readable Questionnaire")
	}
	q := Questionnaire{
		Ref: "Questionnaire/" + w.ID, URL: strings.TrimSpace(w.URL), Version: strings.TrimSpace(w.Version),
		Title: firstOf(strings.TrimSpace(w.Title), strings.TrimSpace(w.Name), i18n.L("Questions before your visit")),
		// The description is the practice's note to the patient.
		Description: strings.TrimSpace(w.Description),
	}
	for _, it := range w.Item {
		qu, ok := questionFrom(it)
		if !ok {
			q.Skipped++
			continue
		}
		q.Questions = append(q.Questions, qu)
	}
	return q, nil
}

func questionFrom(it wItem) (Question, bool) {
	qu := Question{LinkID: strings.TrimSpace(it.LinkID), Text: strings.TrimSpace(it.Text), Type: it.Type,
		Required: it.Required, WhenAll: it.EnableBehavior == "all"}
	switch it.Type {
	case QuestionString, QuestionText, QuestionBoolean, QuestionDate, QuestionInteger, QuestionDecimal, QuestionDisplay:
	case QuestionChoice:
		for _, o := range it.AnswerOption {
			switch {
			case o.ValueCoding != nil && o.ValueCoding.Code != "":
				c := o.ValueCoding
				qu.Options = append(qu.Options, AnswerOption{Code: c.Code, System: c.System, Display: firstOf(c.Display, c.Code), coded: true})
			case o.ValueString != nil && strings.TrimSpace(*o.ValueString) != "":
				s := strings.TrimSpace(*o.ValueString)
				qu.Options = append(qu.Options, AnswerOption{Code: s, Display: s})
			}
		}
		if len(qu.Options) == 0 {
			return Question{}, false
		}
	default:
		return Question{}, false
	}
	if qu.LinkID == "" || (qu.Text == "" && qu.Type != QuestionDisplay) {
		return Question{}, false
	}
	for _, ew := range it.EnableWhen {
		c := Condition{Question: ew.Question, Operator: ew.Operator}
		switch {
		case ew.AnswerBoolean != nil: // for "exists": whether it is answered
			c.Answer = AnswerNo
			if *ew.AnswerBoolean {
				c.Answer = AnswerYes
			}
		case ew.AnswerCoding != nil:
			c.Answer = ew.AnswerCoding.Code
		case ew.AnswerString != nil:
			c.Answer = *ew.AnswerString
		case ew.AnswerDate != nil:
			c.Answer = *ew.AnswerDate
		case ew.AnswerInteger != nil:
			c.Answer = strconv.FormatInt(*ew.AnswerInteger, 10)
		case ew.AnswerDecimal != nil:
			c.Answer = strconv.FormatFloat(*ew.AnswerDecimal, 'f', -1, 64)
		default:
			c.Operator = "" // not understood: the question is asked
		}
		qu.When = append(qu.When, c)
	}
	return qu, true
}

// responseSpec is what a QuestionnaireResponse holds.
type responseSpec struct {
	Questionnaire Questionnaire
	Answers       map[string]string // normalized, asked questions only
	Patient       string            // "Patient/id"
	Author        string
	Appointment   string // "Appointment/id"
	Authored      time.Time
}

// buildResponse writes the QuestionnaireResponse (FHIR R4 JSON).
func buildResponse(s responseSpec) ([]byte, error) {
	var items []any
	for _, qu := range s.Questionnaire.Questions {
		v, ok := s.Answers[qu.LinkID]
		if !ok || v == "" || !qu.Answerable() {
			continue
		}
		var ans map[string]any
		switch qu.Type {
		case QuestionBoolean:
			ans = map[string]any{"valueBoolean": v == AnswerYes}
		case QuestionChoice:
			for _, o := range qu.Options {
				if o.Code != v {
					continue
				}
				if o.coded {
					c := map[string]any{"code": o.Code, "display": o.Display}
					if o.System != "" {
						c["system"] = o.System
					}
					ans = map[string]any{"valueCoding": c}
				} else {
					ans = map[string]any{"valueString": o.Code}
				}
			}
		case QuestionDate:
			ans = map[string]any{"valueDate": v}
		case QuestionInteger:
			n, _ := strconv.ParseInt(v, 10, 64)
			ans = map[string]any{"valueInteger": n}
		case QuestionDecimal:
			f, _ := strconv.ParseFloat(v, 64)
			ans = map[string]any{"valueDecimal": f}
		default:
			ans = map[string]any{"valueString": v}
		}
		if ans == nil {
			return nil, fmt.Errorf("questionnaire: answer to %q: %w", qu.LinkID, ErrInvalidInput)
		}
		items = append(items, map[string]any{"linkId": qu.LinkID, "text": qu.Text, "answer": []any{ans}})
	}
	qr := map[string]any{
		"resourceType":  "QuestionnaireResponse",
		"status":        "completed",
		"questionnaire": s.Questionnaire.Canonical(),
		"subject":       map[string]any{"reference": s.Patient},
		"author":        map[string]any{"reference": s.Author},
		"authored":      s.Authored.UTC().Format(time.RFC3339),
		"extension": []any{map[string]any{
			"url": BasedOnExtension, "valueReference": map[string]any{"reference": s.Appointment},
		}},
		"item": items,
	}
	body, err := json.Marshal(qr)
	if err != nil {
		return nil, fmt.Errorf("questionnaire: encode answers: %w", err)
	}
	return body, nil
}

// wResponse is the part of a QuestionnaireResponse the app reads to say
// what was answered.
type wResponse struct {
	ResourceType  string          `json:"resourceType"`
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Questionnaire string          `json:"questionnaire"`
	Authored      string          `json:"authored"`
	Identifier    json.RawMessage `json:"identifier"`
	Extension     []struct {
		URL            string `json:"url"`
		ValueReference struct {
			Reference string `json:"reference"`
		} `json:"valueReference"`
	} `json:"extension"`
}

// appointment is the "Appointment/id" the response answers for, relative.
func (w wResponse) appointment() string {
	for _, e := range w.Extension {
		if e.URL == BasedOnExtension {
			if i := strings.LastIndex(e.ValueReference.Reference, "Appointment/"); i >= 0 {
				return e.ValueReference.Reference[i:]
			}
		}
	}
	return ""
}
