package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
)

// ErrNoDocument: the document or attachment is not in the cache, or its
// content is neither inline nor reachable.
var ErrNoDocument = errors.New("app: document not available")

// documentServeTime is how long a document stays reachable for the viewer
// to fetch it once.
const documentServeTime = 2 * time.Minute

// OpenDocument shows attachment number attachment of a cached document in
// the system viewer (the browser's PDF viewer). ref names the document:
// "DocumentReference/{id}" (its content), "DiagnosticReport/{id}" (its
// presentedForm, e.g. a lab report as PDF) or "Communication/{id}" (a file
// sent with a message).
//
// The content is never written to a file: it is served once, from memory,
// on a random 127.0.0.1 port under a random path, and the browser is
// pointed there. The listener closes after one request or two minutes.
func (a *App) OpenDocument(ctx context.Context, profileID, ref string, attachment int) error {
	if a.cfg.OpenBrowser == nil {
		return errors.New("open document: no way to open a viewer")
	}
	att, err := a.attachment(ctx, profileID, ref, attachment)
	if err != nil {
		return err
	}
	u, err := serveOnce(att.Data, att.ContentType, att.Title)
	if err != nil {
		return fmt.Errorf("open document: %w", err)
	}
	if err := a.cfg.OpenBrowser(u); err != nil {
		return fmt.Errorf("open document: %w", err)
	}
	return nil
}

// attachment finds an attachment's content in the cache, fetching it from
// the practice when the document only links to it.
func (a *App) attachment(ctx context.Context, profileID, ref string, n int) (record.Attachment, error) {
	typ, id, _ := strings.Cut(ref, "/")
	if typ != "DocumentReference" && typ != "DiagnosticReport" && typ != "Communication" || id == "" {
		return record.Attachment{}, fmt.Errorf("open document: %w: %q is not a document", ErrNoDocument, ref)
	}
	r, err := a.store.Get(ctx, profileID, typ, id)
	if err != nil {
		return record.Attachment{}, fmt.Errorf("open document: %w: %w", ErrNoDocument, err)
	}
	var atts []record.Attachment
	switch typ {
	case "DocumentReference":
		atts = record.DecodeDocumentReference(record.Resource(r)).Attachments
	case "DiagnosticReport":
		atts = record.DecodeDiagnosticReport(record.Resource(r)).PresentedForm
	case "Communication":
		atts = record.DecodeCommunication(record.Resource(r)).Attachments
	}
	if n < 0 || n >= len(atts) {
		return record.Attachment{}, fmt.Errorf("open document: %w: no attachment %d", ErrNoDocument, n)
	}
	att := atts[n]
	if len(att.Data) > 0 || att.URL == "" {
		if len(att.Data) == 0 {
			return att, fmt.Errorf("open document: %w: empty attachment", ErrNoDocument)
		}
		return att, nil
	}
	// Linked content (often Binary/{id}) lives on the practice's server,
	// reached with the profile's own authorization.
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return att, fmt.Errorf("open document: %w", err)
	}
	api, err := a.client(p.ID, p.PracticeURL, p.Settings[settingAuth] != "none")
	if err != nil {
		return att, fmt.Errorf("open document: %w", err)
	}
	path := att.URL
	if base := strings.TrimRight(p.PracticeURL, "/") + "/"; strings.HasPrefix(path, base) {
		path = strings.TrimPrefix(path, base)
	} else if strings.Contains(path, "://") {
		return att, fmt.Errorf("open document: %w: content is on another server", ErrNoDocument)
	}
	resp, err := api.Get(ctx, path, nil)
	if err != nil {
		return att, fmt.Errorf("open document: fetch content: %w", err)
	}
	att.Data = resp.Body
	return att, nil
}

// documentHeaders go with every document the browser gets from serveOnce.
// An HTML attachment comes from the practice's (or anyone's) system, so
// the browser shows it as an inert page: the CSP sandbox gives it an
// opaque origin with no scripts, forms, pop-ups or top navigation, no
// resource leaves the page (default-src 'none'; inline styles and data:
// images only), no form can post anywhere (form-action 'none'), no <base>
// can redirect its links, and nosniff stops the browser from guessing a
// type more dangerous than the one declared.
var documentHeaders = map[string]string{
	"Content-Security-Policy": strings.Join([]string{"sandbox", "default-src 'none'", "style-src 'unsafe-inline'", "img-src data:",
		"form-action 'none'", "base-uri 'none'", "frame-ancestors 'none'"}, "; "),
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"Cache-Control":          "no-store",
}

// serveOnce serves data once on 127.0.0.1 and returns its URL.
func serveOnce(data []byte, contentType, title string) (string, error) {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	path := "/" + hex.EncodeToString(secret)
	if title != "" {
		path += "/" + url.PathEscape(title)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	if contentType == "" {
		contentType = http.DetectContentType(data)
	}
	var once sync.Once
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		served := false
		once.Do(func() {
			served = true
			for k, v := range documentHeaders {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", contentType)
			w.Write(data)
		})
		if !served {
			http.Error(w, i18n.L("This document was already opened. Open it again from Carebook."), http.StatusGone)
			return
		}
		// Shutdown, not Close: the reply must finish before the port closes.
		go srv.Shutdown(context.Background())
	})
	go srv.Serve(ln)
	time.AfterFunc(documentServeTime, func() { srv.Close() })
	return "http://" + ln.Addr().String() + path, nil
}
