package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The search index: a persistent, sealed index of the words of each
// profile's record, kept up to date by every Put (see Tx.flushSearch).
//
// Words never reach the file in clear. Each word is replaced by a blind
// token, HMAC(index key, "search", word): the same word gives the same
// token within one profile (so it can be looked up) and a different one in
// another profile. Posting lists are written in chunks: each write
// transaction adds, per token bucket (the token's first byte), one chunk
// sealed under the profile's data key that lists the tokens of its bucket
// and, for each, the resources holding the word (their local row number),
// the resource's day and whether the word is in its title. The list of
// words itself (for prefix search: "chol" finds "cholesterol") is kept
// sealed in search_vocab.
//
// A query word of one or two letters starts too many words to look each
// up ("c" starts a good part of the vocabulary, whose postings fill most
// buckets): the first two letters of every word ("ch" of "cholesterol")
// have a blind token of their own, HMAC(index key, "search prefix",
// letters), whose postings say, per resource, how well that beginning
// matches it (the score a search gives it). A two-letter word reads one
// token's postings; a one-letter word those of the beginnings it starts
// ("ca", "ch", "co"...: a few dozen) and of itself as a word. See
// searchPrefix.
//
// Nothing is rewritten when a resource changes or goes: a chunk is tagged
// with its transaction's generation, a resource's newest postings replace
// its older ones, and callers check each candidate on the resource itself
// (ResourceAt) before showing it, which drops postings of resources
// deleted since. RebuildSearch writes an index afresh (for caches older
// than the index, and after a key rotation).

// SearchWord is one folded word of a resource as the index keeps it.
type SearchWord struct {
	Word  string
	Title bool // the word is in the resource's title (it ranks higher)
}

// SearchDoc is what the index keeps of one resource.
type SearchDoc struct {
	Type, ID string
	Date     time.Time // ranks newer resources first among equals
	Words    []SearchWord
}

// SearchIndexer turns resources into the words the index keeps. lookup
// reads another resource of the same profile (to name what a reference
// points at); it returns false when that resource is not cached. It must
// be safe for concurrent use.
type SearchIndexer func(rs []Resource, lookup func(typ, id string) (Resource, bool)) []SearchDoc

// SetSearchIndexer installs the function that turns resources into the
// words of the search index. Without one, writes mark the index of their
// profile as out of date (to be rebuilt).
func (s *Store) SetSearchIndexer(fn SearchIndexer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexer = fn
	s.hooksGen++
}

func (s *Store) searchIndexer() SearchIndexer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.indexer
}

// ErrSearchNotReady means the profile's search index is being built.
var ErrSearchNotReady = errors.New("storage: the search index is being built")

// searchFlushAt is how many resources a transaction collects before it
// indexes them (a bulk Put of a whole record does not hold it all).
const searchFlushAt = 1000

// searchBuckets is the number of token buckets: a search reads the chunks
// of the buckets of its words only.
const searchBuckets = 256

// searchFormat is what an index holds, kept in search_state.built once it
// is built (0 while it is being built): 1, the words; 3, the words and
// their first two letters (searchPrefix), postings in row order, each row
// written as the difference to the one before (2 had the first letter
// too, and whole rows). An index of another format is built again, as one
// of a cache from before the index.
const searchFormat = 3

func searchChunkAD(profileID string, bucket int) []byte {
	return adFor("search_chunks", profileID, strconv.Itoa(bucket))
}

func searchVocabAD(profileID string) []byte { return adFor("search_vocab", profileID) }

// searchVocab is the words of a profile's index, kept in memory with its
// keys (dropped with them on lock) so a write need not read them all.
type searchVocab struct {
	mu    sync.Mutex
	words map[string]struct{}
	maxID int64 // the newest search_vocab row read
	rows  int   // how many rows hold them
}

// vocabOf returns the cached word list of a profile.
func (k *profileKeys) vocabOf() *searchVocab {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.vocab == nil {
		k.vocab = &searchVocab{}
	}
	return k.vocab
}

// dropVocab forgets the cached word list (the index was emptied).
func (k *profileKeys) dropVocab() {
	k.mu.Lock()
	k.vocab = nil
	k.mu.Unlock()
}

