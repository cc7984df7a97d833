package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/outbox"
)

// The states of a visit's questions, from the outbox item of the answers
// and the practice's copy.
const (
	FormNotAnswered = "not-answered"
	// FormWaiting: answered on this device, not accepted by the practice
	// yet (offline, or earlier items wait).
	FormWaiting = "waiting"
	// FormSent: the practice has the answers (it accepted them, or its
	// copy came with a sync, also when answered on another device).
	FormSent = "sent"
	// FormFailed: the practice refused the answers (Problem says why).
	FormFailed = "failed"
)

// BeforeVisit is what the practice asks of the patient before one
// appointment: what to bring and the questions to answer.
type BeforeVisit struct {
	AppointmentID string
	// ToBring is the practice's instructions (Appointment.patientInstruction).
	ToBring string
	Forms   []VisitForm
}

// Pending counts the forms still to answer (or answered and refused).
func (b BeforeVisit) Pending() int {
	n := 0
	for _, f := range b.Forms {
		if f.State == FormNotAnswered || f.State == FormFailed {
			n++
		}
	}
	return n
}

// VisitForm is one questionnaire an appointment asks for, with the state
// of the patient's answers.
type VisitForm struct {
	Ref   string // "Questionnaire/id"
	Title string
	// Questionnaire is nil when it is neither cached nor could be read
	// from the practice now; Unavailable says why.
	Questionnaire *Questionnaire
	Unavailable   string
	State         string // one of the Form* constants
	// AnsweredAt is when the answers were written; LocalID names the
	// outbox item while not accepted; Problem is the practice's words
	// when it refused them, ProblemSeq that item.
	AnsweredAt time.Time
	LocalID    string
	Problem    string
	ProblemSeq int64
}

// BeforeVisit returns what the practice asks before appointment id: the
// "to bring" list and its questionnaires with the state of the answers.
// It reads the cache; a questionnaire not cached yet is read from the
// practice (and cached) when it can be reached, else shown as unavailable.
func (a *App) BeforeVisit(ctx context.Context, profileID, appointmentID string) (BeforeVisit, error) {
	ap, err := a.Appointment(ctx, profileID, appointmentID)
	if errors.Is(err, storage.ErrNotFound) {
		return BeforeVisit{}, invalid(i18n.L("no appointment {{.ID}}", map[string]any{"ID": strconv.Quote(appointmentID)}))
	}
	if err != nil {
		return BeforeVisit{}, fmt.Errorf("before the visit: %w", err)
	}
	out := BeforeVisit{AppointmentID: ap.ID, ToBring: ap.Instruction}
	if ap.ID == "" {
		return out, nil // not at the practice yet: it asks nothing so far
	}
	answers, err := a.visitAnswers(ctx, profileID, "Appointment/"+ap.ID)
	if err != nil {
		return BeforeVisit{}, err
	}
	for _, ref := range ap.Questionnaires {
		f := VisitForm{Ref: ref.Reference, Title: firstOf(ref.Display, i18n.L("Questions before your visit")), State: FormNotAnswered}
		q, err := a.questionnaire(ctx, profileID, ref.Reference)
		switch {
		case err == nil:
			f.Questionnaire, f.Title = &q, q.Title
		case errors.Is(err, ErrOffline), errors.Is(err, ErrNeedsSignIn), fhirapi.IsTransient(err):
			f.Unavailable = i18n.L("The questions show once Carebook can reach the practice.")
		default:
			f.Unavailable = i18n.L("Carebook could not read these questions. The practice will ask them at the visit.")
		}
		f.stateFrom(answers)
		out.Forms = append(out.Forms, f)
	}
	return out, nil
}

// answerRecord is one set of answers for an appointment: an outbox item
// or the practice's copy.
type answerRecord struct {
	questionnaire string // the canonical it answers
	state         string
	at            time.Time
	localID       string
	problem       string
	seq           int64
}

