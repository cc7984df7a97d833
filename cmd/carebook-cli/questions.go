package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/carebook/carebook/app"
)

// questionnaireJSON is one set of questions in `questionnaire --json`.
type questionnaireJSON struct {
	Ref         string         `json:"ref"` // "Questionnaire/id"
	Title       string         `json:"title"`
	State       string         `json:"state"` // not-answered, waiting, sent, failed
	LocalID     *string        `json:"local_id"`
	Error       string         `json:"error,omitempty"`       // the practice's words when it refused the answers
	Unavailable string         `json:"unavailable,omitempty"` // why the questions can't be shown now
	Skipped     int            `json:"skipped,omitempty"`     // questions Carebook cannot ask
	Questions   []questionJSON `json:"questions"`
}

type questionJSON struct {
	LinkID   string          `json:"link_id"`
	Text     string          `json:"text"`
	Type     string          `json:"type"`
	Required bool            `json:"required"`
	Options  []optionJSON    `json:"options,omitempty"`
	When     []conditionJSON `json:"asked_when,omitempty"`
	WhenAll  bool            `json:"asked_when_all,omitempty"`
}

// conditionJSON: the question is asked when the answer to Question
// compares (Operator "=", "!=", "exists") to Answer.
type conditionJSON struct {
	Question string `json:"question"`
	Operator string `json:"operator"`
	Answer   string `json:"answer"`
}

type optionJSON struct {
	Code    string `json:"code"`
	Display string `json:"display"`
}

