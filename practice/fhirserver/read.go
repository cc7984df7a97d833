package fhirserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/store"
)

// setVersionHeaders sets ETag and Last-Modified for a resource version.
func setVersionHeaders(w http.ResponseWriter, r store.Resource) {
	w.Header().Set("ETag", `W/"`+r.VersionID+`"`)
	w.Header().Set("Last-Modified", r.LastUpdated.UTC().Format(http.TimeFormat))
}

// read serves read (vid == "") and vread.
func (s *Server) read(w http.ResponseWriter, r *http.Request, g access.Grant, typ, id, vid string) {
	if err := checkAllowed(g, typ, access.Read); err != nil {
		s.writeError(w, err)
		return
	}
	ok, err := s.visible(r.Context(), g, typ, id)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !ok {
		s.writeError(w, notFound())
		return
	}
	var res store.Resource
	if vid == "" {
		res, err = s.st.Read(r.Context(), typ, id)
	} else {
		res, err = s.st.VRead(r.Context(), typ, id, vid)
		if err == nil && !versionVisible(g, res) {
			err = notFound()
		}
		if err == nil && res.Deleted {
			err = fmt.Errorf("vread: %w", store.ErrGone)
		}
	}
	if err != nil {
		if errors.Is(err, store.ErrGone) {
			setVersionHeaders(w, res)
		}
		s.writeError(w, err)
		return
	}
	setVersionHeaders(w, res)
	writeBody(w, http.StatusOK, res.JSON)
}

// postSearch serves POST [type]/_search: parameters in the form body and
// the URL together.
func (s *Server) postSearch(w http.ResponseWriter, r *http.Request, g access.Grant, typ string) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.writeError(w, outcomeErr(http.StatusUnsupportedMediaType, "not-supported", "POST _search needs application/x-www-form-urlencoded"))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "Malformed form body"))
		return
	}
	s.search(w, r, g, typ, r.Form)
}