// load brings v up to date with the file (read through q). v.mu must be held.
func (v *searchVocab) load(ctx context.Context, q sqlQuerier, k *profileKeys, profileID string) error {
	var maxID sql.NullInt64
	var rows int
	if err := q.QueryRowContext(ctx, "SELECT max(id), count(*) FROM search_vocab WHERE profile = ?", k.num).Scan(&maxID, &rows); err != nil {
		return dbErr("read search words", err)
	}
	if v.words != nil && maxID.Int64 == v.maxID && rows == v.rows {
		return nil
	}
	from := v.maxID
	if v.words == nil || rows < v.rows || maxID.Int64 < v.maxID {
		v.words, from, v.rows, v.maxID = map[string]struct{}{}, 0, 0, 0
	}
	r, err := q.QueryContext(ctx, "SELECT id, sealed FROM search_vocab WHERE profile = ? AND id > ? ORDER BY id", k.num, from)
	if err != nil {
		return dbErr("read search words", err)
	}
	defer r.Close()
	ad := searchVocabAD(profileID)
	for r.Next() {
		var id int64
		var sealed []byte
		if err := r.Scan(&id, &sealed); err != nil {
			return dbErr("read search words", err)
		}
		pt, err := k.open(sealed, ad)
		if err != nil {
			v.words = nil
			return fmt.Errorf("read search words: %w", err)
		}
		for _, w := range strings.Split(string(pt), "\n") {
			if w != "" {
				v.words[w] = struct{}{}
			}
		}
		zero(pt)
		v.maxID = id
		v.rows++
	}
	if err := r.Err(); err != nil {
		v.words = nil
		return dbErr("read search words", err)
	}
	return nil
}

// each calls fn with every word of the profile's index, read through q
// (brought up to date first), until fn fails.
func (v *searchVocab) each(ctx context.Context, q sqlQuerier, k *profileKeys, profileID string, fn func(word string) error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.load(ctx, q, k, profileID); err != nil {
		return err
	}
	for w := range v.words {
		if err := fn(w); err != nil {
			return err
		}
	}
	return nil
}

// sqlQuerier is what *sql.DB and *sql.Tx share.
type sqlQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// searchPending is a resource written in a transaction and not indexed yet.
type searchPending struct {
	row int64
	res Resource
}

// notePut remembers a resource just written at row for the index.
func (tx *Tx) notePut(row int64, r Resource) error {
	r.JSON = append([]byte(nil), r.JSON...) // the caller may reuse its buffer
	tx.pending = append(tx.pending, searchPending{row: row, res: r})
	if len(tx.pending) >= searchFlushAt {
		return tx.flushSearch()
	}
	return nil
}

