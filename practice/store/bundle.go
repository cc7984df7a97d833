package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// MaxBundleBytes caps what LoadBundle reads.
const MaxBundleBytes = 256 << 20

// Bundle is a parsed FHIR Bundle of type transaction, batch or collection
// (or any other type, whose entries are stored as they are).
type Bundle struct {
	Type    string
	Entries []Entry
}

// Entry is one entry of a Bundle, ready to apply.
type Entry struct {
	Index   int    // position in the bundle, from 0
	FullURL string // entry.fullUrl
	// Method is the request method: POST, PUT, DELETE or GET. Entries of a
	// bundle that is neither a transaction nor a batch get PUT when their
	// resource has an id, else POST.
	Method string
	URL    string // request.url as sent
	// Type and ID are the target: from the URL for PUT, DELETE and GET, from
	// the resource for POST (ID is assigned by ResolveReferences).
	Type string
	ID   string
	// Query is the part of the URL after "?" (a search for GET).
	Query       url.Values
	IfNoneExist string // request.ifNoneExist
	IfMatch     string // request.ifMatch
	// Resource is the entry's resource (nil for DELETE and GET).
	Resource map[string]any
	// Existing is set for a conditional create that matched an existing
	// resource: nothing is written for it.
	Existing *Resource
}

// EntryError is an error about one bundle entry.
type EntryError struct {
	Index int
	Err   error
}

// Error says which entry failed and why.
func (e *EntryError) Error() string { return fmt.Sprintf("bundle entry %d: %v", e.Index, e.Err) }

// Unwrap returns the cause.
func (e *EntryError) Unwrap() error { return e.Err }

