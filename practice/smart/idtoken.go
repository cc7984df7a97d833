package smart

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// loadSigningKey loads the server's ES256 id_token key from auth_keys, or
// creates and stores one on first start.
func (s *Server) loadSigningKey(ctx context.Context) error {
	var der []byte
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id, pkcs8 FROM auth_keys ORDER BY created_at LIMIT 1`).Scan(&id, &der)
	if errors.Is(err, sql.ErrNoRows) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return fmt.Errorf("generate signing key: %w", err)
		}
		der, err = x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return fmt.Errorf("encode signing key: %w", err)
		}
		id = randomToken()[:16]
		if _, err := s.db.ExecContext(ctx, `INSERT INTO auth_keys (id, pkcs8, created_at) VALUES (?, ?, ?)`,
			id, der, s.now().UnixNano()); err != nil {
			return fmt.Errorf("store signing key: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("load signing key: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return fmt.Errorf("decode signing key: %w", err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return errors.New("decode signing key: not a P-256 key")
	}
	s.key, s.keyID = key, id
	return nil
}

// signIDToken returns an OpenID Connect id_token for the user, signed with
// ES256 (RFC 7518 §3.4: the signature is r||s, 32 bytes each).
func (s *Server) signIDToken(username, clientID, fhirUser string, now time.Time) (string, error) {
	header := map[string]string{"alg": "ES256", "typ": "JWT", "kid": s.keyID}
	claims := map[string]any{
		"iss":      strings.TrimSuffix(s.cfg.Issuer, "/"),
		"sub":      username,
		"aud":      clientID,
		"iat":      now.Unix(),
		"exp":      now.Add(s.cfg.AccessTokenTTL).Unix(),
		"fhirUser": s.absoluteFHIRUser(fhirUser),
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("encode id_token: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode id_token: %w", err)
	}
	signingInput := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha256.Sum256([]byte(signingInput))
	r, sig, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign id_token: %w", err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sig.FillBytes(raw[32:])
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(raw), nil
}

// absoluteFHIRUser turns "Patient/1" into "{FHIRBase}/Patient/1", the form
// SMART's fhirUser claim takes.
func (s *Server) absoluteFHIRUser(ref string) string {
	if strings.Contains(ref, "://") {
		return ref
	}
	return strings.TrimSuffix(s.cfg.FHIRBase, "/") + "/" + ref
}

// handleJWKS serves the public id_token key as a JWK Set (RFC 7517).
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	// Uncompressed point: 0x04 || X || Y, 32 bytes each on P-256.
	point, err := s.key.PublicKey.Bytes()
	if err != nil || len(point) != 65 {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	x, y := point[1:33], point[33:]
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": s.keyID,
		"x": base64.RawURLEncoding.EncodeToString(x),
		"y": base64.RawURLEncoding.EncodeToString(y),
	}}})
}
