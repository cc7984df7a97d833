package fhirtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Features says what the server offers (and advertises).
type Features struct {
	Everything        bool
	SystemHistory     bool
	ConditionalCreate bool
	// IgnoreIdentifierSearch makes searches ignore the identifier
	// parameter (answering with every resource of the type), as a server
	// that does not support it may.
	IgnoreIdentifierSearch bool
	// MaxCount caps the page size whatever _count asks for (0: no cap), as
	// a server whose largest page is smaller than the client asks for.
	MaxCount int
}

// Server is the fake FHIR server. Create it with New.
type Server struct {
	*httptest.Server
	// Requests counts HTTP requests.
	Requests atomic.Int64

	mu       sync.Mutex
	features Features
	res      map[string]map[string]*version // type -> id -> current
	sorted   []*version                     // current versions by type, id; nil when stale
	log      []*version                     // every version, in order
	clock    time.Time
	ahead    time.Duration // how far the server's clock runs ahead of the real one
	nextID   int
	// DropAfterCommit, when it returns true for a request, makes the
	// server commit a write and then drop the connection without reply.
	dropAfterCommit func(r *http.Request) bool
	// failBefore, when it returns a status for a request, answers it with
	// that status before doing anything.
	failBefore func(r *http.Request) int
}

type version struct {
	typ, id     string
	vid         int
	lastUpdated time.Time
	deleted     bool
	json        []byte
	patients    []string // ids of the Patients the JSON refers to
}

var patientRef = regexp.MustCompile(`"Patient/([^"/]+)"`)

// New starts a server with the given features. It is closed by t's
// cleanup when the caller registers Close.
func New(f Features) *Server {
	s := &Server{features: f, res: map[string]map[string]*version{}, clock: time.Now().UTC().Add(-time.Hour)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Base returns the FHIR base URL.
func (s *Server) Base() string { return s.URL + "/fhir" }

// SetFeatures changes what the server offers.
func (s *Server) SetFeatures(f Features) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.features = f
}

// DropAfterCommit installs (or, with nil, removes) the lost-reply fault.
func (s *Server) DropAfterCommit(fn func(r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfterCommit = fn
}

// FailBefore installs (or removes) a fault answering some requests with a
// status before they are processed.
func (s *Server) FailBefore(fn func(r *http.Request) int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failBefore = fn
}

// Advance moves the server's clock d ahead, as if d had passed: records
// written from now on, and the server times of replies, are that much
// later.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ahead += d
}

// tick returns the next server time (strictly increasing).
func (s *Server) tick() time.Time {
	now := time.Now().UTC().Add(s.ahead)
	if !now.After(s.clock) {
		now = s.clock.Add(time.Microsecond)
	}
	s.clock = now
	return now
}

// Put stores a resource (JSON with resourceType and id) as a new version.
func (s *Server) Put(raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var h struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if err := json.Unmarshal([]byte(raw), &h); err != nil || h.ResourceType == "" {
		panic("fhirtest.Put: resource needs resourceType: " + raw)
	}
	if h.ID == "" {
		s.nextID++
		h.ID = fmt.Sprintf("gen-%d", s.nextID)
	}
	s.write(h.ResourceType, h.ID, []byte(raw), false)
}

// PutRaw stores bytes as they are under typ/id, for malformed resources.
func (s *Server) PutRaw(typ, id string, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.write(typ, id, nil, false)
	v.json = raw
	for _, m := range patientRef.FindAllSubmatch(raw, -1) {
		v.patients = append(v.patients, string(m[1]))
	}
}

// Delete deletes typ/id (a version marked deleted).
func (s *Server) Delete(typ, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.write(typ, id, nil, true)
}

// Count returns how many current resources of typ exist.
func (s *Server) Count(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.res[typ] {
		if !v.deleted {
			n++
		}
	}
	return n
}

// Resources returns the current resources of typ, by id.
func (s *Server) Resources(typ string) map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for id, v := range s.res[typ] {
		if !v.deleted {
			out[id] = v.json
		}
	}
	return out
}