// stateFrom sets the form's state from the answers given for its
// appointment: the practice's copy wins, then answers waiting, then a
// refusal.
func (f *VisitForm) stateFrom(answers []answerRecord) {
	rank := map[string]int{FormNotAnswered: 0, FormFailed: 1, FormWaiting: 2, FormSent: 3}
	for _, r := range answers {
		if !f.names(r.questionnaire) || rank[r.state] <= rank[f.State] {
			continue
		}
		f.State, f.AnsweredAt, f.LocalID = r.state, r.at, r.localID
		f.Problem, f.ProblemSeq = "", 0
		if r.state == FormFailed {
			f.Problem, f.ProblemSeq = r.problem, r.seq
		}
		if r.state == FormSent {
			f.LocalID = ""
		}
	}
}

// names reports whether canonical (what answers name) is this form's
// questionnaire.
func (f VisitForm) names(canonical string) bool {
	if f.Questionnaire != nil {
		return f.Questionnaire.answeredBy(canonical)
	}
	q := Questionnaire{Ref: f.Ref}
	return q.answeredBy(canonical)
}

// visitAnswers lists the answers given for appointment ("Appointment/id").
func (a *App) visitAnswers(ctx context.Context, profileID, appointment string) ([]answerRecord, error) {
	entries, err := a.Outbox(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	all, err := a.answersByAppointment(ctx, profileID, entries)
	if err != nil {
		return nil, err
	}
	return all[appointment], nil
}

// answersByAppointment lists the answers given, by the appointment they
// are for ("Appointment/id"): the outbox's items and the cached
// QuestionnaireResponses, an item the practice accepted counted once
// (matched by its client identifier).
func (a *App) answersByAppointment(ctx context.Context, profileID string, entries []OutboxEntry) (map[string][]answerRecord, error) {
	out := map[string][]answerRecord{}
	var idents []string // client identifiers of outbox items
	for _, e := range entries {
		if e.Kind != outbox.KindQuestionnaireResponse || e.Op != "create" {
			continue
		}
		var w wResponse
		if json.Unmarshal(e.Resource, &w) != nil || w.appointment() == "" {
			continue
		}
		idents = append(idents, e.Identifier)
		r := answerRecord{questionnaire: w.Questionnaire, at: e.CreatedAt, localID: e.LocalID, seq: e.Seq}
		switch e.State {
		case storage.OutboxSent:
			r.state = FormSent
		case storage.OutboxFailed, storage.OutboxConflict:
			r.state, r.problem = FormFailed, e.LastError
		default:
			r.state = FormWaiting
		}
		out[w.appointment()] = append(out[w.appointment()], r)
	}
	err := a.store.Each(ctx, profileID, "QuestionnaireResponse", func(res storage.Resource) error {
		var w wResponse
		if json.Unmarshal(res.JSON, &w) != nil || w.appointment() == "" {
			return nil
		}
		for _, ident := range idents {
			if outbox.CarriesIdentifier(res.JSON, "QuestionnaireResponse", ident) {
				return nil // counted from its outbox item
			}
		}
		if w.Status != "completed" && w.Status != "amended" {
			return nil
		}
		at, _ := time.Parse(time.RFC3339, w.Authored)
		out[w.appointment()] = append(out[w.appointment()], answerRecord{questionnaire: w.Questionnaire, state: FormSent, at: at})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	return out, nil
}

// countQuestionsToAnswer sets QuestionsToAnswer of the appointments that
// ask questions, from the cache and the outbox only (it works offline).
func (a *App) countQuestionsToAnswer(ctx context.Context, profileID string, aps []Appointment, entries []OutboxEntry) error {
	var answers map[string][]answerRecord
	for i, ap := range aps {
		if ap.ID == "" || len(ap.Questionnaires) == 0 {
			continue
		}
		if answers == nil {
			var err error
			if answers, err = a.answersByAppointment(ctx, profileID, entries); err != nil {
				return err
			}
		}
		for _, ref := range ap.Questionnaires {
			f := VisitForm{Ref: ref.Reference, State: FormNotAnswered}
			if r, err := a.store.Get(ctx, profileID, "Questionnaire", ref.Reference[strings.LastIndex(ref.Reference, "/")+1:]); err == nil {
				if q, err := decodeQuestionnaire(r.JSON); err == nil {
					f.Questionnaire = &q
				}
			}
			f.stateFrom(answers["Appointment/"+ap.ID])
			if f.State == FormNotAnswered || f.State == FormFailed {
				aps[i].QuestionsToAnswer++
			}
		}
	}
	return nil
}

// questionnaire returns the Questionnaire ref ("Questionnaire/id") from
// the cache, or reads it from the practice and caches it.
func (a *App) questionnaire(ctx context.Context, profileID, ref string) (Questionnaire, error) {
	id := ref[strings.LastIndex(ref, "/")+1:]
	if !fhirapi.ValidID(id) {
		return Questionnaire{}, fmt.Errorf("questionnaire %q: not a FHIR id", ref)
	}
	r, err := a.store.Get(ctx, profileID, "Questionnaire", id)
	if err == nil {
		return decodeQuestionnaire(r.JSON)
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return Questionnaire{}, fmt.Errorf("questionnaire: %w", err)
	}
	api, err := a.liveAPI(ctx, profileID)
	if err != nil {
		return Questionnaire{}, err
	}
	resp, err := api.Get(ctx, "Questionnaire/"+url.PathEscape(id), nil)
	if err != nil {
		return Questionnaire{}, a.liveError(ctx, profileID, "questionnaire", err)
	}
	q, err := decodeQuestionnaire(resp.Body)
	if err != nil {
		return Questionnaire{}, err
	}
	res := storage.Resource{Type: "Questionnaire", ID: id, JSON: resp.Body}
	if h, err := fhirapi.ParseHeader(resp.Body); err == nil {
		res.LastUpdated, _ = time.Parse(time.RFC3339Nano, h.Meta.LastUpdated)
	}
	if err := a.store.Put(ctx, profileID, res); err != nil {
		return Questionnaire{}, fmt.Errorf("questionnaire: %w", err)
	}
	return q, nil
}

// scopeAllowsCreate reports whether a granted SMART scope string lets the
// app create resources of typ for the patient (v2 "c" or v1 "write"). An
// unknown scope ("": an open server, or not recorded) allows it: the
// practice decides.
func scopeAllowsCreate(scope, typ string) bool {
	if strings.TrimSpace(scope) == "" {
		return true
	}
	for _, f := range strings.Fields(scope) {
		ctxType, perm, ok := strings.Cut(f, ".")
		if !ok || (ctxType != "patient/"+typ && ctxType != "patient/*") {
			continue
		}
		if perm == "write" || perm == "*" || (strings.Contains(perm, "c") && strings.Trim(perm, "cruds") == "") {
			return true
		}
	}
	return false
}

// AnswerInput is the patient's answers to one questionnaire of an
// appointment.
type AnswerInput struct {
	// Appointment is the practice's id of the appointment.
	Appointment string
	// Questionnaire is "Questionnaire/id"; "" when the appointment asks
	// exactly one.
	Questionnaire string
	// Answers by linkId, written as Question.Normalize takes them ("yes",
	// an option's code or text, 2024-03-15, ...).
	Answers map[string]string
	// DraftKey, when set, names the form draft of the answers
	// (QuestionsDraftKey) AnswerQuestions removes once they are stored to
	// be sent.
	DraftKey string
}

// AnswerQuestions sends the answers to the questions an appointment asks:
// checked against the Questionnaire (required questions, types, choices),
// a QuestionnaireResponse goes through the outbox with a client
// identifier, so the practice gets it exactly once. The outcome is the
// action core's: nil (accepted: Submitted.Ref is the practice's copy),
// ErrQueued, ErrNeedsSignIn, a RefusedError, or ErrInvalidInput with
// nothing stored (also when the questions were answered already). Once
// stored, the form draft in.DraftKey is removed.
func (a *App) AnswerQuestions(ctx context.Context, profileID string, in AnswerInput) (Submitted, error) {
	bv, err := a.BeforeVisit(ctx, profileID, strings.TrimSpace(in.Appointment))
	if err != nil {
		return Submitted{}, fmt.Errorf("answer: %w", err)
	}
	if bv.AppointmentID == "" {
		return Submitted{}, invalid(i18n.L("the practice has not accepted this booking yet; its questions come after"))
	}
	var form *VisitForm
	for i, f := range bv.Forms {
		if in.Questionnaire == "" || f.Ref == in.Questionnaire || strings.HasSuffix(f.Ref, "/"+in.Questionnaire) {
			if form != nil {
				return Submitted{}, invalid(i18n.L("this appointment asks several sets of questions: say which"))
			}
			form = &bv.Forms[i]
		}
	}
	switch {
	case form == nil && len(bv.Forms) == 0:
		return Submitted{}, invalid(i18n.L("the practice asks no questions before this appointment"))
	case form == nil:
		return Submitted{}, invalid(i18n.L("this appointment does not ask the questions {{.Questions}}", map[string]any{"Questions": strconv.Quote(in.Questionnaire)}))
	case form.Questionnaire == nil:
		if errors.Is(ctx.Err(), context.Canceled) {
			return Submitted{}, ctx.Err()
		}
		return Submitted{}, fmt.Errorf("answer: %w: %s", ErrOffline, form.Unavailable)
	case form.State == FormSent:
		return Submitted{}, invalid(i18n.L("these questions were answered already: the practice has the answers"))
	case form.State == FormWaiting:
		return Submitted{}, invalid(i18n.L("these questions were answered already: the answers wait to be sent ({{.ID}})", map[string]any{"ID": form.LocalID}))
	}
	q := *form.Questionnaire
	if probs := q.Problems(in.Answers); len(probs) > 0 {
		for _, qu := range q.Questions {
			if p, ok := probs[qu.LinkID]; ok {
				return Submitted{}, invalid(qu.Text + ": " + strings.TrimSuffix(p, "."))
			}
		}
	}
	known := map[string]bool{}
	normalized := map[string]string{}
	for _, qu := range q.Questions {
		known[qu.LinkID] = true
		v := strings.TrimSpace(in.Answers[qu.LinkID])
		if v == "" || !qu.Answerable() || !q.Asks(qu, in.Answers) {
			continue
		}
		if normalized[qu.LinkID], err = qu.Normalize(v); err != nil {
			return Submitted{}, invalid(qu.Text + ": " + err.Error())
		}
	}
	for link := range in.Answers {
		if !known[link] {
			return Submitted{}, invalid(i18n.L("these questions have no question {{.Question}}", map[string]any{"Question": strconv.Quote(link)}))
		}
	}
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("answer: %w", err)
	}
	if !scopeAllowsCreate(p.Settings[settingScope], "QuestionnaireResponse") {
		// Signed in before Carebook asked for this permission: the
		// practice would refuse the answers.
		return Submitted{}, invalid(i18n.L("your sign-in with the practice does not let Carebook send answers yet: sign in to the practice again, then answer"))
	}
	body, err := buildResponse(responseSpec{
		Questionnaire: q, Answers: normalized,
		Patient: "Patient/" + p.PatientID, Author: requesterRef(p.Settings, p.PatientID),
		Appointment: "Appointment/" + bv.AppointmentID, Authored: a.cfg.Now(),
	})
	if err != nil {
		return Submitted{}, err
	}
	return a.submitCreateThen(ctx, profileID, outbox.KindQuestionnaireResponse, body, a.discardFormDraftOnceStored(profileID, in.DraftKey))
}
