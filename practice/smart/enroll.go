package smart

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/access"
)

// Activation codes: 12 characters from an alphabet without look-alikes
// (60 bits), shown as three groups of four.
const (
	codeAlphabet        = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	codeLength          = 12
	maxActivationErrors = 5
)

// CreateActivationCode returns a new single-use activation code for the
// patient's own account, valid for 30 days. The practice hands it over at
// the office; the patient enters it with their date of birth at /auth/enroll.
func (s *Server) CreateActivationCode(ctx context.Context, patientID string) (string, error) {
	if _, err := s.patients.Patient(ctx, patientID); err != nil {
		return "", fmt.Errorf("smart: create activation code: %w", err)
	}
	buf := make([]byte, codeLength)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("smart: create activation code: %w", err)
	}
	var b strings.Builder
	for i, v := range buf {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(codeAlphabet[int(v)%len(codeAlphabet)]) // 256 is a multiple of 32: no bias
	}
	code := b.String()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO auth_activation_codes (code_hash, patient_id, expires_at) VALUES (?, ?, ?)`,
		hashToken(normalizeCode(code)), patientID, s.now().Add(activationCodeTTL).UnixNano()); err != nil {
		return "", fmt.Errorf("smart: create activation code: %w", err)
	}
	return code, nil
}

// normalizeCode uppercases a typed code and drops spaces and dashes.
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

// enrollSession returns the browser's session, starting one when the user
// arrived directly (not from an app's sign-in).
func (s *Server) enrollSession(w http.ResponseWriter, r *http.Request) *session {
	sess, err := s.loadSession(r)
	if errors.Is(err, errNoSession) {
		if r.Method == http.MethodPost {
			s.errorPage(w, http.StatusForbidden, "This form has expired. Please go back, reload the page and try again.")
			return nil
		}
		sess, err = s.newSession(r.Context(), w)
	}
	if err != nil {
		s.internalError(w, err)
		return nil
	}
	if r.Method == http.MethodPost && !checkCSRF(r, sess) {
		s.errorPage(w, http.StatusForbidden, "This form has expired. Please go back, reload the page and try again.")
		return nil
	}
	return sess
}

func (s *Server) handleEnrollPage(w http.ResponseWriter, r *http.Request) {
	sess := s.enrollSession(w, r)
	if sess == nil {
		return
	}
	s.render(w, http.StatusOK, "enroll", pageData{Title: "Activate your account", CSRF: sess.CSRF})
}

// errActivation is the one answer to a wrong, used or expired code or a
// birth date that does not match.
var errActivation = errors.New("smart: activation code or birth date not valid")

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	sess := s.enrollSession(w, r)
	if sess == nil {
		return
	}
	codeHash := hashToken(normalizeCode(r.PostFormValue("activation_code")))
	err := s.checkActivation(r.Context(), codeHash, r.PostFormValue("birth_date"))
	if errors.Is(err, errActivation) {
		s.render(w, http.StatusBadRequest, "enroll", pageData{
			Title: "Activate your account", CSRF: sess.CSRF,
			Error: "The activation code or the date of birth is not right, or the code has expired. Please check them, or ask the practice for a new code.",
		})
		return
	}
	if err != nil {
		s.internalError(w, err)
		return
	}
	sess.EnrollCodeHash = codeHash
	if err := s.saveSession(r.Context(), sess); err != nil {
		s.internalError(w, err)
		return
	}
	http.Redirect(w, r, "/auth/enroll/account", http.StatusSeeOther)
}

// checkActivation checks a code (by hash) and the birth date typed with it.
// Wrong birth dates count against the code, which dies after
// maxActivationErrors of them.
func (s *Server) checkActivation(ctx context.Context, codeHash, birthDate string) error {
	patientID, err := s.liveActivation(ctx, codeHash)
	if err != nil {
		return err
	}
	info, err := s.patients.Patient(ctx, patientID)
	if errors.Is(err, access.ErrUnknownPatient) {
		return errActivation
	}
	if err != nil {
		return fmt.Errorf("look up patient: %w", err)
	}
	typed, perr := time.Parse(time.DateOnly, strings.TrimSpace(birthDate))
	if perr == nil && !info.BirthDate.IsZero() && typed.Format(time.DateOnly) == info.BirthDate.Format(time.DateOnly) {
		return nil
	}
	_, err = s.db.ExecContext(ctx, `UPDATE auth_activation_codes SET failed_attempts = failed_attempts + 1,
		expires_at = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE expires_at END WHERE code_hash = ?`,
		maxActivationErrors, s.now().UnixNano(), codeHash)
	if err != nil {
		return fmt.Errorf("count activation attempt: %w", err)
	}
	return errActivation
}

// liveActivation returns the patient of an unused, unexpired code.
func (s *Server) liveActivation(ctx context.Context, codeHash string) (string, error) {
	var patientID string
	var expires int64
	var used sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT patient_id, expires_at, used_at FROM auth_activation_codes WHERE code_hash = ?`,
		codeHash).Scan(&patientID, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errActivation
	}
	if err != nil {
		return "", fmt.Errorf("look up activation code: %w", err)
	}
	if used.Valid || s.now().UnixNano() >= expires {
		return "", errActivation
	}
	return patientID, nil
}