// cmdQuestionnaire shows what the practice asks before an appointment:
// what to bring and the questions, with the state of the answers
// (app.BeforeVisit). Exit 4 when questions could not be read (not cached,
// practice unreachable).
func cmdQuestionnaire(ctx context.Context, args []string, e env) error {
	fs := newFlags("questionnaire", e)
	pf := addProfileFlags(fs)
	appt := fs.String("appointment", "", "APPOINTMENT_ID (carebook-cli appointments lists them)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *appt == "" {
		return usagef("questionnaire needs --appointment ID")
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	bv, err := a.BeforeVisit(ctx, p.ID, strings.TrimPrefix(*appt, "Appointment/"))
	if err != nil {
		return err
	}
	var unavailable error
	for _, f := range bv.Forms {
		if f.Questionnaire == nil {
			unavailable = fmt.Errorf("%w: %s", app.ErrOffline, f.Unavailable)
		}
	}
	if *asJSON {
		out := struct {
			Appointment    string              `json:"appointment"`
			ToBring        string              `json:"to_bring,omitempty"`
			Questionnaires []questionnaireJSON `json:"questionnaires"`
		}{Appointment: bv.AppointmentID, ToBring: bv.ToBring, Questionnaires: []questionnaireJSON{}}
		for _, f := range bv.Forms {
			out.Questionnaires = append(out.Questionnaires, formJSON(f))
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
		return unavailable
	}
	printBeforeVisit(e.stdout, bv)
	return unavailable
}

func formJSON(f app.VisitForm) questionnaireJSON {
	out := questionnaireJSON{Ref: f.Ref, Title: f.Title, State: f.State, LocalID: optional(f.LocalID), Error: f.Problem,
		Unavailable: f.Unavailable, Questions: []questionJSON{}}
	if f.Questionnaire == nil {
		return out
	}
	out.Skipped = f.Questionnaire.Skipped
	for _, q := range f.Questionnaire.Questions {
		if !q.Answerable() {
			continue
		}
		qj := questionJSON{LinkID: q.LinkID, Text: q.Text, Type: q.Type, Required: q.Required, WhenAll: q.WhenAll}
		for _, c := range q.When {
			qj.When = append(qj.When, conditionJSON{Question: c.Question, Operator: c.Operator, Answer: c.Answer})
		}
		for _, o := range q.Options {
			qj.Options = append(qj.Options, optionJSON{Code: o.Code, Display: o.Display})
		}
		out.Questions = append(out.Questions, qj)
	}
	return out
}

var formStates = map[string]string{
	app.FormNotAnswered: "not answered yet",
	app.FormWaiting:     "answered, waiting to be sent",
	app.FormSent:        "answers sent: the practice has them",
	app.FormFailed:      "the practice refused the answers",
}

func printBeforeVisit(w io.Writer, bv app.BeforeVisit) {
	if bv.ToBring != "" {
		fmt.Fprintln(w, "to bring: "+bv.ToBring)
	}
	if len(bv.Forms) == 0 {
		fmt.Fprintln(w, "the practice asks no questions before this visit")
		return
	}
	for _, f := range bv.Forms {
		fmt.Fprintf(w, "%s (%s): %s\n", f.Title, f.Ref, formStates[f.State])
		for _, line := range []string{f.LocalID, f.Problem, f.Unavailable} {
			if line != "" {
				fmt.Fprintln(w, "  "+line)
			}
		}
		if f.Questionnaire == nil {
			continue
		}
		for _, q := range f.Questionnaire.Questions {
			if !q.Answerable() {
				fmt.Fprintln(w, "  "+q.Text)
				continue
			}
			need := ""
			if q.Required {
				need = ", needed"
			}
			fmt.Fprintf(w, "  %s (%s%s): %s\n", q.LinkID, q.Type, need, q.Text)
			if len(q.Options) > 0 {
				var opts []string
				for _, o := range q.Options {
					opts = append(opts, o.Code+" = "+o.Display)
				}
				fmt.Fprintln(w, "      choose: "+strings.Join(opts, "; "))
			}
			for _, c := range q.When {
				fmt.Fprintf(w, "      asked when %s %s %s\n", c.Question, c.Operator, c.Answer)
			}
		}
		if f.Questionnaire.Skipped > 0 {
			fmt.Fprintf(w, "  (%d questions Carebook cannot ask; the practice asks them at the visit)\n", f.Questionnaire.Skipped)
		}
	}
}

// cmdAnswer sends the answers to an appointment's questions
// (app.AnswerQuestions): from a JSON object of linkId to answer
// (--answers FILE, "-" for stdin) and/or --answer linkId=value.
func cmdAnswer(ctx context.Context, args []string, e env) error {
	fs := newFlags("answer", e)
	pf := addProfileFlags(fs)
	appt := fs.String("appointment", "", "APPOINTMENT_ID (carebook-cli appointments lists them)")
	which := fs.String("questionnaire", "", "Questionnaire/ID when the appointment asks several")
	file := fs.String("answers", "", `a JSON file {"linkId": answer, ...} ("-" reads stdin)`)
	var each multiFlag
	fs.Var(&each, "answer", "one answer: LINK_ID=VALUE (repeatable; yes/no, a choice's code, YYYY-MM-DD, ...)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *appt == "" || (*file == "" && len(each) == 0) {
		return usagef("answer needs --appointment ID and --answers FILE or --answer LINK_ID=VALUE")
	}
	answers := map[string]string{}
	if *file != "" {
		var err error
		if answers, err = readAnswers(*file); err != nil {
			return err
		}
	}
	for _, kv := range each {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return usagef("--answer %q: write LINK_ID=VALUE", kv)
		}
		answers[strings.TrimSpace(k)] = v
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	sub, err := a.AnswerQuestions(ctx, p.ID, app.AnswerInput{
		Appointment: strings.TrimPrefix(*appt, "Appointment/"), Questionnaire: *which, Answers: answers,
	})
	return reportAction(e, sub, err)
}

// readAnswers reads a JSON object of answers; booleans and numbers are
// written as the app takes them.
func readAnswers(name string) (map[string]string, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usagef("answers: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, usagef("answers: not a JSON object of LINK_ID to answer: %v", err)
	}
	out := map[string]string{}
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = app.AnswerNo
			if x {
				out[k] = app.AnswerYes
			}
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case nil:
		default:
			return nil, usagef("answers: %q: give one answer as a string, true/false or a number", k)
		}
	}
	return out, nil
}