// write must run with mu held. It sets id and meta in the JSON.
func (s *Server) write(typ, id string, raw []byte, deleted bool) *version {
	if s.res[typ] == nil {
		s.res[typ] = map[string]*version{}
	}
	vid := 1
	if cur := s.res[typ][id]; cur != nil {
		vid = cur.vid + 1
	}
	v := &version{typ: typ, id: id, vid: vid, lastUpdated: s.tick(), deleted: deleted}
	if !deleted && raw != nil {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err == nil {
			m["id"] = id
			m["meta"] = map[string]any{"versionId": strconv.Itoa(vid), "lastUpdated": v.lastUpdated.Format(time.RFC3339Nano)}
			raw, _ = json.Marshal(m)
		}
		v.json = raw
		for _, m := range patientRef.FindAllSubmatch(raw, -1) {
			v.patients = append(v.patients, string(m[1]))
		}
	}
	s.res[typ][id] = v
	s.sorted = nil
	s.log = append(s.log, v)
	return v
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	s.mu.Lock()
	fail := s.failBefore
	s.mu.Unlock()
	if fail != nil {
		if status := fail(r); status != 0 {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]}`)
			return
		}
	}
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/fhir"), "/")
	parts := strings.Split(path, "/")
	w.Header().Set("Content-Type", "application/fhir+json")
	switch {
	case r.Method == "GET" && path == "metadata":
		s.metadata(w)
	case r.Method == "GET" && path == "_history":
		s.history(w, r)
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "Patient" && parts[2] == "$everything":
		s.everything(w, r, parts[1])
	case r.Method == "GET" && len(parts) == 1:
		s.search(w, r, parts[0])
	case r.Method == "GET" && len(parts) == 2:
		s.read(w, parts[0], parts[1])
	case r.Method == "POST" && len(parts) == 1:
		s.create(w, r, parts[0])
	case r.Method == "PUT" && len(parts) == 2:
		s.update(w, r, parts[0], parts[1])
	default:
		outcome(w, http.StatusNotFound, "not-supported")
	}
}

func outcome(w http.ResponseWriter, status int, code string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":%q}]}`, code)
}

func (s *Server) metadata(w http.ResponseWriter) {
	s.mu.Lock()
	f := s.features
	s.mu.Unlock()
	types := []string{"Patient", "Observation", "Condition", "Communication", "Appointment", "Task", "Practitioner", "Organization", "Encounter",
		"Questionnaire", "QuestionnaireResponse"}
	var rs []map[string]any
	for _, t := range types {
		r := map[string]any{"type": t, "interaction": []map[string]string{{"code": "read"}, {"code": "search-type"}, {"code": "create"}, {"code": "update"}},
			"searchParam":       []map[string]string{{"name": "patient"}, {"name": "_id"}, {"name": "_lastUpdated"}, {"name": "identifier"}},
			"conditionalCreate": f.ConditionalCreate}
		if t == "Patient" && f.Everything {
			r["operation"] = []map[string]string{{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}}
		}
		rs = append(rs, r)
	}
	rest := map[string]any{"mode": "server", "resource": rs}
	if f.SystemHistory {
		rest["interaction"] = []map[string]string{{"code": "history-system"}}
	}
	json.NewEncoder(w).Encode(map[string]any{"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "rest": []any{rest}})
}

func (s *Server) read(w http.ResponseWriter, typ, id string) {
	s.mu.Lock()
	v := s.res[typ][id]
	s.mu.Unlock()
	switch {
	case v == nil:
		outcome(w, http.StatusNotFound, "not-found")
	case v.deleted:
		outcome(w, http.StatusGone, "deleted")
	default:
		w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, v.vid))
		w.Write(v.json)
	}
}