func (s *Server) handleAccountPage(w http.ResponseWriter, r *http.Request) {
	sess := s.enrollSession(w, r)
	if sess == nil {
		return
	}
	if sess.EnrollCodeHash == "" {
		http.Redirect(w, r, "/auth/enroll", http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "account", pageData{Title: "Create your sign-in", CSRF: sess.CSRF})
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	sess := s.enrollSession(w, r)
	if sess == nil {
		return
	}
	if sess.EnrollCodeHash == "" {
		http.Redirect(w, r, "/auth/enroll", http.StatusSeeOther)
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	retry := func(msg string) {
		s.render(w, http.StatusBadRequest, "account", pageData{Title: "Create your sign-in", CSRF: sess.CSRF, Username: username, Error: msg})
	}
	switch {
	case validUsername(username) != nil:
		retry("The username must have 3 to 64 characters: letters, digits or . _ - @")
		return
	case len(password) < minPasswordLen:
		retry(fmt.Sprintf("The password must have at least %d characters.", minPasswordLen))
		return
	case password != r.PostFormValue("password_confirm"):
		retry("The two passwords are not the same.")
		return
	case r.PostFormValue("accept_terms") != "yes":
		retry("Please read and accept the terms of use to continue.")
		return
	}
	err := s.activate(r.Context(), sess.EnrollCodeHash, username, s.hashPassword(password))
	switch {
	case errors.Is(err, ErrUserExists):
		retry("This username is taken. Please choose another one.")
		return
	case errors.Is(err, errActivation):
		sess.EnrollCodeHash = ""
		if err := s.saveSession(r.Context(), sess); err != nil {
			s.internalError(w, err)
			return
		}
		s.render(w, http.StatusBadRequest, "enroll", pageData{Title: "Activate your account", CSRF: sess.CSRF,
			Error: "This activation code was already used or has expired. Please ask the practice for a new code."})
		return
	case err != nil:
		s.internalError(w, err)
		return
	}
	sess.EnrollCodeHash = ""
	sess.Username = username
	sess.PatientID = ""
	if err := s.rotateSession(r.Context(), w, sess); err != nil {
		s.internalError(w, err)
		return
	}
	if sess.Request != nil {
		s.continueAfterSignIn(w, r, sess)
		return
	}
	s.render(w, http.StatusOK, "message", pageData{Title: "Your account is ready",
		Message: "You can now sign in from your app with your new username and password."})
}

// activate uses the code once and creates the patient's own account, in
// one transaction.
func (s *Server) activate(ctx context.Context, codeHash, username, passwordHash string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixNano()
	res, err := tx.ExecContext(ctx, `UPDATE auth_activation_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`,
		now, codeHash, now)
	if err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errActivation
	}
	var patientID string
	if err := tx.QueryRowContext(ctx, `SELECT patient_id FROM auth_activation_codes WHERE code_hash = ?`, codeHash).Scan(&patientID); err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	if err := s.insertUser(ctx, tx, username, passwordHash, "Patient/"+patientID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_access (username, patient_id, relation) VALUES (?, ?, ?)`,
		username, patientID, string(RelationSelf)); err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	return nil
}
