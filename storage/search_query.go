package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Searching the index (see search.go for what it holds).

// SearchCandidate is a resource the index says matches every word of a
// query. Score adds up, per word, 4 for a whole word in the title, 3 for
// a word of the title starting with it, 2 and 1 in the body.
type SearchCandidate struct {
	Row   int64 // the resource's local row: read it with ResourceAt
	Score int
	Day   int64 // its day (0: none), for ranking
}

// SearchIndex returns the resources whose indexed words match every one of
// words (folded; each the start of a word of the resource), best first:
// highest score, then newest, then first stored. The index may still list
// a resource deleted or changed since: read each with ResourceAt and check
// it. ErrSearchNotReady while the index is being built.
func (s *Store) SearchIndex(ctx context.Context, profileID string, words []string) ([]SearchCandidate, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	p, err := searchStatus(ctx, s.reader, k.num)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if !p.Built {
		return nil, fmt.Errorf("search: %w", ErrSearchNotReady)
	}
	if len(words) == 0 {
		return nil, nil
	}
	k.beginRead()
	defer k.endRead()
	want, buckets, err := s.searchTokens(ctx, k, profileID, words)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if len(want) == 0 {
		return nil, nil
	}
	// Per resource, its newest generation seen and its best score per word
	// in that generation (scores[at:at+len(words)]).
	type docState struct {
		row, gen, day uint64
		at            int
	}
	index := map[uint64]int{}
	var docs []docState
	var scores []int8
	nw := len(words)
	for _, b := range buckets {
		ad := searchChunkAD(profileID, b)
		rows, err := s.reader.QueryContext(ctx, "SELECT sealed FROM search_chunks WHERE profile = ? AND bucket = ?", k.num, b)
		if err != nil {
			return nil, dbErr("search", err)
		}
		for rows.Next() {
			var sealed sql.RawBytes
			if err := rows.Scan(&sealed); err != nil {
				rows.Close()
				return nil, dbErr("search", err)
			}
			pt, err := k.open(sealed, ad)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("search: %w", err)
			}
			err = eachPosting(pt, func(tok []byte, row, mark uint64, gen uint64) bool {
				ms, ok := want[string(tok)]
				if !ok {
					return false
				}
				i, ok := index[row]
				if !ok {
					i = len(docs)
					index[row] = i
					docs = append(docs, docState{row: row, at: len(scores)})
					scores = append(scores, make([]int8, nw)...)
				}
				d := &docs[i]
				if gen < d.gen {
					return true
				}
				sc := scores[d.at : d.at+nw]
				if gen > d.gen {
					d.gen, d.day = gen, mark>>1
					if ms[0].prefix {
						d.day = mark >> 2
					}
					clear(sc)
				}
				for _, m := range ms {
					sc[m.word] = max(sc[m.word], int8(m.score(mark)))
				}
				return true
			})
			zero(pt)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("search: %w", err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, dbErr("search", err)
		}
	}
	out := make([]SearchCandidate, 0, len(docs))
next:
	for _, d := range docs {
		score := 0
		for _, sc := range scores[d.at : d.at+nw] {
			if sc == 0 {
				continue next
			}
			score += int(sc)
		}
		out = append(out, SearchCandidate{Row: int64(d.row), Score: score, Day: int64(d.day)})
	}
	slices.SortFunc(out, func(a, b SearchCandidate) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		if a.Day != b.Day {
			return cmp.Compare(b.Day, a.Day)
		}
		return cmp.Compare(a.Row, b.Row)
	})
	return out, nil
}

// tokenMatch is what the postings of a token say of one word of a query.
type tokenMatch struct {
	word  int  // the query word's place
	exact bool // the token's word is the query word itself
	// The token is that of the first two letters of words: its postings
	// carry the score; shorter, the query word is one letter of them (and
	// so never a whole word).
	prefix, shorter bool
}

// score is what a posting (its mark) of a token gives the query word m.
func (m tokenMatch) score(mark uint64) int {
	if !m.prefix {
		return wordScore(mark&1 != 0, m.exact)
	}
	score := int(mark&3) + 1
	if m.shorter {
		score = wordScore(score >= 3, false)
	}
	return score
}

