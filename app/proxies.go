package app

// Who else can see a patient's record, and ending their access: the
// practice's RelatedPerson records of the patient (a parent, a caregiver),
// and an update marking one inactive, sent through the outbox like every
// action. Any FHIR server that lets the patient update RelatedPerson with
// If-Match supports it; the practice decides what ending access means.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/smart"
)

// kindEndAccess is the outbox kind of ending someone's access.
const kindEndAccess = "access-end"

// scopeEndAccess is the SMART scope that lets the patient end a proxy's
// access, asked for where the practice lists it as supported.
const scopeEndAccess = "patient/RelatedPerson.u"

// Proxy is someone the practice lets see the patient's record.
type Proxy struct {
	ID           string // the RelatedPerson's id
	Name         string
	Relationship string // what they are to the patient: "daughter", "mother"
}

// Proxies lists who the practice records as having access to the record
// of a profile the patient holds themselves (from the cache, offline),
// and whether this practice lets the patient end that access online.
func (a *App) Proxies(ctx context.Context, profileID string) (list []Proxy, canEnd bool, err error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return nil, false, fmt.Errorf("proxies: %w", err)
	}
	if isProxy(p) {
		return nil, false, nil // not the patient: not theirs to manage
	}
	rs, err := a.store.List(ctx, profileID, "RelatedPerson")
	if err != nil {
		return nil, false, fmt.Errorf("proxies: %w", err)
	}
	for _, r := range rs {
		var rp struct {
			Active       *bool `json:"active"`
			Relationship []struct {
				Coding []struct {
					Display string `json:"display"`
				} `json:"coding"`
				Text string `json:"text"`
			} `json:"relationship"`
		}
		if json.Unmarshal(r.JSON, &rp) != nil || (rp.Active != nil && !*rp.Active) {
			continue
		}
		px := Proxy{ID: r.ID, Name: patientName(r.JSON)}
		for _, rel := range rp.Relationship {
			if rel.Text != "" {
				px.Relationship = rel.Text
			}
			for _, c := range rel.Coding {
				if px.Relationship == "" && c.Display != "" {
					px.Relationship = strings.ToLower(c.Display)
				}
			}
		}
		if px.Name == "" {
			px.Name = i18n.L("Someone the practice recorded")
		}
		list = append(list, px)
	}
	slices.SortFunc(list, func(x, y Proxy) int { return strings.Compare(x.Name, y.Name) })
	return list, scopeAllowsEndAccess(p.Settings[settingScope]), nil
}

// scopeAllowsEndAccess reports whether a granted scope lets the patient
// update RelatedPerson.
func scopeAllowsEndAccess(scope string) bool {
	for _, f := range strings.Fields(scope) {
		ctxType, perm, ok := strings.Cut(f, ".")
		if !ok {
			continue
		}
		if (ctxType == "patient/RelatedPerson" || ctxType == "patient/*") &&
			(strings.Contains(perm, "u") || perm == "write" || perm == "*") {
			return true
		}
	}
	return false
}

// EndProxyAccess ends a proxy's access to the patient's own record: the
// practice's RelatedPerson is updated to inactive (If-Match its version)
// through the outbox. Outcomes are those of every action; the practice
// may refuse with its words.
func (a *App) EndProxyAccess(ctx context.Context, profileID, relatedPersonID string) (Submitted, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("end access: %w", err)
	}
	if isProxy(p) {
		return Submitted{}, invalidf("%s", i18n.L("only the patient can end someone's access to their record"))
	}
	r, err := a.store.Get(ctx, profileID, "RelatedPerson", relatedPersonID)
	if errors.Is(err, storage.ErrNotFound) {
		return Submitted{}, invalidf("%s", i18n.L("no such person with access to this record"))
	}
	if err != nil {
		return Submitted{}, fmt.Errorf("end access: %w", err)
	}
	var res map[string]any
	if err := json.Unmarshal(r.JSON, &res); err != nil {
		return Submitted{}, invalidf("%s", i18n.L("the practice's record of this person cannot be read"))
	}
	if active, ok := res["active"].(bool); ok && !active {
		return Submitted{}, invalidf("%s", i18n.L("this person's access has ended already"))
	}
	res["active"] = false
	ifMatch := ""
	if meta, ok := res["meta"].(map[string]any); ok {
		if v, ok := meta["versionId"].(string); ok && v != "" {
			ifMatch = `W/"` + v + `"`
		}
	}
	body, err := json.Marshal(res)
	if err != nil {
		return Submitted{}, fmt.Errorf("end access: %w", err)
	}
	sub, err := a.submitUpdate(ctx, profileID, kindEndAccess, body, ifMatch)
	if err == nil || errors.Is(err, ErrQueued) || errors.Is(err, ErrNeedsSignIn) {
		a.audit(ctx, storage.AuditAccessEnded, profileID, auditYouEnded)
	}
	return sub, err
}

// signInScopes are the scopes to ask a practice for: the defaults, plus
// ending a proxy's access and reading who looked at the record where its
// SMART configuration lists those scopes (a server is not asked for what it does not offer).
func signInScopes(ctx context.Context, base string) []string {
	scopes := slices.Clone(smart.DefaultScopes)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/.well-known/smart-configuration", nil)
	if err != nil {
		return scopes
	}
	req.Header.Set("accept", "application/json") // canonicalized: Accept
	resp, err := httpClient.Do(req)
	if err != nil {
		return scopes
	}
	defer resp.Body.Close()
	var conf struct {
		ScopesSupported []string `json:"scopes_supported"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&conf) != nil {
		return scopes
	}
	for _, sc := range []string{scopeEndAccess, scopeAuditEvents} {
		if slices.Contains(conf.ScopesSupported, sc) {
			scopes = append(scopes, sc)
		}
	}
	return scopes
}
