package store

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Paging limits.
const (
	DefaultCount = 50   // page size when _count is absent
	MaxCount     = 1000 // _count is capped to this
	maxParams    = 64   // search parameters in one query
	maxValues    = 100  // comma-separated values of one parameter
)

// Query is a parsed FHIR search over one resource type.
type Query struct {
	// Params must all match (AND); each has one or more values, any of which
	// may match (OR).
	Params []Param
	// Patient, when not empty, limits the search to the compartment of that
	// Patient. It is not a search parameter: the FHIR API sets it from the
	// access token.
	Patient string
	// Sort keys, in order; empty means oldest write first.
	Sort []Sort
	// Count is the page size (0 = DefaultCount); Offset the number of
	// matches to skip.
	Count  int
	Offset int
	// After, when > 0 and Sort is empty, starts the page after the match
	// whose Seq is After (a cursor: unlike Offset, a resource updated or
	// deleted meanwhile does not shift the pages). _cursor in a URL.
	After int64
	// Snapshot, when > 0, is the last write the first page of a cursor
	// search saw, and SnapshotTotal the total it counted: a later page
	// lists the matches as they were then, without counting again (see
	// SearchPage). Both come from a _cursor.
	Snapshot      int64
	SnapshotTotal int
	// CountOnly (_count=0 or _summary=count) asks for the total and no
	// resources.
	CountOnly bool
	// NoTotal (_total=none) skips counting the matches.
	NoTotal bool
	// Include lists the _include parameters.
	Include []Include
}

// Param is one search parameter of a Query.
type Param struct {
	Name   string // "_id", "_lastUpdated" or a supported parameter name
	Kind   ParamKind
	Values []Value
}

// Value is one value of a search parameter.
type Value struct {
	// Prefix is the comparison of a date value: eq, ne, gt, lt, ge, le, sa,
	// eb or ap.
	Prefix string
	// System and Code of a token ("system|code"); HasSystem is true when a
	// "|" was given ("|code" means no system).
	System    string
	HasSystem bool
	Code      string
	// Type and ID of a reference ("Type/id" or "id").
	Type string
	ID   string
	// Lo and Hi bound a date value: [Lo, Hi) in µs since the Unix epoch;
	// Date is the date as written (its precision gives Lo and Hi).
	Lo, Hi int64
	Date   string
}

// Sort is one _sort key.
type Sort struct {
	Param string // "_lastUpdated", "_id" or a date parameter
	Desc  bool
}

// Include is one _include: resources that the matches of SourceType refer to
// through reference parameter Param, optionally only of TargetType.
type Include struct {
	SourceType string
	Param      string
	TargetType string
}

// ignoredParams are result parameters the server accepts and ignores
// (formatting only: the reply is always JSON).
var ignoredParams = map[string]bool{"_format": true, "_pretty": true}

// ParseQuery parses the URL query of a FHIR search on type typ. Unknown
// parameters are an error (wrapping ErrInvalid) unless lenient is true, in
// which case they are ignored and returned in ignored.
func ParseQuery(typ string, v url.Values, lenient bool) (q Query, ignored []string, err error) {
	if !IsResourceType(typ) {
		return Query{}, nil, fmt.Errorf("%w: unknown resource type %q", ErrInvalid, truncate(typ))
	}
	names := make([]string, 0, len(v))
	for name := range v {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) > maxParams {
		return Query{}, nil, fmt.Errorf("%w: too many search parameters", ErrInvalid)
	}
	for _, key := range names {
		for _, raw := range v[key] {
			known, err := q.parseOne(typ, key, raw)
			if err != nil {
				return Query{}, nil, err
			}
			if !known {
				if !lenient {
					return Query{}, nil, fmt.Errorf("%w: unsupported search parameter %q for %s", ErrInvalid, truncate(key), typ)
				}
				ignored = append(ignored, key)
			}
		}
	}
	return q, ignored, nil
}

