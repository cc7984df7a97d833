package smart

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/carebook/carebook/practice/access"
)

// Lockout after repeated wrong passwords.
const (
	maxFailedLogins = 5
	lockoutDuration = 5 * time.Minute
	minPasswordLen  = 10
)

// Argon2id production parameters (RFC 9106's second recommendation, with
// fewer lanes to spare a small server's cores).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
)

// errBadCredentials is the only answer a failed sign-in gets, whatever the
// reason (unknown user, wrong password, locked account).
var errBadCredentials = errors.New("smart: wrong username or password")

// hashPassword returns an encoded Argon2id hash
// ("$argon2id$v=19$m=..,t=..,p=..$salt$hash") of password.
func (s *Server) hashPassword(password string) string {
	mem, t, p := uint32(argonMemory), uint32(argonTime), uint8(argonThreads)
	if s.cfg.PasswordCost > 0 {
		mem, t, p = uint32(s.cfg.PasswordCost), 1, 1
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(fmt.Sprintf("smart: crypto/rand failed: %v", err))
	}
	key := argon2.IDKey([]byte(password), salt, t, mem, p, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, mem, t, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// checkPassword reports whether password matches the encoded hash, in
// constant time with respect to the key.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || t == 0 || p == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CreateUser creates a portal account. fhirUser is the person the account
// acts as, "Patient/123" or "RelatedPerson/9". It returns ErrUserExists when
// the username is taken.
func (s *Server) CreateUser(ctx context.Context, username, password, fhirUser string) error {
	if err := validUsername(username); err != nil {
		return fmt.Errorf("smart: create user: %w", err)
	}
	if len(password) < minPasswordLen {
		return fmt.Errorf("smart: create user: password shorter than %d characters", minPasswordLen)
	}
	if !validFHIRUser(fhirUser) {
		return fmt.Errorf("smart: create user: fhirUser must be a Patient, RelatedPerson or Practitioner reference")
	}
	return s.insertUser(ctx, s.db, username, s.hashPassword(password), fhirUser)
}

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertUser adds a user with an already hashed password.
func (s *Server) insertUser(ctx context.Context, db execer, username, passwordHash, fhirUser string) error {
	var exists int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users WHERE username = ?`, username).Scan(&exists)
	if err != nil {
		return fmt.Errorf("smart: create user: %w", err)
	}
	if exists > 0 {
		return ErrUserExists
	}
	_, err = db.ExecContext(ctx, `INSERT INTO auth_users (username, password_hash, fhir_user, created_at) VALUES (?, ?, ?, ?)`,
		username, passwordHash, fhirUser, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("smart: create user: %w", err)
	}
	return nil
}

// validUsername accepts 3 to 64 characters of letters, digits and ". _ - @".
func validUsername(u string) error {
	if len(u) < 3 || len(u) > 64 {
		return errors.New("username must have 3 to 64 characters")
	}
	for _, r := range u {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)
		if !ok {
			return errors.New("username may only use letters, digits and . _ - @")
		}
	}
	return nil
}

// AddAccess lets username act for patientID with the given relation
// (replacing an earlier relation to that patient).
func (s *Server) AddAccess(ctx context.Context, username, patientID string, rel Relation) error {
	return s.AddAccessAs(ctx, username, patientID, rel, "")
}

// AddAccessAs is AddAccess with the fhirUser the user acts as in that chart
// when it differs from the account's (a parent is a different
// RelatedPerson in each child's chart). "" means the account's fhirUser.
func (s *Server) AddAccessAs(ctx context.Context, username, patientID string, rel Relation, fhirUser string) error {
	switch rel {
	case RelationSelf, RelationParent, RelationCaregiver:
	default:
		return fmt.Errorf("smart: add access: %w", ErrInvalidRelation)
	}
	if fhirUser != "" && !validFHIRUser(fhirUser) {
		return fmt.Errorf("smart: add access: fhirUser must be a Patient, RelatedPerson or Practitioner reference")
	}
	if err := s.userExists(ctx, username); err != nil {
		return fmt.Errorf("smart: add access: %w", err)
	}
	if _, err := s.patients.Patient(ctx, patientID); err != nil {
		return fmt.Errorf("smart: add access: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_access (username, patient_id, relation, fhir_user) VALUES (?, ?, ?, ?)
		ON CONFLICT (username, patient_id) DO UPDATE SET relation = excluded.relation, fhir_user = excluded.fhir_user`,
		username, patientID, string(rel), fhirUser)
	if err != nil {
		return fmt.Errorf("smart: add access: %w", err)
	}
	return nil
}

// validFHIRUser accepts "Patient/x", "RelatedPerson/x" and "Practitioner/x".
func validFHIRUser(ref string) bool {
	typ, id, ok := strings.Cut(ref, "/")
	return ok && id != "" && !strings.Contains(id, "/") && (typ == "Patient" || typ == "RelatedPerson" || typ == "Practitioner")
}

// RevokeAccess ends username's access to patientID: every token issued for
// it stops working at once, and the next refresh is refused.
func (s *Server) RevokeAccess(ctx context.Context, username, patientID string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("smart: revoke access: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_access WHERE username = ? AND patient_id = ?`, username, patientID); err != nil {
		return fmt.Errorf("smart: revoke access: %w", err)
	}
	now := s.now().UnixNano()
	if _, err := tx.ExecContext(ctx, `UPDATE auth_families SET revoked_at = ? WHERE username = ? AND patient_id = ? AND revoked_at IS NULL`,
		now, username, patientID); err != nil {
		return fmt.Errorf("smart: revoke access: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("smart: revoke access: %w", err)
	}
	return nil
}

func (s *Server) userExists(ctx context.Context, username string) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users WHERE username = ?`, username).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrUnknownUser
	}
	return nil
}

// authenticate checks a username and password, counting failures and
// locking the account for lockoutDuration after maxFailedLogins in a row.
// Every failure returns errBadCredentials; other errors are internal.
func (s *Server) authenticate(ctx context.Context, username, password string) error {
	var hash string
	var failed int
	var lockedUntil int64
	err := s.db.QueryRowContext(ctx, `SELECT password_hash, failed_logins, locked_until FROM auth_users WHERE username = ?`,
		username).Scan(&hash, &failed, &lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same work as a real check so timing does not tell
		// whether the username exists.
		checkPassword(s.dummyHash(), password)
		return errBadCredentials
	}
	if err != nil {
		return fmt.Errorf("look up user: %w", err)
	}
	now := s.now()
	if now.UnixNano() < lockedUntil {
		checkPassword(hash, password)
		return errBadCredentials
	}
	if !checkPassword(hash, password) {
		failed++
		var until int64
		if failed >= maxFailedLogins {
			until, failed = now.Add(lockoutDuration).UnixNano(), 0
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE auth_users SET failed_logins = ?, locked_until = ? WHERE username = ?`,
			failed, until, username); err != nil {
			return fmt.Errorf("record failed sign-in: %w", err)
		}
		return errBadCredentials
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE auth_users SET failed_logins = 0, locked_until = 0 WHERE username = ?`, username); err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	return nil
}

// dummyHash is a hash of a random password at the server's cost, used to
// spend equal time on unknown usernames.
func (s *Server) dummyHash() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dummy == "" {
		s.dummy = s.hashPassword(randomToken())
	}
	return s.dummy
}

// fhirUser returns whom username acts as in patientID's chart: the
// access row's fhirUser when set, else the account's.
func (s *Server) fhirUser(ctx context.Context, username, patientID string) (string, error) {
	var ref string
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(NULLIF(a.fhir_user, ''), u.fhir_user)
		FROM auth_users u LEFT JOIN auth_access a ON a.username = u.username AND a.patient_id = ?
		WHERE u.username = ?`, patientID, username).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrUnknownUser
	}
	if err != nil {
		return "", fmt.Errorf("look up user: %w", err)
	}
	return ref, nil
}