// markSearchStale records that a write was not indexed: the profile's index
// must be rebuilt.
func (tx *Tx) markSearchStale() error {
	if tx.staleMarked {
		return nil
	}
	if _, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO search_state (profile, built, cursor) VALUES (?, 0, 0)
		ON CONFLICT (profile) DO UPDATE SET built = 0, cursor = 0`, tx.keys.num); err != nil {
		return dbErr("mark search index out of date", err)
	}
	tx.staleMarked = true
	return nil
}

// lookup reads a resource of the transaction's profile (its own writes
// included), for the indexer.
func (tx *Tx) lookup(typ, id string) (Resource, bool) {
	key, err := tx.keys.rowKey("resource", typ, id)
	if err != nil {
		return Resource{}, false
	}
	var sealed []byte
	if err := tx.tx.QueryRowContext(tx.ctx, "SELECT sealed FROM resources WHERE profile = ? AND row_key = ?",
		tx.keys.num, key).Scan(&sealed); err != nil {
		return Resource{}, false
	}
	r, err := openRow(tx.keys, tx.profileID, typ, key, sealed)
	if err != nil || r.ID != id {
		return Resource{}, false
	}
	return r, true
}

// flushSearch indexes the resources written since the last flush: their
// words join the vocabulary, their postings go into one new chunk per
// bucket.
func (tx *Tx) flushSearch() error {
	if len(tx.pending) == 0 && tx.pendingCount == 0 {
		return nil
	}
	// What PutBatch wrote comes with its postings ready.
	words, prefixes := tx.pendingWords, tx.pendingPrefixes
	tx.pendingWords, tx.pendingPrefixes, tx.pendingCount = nil, nil, 0
	if words == nil {
		words, prefixes = map[string]*tokenList{}, map[string]*tokenList{}
	}
	h, err := tx.keys.hasher()
	if err != nil {
		return fmt.Errorf("index for search: %w", err)
	}
	if len(tx.pending) > 0 {
		pending := tx.pending
		tx.pending = nil
		rs := make([]Resource, len(pending))
		rows := make(map[string]int64, len(pending))
		for i, p := range pending {
			rs[i] = p.res
			rows[p.res.Type+"/"+p.res.ID] = p.row
		}
		docs := tx.indexer(rs, tx.lookup)
		for i := range rs {
			zero(rs[i].JSON)
		}
		w, p, err := postingLists(docs, func(d *SearchDoc) (int64, bool) {
			row, ok := rows[d.Type+"/"+d.ID]
			return row, ok
		}, h)
		if err != nil {
			return err
		}
		addLists(words, w, nil)
		addLists(prefixes, p, nil)
	}
	var gen int64
	if err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO search_state (profile, built, cursor, gen) VALUES (?, 0, 0, 1)
		ON CONFLICT (profile) DO UPDATE SET gen = gen + 1 RETURNING gen`, tx.keys.num).Scan(&gen); err != nil {
		return dbErr("index for search", err)
	}
	// One chunk per bucket: gen, then per token its postings.
	buckets := map[int][]*tokenList{}
	for _, lists := range []map[string]*tokenList{words, prefixes} {
		for _, l := range lists {
			b := int(l.tok[0]) % searchBuckets
			buckets[b] = append(buckets[b], l)
		}
	}
	// One statement for every chunk, run without the context's
	// cancellation (as Put's rows: with it, the SQLite driver starts a
	// goroutine per statement to watch it); the context is checked before
	// each chunk instead.
	insert, err := tx.tx.PrepareContext(tx.ctx, "INSERT INTO search_chunks (profile, bucket, sealed) VALUES (?, ?, ?)")
	if err != nil {
		return dbErr("index for search", err)
	}
	defer insert.Close()
	chunkCtx := context.WithoutCancel(tx.ctx)
	var plain, entries []byte
	for b, ls := range buckets {
		if err := tx.ctx.Err(); err != nil {
			return fmt.Errorf("index for search: %w", err)
		}
		slices.SortFunc(ls, func(a, b *tokenList) int { return strings.Compare(a.tok, b.tok) })
		plain = binary.AppendUvarint(plain[:0], uint64(gen))
		for _, l := range ls {
			// A resource changed keeps its row, and the lists of
			// several writes were put end to end.
			if !slices.IsSortedFunc(l.ps, byRow) {
				slices.SortStableFunc(l.ps, byRow)
			}
			entries = entries[:0]
			last := uint64(0)
			for _, p := range l.ps {
				entries = binary.AppendUvarint(entries, p.row-last)
				entries = binary.AppendUvarint(entries, p.mark)
				last = p.row
			}
			plain = append(plain, l.tok...)
			plain = binary.AppendUvarint(plain, uint64(len(entries)))
			plain = append(plain, entries...)
		}
		sealed, err := tx.keys.seal(plain, searchChunkAD(tx.profileID, b))
		if err != nil {
			return fmt.Errorf("index for search: %w", err)
		}
		if _, err := insert.ExecContext(chunkCtx, tx.keys.num, b, sealed); err != nil {
			return dbErr("index for search", err)
		}
	}
	zero(plain)
	return tx.addWords(words)
}

// tokenList is the postings of one token that a write adds.
type tokenList struct {
	tok string
	ps  []posting
	// For a short beginning: the resource (its place in the write, plus
	// one) whose best score it holds.
	doc, score int
}

// posting is a resource's row and its mark (see eachPosting).
type posting struct{ row, mark uint64 }

func byRow(a, b posting) int { return cmp.Compare(a.row, b.row) }

// docAt is a document of a write and the place of its resource.
type docAt struct {
	doc *SearchDoc
	at  int64
}