// parseOne adds one key=value to q; known is false for an unsupported key.
func (q *Query) parseOne(typ, key, raw string) (known bool, err error) {
	if ignoredParams[key] {
		return true, nil
	}
	name, modifier, _ := strings.Cut(key, ":")
	switch name {
	case "_count":
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return true, fmt.Errorf("%w: _count must be a number >= 0", ErrInvalid)
		}
		if n == 0 {
			q.CountOnly = true
		}
		q.Count = min(n, MaxCount)
		return true, nil
	case "_offset":
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return true, fmt.Errorf("%w: _offset must be a number >= 0", ErrInvalid)
		}
		q.Offset = n
		return true, nil
	case "_cursor":
		c, ok := parseCursor(raw)
		if !ok {
			return true, fmt.Errorf("%w: malformed _cursor", ErrInvalid)
		}
		q.After, q.Snapshot, q.SnapshotTotal = c.after, c.snapshot, c.total
		return true, nil
	case "_summary":
		if raw != "count" {
			return false, nil
		}
		q.CountOnly = true
		return true, nil
	case "_total":
		switch raw {
		case "none":
			q.NoTotal = true
		case "accurate", "estimate":
		default:
			return true, fmt.Errorf("%w: _total must be none, estimate or accurate", ErrInvalid)
		}
		return true, nil
	case "_sort":
		return true, q.parseSort(typ, raw)
	case "_include":
		return true, q.parseInclude(typ, raw)
	}
	var p Param
	switch name {
	case "_id":
		if modifier != "" {
			return true, fmt.Errorf("%w: _id takes no modifier", ErrInvalid)
		}
		p = Param{Name: "_id", Kind: KindToken}
		for _, s := range splitValues(raw) {
			p.Values = append(p.Values, Value{Code: s})
		}
	case "_lastUpdated":
		if modifier != "" {
			return true, fmt.Errorf("%w: _lastUpdated takes no modifier", ErrInvalid)
		}
		p = Param{Name: "_lastUpdated", Kind: KindDate}
		if p.Values, err = dateValues(name, raw); err != nil {
			return true, err
		}
	default:
		def, ok := lookupParam(typ, name)
		if !ok {
			return false, nil
		}
		p = Param{Name: name, Kind: def.Kind}
		switch def.Kind {
		case KindToken:
			if modifier != "" {
				return true, fmt.Errorf("%w: modifier %q is not supported on %s", ErrInvalid, truncate(modifier), name)
			}
			for _, s := range splitValues(raw) {
				val := Value{Code: s}
				if sys, code, found := strings.Cut(s, "|"); found {
					val = Value{System: sys, HasSystem: true, Code: code}
				}
				p.Values = append(p.Values, val)
			}
		case KindReference:
			if modifier != "" && !IsResourceType(modifier) {
				return true, fmt.Errorf("%w: modifier %q is not supported on %s", ErrInvalid, truncate(modifier), name)
			}
			for _, s := range splitValues(raw) {
				val := Value{Type: modifier, ID: s}
				if t, id, ok := splitRef(s); ok {
					if modifier != "" && t != modifier {
						return true, fmt.Errorf("%w: %s reference type does not match its modifier", ErrInvalid, name)
					}
					val = Value{Type: t, ID: id}
				} else if !ValidID(s) {
					return true, fmt.Errorf("%w: %s needs a reference like Type/id or an id", ErrInvalid, name)
				}
				if def.Target != "" {
					if val.Type != "" && val.Type != def.Target {
						return true, fmt.Errorf("%w: %s refers to %s resources only", ErrInvalid, name, def.Target)
					}
					val.Type = def.Target
				}
				p.Values = append(p.Values, val)
			}
		case KindDate:
			if modifier != "" {
				return true, fmt.Errorf("%w: modifier %q is not supported on %s", ErrInvalid, truncate(modifier), name)
			}
			if p.Values, err = dateValues(name, raw); err != nil {
				return true, err
			}
		}
	}
	if len(p.Values) == 0 {
		return true, fmt.Errorf("%w: %s has no value", ErrInvalid, name)
	}
	if len(p.Values) > maxValues {
		return true, fmt.Errorf("%w: %s has too many values", ErrInvalid, name)
	}
	if len(q.Params) >= maxParams {
		return true, fmt.Errorf("%w: too many search parameters", ErrInvalid)
	}
	q.Params = append(q.Params, p)
	return true, nil
}