// search serves a type-level search.
func (s *Server) search(w http.ResponseWriter, r *http.Request, g access.Grant, typ string, params url.Values) {
	if err := checkAllowed(g, typ, access.Search); err != nil {
		s.writeError(w, err)
		return
	}
	patient, err := confinedTo(g)
	if err != nil {
		s.writeError(w, err)
		return
	}
	params = withoutKey(params, "_offset")
	offset, err := offsetParam(r.URL.Query().Get("_offset"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	lenient := strings.Contains(r.Header.Get("Prefer"), "handling=lenient")
	q, _, err := store.ParseQuery(typ, params, lenient)
	if err != nil {
		s.writeError(w, err)
		return
	}
	q.Offset = offset
	if !store.SharedType(typ) {
		q.Patient = patient
	}
	asOf := s.st.SafeTime()
	page, err := s.st.SearchPage(r.Context(), typ, q)
	if err != nil {
		s.writeError(w, err)
		return
	}
	rs, total := page.Resources, page.Total
	var included []store.Resource
	if len(q.Include) > 0 && len(rs) > 0 {
		inc, err := s.st.Included(r.Context(), rs, q.Include, patient)
		if err != nil {
			s.writeError(w, err)
			return
		}
		for _, res := range inc {
			if g.Allows(res.Type, access.Read) {
				included = append(included, res)
			}
		}
	}
	base := baseURL(r)
	selfQuery := q.Encode()
	if cur := params.Get("_cursor"); cur != "" {
		selfQuery.Set("_cursor", cur)
	}
	self := base + "/" + typ + encodeQuery(selfQuery, q.Offset)
	var next string
	count := q.Count
	if count <= 0 {
		count = store.DefaultCount
	}
	switch {
	case page.Cursor && page.Next != "":
		// Default order is write order: page with a cursor that carries
		// the first page's snapshot and total (see store.SearchPage), so a
		// record updated or deleted between two pages shifts nothing and
		// no page counts again.
		v := q.Encode()
		v.Set("_cursor", page.Next)
		next = base + "/" + typ + "?" + v.Encode()
	case !page.Cursor && !q.CountOnly && len(rs) == count && (total < 0 || q.Offset+len(rs) < total):
		next = base + "/" + typ + encodeQuery(q.Encode(), q.Offset+len(rs))
	}
	b := newBundle("searchset", asOf, total, self, next)
	for _, res := range rs {
		b.add(base, res, "match")
	}
	for _, res := range included {
		b.add(base, res, "include")
	}
	writeJSON(w, http.StatusOK, b.m)
}

func withoutKey(v url.Values, key string) url.Values {
	out := url.Values{}
	for k, vals := range v {
		if k != key {
			out[k] = vals
		}
	}
	return out
}

func offsetParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<30 {
		return 0, outcomeErr(http.StatusBadRequest, "invalid", "_offset must be a number >= 0")
	}
	return n, nil
}

// encodeQuery writes "?query&_offset=n" (no offset when 0).
func encodeQuery(v url.Values, offset int) string {
	if offset > 0 {
		v.Set("_offset", strconv.Itoa(offset))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// bundle builds a Bundle reply.
type bundle struct {
	m       map[string]any
	entries []any
}

func newBundle(typ string, asOf time.Time, total int, self, next string) *bundle {
	links := []any{map[string]any{"relation": "self", "url": self}}
	if next != "" {
		links = append(links, map[string]any{"relation": "next", "url": next})
	}
	m := map[string]any{
		"resourceType": "Bundle",
		"id":           store.NewID(),
		"meta":         map[string]any{"lastUpdated": store.FormatInstant(asOf)},
		"type":         typ,
		"link":         links,
	}
	if total >= 0 {
		m["total"] = total
	}
	return &bundle{m: m}
}

func (b *bundle) add(base string, r store.Resource, mode string) {
	e := map[string]any{
		"fullUrl":  base + "/" + r.Type + "/" + r.ID,
		"resource": json.RawMessage(r.JSON),
	}
	if mode != "" {
		e["search"] = map[string]any{"mode": mode}
	}
	b.addEntry(e)
}

func (b *bundle) addEntry(e map[string]any) {
	b.entries = append(b.entries, e)
	b.m["entry"] = b.entries
}

// history serves system (typ ""), type and instance (id != "") history.
func (s *Server) history(w http.ResponseWriter, r *http.Request, g access.Grant, typ, id string) {
	patient, err := confinedTo(g)
	if err != nil {
		s.writeError(w, err)
		return
	}
	h := store.HistoryQuery{Type: typ, ID: id}
	if typ != "" {
		if err := checkAllowed(g, typ, access.Read); err != nil {
			s.writeError(w, err)
			return
		}
		if !store.SharedType(typ) {
			h.Patient = patient
		}
	} else {
		h.Patient = patient
		h.Types = allowedTypes(g)
		if h.Types != nil && len(h.Types) == 0 {
			s.writeError(w, checkAllowed(g, "Patient", access.Read))
			return
		}
	}
	if id != "" {
		if ok, err := s.visible(r.Context(), g, typ, id); err != nil || !ok {
			if err == nil {
				err = notFound()
			}
			s.writeError(w, err)
			return
		}
		h.Patient = ""
	}
	params := r.URL.Query()
	for k := range params {
		switch k {
		case "_since", "_count", "_offset", "_format", "_pretty":
		default:
			s.writeError(w, outcomeErr(http.StatusBadRequest, "not-supported", "Unsupported history parameter %q", truncate(k)))
			return
		}
	}
	if v := params.Get("_since"); v != "" {
		lo, _, ok := store.ParseDateRange(v)
		if !ok || !strings.Contains(v, "T") {
			s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "_since must be a FHIR instant"))
			return
		}
		h.Since = time.UnixMicro(lo)
	}
	if h.Count, err = countParam(params.Get("_count")); err != nil {
		s.writeError(w, err)
		return
	}
	if h.Offset, err = offsetParam(params.Get("_offset")); err != nil {
		s.writeError(w, err)
		return
	}
	asOf := s.st.SafeTime()
	rs, total, err := s.st.History(r.Context(), h)
	if err != nil {
		s.writeError(w, err)
		return
	}
	base := baseURL(r)
	path := base
	if typ != "" {
		path += "/" + typ
	}
	if id != "" {
		path += "/" + id
	}
	path += "/_history"
	keep := url.Values{}
	for _, k := range []string{"_since", "_count"} {
		if v := params.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	self := path + encodeQuery(cloneValues(keep), h.Offset)
	next := ""
	if h.Offset+len(rs) < total && len(rs) > 0 {
		next = path + encodeQuery(cloneValues(keep), h.Offset+len(rs))
	}
	b := newBundle("history", asOf, total, self, next)
	for _, res := range rs {
		b.addEntry(historyEntry(base, res))
	}
	writeJSON(w, http.StatusOK, b.m)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}

// historyEntry is one version in a history Bundle: a deletion is an entry
// with request DELETE, response "410 Gone" and no resource.
func historyEntry(base string, r store.Resource) map[string]any {
	resp := map[string]any{
		"etag":         `W/"` + r.VersionID + `"`,
		"lastModified": store.FormatInstant(r.LastUpdated),
	}
	e := map[string]any{"fullUrl": base + "/" + r.Type + "/" + r.ID, "response": resp}
	switch {
	case r.Deleted:
		e["request"] = map[string]any{"method": "DELETE", "url": r.Type + "/" + r.ID}
		resp["status"] = "410 Gone"
	case r.VersionID == "1":
		e["request"] = map[string]any{"method": "POST", "url": r.Type}
		resp["status"] = "201 Created"
		e["resource"] = json.RawMessage(r.JSON)
	default:
		e["request"] = map[string]any{"method": "PUT", "url": r.Type + "/" + r.ID}
		resp["status"] = "200 OK"
		e["resource"] = json.RawMessage(r.JSON)
	}
	return e
}

func countParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, outcomeErr(http.StatusBadRequest, "invalid", "_count must be a number >= 1")
	}
	return min(n, store.MaxCount), nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// everything serves Patient/{id}/$everything with _since, _type, _count.
func (s *Server) everything(w http.ResponseWriter, r *http.Request, g access.Grant, id string) {
	if err := checkAllowed(g, "Patient", access.Read); err != nil {
		s.writeError(w, err)
		return
	}
	patient, err := confinedTo(g)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if patient != "" && patient != id {
		s.writeError(w, notFound())
		return
	}
	if _, err := s.st.Read(r.Context(), "Patient", id); err != nil {
		s.writeError(w, err)
		return
	}
	params := r.URL.Query()
	e := store.EverythingQuery{Patient: id}
	for k := range params {
		switch k {
		case "_since", "_type", "_count", "_page", "_format", "_pretty":
		default:
			s.writeError(w, outcomeErr(http.StatusBadRequest, "not-supported", "Unsupported $everything parameter %q", truncate(k)))
			return
		}
	}
	if v := params.Get("_since"); v != "" {
		lo, _, ok := store.ParseDateRange(v)
		if !ok || !strings.Contains(v, "T") {
			s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "_since must be a FHIR instant"))
			return
		}
		e.Since = time.UnixMicro(lo)
	}
	allowed := allowedTypes(g)
	if v := params.Get("_type"); v != "" {
		for _, t := range strings.Split(v, ",") {
			if !store.IsResourceType(t) {
				s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "_type names an unknown resource type"))
				return
			}
			if allowed == nil || contains(allowed, t) {
				e.Types = append(e.Types, t)
			}
		}
		if len(e.Types) == 0 {
			s.writeError(w, checkAllowed(g, strings.Split(v, ",")[0], access.Read))
			return
		}
	} else {
		e.Types = allowed
	}
	if e.Count, err = countParam(params.Get("_count")); err != nil {
		s.writeError(w, err)
		return
	}
	e.Page = params.Get("_page")
	asOf := s.st.SafeTime()
	rs, total, nextPage, err := s.st.Everything(r.Context(), e)
	if err != nil {
		s.writeError(w, err)
		return
	}
	base := baseURL(r)
	path := base + "/Patient/" + id + "/$everything"
	keep := url.Values{}
	for _, k := range []string{"_since", "_type", "_count"} {
		if v := params.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	selfQuery := cloneValues(keep)
	if e.Page != "" {
		selfQuery.Set("_page", e.Page)
	}
	self := path + encodeQuery(selfQuery, 0)
	next := ""
	if nextPage != "" {
		nextQuery := cloneValues(keep)
		nextQuery.Set("_page", nextPage)
		next = path + encodeQuery(nextQuery, 0)
	}
	b := newBundle("searchset", asOf, total, self, next)
	for _, res := range rs {
		b.add(base, res, "match")
	}
	writeJSON(w, http.StatusOK, b.m)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
