package record

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Index is an in-memory full-text index over the display text of one
// patient's records. It lives only in memory and is never written anywhere.
// Build it with Build or BuildChart; it is read-only afterwards and safe for
// concurrent searches.
type Index struct {
	docs  []searchDoc
	terms []string             // sorted, for prefix lookups
	posts map[string][]posting // term → documents holding it
}

type searchDoc struct {
	typ, id, title string
	date           Date
	body           string
}

// posting says that a document holds a term, and where.
type posting struct {
	doc   int32
	where uint8 // inTitle and/or inBody
}

const (
	inBody  uint8 = 1
	inTitle uint8 = 2
)

// Hit is one search result.
type Hit struct {
	Type    string
	ID      string
	Title   string
	Date    Date
	Snippet string // a short excerpt of the body around the first match, "" when the title matched alone
}

// maxBodyText caps the document text indexed per record (long attachments).
const maxBodyText = 64 << 10

// Build decodes resources and indexes them (see BuildChart).
func Build(resources []Resource) *Index { return BuildChart(Load(resources)) }

// BuildChart indexes every entry of c by its title (the name a list shows)
// and body (values, notes, statuses, names of the people involved, document
// text).
func BuildChart(c *Chart) *Index {
	x := &Index{posts: map[string][]posting{}}
	for _, d := range chartDocs(c, c.Name) {
		x.add(d)
	}
	x.terms = make([]string, 0, len(x.posts))
	for t := range x.posts {
		x.terms = append(x.terms, t)
	}
	sort.Strings(x.terms)
	return x
}

// Len is the number of indexed records.
func (x *Index) Len() int { return len(x.docs) }

func (x *Index) add(d searchDoc) {
	if len(d.body) > maxBodyText {
		d.body = truncateUTF8(d.body, maxBodyText)
	}
	n := int32(len(x.docs))
	x.docs = append(x.docs, d)
	seen := map[string]uint8{}
	for _, t := range tokens(d.title) {
		seen[t] |= inTitle
	}
	for _, t := range tokens(d.body) {
		seen[t] |= inBody
	}
	for t, where := range seen {
		x.posts[t] = append(x.posts[t], posting{doc: n, where: where})
	}
}

// Search returns up to limit records matching every word of query (case-
// and accent-insensitive; each word matches the start of a word). Records
// where a word matches in the title rank above those where it matches in
// the body, whole words above prefixes, and newest first among equals.
func (x *Index) Search(query string, limit int) []Hit {
	words := dedupe(tokens(query))
	if len(words) == 0 || limit <= 0 || len(x.docs) == 0 {
		return nil
	}
	score := make([]int32, len(x.docs))
	matched := make([]uint16, len(x.docs)) // how many query words each doc matched
	best := make([]int8, len(x.docs))      // this word's best score in each doc
	for wi, w := range words {
		touched := x.collect(w, best)
		for _, doc := range touched {
			if int(matched[doc]) == wi {
				matched[doc]++
				score[doc] += int32(best[doc])
			}
			best[doc] = 0
		}
	}
	var found []int32
	for doc, m := range matched {
		if int(m) == len(words) {
			found = append(found, int32(doc))
		}
	}
	sort.Slice(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if score[a] != score[b] {
			return score[a] > score[b]
		}
		da, db := x.docs[a].date, x.docs[b].date
		if !da.Time.Equal(db.Time) || da.IsZero() != db.IsZero() {
			return da.After(db)
		}
		return a < b
	})
	if len(found) > limit {
		found = found[:limit]
	}
	hits := make([]Hit, 0, len(found))
	for _, doc := range found {
		d := x.docs[doc]
		hits = append(hits, Hit{Type: d.typ, ID: d.id, Title: d.title, Date: d.date, Snippet: snippet(d.body, words)})
	}
	return hits
}

// collect records in best the best match score of word w per document and
// returns the documents touched. Scores: whole word in title 4, prefix in
// title 3, whole word in body 2, prefix in body 1.
func (x *Index) collect(w string, best []int8) []int32 {
	var touched []int32
	i := sort.SearchStrings(x.terms, w)
	for ; i < len(x.terms) && strings.HasPrefix(x.terms[i], w); i++ {
		t := x.terms[i]
		exact := int8(0)
		if t == w {
			exact = 1
		}
		for _, p := range x.posts[t] {
			s := int8(1) + exact
			if p.where&inTitle != 0 {
				s = 3 + exact
			}
			if best[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			if s > best[p.doc] {
				best[p.doc] = s
			}
		}
	}
	return touched
}

// fold lower-cases r and strips accents: "É" → "e".
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii { // most of a record: no accents to strip
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// tokens splits text into folded words of letters and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// eachToken calls fn with each word of tokens(s), in order, without
// folding a copy of s first: s is cut at its ASCII characters other than
// letters and digits (they fold to themselves and separate words, so the
// words of s are those of the pieces); a piece of ASCII alone (most of a
// record) is a word as it is, lowered when it holds capitals, and only a
// piece holding other characters is folded (tokens).
func eachToken(s string, fn func(word string)) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// Folding bytes that are not UTF-8 depends on what follows
			// them: such a text is folded whole.
			if !utf8.ValidString(s[i:]) {
				for _, w := range tokens(s) {
					fn(w)
				}
				return
			}
			break
		}
	}
	start, upper, ascii := 0, false, true
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch c := s[i]; {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				continue
			case 'A' <= c && c <= 'Z':
				upper = true
				continue
			case c >= utf8.RuneSelf:
				ascii = false
				continue
			}
		}
		if piece := s[start:i]; piece != "" {
			switch {
			case !ascii:
				for _, w := range tokens(piece) {
					fn(w)
				}
			case upper:
				fn(strings.ToLower(piece))
			default:
				fn(piece)
			}
		}
		start, upper, ascii = i+1, false, true
	}
}

func dedupe(ws []string) []string {
	seen := map[string]bool{}
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// snippetRunes is about how much text a snippet shows.
const snippetRunes = 90

// snippet returns an excerpt of body around the first word that starts
// with one of the query words, cut at word boundaries, or "" when the body
// does not match.
func snippet(body string, words []string) string {
	start := -1
	pos := 0
	for pos < len(body) {
		r, size := utf8.DecodeRuneInString(body[pos:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			pos += size
			continue
		}
		end := pos
		for end < len(body) {
			r, size := utf8.DecodeRuneInString(body[end:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
				break
			}
			end += size
		}
		w := fold(body[pos:end])
		for _, q := range words {
			if strings.HasPrefix(w, q) {
				start = pos
				break
			}
		}
		if start >= 0 {
			break
		}
		pos = end
	}
	if start < 0 {
		return ""
	}
	from := start
	for back := 0; from > 0 && back < snippetRunes/3; back++ {
		_, size := utf8.DecodeLastRuneInString(body[:from])
		from -= size
	}
	if from > 0 {
		if i := strings.IndexAny(body[from:start], " \n\t"); i >= 0 {
			from += i + 1
		}
	}
	to := start
	for n := 0; to < len(body) && n < snippetRunes; n++ {
		_, size := utf8.DecodeRuneInString(body[to:])
		to += size
	}
	if to < len(body) {
		if i := strings.LastIndexAny(body[start:to], " \n\t"); i > 0 {
			to = start + i
		}
	}
	s := strings.Join(strings.Fields(body[from:to]), " ")
	if from > 0 {
		s = "…" + s
	}
	if to < len(body) {
		s += "…"
	}
	return s
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