func entryErr(i int, format string, args ...any) error {
	return &EntryError{Index: i, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
}

// ParseBundle parses and checks a Bundle: each entry must have a known
// method and target, and a resource of the right type where one is needed.
func ParseBundle(body []byte) (Bundle, error) {
	var raw struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
			Request  *struct {
				Method      string `json:"method"`
				URL         string `json:"url"`
				IfNoneExist string `json:"ifNoneExist"`
				IfMatch     string `json:"ifMatch"`
			} `json:"request"`
		} `json:"entry"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return Bundle{}, fmt.Errorf("%w: bundle: malformed JSON: %v", ErrInvalid, jsonErrorText(err))
	}
	if raw.ResourceType != "Bundle" {
		return Bundle{}, fmt.Errorf("%w: resourceType must be Bundle", ErrInvalid)
	}
	if raw.Type == "" {
		return Bundle{}, fmt.Errorf("%w: Bundle.type missing", ErrInvalid)
	}
	b := Bundle{Type: raw.Type}
	exchange := raw.Type == "transaction" || raw.Type == "batch"
	fullURLs := map[string]bool{}
	for i, re := range raw.Entry {
		e := Entry{Index: i, FullURL: re.FullURL}
		if exchange && e.FullURL != "" {
			// References to a fullUrl must name one entry.
			if fullURLs[e.FullURL] {
				return Bundle{}, entryErr(i, "fullUrl is the same as an earlier entry's")
			}
			fullURLs[e.FullURL] = true
		}
		if len(re.Resource) > 0 && string(re.Resource) != "null" {
			m, err := DecodeResource(re.Resource, "")
			if err != nil {
				return Bundle{}, &EntryError{Index: i, Err: err}
			}
			e.Resource = m
		}
		if exchange {
			if re.Request == nil {
				return Bundle{}, entryErr(i, "request missing in a %s", raw.Type)
			}
			e.Method = strings.ToUpper(re.Request.Method)
			e.URL = re.Request.URL
			e.IfNoneExist = re.Request.IfNoneExist
			e.IfMatch = re.Request.IfMatch
		} else {
			if e.Resource == nil {
				return Bundle{}, entryErr(i, "resource missing")
			}
			rt := e.Resource["resourceType"].(string)
			e.Method, e.URL = "POST", rt
			if id, ok := e.Resource["id"].(string); ok {
				e.Method, e.URL = "PUT", rt+"/"+id
			}
		}
		if err := e.parseTarget(); err != nil {
			return Bundle{}, err
		}
		b.Entries = append(b.Entries, e)
	}
	return b, nil
}

// parseTarget fills Type, ID and Query from Method and URL and checks the
// resource matches.
func (e *Entry) parseTarget() error {
	path, rawQuery, _ := strings.Cut(strings.TrimPrefix(e.URL, "/"), "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return entryErr(e.Index, "request.url has a malformed query")
	}
	e.Query = q
	parts := strings.Split(path, "/")
	e.Type = parts[0]
	if !IsResourceType(e.Type) {
		return entryErr(e.Index, "request.url names no known resource type")
	}
	switch e.Method {
	case "POST":
		if len(parts) != 1 || rawQuery != "" {
			return entryErr(e.Index, "POST request.url must be a resource type")
		}
	case "PUT", "DELETE":
		if len(parts) != 2 || !ValidID(parts[1]) {
			return entryErr(e.Index, "%s request.url must be Type/id", e.Method)
		}
		e.ID = parts[1]
	case "GET":
		if len(parts) == 2 && ValidID(parts[1]) {
			e.ID = parts[1]
		} else if len(parts) != 1 {
			return entryErr(e.Index, "GET request.url must be Type/id or Type?query")
		}
	default:
		return entryErr(e.Index, "unsupported request.method %q", truncate(e.Method))
	}
	needsResource := e.Method == "POST" || e.Method == "PUT"
	switch {
	case needsResource && e.Resource == nil:
		return entryErr(e.Index, "%s needs a resource", e.Method)
	case needsResource && e.Resource["resourceType"] != e.Type:
		return entryErr(e.Index, "resourceType does not match request.url")
	case e.Method == "PUT" && e.Resource["id"] != nil && e.Resource["id"] != e.ID:
		return entryErr(e.Index, "resource id does not match request.url")
	}
	return nil
}

// ResolveConditional looks up the conditional create of each POST entry
// with IfNoneExist: one match sets Existing, several is an error wrapping
// ErrPreconditionFailed. patient limits the search to a compartment ("" =
// none).
func (t *Tx) ResolveConditional(ctx context.Context, entries []Entry, patient string) error {
	for i := range entries {
		e := &entries[i]
		if e.Method != "POST" || e.IfNoneExist == "" {
			continue
		}
		r, err := t.FindOne(ctx, e.Type, e.IfNoneExist, patient)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return &EntryError{Index: e.Index, Err: err}
		default:
			e.Existing = &r
		}
	}
	return nil
}

// ErrPreconditionFailed: a conditional request matched more than one resource.
var ErrPreconditionFailed = errors.New("store: conditional request matched several resources")

// FindOne runs the search query (URL query form, "identifier=sys|v") over
// typ and returns the single match: ErrNotFound for none,
// ErrPreconditionFailed for several.
func (t *Tx) FindOne(ctx context.Context, typ, query string, patient string) (Resource, error) {
	// Accept "identifier=x", "?identifier=x" and "Type?identifier=x".
	if i := strings.IndexByte(query, '?'); i >= 0 {
		query = query[i+1:]
	}
	v, err := url.ParseQuery(query)
	if err != nil {
		return Resource{}, fmt.Errorf("%w: malformed conditional query", ErrInvalid)
	}
	q, _, err := ParseQuery(typ, v, false)
	if err != nil {
		return Resource{}, err
	}
	if len(q.Params) == 0 {
		return Resource{}, fmt.Errorf("%w: conditional query has no search parameter", ErrInvalid)
	}
	q.Patient, q.Count, q.Offset, q.Sort, q.Include, q.CountOnly, q.NoTotal = patient, 2, 0, nil, nil, false, false
	rs, _, err := t.Search(ctx, typ, q)
	if err != nil {
		return Resource{}, err
	}
	switch len(rs) {
	case 0:
		return Resource{}, fmt.Errorf("conditional %s: %w", typ, ErrNotFound)
	case 1:
		return rs[0], nil
	}
	return Resource{}, fmt.Errorf("conditional %s: %w", typ, ErrPreconditionFailed)
}

// ResolveReferences gives every POST entry its id (the existing resource's
// for a matched conditional create, else a new one) and rewrites the
// references between entries: a reference to an entry's fullUrl
// ("urn:uuid:...", or an absolute URL) becomes "Type/id".
func ResolveReferences(entries []Entry) {
	local := map[string]string{}
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Method == "POST" && e.Existing != nil:
			e.ID = e.Existing.ID
		case e.Method == "POST":
			e.ID = NewID()
		}
		if e.FullURL != "" && e.ID != "" && (e.Method == "POST" || e.Method == "PUT") {
			local[e.FullURL] = e.Type + "/" + e.ID
		}
	}
	if len(local) == 0 {
		return
	}
	for i := range entries {
		if entries[i].Resource != nil {
			rewriteRefs(entries[i].Resource, local)
		}
	}
}

func rewriteRefs(v any, local map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["reference"].(string); ok {
			if to, ok := local[r]; ok {
				x["reference"] = to
			}
		}
		for _, child := range x {
			rewriteRefs(child, local)
		}
	case []any:
		for _, child := range x {
			rewriteRefs(child, local)
		}
	}
}

// Apply writes one resolved entry (POST, PUT or DELETE; GET is ignored) and
// returns what was written. For a matched conditional create it writes
// nothing and returns the existing resource. A DELETE of a resource that
// never existed is not an error (FHIR delete is idempotent).
func (t *Tx) Apply(ctx context.Context, e Entry) (Resource, error) {
	switch e.Method {
	case "POST":
		if e.Existing != nil {
			return *e.Existing, nil
		}
		return t.writeMap(ctx, e.Type, e.ID, e.Resource, "")
	case "PUT":
		return t.writeMap(ctx, e.Type, e.ID, e.Resource, strings.TrimSuffix(strings.TrimPrefix(e.IfMatch, `W/"`), `"`))
	case "DELETE":
		err := t.Delete(ctx, e.Type, e.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Resource{}, err
		}
		return Resource{Type: e.Type, ID: e.ID, Deleted: true}, nil
	}
	return Resource{}, nil
}

// writeMap stores a decoded resource as the next version of typ/id (ifMatch
// checked when not empty).
func (t *Tx) writeMap(ctx context.Context, typ, id string, m map[string]any, ifMatch string) (Resource, error) {
	c, found, err := t.current(ctx, typ, id)
	if err != nil {
		return Resource{}, err
	}
	if ifMatch != "" && (!found || ifMatch != fmt.Sprint(c.version)) {
		return Resource{}, fmt.Errorf("update %s: %w", typ, ErrVersionConflict)
	}
	return t.writeVersion(ctx, typ, id, m, c.version)
}

// LoadBundle loads a Bundle read from r into the store: a transaction all at
// once (all or nothing), a batch entry by entry (stopping at the first error),
// any other type (collection, searchset) by storing each resource, under its
// id when it has one. References to other entries by fullUrl (urn:uuid:...)
// are resolved; ids given by PUT entries are kept; POST entries get new ids.
// It returns the number of resources written, by type.
func (s *Store) LoadBundle(ctx context.Context, r io.Reader) (map[string]int, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	if len(body) > MaxBundleBytes {
		return nil, fmt.Errorf("load bundle: %w: larger than %d bytes", ErrInvalid, MaxBundleBytes)
	}
	b, err := ParseBundle(body)
	if err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	counts := map[string]int{}
	apply := func(tx *Tx, entries []Entry) error {
		if err := tx.ResolveConditional(ctx, entries, ""); err != nil {
			return err
		}
		ResolveReferences(entries)
		for _, e := range transactionOrder(entries) {
			if e.Method == "GET" || e.Existing != nil {
				continue
			}
			if _, err := tx.Apply(ctx, e); err != nil {
				return &EntryError{Index: e.Index, Err: err}
			}
			counts[e.Type]++
		}
		return nil
	}
	if b.Type == "batch" {
		// Entries of a batch may not depend on each other, but give them
		// their ids up front so references between them still resolve.
		ResolveReferences(b.Entries)
		for _, e := range b.Entries {
			err := s.InTx(ctx, func(tx *Tx) error {
				if e.Method == "GET" {
					return nil
				}
				if e.Method == "POST" && e.IfNoneExist != "" {
					_, err := tx.FindOne(ctx, e.Type, e.IfNoneExist, "")
					if err == nil {
						return nil // already there
					}
					if !errors.Is(err, ErrNotFound) {
						return &EntryError{Index: e.Index, Err: err}
					}
				}
				if _, err := tx.Apply(ctx, e); err != nil {
					return &EntryError{Index: e.Index, Err: err}
				}
				counts[e.Type]++
				return nil
			})
			if err != nil {
				return counts, fmt.Errorf("load bundle: %w", err)
			}
		}
		return counts, nil
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return apply(tx, b.Entries) }); err != nil {
		return nil, fmt.Errorf("load bundle: %w", err)
	}
	return counts, nil
}

// transactionOrder returns the entries in the order FHIR processes a
// transaction: DELETE, POST, PUT, then GET, keeping bundle order within each.
func transactionOrder(entries []Entry) []Entry {
	rank := map[string]int{"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}
	out := slices.Clone(entries)
	slices.SortStableFunc(out, func(a, b Entry) int { return rank[a.Method] - rank[b.Method] })
	return out
}

// TransactionOrder is transactionOrder for the FHIR API.
func TransactionOrder(entries []Entry) []Entry { return transactionOrder(entries) }