// inCompartment is a crude patient compartment: the Patient itself, or any
// resource whose JSON refers to it.
func inCompartment(v *version, patient string) bool {
	if v.typ == "Patient" {
		return v.id == patient
	}
	return slices.Contains(v.patients, patient)
}

// current returns the current versions sorted by type and id; mu held.
func (s *Server) current() []*version {
	if s.sorted == nil {
		for _, byID := range s.res {
			for _, v := range byID {
				s.sorted = append(s.sorted, v)
			}
		}
		sort.Slice(s.sorted, func(i, j int) bool {
			if s.sorted[i].typ != s.sorted[j].typ {
				return s.sorted[i].typ < s.sorted[j].typ
			}
			return s.sorted[i].id < s.sorted[j].id
		})
	}
	return s.sorted
}

func parseGT(q url.Values, name string) (time.Time, bool) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, true
	}
	v = strings.TrimPrefix(v, "gt")
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, typ string) {
	q := r.URL.Query()
	since, ok := parseGT(q, "_lastUpdated")
	if !ok {
		outcome(w, http.StatusBadRequest, "invalid")
		return
	}
	ids := q.Get("_id")
	ident := q.Get("identifier")
	patient := q.Get("patient")
	s.mu.Lock()
	if s.features.IgnoreIdentifierSearch {
		ident = ""
	}
	var match []*version
	for _, v := range s.res[typ] {
		if v.deleted || v.json == nil {
			continue
		}
		if ids != "" && !slices.Contains(strings.Split(ids, ","), v.id) {
			continue
		}
		if patient != "" && !inCompartment(v, patient) {
			continue
		}
		if !since.IsZero() && !v.lastUpdated.After(since) {
			continue
		}
		if ident != "" && !hasIdentifier(v.json, ident) {
			continue
		}
		match = append(match, v)
	}
	s.mu.Unlock()
	s.page(w, r, match)
}

func hasIdentifier(raw []byte, ident string) bool {
	system, value, _ := strings.Cut(ident, "|")
	type identifier struct{ System, Value string }
	var res struct {
		Identifier json.RawMessage `json:"identifier"`
	}
	json.Unmarshal(raw, &res)
	var list []identifier
	if json.Unmarshal(res.Identifier, &list) != nil {
		// A type with one identifier (QuestionnaireResponse) has an object.
		var one identifier
		json.Unmarshal(res.Identifier, &one)
		list = []identifier{one}
	}
	for _, i := range list {
		if i.System == system && i.Value == value {
			return true
		}
	}
	return false
}

func (s *Server) everything(w http.ResponseWriter, r *http.Request, patient string) {
	s.mu.Lock()
	if !s.features.Everything {
		s.mu.Unlock()
		outcome(w, http.StatusNotFound, "not-supported")
		return
	}
	s.mu.Unlock()
	since, ok := parseGT(r.URL.Query(), "_since")
	if !ok {
		outcome(w, http.StatusBadRequest, "invalid")
		return
	}
	s.mu.Lock()
	var match []*version
	for _, v := range s.current() {
		if v.deleted || v.json == nil || !inCompartment(v, patient) {
			continue
		}
		if !since.IsZero() && v.lastUpdated.Before(since) {
			continue
		}
		match = append(match, v)
	}
	s.mu.Unlock()
	s.page(w, r, match)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	since, ok := parseGT(r.URL.Query(), "_since")
	if !ok {
		outcome(w, http.StatusBadRequest, "invalid")
		return
	}
	s.mu.Lock()
	var match []*version
	for _, v := range s.log {
		if since.IsZero() || !v.lastUpdated.Before(since) {
			match = append(match, v)
		}
	}
	s.mu.Unlock()
	s.page(w, r, match)
}