// postingLists groups the postings of docs by word and by beginning (its
// first two letters, searchPrefix), each list with its blind token: a
// word's posting is marked day<<1 | in title, a beginning's prefixMark.
// Where a posting says row, it holds at's place of the document's
// resource: its row, or its place in a Batch (addLists turns it into
// the row); a document without a place is left out. The documents are
// taken in the order of their places, so each list comes out in that
// order.
func postingLists(docs []SearchDoc, at func(d *SearchDoc) (int64, bool), h *rowKeyHasher) (words, prefixes map[string]*tokenList, err error) {
	order := make([]docAt, 0, len(docs))
	for i := range docs {
		if n, ok := at(&docs[i]); ok {
			order = append(order, docAt{doc: &docs[i], at: n})
		}
	}
	slices.SortStableFunc(order, func(a, b docAt) int { return cmp.Compare(a.at, b.at) })
	words = map[string]*tokenList{}    // word → its postings
	prefixes = map[string]*tokenList{} // first two letters → their postings
	var touched []*tokenList           // the beginnings of one resource
	list := func(lists map[string]*tokenList, domain, key string) (*tokenList, error) {
		if l, ok := lists[key]; ok {
			return l, nil
		}
		tok, err := h.rowKey(nil, domain, key)
		if err != nil {
			return nil, fmt.Errorf("index for search: %w", err)
		}
		l := &tokenList{tok: string(tok)}
		lists[key] = l
		return l, nil
	}
	for i, o := range order {
		d, place := o.doc, uint64(o.at)
		day := uint64(searchDay(d.Date))
		for _, w := range d.Words {
			if w.Word == "" || strings.IndexByte(w.Word, '\n') >= 0 {
				continue
			}
			l, err := list(words, "search", w.Word)
			if err != nil {
				return nil, nil, err
			}
			mark := day << 1
			if w.Title {
				mark |= 1
			}
			l.ps = append(l.ps, posting{place, mark})
			if p, ok := searchPrefix(w.Word); ok {
				l, err := list(prefixes, searchPrefixDomain, p)
				if err != nil {
					return nil, nil, err
				}
				if l.doc != i+1 {
					l.doc, l.score = i+1, 0
					touched = append(touched, l)
				}
				l.score = max(l.score, wordScore(w.Title, p == w.Word))
			}
		}
		for _, l := range touched {
			l.ps = append(l.ps, posting{place, prefixMark(day, l.score)})
		}
		touched = touched[:0]
	}
	return words, prefixes, nil
}

// addLists puts the postings of src after those of dst, token by token;
// rows (nil: none) turns the places of src's postings into rows (see
// postingLists). src's lists are dst's from then on.
func addLists(dst, src map[string]*tokenList, rows []int64) {
	for key, l := range src {
		if rows != nil {
			for i := range l.ps {
				l.ps[i].row = uint64(rows[l.ps[i].row])
			}
		}
		if d, ok := dst[key]; ok {
			d.ps = append(d.ps, l.ps...)
		} else {
			dst[key] = l
		}
	}
}