// searchTokens returns the tokens whose postings a search for words
// reads, and the buckets that hold them (in order). A word of two letters
// has a token of its own; one of one letter stands for itself and the
// first two letters of the indexed words it starts; a longer one for
// every indexed word it starts.
func (s *Store) searchTokens(ctx context.Context, k *profileKeys, profileID string, words []string) (map[string][]tokenMatch, []int, error) {
	h, err := k.hasher()
	if err != nil {
		return nil, nil, err
	}
	want := map[string][]tokenMatch{}
	add := func(domain, key string, m tokenMatch) error {
		tok, err := h.rowKey(nil, domain, key)
		if err != nil {
			return err
		}
		want[string(tok)] = append(want[string(tok)], m)
		return nil
	}
	var others []int // the places of the words looked up through the vocabulary
	for i, w := range words {
		if utf8.RuneCountInString(w) != 2 {
			others = append(others, i)
			continue
		}
		if err := add(searchPrefixDomain, w, tokenMatch{word: i, prefix: true}); err != nil {
			return nil, nil, err
		}
	}
	if len(others) > 0 {
		type beginning struct {
			word int // a one-letter query word's place
			p    string
		}
		seen := map[beginning]bool{}
		err := k.vocabOf().each(ctx, s.reader, k, profileID, func(vw string) error {
			for _, i := range others {
				w := words[i]
				if !strings.HasPrefix(vw, w) {
					continue
				}
				p, ok := searchPrefix(vw)
				if vw == w || !ok || utf8.RuneCountInString(w) > 1 {
					if err := add("search", vw, tokenMatch{word: i, exact: vw == w}); err != nil {
						return err
					}
					continue
				}
				if !seen[beginning{i, p}] {
					seen[beginning{i, p}] = true
					if err := add(searchPrefixDomain, p, tokenMatch{word: i, prefix: true, shorter: true}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	seen := map[int]bool{}
	var buckets []int
	for tok := range want {
		if b := int(tok[0]) % searchBuckets; !seen[b] {
			seen[b] = true
			buckets = append(buckets, b)
		}
	}
	slices.Sort(buckets)
	return want, buckets, nil
}

// eachPosting calls fn with every posting of a chunk's plaintext; fn
// returns false to skip the rest of a token's postings. A chunk starts
// with its generation, then per token: the token, the length of its
// postings, and each posting (row, mark: day<<1 | in title for a word,
// prefixMark for a beginning), in row order, each row written as the
// difference to the one before. A compacted chunk has generation 0, and
// a generation after each posting.
func eachPosting(pt []byte, fn func(tok []byte, row, mark, gen uint64) bool) error {
	bad := fmt.Errorf("read search index: %w: bad chunk", ErrIntegrity)
	gen, n := binary.Uvarint(pt)
	if n <= 0 {
		return bad
	}
	pt = pt[n:]
	merged := gen == 0 // a compacted chunk: each posting has its generation
	for len(pt) > 0 {
		if len(pt) < rowKeySize {
			return bad
		}
		tok := pt[:rowKeySize]
		pt = pt[rowKeySize:]
		size, n := binary.Uvarint(pt)
		if n <= 0 || size > uint64(len(pt)-n) {
			return bad
		}
		entries := pt[n : n+int(size)]
		pt = pt[n+int(size):]
		row := uint64(0)
		for len(entries) > 0 {
			delta, n := binary.Uvarint(entries)
			if n <= 0 {
				return bad
			}
			row += delta
			entries = entries[n:]
			mark, n := binary.Uvarint(entries)
			if n <= 0 {
				return bad
			}
			entries = entries[n:]
			if merged {
				if gen, n = binary.Uvarint(entries); n <= 0 || gen == 0 {
					return bad
				}
				entries = entries[n:]
			}
			if !fn(tok, row, mark, gen) {
				break
			}
		}
	}
	return nil
}

// ResourceAt returns the resource stored at a local row (a search
// candidate's); ErrNotFound when it is gone.
func (s *Store) ResourceAt(ctx context.Context, profileID string, row int64) (Resource, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return Resource{}, fmt.Errorf("read resource: %w", err)
	}
	k.beginRead()
	defer k.endRead()
	var typ string
	var key, sealed []byte
	err = s.reader.QueryRowContext(ctx, "SELECT type, row_key, sealed FROM resources WHERE id = ? AND profile = ?", row, k.num).
		Scan(&typ, &key, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return Resource{}, fmt.Errorf("read resource: %w", ErrNotFound)
	}
	if err != nil {
		return Resource{}, dbErr("read resource", err)
	}
	r, err := openRow(k, profileID, typ, key, sealed)
	if err != nil {
		return Resource{}, fmt.Errorf("read resource: %w", err)
	}
	return r, nil
}

// ResourcesAt returns the resources stored at local rows (search
// candidates), by row; rows whose resource is gone are left out.
func (s *Store) ResourcesAt(ctx context.Context, profileID string, rows []int64) (map[int64]Resource, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("read resources: %w", err)
	}
	out := make(map[int64]Resource, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	k.beginRead()
	defer k.endRead()
	args := make([]any, 0, len(rows)+1)
	for _, r := range rows {
		args = append(args, r)
	}
	args = append(args, k.num)
	// By row number only: "+profile" keeps SQLite from walking the
	// profile's whole index (resources_by_key) to find a hundred rows.
	q, err := s.reader.QueryContext(ctx, "SELECT id, type, row_key, sealed FROM resources WHERE id IN (?"+
		strings.Repeat(", ?", len(rows)-1)+") AND +profile = ?", args...)
	if err != nil {
		return nil, dbErr("read resources", err)
	}
	defer q.Close()
	for q.Next() {
		var row int64
		var typ string
		var key, sealed sql.RawBytes
		if err := q.Scan(&row, &typ, &key, &sealed); err != nil {
			return nil, dbErr("read resources", err)
		}
		r, err := openRow(k, profileID, typ, key, sealed)
		if err != nil {
			return nil, fmt.Errorf("read resources: %w", err)
		}
		out[row] = r
	}
	if err := q.Err(); err != nil {
		return nil, dbErr("read resources", err)
	}
	return out, nil
}
