package record

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// Refs answers "what is the display name of the thing this reference points
// at?" for the resources of one patient's chart. Build it with NewRefs; it is
// read-only afterwards and safe for concurrent use.
type Refs struct {
	byKey map[string]string // "Type/id" → name
	// byID maps a bare id to a name, for urn:uuid references (as in
	// transaction bundles), whose ids are UUIDs and so unique across types.
	byID map[string]string
	// obs are the chart's Observations, named through obsByID (their
	// indexes sorted by id) rather than in the maps: a long record is
	// mostly results, and two map entries each would be much of its size.
	obs     []Observation
	obsByID []int32
}

// indexObservations names obs by id through a sorted index.
func (x *Refs) indexObservations(obs []Observation) {
	x.obs = obs
	x.obsByID = make([]int32, 0, len(obs))
	for i, o := range obs {
		if o.ID != "" && o.Name != "" {
			x.obsByID = append(x.obsByID, int32(i))
		}
	}
	// Stable: of two with the same id, the later one wins, as in the maps.
	slices.SortStableFunc(x.obsByID, func(a, b int32) int { return strings.Compare(obs[a].ID, obs[b].ID) })
}

// observationName is the name of the Observation with id, "" when none.
func (x *Refs) observationName(id string) string {
	n := len(x.obsByID)
	i := sort.Search(n, func(i int) bool { return x.obs[x.obsByID[i]].ID > id })
	if i == 0 || x.obs[x.obsByID[i-1]].ID != id {
		return ""
	}
	return x.obs[x.obsByID[i-1]].Name
}

// NewRefs indexes the display names of resources: people and organizations
// by name, medications and devices by code, anything else by its name,
// title or code when it has one.
func NewRefs(resources []Resource) *Refs {
	x := &Refs{byKey: map[string]string{}, byID: map[string]string{}}
	for _, r := range resources {
		var n wNamed
		if json.Unmarshal(r.JSON, &n) != nil && n.ID == "" && r.ID == "" {
			continue
		}
		x.add(r.Type, firstNonEmpty(r.ID, n.ID), n.display())
	}
	return x
}

func (x *Refs) add(typ, id, name string) {
	if id == "" || name == "" {
		return
	}
	x.byKey[typ+"/"+id] = name
	x.byID[id] = name
}

// Name returns the display text for ref: its own display when present, else
// the name of the resource it points to, else "" (the caller then shows a
// neutral word such as "your care team").
func (x *Refs) Name(ref Ref) string {
	if ref.Display != "" {
		return ref.Display
	}
	return x.Lookup(ref.Reference)
}

// Lookup returns the display name of the resource a literal reference points
// to: "Practitioner/123", "https://server/fhir/Practitioner/123",
// "Practitioner/123/_history/2" or "urn:uuid:…". It returns "" when unknown.
func (x *Refs) Lookup(reference string) string {
	if x == nil || reference == "" {
		return ""
	}
	if id, ok := strings.CutPrefix(reference, "urn:uuid:"); ok {
		if n, ok := x.byID[id]; ok {
			return n
		}
		return x.observationName(id)
	}
	typ, id := splitRef(reference)
	if typ == "" {
		return ""
	}
	if typ == "Observation" && x.obs != nil {
		return x.observationName(id)
	}
	return x.byKey[typ+"/"+id]
}

// SplitRef is the type and id a literal reference names (see Lookup):
// ("", "") for a contained, urn: or conditional one.
func SplitRef(ref string) (typ, id string) { return splitRef(ref) }

// splitRef splits a literal reference into type and id, ignoring a base URL
// and a _history suffix. Contained ("#x"), urn: and conditional references
// give ("", "").
func splitRef(ref string) (typ, id string) {
	if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "urn:") || strings.ContainsRune(ref, '?') {
		return "", ""
	}
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(strings.TrimRight(ref, "/"), "/")
	if len(parts) < 2 {
		return "", ""
	}
	typ, id = parts[len(parts)-2], parts[len(parts)-1]
	if typ == "" || id == "" || typ[0] < 'A' || typ[0] > 'Z' {
		return "", ""
	}
	return typ, id
}

// refID returns the id a reference points to, for matching references
// against resources of a known type: "Observation/1" → "1",
// "urn:uuid:abc" → "abc". Other shapes give "".
func refID(ref string) string {
	if id, ok := strings.CutPrefix(ref, "urn:uuid:"); ok {
		return id
	}
	_, id := splitRef(ref)
	return id
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