// addWords adds the words the vocabulary lacks, in one new sealed row.
func (tx *Tx) addWords(words map[string]*tokenList) error {
	v := tx.keys.vocabOf()
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.load(tx.ctx, tx.tx, tx.keys, tx.profileID); err != nil {
		return err
	}
	var fresh []string
	for w := range words {
		if _, ok := v.words[w]; !ok {
			fresh = append(fresh, w)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	sort.Strings(fresh)
	if v.rows >= 32 {
		// Many small rows: write them as one.
		all := make([]string, 0, len(v.words)+len(fresh))
		for w := range v.words {
			all = append(all, w)
		}
		fresh = append(all, fresh...)
		if _, err := tx.tx.ExecContext(tx.ctx, "DELETE FROM search_vocab WHERE profile = ?", tx.keys.num); err != nil {
			return dbErr("index for search: words", err)
		}
		v.rows = 0
	}
	plain := []byte(strings.Join(fresh, "\n"))
	sealed, err := tx.keys.seal(plain, searchVocabAD(tx.profileID))
	zero(plain)
	if err != nil {
		return fmt.Errorf("index for search: words: %w", err)
	}
	var id int64
	if err := tx.tx.QueryRowContext(tx.ctx, "INSERT INTO search_vocab (profile, sealed) VALUES (?, ?) RETURNING id",
		tx.keys.num, sealed).Scan(&id); err != nil {
		return dbErr("index for search: words", err)
	}
	for _, w := range fresh {
		v.words[w] = struct{}{}
	}
	tx.wordsAdded = true
	v.maxID, v.rows = id, v.rows+1
	return nil
}

// searchDay is the day of t as days since 1 Jan 1800 plus one (0: no date),
// what ranks newer resources first.
func searchDay(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	d := int64(t.Sub(time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC))/(24*time.Hour)) + 1
	return max(d, 1)
}

// searchPrefixDomain separates the tokens of the first two letters of
// words from those of words: "ch" the word and "ch" the beginning of
// words differ.
const searchPrefixDomain = "search prefix"

// searchPrefix returns the beginning of word that has a token of its own,
// its first two letters; false for a word of one letter (its own token is
// its word's).
func searchPrefix(word string) (string, bool) {
	n := 0
	for i := range word {
		if n == 2 {
			return word[:i], true
		}
		n++
	}
	return word, n == 2
}

// wordScore is what a word of a resource gives a query word it matches: 4
// for a whole word of the title, 3 for the start of one, 2 and 1 in the
// body.
func wordScore(title, whole bool) int {
	score := 1
	if title {
		score = 3
	}
	if whole {
		score++
	}
	return score
}

// prefixMark is the mark of a beginning's posting: the resource's day and
// the score the beginning, as a query word, gives the resource (wordScore
// of its best word starting with it). A word's posting is marked
// day<<1 | in title.
func prefixMark(day uint64, score int) uint64 { return day<<2 | uint64(score-1) }

// SearchProgress says how far the building of a profile's index is.
type SearchProgress struct {
	Built bool
	Done  int // resources indexed so far (while building)
	Total int // resources to index (while building)
}

// SearchStatus reports whether the profile's search index is built, and
// how far its building is.
func (s *Store) SearchStatus(ctx context.Context, profileID string) (SearchProgress, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return SearchProgress{}, fmt.Errorf("search status: %w", err)
	}
	return searchStatus(ctx, s.reader, k.num)
}

func searchStatus(ctx context.Context, q sqlQuerier, num int64) (SearchProgress, error) {
	var built, cursor int64
	err := q.QueryRowContext(ctx, "SELECT built, cursor FROM search_state WHERE profile = ?", num).Scan(&built, &cursor)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SearchProgress{}, dbErr("search status", err)
	}
	if built == searchFormat {
		return SearchProgress{Built: true}, nil
	}
	if built != 0 {
		cursor = 0 // an older format: built again from the start
	}
	var p SearchProgress
	if err := q.QueryRowContext(ctx, "SELECT count(*) FILTER (WHERE id <= ?), count(*) FROM resources WHERE profile = ?",
		cursor, num).Scan(&p.Done, &p.Total); err != nil {
		return SearchProgress{}, dbErr("search status", err)
	}
	return p, nil
}

// searchRebuildBatch is how many resources one step of RebuildSearch
// indexes (one transaction: other writers wait at most that long).
const searchRebuildBatch = 1000

