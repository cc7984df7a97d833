package record

import (
	"strings"
)

// What a persistent search index (storage's, sealed) keeps of each
// resource, and the checks a search makes on the resources it finds: the
// same title, body, words, ranking and snippets as Index, one resource at
// a time, so no whole record is decoded or held for a search.

// SearchDoc is the searchable text of one resource: its title (the name a
// list shows) and body (values, notes, statuses, names of the people
// involved, document text).
type SearchDoc struct {
	Type, ID string
	Title    string
	Date     Date
	Body     string
}

// SearchTerm is one folded word of a SearchDoc.
type SearchTerm struct {
	Word  string
	Title bool // the word is in the title
}

// SearchDocs returns the searchable text of resources, in their order.
// Names of referenced resources not among rs come from lookup (nil: only
// the references' own display texts and rs are used), which returns false
// for a resource that is not cached.
func SearchDocs(rs []Resource, lookup func(typ, id string) (Resource, bool)) []SearchDoc {
	c := Load(rs)
	names := map[string]string{}
	name := func(ref Ref) string {
		if n := c.Name(ref); n != "" || lookup == nil {
			return n
		}
		typ, id := splitRef(ref.Reference)
		if typ == "" {
			return ""
		}
		key := typ + "/" + id
		if n, ok := names[key]; ok {
			return n
		}
		n := ""
		if r, ok := lookup(typ, id); ok {
			n = decode(r).name
		}
		names[key] = n
		return n
	}
	for i := range c.Medications {
		m := &c.Medications[i]
		if m.Medication == "" && m.MedicationRef.Reference != "" {
			m.Medication = name(Ref{Reference: m.MedicationRef.Reference})
		}
	}
	docs := chartDocs(c, name)
	out := make([]SearchDoc, len(docs))
	for i, d := range docs {
		if len(d.body) > maxBodyText {
			d.body = truncateUTF8(d.body, maxBodyText)
		}
		out[i] = SearchDoc{Type: d.typ, ID: d.id, Title: d.title, Date: d.date, Body: d.body}
	}
	return out
}

// Terms returns the distinct words of d, those of the title marked.
func (d SearchDoc) Terms() []SearchTerm {
	out := make([]SearchTerm, 0, 16)
	// Most resources have a few dozen words: they are looked for in out
	// until there are more (a map costs more than a short search).
	var seen map[string]int
	add := func(text string, title bool) {
		eachToken(text, func(w string) {
			i := -1
			if seen != nil {
				if j, ok := seen[w]; ok {
					i = j
				}
			} else {
				for j := range out {
					if out[j].Word == w {
						i = j
						break
					}
				}
			}
			if i >= 0 {
				out[i].Title = out[i].Title || title
				return
			}
			if seen == nil && len(out) == termsScanned {
				seen = make(map[string]int, 2*termsScanned)
				for j, t := range out {
					seen[t.Word] = j
				}
			}
			if seen != nil {
				seen[w] = len(out)
			}
			out = append(out, SearchTerm{Word: w, Title: title})
		})
	}
	add(d.Title, true)
	add(d.Body, false)
	if len(out) == 0 {
		return nil
	}
	return out
}

// termsScanned is how many distinct words Terms looks through before it
// keeps them in a map.
const termsScanned = 32

// QueryWords returns the distinct folded words of a query, as the index
// keeps words: "Diabète  type-2" → diabete, type, 2.
func QueryWords(query string) []string { return dedupe(tokens(query)) }

// Match checks d against the words of a query (QueryWords): ok when every
// word starts a word of d. score ranks it as Index.Search does: per word,
// 4 for a whole word of the title, 3 for the start of one, 2 and 1 in the
// body.
func (d SearchDoc) Match(words []string) (score int, ok bool) {
	if len(words) == 0 {
		return 0, false
	}
	title, body := tokens(d.Title), tokens(d.Body)
	for _, w := range words {
		best := 0
		for _, t := range title {
			if strings.HasPrefix(t, w) {
				best = max(best, 3+boolInt(t == w))
			}
		}
		if best < 2 {
			for _, t := range body {
				if strings.HasPrefix(t, w) {
					best = max(best, 1+boolInt(t == w))
				}
			}
		}
		if best == 0 {
			return 0, false
		}
		score += best
	}
	return score, true
}

// Hit is d as a search result for the words of a query.
func (d SearchDoc) Hit(words []string) Hit {
	return Hit{Type: d.Type, ID: d.ID, Title: d.Title, Date: d.Date, Snippet: snippet(d.Body, words)}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
