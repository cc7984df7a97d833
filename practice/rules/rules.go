package rules

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/carebook/carebook/practice/access"
)

// Request is one write a signed-in user asks the FHIR API to make.
type Request struct {
	// Method is "POST" (create), "PUT" (create or update) or "DELETE".
	Method string
	// Type and ID name the resource; ID is empty for a create by POST.
	Type, ID string
	// Old is the current version's JSON, nil when the resource does not
	// exist yet.
	Old []byte
	// New is the JSON to be written; nil for a DELETE.
	New []byte
	// Grant is what the caller's access token allows.
	Grant access.Grant
}

// Tx is the part of the store's write transaction the rules need: reading
// resources a write depends on and writing the changes it implies (a Slot
// becoming busy), so they commit or roll back with the write itself.
type Tx interface {
	// Read returns the current JSON of typ/id, or an error wrapping
	// ErrNotFound when it does not exist or was deleted.
	Read(ctx context.Context, typ, id string) ([]byte, error)
	// Put writes body as the new version of typ/id.
	Put(ctx context.Context, typ, id string, body []byte) error
}

// ErrNotFound is what a Tx returns (wrapped) for a missing resource.
var ErrNotFound = errors.New("rules: resource not found")

// Refusal is a write the practice refuses: the FHIR API answers it with
// Status and an OperationOutcome carrying Code (a FHIR issue-type code such
// as "business-rule") and Message, written for the patient to read. Messages
// never contain patient data.
type Refusal struct {
	Status  int
	Code    string
	Message string
}

// Error describes the refusal (the status, code and the patient-facing message).
func (r *Refusal) Error() string {
	return fmt.Sprintf("rules: refused (%d %s): %s", r.Status, r.Code, r.Message)
}

func refuse(status int, code, message string) *Refusal {
	return &Refusal{Status: status, Code: code, Message: message}
}

func invalid(message string) *Refusal {
	return refuse(http.StatusUnprocessableEntity, "invalid", message)
}

func businessRule(message string) *Refusal {
	return refuse(http.StatusUnprocessableEntity, "business-rule", message)
}

func forbidden(message string) *Refusal {
	return refuse(http.StatusForbidden, "forbidden", message)
}

// Policy is the practice's policy on writes made through the FHIR API.
type Policy struct {
	// Now is the practice's clock; nil means time.Now.
	Now func() time.Time
	// Messages returns the limits on patients' messages in force now; nil
	// means DefaultMessagePolicy.
	Messages func() MessagePolicy
	// VideoBase is where the practice's video visit rooms are
	// ("http://host/visit"); "" adds no join links.
	VideoBase string
}

func (p Policy) messages() MessagePolicy {
	if p.Messages != nil {
		return p.Messages()
	}
	return DefaultMessagePolicy()
}

func (p Policy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// CancelNotice is how long before its start an appointment can still be
// cancelled or moved online.
const CancelNotice = 24 * time.Hour

// Check applies the policy to one write inside the store's transaction tx.
// It returns nil when the write may go ahead (having made the changes it
// implies through tx, such as marking a Slot busy), a *Refusal when the
// practice refuses it, or another error when tx failed.
//
// Patients may book, move and cancel Appointments, send Communications,
// make and cancel requests (Task), answer questionnaires
// (QuestionnaireResponse), and update their contact details
// (Patient). Every other write, and every DELETE, is refused: clinical data
// is never edited by the patient.
func (p Policy) Check(ctx context.Context, tx Tx, r Request) error {
	if r.Method == http.MethodDelete {
		return forbidden("Records can't be deleted online. Please send a message to the office.")
	}
	var newRes, oldRes map[string]any
	var err error
	if newRes, err = decode(r.New); err != nil {
		return invalid("The request body is not a valid FHIR resource.")
	}
	if r.Old != nil {
		if oldRes, err = decode(r.Old); err != nil {
			return fmt.Errorf("rules: decode current %s: %w", r.Type, err)
		}
	}
	if r.Grant.PatientID == "" {
		return forbidden("This access token is not tied to a patient.")
	}
	w := write{Request: r, tx: tx, now: p.now(), newRes: newRes, oldRes: oldRes}
	if r.Type == "Communication" {
		w.messages = p.messages()
	}
	switch r.Type {
	case "Appointment":
		if oldRes == nil {
			return w.createAppointment(ctx)
		}
		return w.updateAppointment(ctx)
	case "Communication":
		if oldRes == nil {
			return w.createCommunication(ctx)
		}
		return businessRule("Messages can't be changed after they are sent.")
	case "Task":
		if oldRes == nil {
			return w.createTask(ctx)
		}
		return w.updateTask()
	case "Patient":
		if oldRes == nil {
			return forbidden("New patients are registered by the office.")
		}
		return w.updatePatient(ctx)
	case "QuestionnaireResponse":
		if oldRes == nil {
			return w.createQuestionnaireResponse(ctx)
		}
		return businessRule("Answers can't be changed after they are sent. Please send a message to the office.")
	case "RelatedPerson":
		if oldRes == nil {
			return forbidden("Family members and caregivers are added by the office.")
		}
		return w.updateRelatedPerson()
	}
	return forbidden(fmt.Sprintf("%s records can't be changed online. Please send a message to the office.", r.Type))
}

// write is one Check in progress.
type write struct {
	Request
	tx             Tx
	now            time.Time
	newRes, oldRes map[string]any
	messages       MessagePolicy // for Communication
}

func (w *write) patientRef() string { return "Patient/" + w.Grant.PatientID }

// userRef is the signed-in person: the token's fhirUser, or the patient.
func (w *write) userRef() string {
	if w.Grant.FHIRUser != "" {
		return w.Grant.FHIRUser
	}
	return w.patientRef()
}

// read fetches and decodes typ/id; found is false when it does not exist.
func (w *write) read(ctx context.Context, typ, id string) (m map[string]any, found bool, err error) {
	body, err := w.tx.Read(ctx, typ, id)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("rules: read %s: %w", typ, err)
	}
	m, err = decode(body)
	if err != nil {
		return nil, false, fmt.Errorf("rules: decode %s: %w", typ, err)
	}
	return m, true, nil
}

// put encodes m and writes it as typ/id.
func (w *write) put(ctx context.Context, typ, id string, m map[string]any) error {
	body, err := encode(m)
	if err != nil {
		return fmt.Errorf("rules: encode %s: %w", typ, err)
	}
	if err := w.tx.Put(ctx, typ, id, body); err != nil {
		return fmt.Errorf("rules: write %s: %w", typ, err)
	}
	return nil
}