// RebuildSearchStep indexes the next batch of a profile whose index is not
// built (starting afresh from the first resource when none was indexed
// yet, or when the index is of an older format) and reports whether it is
// built now (SearchStatus tells how far it is); it does nothing to a built
// index. Call it until Built: each step commits, so the work survives a
// crash or a lock.
func (s *Store) RebuildSearchStep(ctx context.Context, profileID string) (SearchProgress, error) {
	if s.searchIndexer() == nil {
		return SearchProgress{}, fmt.Errorf("rebuild search index: %w: no indexer", ErrInvalid)
	}
	var progress SearchProgress
	err := s.Update(ctx, profileID, func(tx *Tx) error {
		var built, cursor int64
		err := tx.tx.QueryRowContext(ctx, "SELECT built, cursor FROM search_state WHERE profile = ?", tx.keys.num).Scan(&built, &cursor)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return dbErr("rebuild search index", err)
		}
		if built == searchFormat {
			progress.Built = true
			return nil
		}
		if built != 0 {
			cursor = 0 // an older format: built again from the start
		}
		if cursor == 0 {
			if err := clearSearch(ctx, tx.tx, tx.keys); err != nil {
				return err
			}
		}
		rows, err := tx.tx.QueryContext(ctx, "SELECT id, type, row_key, sealed FROM resources WHERE profile = ? AND id > ? ORDER BY id LIMIT ?",
			tx.keys.num, cursor, searchRebuildBatch)
		if err != nil {
			return dbErr("rebuild search index", err)
		}
		n := 0
		for rows.Next() {
			var row int64
			var typ string
			var key, sealed []byte
			if err := rows.Scan(&row, &typ, &key, &sealed); err != nil {
				rows.Close()
				return dbErr("rebuild search index", err)
			}
			n++
			cursor = row
			r, err := openRow(tx.keys, tx.profileID, typ, key, sealed)
			if err != nil {
				continue // damaged: Repair's business, not the index's
			}
			tx.pending = append(tx.pending, searchPending{row: row, res: r})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr("rebuild search index", err)
		}
		if err := tx.flushSearch(); err != nil {
			return err
		}
		progress.Built = n < searchRebuildBatch
		built = 0
		if progress.Built {
			built = searchFormat
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO search_state (profile, built, cursor) VALUES (?, ?, ?)
			ON CONFLICT (profile) DO UPDATE SET built = excluded.built, cursor = excluded.cursor`,
			tx.keys.num, built, cursor); err != nil {
			return dbErr("rebuild search index", err)
		}
		return nil
	})
	return progress, err
}

// clearSearch empties a profile's index.
func clearSearch(ctx context.Context, tx *sql.Tx, k *profileKeys) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_chunks WHERE profile = ?", k.num); err != nil {
		return dbErr("clear search index", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM search_vocab WHERE profile = ?", k.num); err != nil {
		return dbErr("clear search index", err)
	}
	k.dropVocab()
	return nil
}

// searchCompactAt is how many chunks a bucket may gather (one per write
// transaction that touched it) before CompactSearch merges them.
const searchCompactAt = 16

// CompactSearch merges the chunks of each bucket of the profile's index
// that gathered many (each write adds its own) into one, keeping each
// resource's newest postings and dropping those of resources gone: searches
// then read one chunk per bucket. One transaction per few buckets; it
// stops when ctx ends, and the next call goes on.
func (s *Store) CompactSearch(ctx context.Context, profileID string) error {
	return s.compactSearch(ctx, profileID, searchCompactAt)
}

// compactSearch merges the chunks of each bucket that has more than over.
func (s *Store) compactSearch(ctx context.Context, profileID string, over int) error {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return fmt.Errorf("compact search index: %w", err)
	}
	q, err := s.reader.QueryContext(ctx, `SELECT bucket FROM search_chunks WHERE profile = ?
		GROUP BY bucket HAVING count(*) > ?`, k.num, over)
	if err != nil {
		return dbErr("compact search index", err)
	}
	var buckets []int
	for q.Next() {
		var b int
		if err := q.Scan(&b); err != nil {
			q.Close()
			return dbErr("compact search index", err)
		}
		buckets = append(buckets, b)
	}
	q.Close()
	if err := q.Err(); err != nil {
		return dbErr("compact search index", err)
	}
	if len(buckets) == 0 {
		return nil
	}
	// The rows stored now, read once: a row written later is newer than
	// below (rows are numbered upwards) and kept.
	var below sql.NullInt64
	if err := s.reader.QueryRowContext(ctx, "SELECT max(id) FROM resources").Scan(&below); err != nil {
		return dbErr("compact search index", err)
	}
	live, err := liveRows(ctx, s.reader, k.num)
	if err != nil {
		return err
	}
	alive := newRowSet(live)
	for batch := range slices.Chunk(buckets, searchCompactBatch) {
		err := s.Update(ctx, profileID, func(tx *Tx) error {
			for _, b := range batch {
				if err := compactBucket(ctx, tx, b, alive, below.Int64); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// searchCompactBatch is how many buckets one transaction of CompactSearch
// merges: a commit each costs more than the merge of a bucket, and a
// write waits for one transaction at most (tens of milliseconds).
const searchCompactBatch = 8

// liveRows returns the sorted local rows of the profile's resources (read
// from an index on profile, not the resources themselves).
func liveRows(ctx context.Context, db sqlQuerier, num int64) ([]int64, error) {
	q, err := db.QueryContext(ctx, "SELECT id FROM resources WHERE profile = ?", num)
	if err != nil {
		return nil, dbErr("compact search index", err)
	}
	defer q.Close()
	var rows []int64
	for q.Next() {
		var id int64
		if err := q.Scan(&id); err != nil {
			return nil, dbErr("compact search index", err)
		}
		rows = append(rows, id)
	}
	if err := q.Err(); err != nil {
		return nil, dbErr("compact search index", err)
	}
	slices.Sort(rows)
	return rows, nil
}

// rowSet is a set of local rows, one bit each (a compaction asks it once
// per posting).
type rowSet []uint64

func newRowSet(rows []int64) rowSet {
	if len(rows) == 0 {
		return nil
	}
	set := make(rowSet, slices.Max(rows)/64+1)
	for _, r := range rows {
		set[r/64] |= 1 << (r % 64)
	}
	return set
}

func (set rowSet) has(row uint64) bool {
	return row/64 < uint64(len(set)) && set[row/64]&(1<<(row%64)) != 0
}

// compactBucket merges the chunks of one bucket.
// live are the rows of the resources stored when there were none above
// below: postings of other rows up to below (deleted since) go.
func compactBucket(ctx context.Context, tx *Tx, bucket int, live rowSet, below int64) error {
	ad := searchChunkAD(tx.profileID, bucket)
	type kept struct{ gen, mark uint64 }
	byToken := map[string]map[uint64]kept{}
	q, err := tx.tx.QueryContext(ctx, "SELECT sealed FROM search_chunks WHERE profile = ? AND bucket = ?", tx.keys.num, bucket)
	if err != nil {
		return dbErr("compact search index", err)
	}
	for q.Next() {
		var sealed sql.RawBytes
		if err := q.Scan(&sealed); err != nil {
			q.Close()
			return dbErr("compact search index", err)
		}
		pt, err := tx.keys.open(sealed, ad)
		if err != nil {
			q.Close()
			return fmt.Errorf("compact search index: %w", err)
		}
		err = eachPosting(pt, func(tok []byte, row, mark, gen uint64) bool {
			ps := byToken[string(tok)]
			if ps == nil {
				ps = map[uint64]kept{}
				byToken[string(tok)] = ps
			}
			if p, ok := ps[row]; !ok || gen > p.gen {
				ps[row] = kept{gen, mark}
			}
			return true
		})
		zero(pt)
		if err != nil {
			q.Close()
			return err
		}
	}
	q.Close()
	if err := q.Err(); err != nil {
		return dbErr("compact search index", err)
	}
	toks := make([]string, 0, len(byToken))
	for t := range byToken {
		toks = append(toks, t)
	}
	sort.Strings(toks)
	plain := binary.AppendUvarint(nil, 0)
	var entries []byte
	for _, tok := range toks {
		ps := byToken[tok]
		keys := make([]uint64, 0, len(ps))
		for r := range ps {
			if live.has(r) || int64(r) > below {
				keys = append(keys, r)
			}
		}
		if len(keys) == 0 {
			continue
		}
		slices.Sort(keys)
		entries = entries[:0]
		last := uint64(0)
		for _, r := range keys {
			entries = binary.AppendUvarint(entries, r-last)
			entries = binary.AppendUvarint(entries, ps[r].mark)
			entries = binary.AppendUvarint(entries, ps[r].gen)
			last = r
		}
		plain = append(plain, tok...)
		plain = binary.AppendUvarint(plain, uint64(len(entries)))
		plain = append(plain, entries...)
	}
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM search_chunks WHERE profile = ? AND bucket = ?", tx.keys.num, bucket); err != nil {
		return dbErr("compact search index", err)
	}
	sealed, err := tx.keys.seal(plain, ad)
	zero(plain)
	if err != nil {
		return fmt.Errorf("compact search index: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO search_chunks (profile, bucket, sealed) VALUES (?, ?, ?)", tx.keys.num, bucket, sealed); err != nil {
		return dbErr("compact search index", err)
	}
	return nil
}

// searchTokenOf is the blind token of a word in a profile (tests compare
// them across profiles).
func (s *Store) searchTokenOf(ctx context.Context, profileID, word string) ([]byte, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, err
	}
	return k.rowKey("search", word)
}

// searchPrefixTokenOf is the blind token of a short beginning of words.
func (s *Store) searchPrefixTokenOf(ctx context.Context, profileID, prefix string) ([]byte, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, err
	}
	return k.rowKey(searchPrefixDomain, prefix)
}