// page answers a searchset/history page with _count/_offset paging, in a
// stable order (type, id) for searches.
func (s *Server) page(w http.ResponseWriter, r *http.Request, match []*version) {
	less := func(i, j int) bool {
		if match[i].typ != match[j].typ {
			return match[i].typ < match[j].typ
		}
		if match[i].id != match[j].id {
			return match[i].id < match[j].id
		}
		return match[i].vid < match[j].vid
	}
	if !sort.SliceIsSorted(match, less) {
		sort.SliceStable(match, less)
	}
	q := r.URL.Query()
	count, _ := strconv.Atoi(q.Get("_count"))
	if count <= 0 {
		count = 50
	}
	offset, _ := strconv.Atoi(q.Get("_offset"))
	s.mu.Lock()
	now := s.tick()
	if s.features.MaxCount > 0 {
		count = min(count, s.features.MaxCount)
	}
	s.mu.Unlock()
	end := min(offset+count, len(match))
	if offset > len(match) {
		offset = end
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"resourceType":"Bundle","type":"searchset","total":%d,"meta":{"lastUpdated":%q}`, len(match), now.Format(time.RFC3339Nano))
	if end < len(match) {
		q.Set("_offset", strconv.Itoa(end))
		next := *r.URL
		next.RawQuery = q.Encode()
		fmt.Fprintf(&b, `,"link":[{"relation":"next","url":%q}]`, s.URL+next.RequestURI())
	}
	b.WriteString(`,"entry":[`)
	for i, v := range match[offset:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		if v.deleted {
			fmt.Fprintf(&b, `{"request":{"method":"DELETE","url":"%s/%s/_history/%d"}}`, v.typ, v.id, v.vid)
			continue
		}
		fmt.Fprintf(&b, `{"fullUrl":"%s/fhir/%s/%s","resource":`, s.URL, v.typ, v.id)
		b.Write(v.json)
		b.WriteString(`,"search":{"mode":"match"}}`)
	}
	b.WriteString("]}")
	w.Write(b.Bytes())
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, typ string) {
	body, _ := io.ReadAll(r.Body)
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m["resourceType"] != typ {
		outcome(w, http.StatusBadRequest, "invalid")
		return
	}
	s.mu.Lock()
	cond := s.features.ConditionalCreate
	if ine := r.Header.Get("If-None-Exist"); ine != "" && cond {
		vals, _ := url.ParseQuery(ine)
		for _, v := range s.res[typ] {
			if !v.deleted && hasIdentifier(v.json, vals.Get("identifier")) {
				s.mu.Unlock()
				w.Header().Set("Location", fmt.Sprintf("%s/fhir/%s/%s/_history/%d", s.URL, typ, v.id, v.vid))
				w.WriteHeader(http.StatusOK)
				w.Write(v.json)
				return
			}
		}
	}
	s.nextID++
	v := s.write(typ, fmt.Sprintf("c%d", s.nextID), body, false)
	drop := s.dropAfterCommit
	s.mu.Unlock()
	if drop != nil && drop(r) {
		dropConnection(w)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("%s/fhir/%s/%s/_history/%d", s.URL, typ, v.id, v.vid))
	w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, v.vid))
	w.WriteHeader(http.StatusCreated)
	w.Write(v.json)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, typ, id string) {
	body, _ := io.ReadAll(r.Body)
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m["resourceType"] != typ {
		outcome(w, http.StatusBadRequest, "invalid")
		return
	}
	s.mu.Lock()
	cur := s.res[typ][id]
	if im := r.Header.Get("If-Match"); im != "" && (cur == nil || im != fmt.Sprintf(`W/"%d"`, cur.vid)) {
		s.mu.Unlock()
		outcome(w, http.StatusPreconditionFailed, "conflict")
		return
	}
	v := s.write(typ, id, body, false)
	drop := s.dropAfterCommit
	s.mu.Unlock()
	if drop != nil && drop(r) {
		dropConnection(w)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, v.vid))
	w.Write(v.json)
}

func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fhirtest: cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}
