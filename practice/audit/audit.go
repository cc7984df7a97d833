package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/store"
)

// Subtypes (FHIR restful-interaction codes) and actions (AuditEvent.action).
const (
	Read       = "read"
	VRead      = "vread"
	SearchType = "search-type"
	Operation  = "operation"
	History    = "history"
	Create     = "create"
	Update     = "update"
	Delete     = "delete"
	Batch      = "batch"
)

// Event is one access to a patient's chart.
type Event struct {
	Time     time.Time
	Subtype  string // one of the constants above
	Outcome  int    // HTTP status of the reply (0 = success)
	Who      string // "Patient/1", "RelatedPerson/2", "Practitioner/dr-park"
	WhoName  string // display, "" when unknown
	ClientID string // the OAuth client, "" for the practice's own staff
	Patient  string // id of the Patient whose chart was reached
	What     string // "Type/id" of the resource read or written, "" for searches
}

// Action returns the AuditEvent.action code of a subtype: C, R, U, D or E.
func Action(subtype string) string {
	switch subtype {
	case Create:
		return "C"
	case Read, VRead, History:
		return "R"
	case Update:
		return "U"
	case Delete:
		return "D"
	}
	return "E"
}

// outcome maps an HTTP status to AuditEvent.outcome: 0 success, 4 minor
// failure (refused, not found), 8 serious failure (the server's error).
func outcome(status int) string {
	switch {
	case status == 0 || status < 400:
		return "0"
	case status < 500:
		return "4"
	}
	return "8"
}

// Log stores AuditEvents in a table of the practice's database.
type Log struct {
	db     *sql.DB
	source string
}

const schema = `
CREATE TABLE IF NOT EXISTS audit_event (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	patient  TEXT NOT NULL,
	recorded INTEGER NOT NULL, -- µs since the Unix epoch
	json     BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_event_patient ON audit_event (patient, seq);
`

// Open creates the table when needed. source is the practice's name, the
// AuditEvent.source of every event.
func Open(db *sql.DB, source string) (*Log, error) {
	if _, err := db.Exec(schema); err != nil {
		return nil, fmt.Errorf("audit: create table: %w", err)
	}
	return &Log{db: db, source: source}, nil
}

// Record stores e: one insert.
func (l *Log) Record(ctx context.Context, e Event) error {
	if e.Patient == "" || e.Who == "" {
		return errors.New("audit: an event needs a patient and who")
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	body, err := json.Marshal(l.resource(store.NewID(), e))
	if err != nil {
		return fmt.Errorf("audit: encode: %w", err)
	}
	if _, err := l.db.ExecContext(ctx, `INSERT INTO audit_event (patient, recorded, json) VALUES (?, ?, ?)`,
		e.Patient, e.Time.UnixMicro(), body); err != nil {
		return fmt.Errorf("audit: record: %w", err)
	}
	return nil
}

func coding(system, code, display string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return c
}

// resource builds the R4 AuditEvent of e.
func (l *Log) resource(id string, e Event) map[string]any {
	who := map[string]any{"reference": e.Who}
	if e.WhoName != "" {
		who["display"] = e.WhoName
	}
	agents := []any{map[string]any{
		"type":      map[string]any{"coding": []any{coding("http://terminology.hl7.org/CodeSystem/extra-security-role-type", "humanuser", "human user")}},
		"who":       who,
		"requestor": true,
	}}
	if e.ClientID != "" {
		agents = append(agents, map[string]any{
			"type": map[string]any{"coding": []any{coding("http://dicom.nema.org/resources/ontology/DCM", "110150", "Application")}},
			"who": map[string]any{"identifier": map[string]any{
				"system": "urn:ietf:params:oauth:client-id", "value": e.ClientID}},
			"requestor": false,
		})
	}
	entities := []any{map[string]any{
		"what": map[string]any{"reference": "Patient/" + e.Patient},
		"type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
		"role": coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
	}}
	if e.What != "" && e.What != "Patient/"+e.Patient {
		entities = append(entities, map[string]any{
			"what": map[string]any{"reference": e.What},
			"type": coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
			"role": coding("http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource"),
		})
	}
	return map[string]any{
		"resourceType": "AuditEvent",
		"id":           id,
		"meta":         map[string]any{"versionId": "1", "lastUpdated": store.FormatInstant(e.Time)},
		"type":         coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
		"subtype":      []any{coding("http://hl7.org/fhir/restful-interaction", e.Subtype, "")},
		"action":       Action(e.Subtype),
		"recorded":     store.FormatInstant(e.Time),
		"outcome":      outcome(e.Outcome),
		"agent":        agents,
		"source": map[string]any{
			"site":     l.source,
			"observer": map[string]any{"display": l.source},
			"type":     []any{coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")},
		},
		"entity": entities,
	}
}

// ForPatient returns the AuditEvents about patient's chart, newest first,
// at most count of them starting at offset, and how many there are.
func (l *Log) ForPatient(ctx context.Context, patient string, count, offset int) ([]json.RawMessage, int, error) {
	var total int
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_event WHERE patient = ?`, patient).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	rows, err := l.db.QueryContext(ctx, `SELECT json FROM audit_event WHERE patient = ? ORDER BY seq DESC LIMIT ? OFFSET ?`,
		patient, count, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: search: %w", err)
	}
	defer rows.Close()
	var out []json.RawMessage
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, 0, fmt.Errorf("audit: search: %w", err)
		}
		out = append(out, json.RawMessage(b))
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("audit: search: %w", err)
	}
	return out, total, nil
}

// PatientParam returns the patient id of a search value "Patient/X" or "X";
// ok is false for anything else.
func PatientParam(v string) (id string, ok bool) {
	v = strings.TrimPrefix(v, "Patient/")
	return v, store.ValidID(v)
}