var datePrefixes = []string{"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}

func dateValues(name, raw string) ([]Value, error) {
	var out []Value
	for _, s := range splitValues(raw) {
		prefix := "eq"
		if len(s) >= 2 && slices.Contains(datePrefixes, s[:2]) {
			prefix, s = s[:2], s[2:]
		}
		lo, hi, ok := ParseDateRange(s)
		if !ok {
			return nil, fmt.Errorf("%w: %s needs a FHIR date, dateTime or instant", ErrInvalid, name)
		}
		out = append(out, Value{Prefix: prefix, Lo: lo, Hi: hi, Date: s})
	}
	return out, nil
}

func (q *Query) parseSort(typ, raw string) error {
	for _, key := range splitValues(raw) {
		desc := strings.HasPrefix(key, "-")
		key = strings.TrimPrefix(key, "-")
		switch key {
		case "_lastUpdated", "_id":
		default:
			def, ok := lookupParam(typ, key)
			if !ok || def.Kind != KindDate {
				return fmt.Errorf("%w: cannot sort %s by %q", ErrInvalid, typ, truncate(key))
			}
		}
		q.Sort = append(q.Sort, Sort{Param: key, Desc: desc})
	}
	return nil
}

func (q *Query) parseInclude(typ, raw string) error {
	parts := strings.Split(raw, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != typ {
		return fmt.Errorf("%w: _include must be %s:parameter[:Type]", ErrInvalid, typ)
	}
	def, ok := lookupParam(typ, parts[1])
	if !ok || def.Kind != KindReference {
		return fmt.Errorf("%w: _include: %q is not a reference parameter of %s", ErrInvalid, truncate(parts[1]), typ)
	}
	inc := Include{SourceType: typ, Param: parts[1]}
	if len(parts) == 3 {
		if !IsResourceType(parts[2]) {
			return fmt.Errorf("%w: _include: unknown target type", ErrInvalid)
		}
		inc.TargetType = parts[2]
	}
	if len(q.Include) >= 10 {
		return fmt.Errorf("%w: too many _include parameters", ErrInvalid)
	}
	q.Include = append(q.Include, inc)
	return nil
}

// splitValues splits a parameter value at commas not escaped by a
// backslash, and removes the escapes (\, \| \$ \\).
func splitValues(raw string) []string {
	var (
		out []string
		cur strings.Builder
	)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw):
			i++
			cur.WriteByte(raw[i])
		case c == ',':
			if cur.Len() > 0 {
				out = append(out, cur.String())
			}
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// Encode writes q back as URL query parameters (without the compartment,
// which is not a parameter, and without _offset), for self and next links.
func (q Query) Encode() url.Values {
	v := url.Values{}
	for _, p := range q.Params {
		var vals []string
		for _, val := range p.Values {
			vals = append(vals, val.String(p.Kind, p.Name))
		}
		v.Add(p.Name, strings.Join(vals, ","))
	}
	for _, s := range q.Sort {
		key := s.Param
		if s.Desc {
			key = "-" + key
		}
		if cur := v.Get("_sort"); cur != "" {
			key = cur + "," + key
		}
		v.Set("_sort", key)
	}
	for _, inc := range q.Include {
		s := inc.SourceType + ":" + inc.Param
		if inc.TargetType != "" {
			s += ":" + inc.TargetType
		}
		v.Add("_include", s)
	}
	if q.NoTotal {
		v.Set("_total", "none")
	}
	switch {
	case q.CountOnly:
		v.Set("_count", "0")
	case q.Count > 0:
		v.Set("_count", strconv.Itoa(q.Count))
	}
	return v
}

// String writes a value as it appears in a URL (before URL encoding).
func (val Value) String(kind ParamKind, name string) string {
	esc := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`)
	switch {
	case name == "_id":
		return esc.Replace(val.Code)
	case kind == KindToken:
		if val.HasSystem {
			return esc.Replace(val.System) + "|" + esc.Replace(val.Code)
		}
		return esc.Replace(val.Code)
	case kind == KindReference:
		if val.Type != "" {
			return val.Type + "/" + val.ID
		}
		return val.ID
	case kind == KindDate:
		return val.Prefix + val.Date
	}
	return ""
}