// chart is one patient a user may act for today, as listed by the picker.
type chart struct {
	Patient  access.PatientInfo
	Relation Relation
	Level    accessLevel
}

// charts lists the patients username may act for now, applying the family
// rules: a chart the rules close (an adult child) is not listed.
func (s *Server) charts(ctx context.Context, username string) ([]chart, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT patient_id, relation FROM auth_access WHERE username = ?
		ORDER BY CASE relation WHEN 'self' THEN 0 ELSE 1 END, patient_id`, username)
	if err != nil {
		return nil, fmt.Errorf("list access: %w", err)
	}
	type row struct {
		id  string
		rel Relation
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.rel); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list access: %w", err)
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list access: %w", err)
	}
	now := s.now()
	var out []chart
	for _, r := range list {
		info, err := s.patients.Patient(ctx, r.id)
		if errors.Is(err, access.ErrUnknownPatient) {
			continue // the chart is gone from the practice
		}
		if err != nil {
			return nil, fmt.Errorf("look up patient: %w", err)
		}
		lvl := familyRule(r.rel, info.BirthDate, now)
		if lvl.allowed && r.rel != RelationSelf {
			if lvl.allowed, err = s.proxyInForce(ctx, username, r.id); err != nil {
				return nil, err
			}
		}
		if lvl.allowed {
			out = append(out, chart{Patient: info, Relation: r.rel, Level: lvl})
		}
	}
	return out, nil
}

// accessNow returns what username may do in patientID's chart right now;
// allowed is false when the access row is gone or the family rules close it.
func (s *Server) accessNow(ctx context.Context, username, patientID string) (accessLevel, error) {
	var rel Relation
	err := s.db.QueryRowContext(ctx, `SELECT relation FROM auth_access WHERE username = ? AND patient_id = ?`,
		username, patientID).Scan(&rel)
	if errors.Is(err, sql.ErrNoRows) {
		return accessLevel{}, nil
	}
	if err != nil {
		return accessLevel{}, fmt.Errorf("look up access: %w", err)
	}
	info, err := s.patients.Patient(ctx, patientID)
	if errors.Is(err, access.ErrUnknownPatient) {
		return accessLevel{}, nil
	}
	if err != nil {
		return accessLevel{}, fmt.Errorf("look up patient: %w", err)
	}
	lvl := familyRule(rel, info.BirthDate, s.now())
	if lvl.allowed && rel != RelationSelf {
		ok, err := s.proxyInForce(ctx, username, patientID)
		if err != nil {
			return accessLevel{}, err
		}
		if !ok {
			return accessLevel{}, nil
		}
	}
	return lvl, nil
}

// proxyInForce reports whether the RelatedPerson username acts as in
// patientID's chart is still active: the patient may end a caregiver's
// access by making it inactive. Directories that cannot tell, and users
// acting as someone else than a RelatedPerson, count as in force.
func (s *Server) proxyInForce(ctx context.Context, username, patientID string) (bool, error) {
	dir, ok := s.patients.(access.ProxyDirectory)
	if !ok {
		return true, nil
	}
	ref, err := s.fhirUser(ctx, username, patientID)
	if err != nil {
		return false, err
	}
	typ, id, _ := strings.Cut(ref, "/")
	if typ != "RelatedPerson" {
		return true, nil
	}
	active, err := dir.ProxyActive(ctx, id)
	if err != nil {
		return false, fmt.Errorf("look up proxy: %w", err)
	}
	return active, nil
}
