package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Paging a search in write order (no _sort) follows a cursor rather than
// an offset, and the cursor carries what the first page computed:
//
//   - the snapshot: the largest write sequence number when the first page
//     ran. Later pages list the resources as they were then. A resource
//     that changed after the first page is listed once, at its place in
//     the first page's order (in its newer version by Search when it still
//     matches, in the version of the snapshot by Everything); one created
//     after the first page is left for the next incremental sync (its
//     lastUpdated is after the first page's Bundle.meta.lastUpdated). So no
//     resource that existed at the start is skipped and none comes twice.
//   - the total the first page counted, so later pages do not count again;
//   - for $everything, the shared resources are found by one pass over the
//     record when the patient's own resources run out (and one on the
//     first page for the total), not on every page.
//
// Every page then costs about the same whatever its place in the search:
// a search of n resources in pages of c costs O(n), not O(n²/c).

// SearchResult is one page of a search.
type SearchResult struct {
	Resources []Resource
	// Total is the number of matches (-1 when the query asked for none).
	Total int
	// Next is the _cursor value of the next page when the search pages by
	// cursor (no _sort, no _offset); "" when this page is the last one or
	// the search pages by offset.
	Next string
	// Cursor reports that the search pages by cursor.
	Cursor bool
}

// cursor is a parsed _cursor value: "after.snapshot.total" (or the older
// "after", which pages without a snapshot).
type cursor struct {
	after, snapshot int64
	total           int
}

func (c cursor) String() string {
	return strconv.FormatInt(c.after, 10) + "." + strconv.FormatInt(c.snapshot, 10) + "." + strconv.Itoa(c.total)
}

func parseCursor(raw string) (cursor, bool) {
	parts := strings.Split(raw, ".")
	var c cursor
	var err error
	if c.after, err = strconv.ParseInt(parts[0], 10, 64); err != nil || c.after < 0 {
		return cursor{}, false
	}
	switch len(parts) {
	case 1:
		return c, true
	case 3:
		c.snapshot, err = strconv.ParseInt(parts[1], 10, 64)
		if err != nil || c.snapshot < c.after {
			return cursor{}, false
		}
		c.total, err = strconv.Atoi(parts[2])
		if err != nil || c.total < -1 {
			return cursor{}, false
		}
		return c, true
	}
	return cursor{}, false
}

// lastSeq is the sequence number of the newest write the transaction sees.
func (t *Tx) lastSeq(ctx context.Context) (int64, error) {
	var n int64
	if err := t.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM fhir_version`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read last write: %w", err)
	}
	return n, nil
}

// searchConds builds the conditions of q over type typ: on the current row
// c, with the compartment checked on the version whose seq is seqCol.
func searchConds(typ string, q Query, seqCol string, live bool) *sqlWhere {
	w := &sqlWhere{}
	if live {
		w.add("c.type = ? AND c.deleted = 0", typ)
	} else {
		w.add("c.type = ?", typ)
	}
	if q.Patient != "" {
		w.add("EXISTS (SELECT 1 FROM fhir_compartment p WHERE p.seq = "+seqCol+" AND p.patient = ?)", q.Patient)
	}
	for _, p := range q.Params {
		cond, args := paramCond(p)
		w.add(cond, args...)
	}
	return w
}

// SearchPage runs q over the current, non-deleted resources of type typ and
// returns one page. Without _sort and _offset it pages by cursor (see the
// top of this file): q.After, q.Snapshot and q.SnapshotTotal come from the
// _cursor of the previous page's Next.
func (t *Tx) SearchPage(ctx context.Context, typ string, q Query) (SearchResult, error) {
	if !IsResourceType(typ) {
		return SearchResult{}, fmt.Errorf("search: %w: unknown resource type %q", ErrInvalid, truncate(typ))
	}
	w := searchConds(typ, q, "c.seq", true)
	if floor, ok := lastUpdatedFloor(q); ok {
		// An incremental search (_lastUpdated=gt...) starts at the first
		// write of its time instead of visiting the whole type.
		from, err := t.firstSeqSince(ctx, time.UnixMicro(floor))
		if err != nil {
			return SearchResult{}, fmt.Errorf("search %s: %w", typ, err)
		}
		w.add("c.seq >= ?", from)
	}
	byCursor := len(q.Sort) == 0 && q.Offset == 0 && !q.CountOnly
	later := byCursor && q.Snapshot > 0
	total := -1
	switch {
	case later:
		total = q.SnapshotTotal
	case !q.NoTotal || q.CountOnly:
		if err := t.tx.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM fhir_current c WHERE `+w.String(), w.args...).Scan(&total); err != nil {
			return SearchResult{}, fmt.Errorf("search %s: count: %w", typ, err)
		}
	}
	if q.CountOnly {
		return SearchResult{Total: total}, nil
	}
	count := q.Count
	if count <= 0 {
		count = DefaultCount
	}
	if !byCursor || (q.After > 0 && q.Snapshot == 0) {
		// By offset, or an older cursor without a snapshot.
		rs, err := t.searchRows(ctx, typ, q, w, count)
		res := SearchResult{Resources: rs, Total: total, Cursor: byCursor}
		if byCursor && len(rs) == count {
			res.Next = strconv.FormatInt(rs[len(rs)-1].Seq, 10)
		}
		return res, err
	}
	snap := q.Snapshot
	if snap == 0 {
		var err error
		if snap, err = t.lastSeq(ctx); err != nil {
			return SearchResult{}, fmt.Errorf("search %s: %w", typ, err)
		}
	}
	// The resources unchanged since the snapshot, in write order; one more
	// than the page tells whether another page follows.
	args := append(append([]any{}, w.args...), q.After, snap, count+1)
	rs, err := t.queryResources(ctx,
		`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq
		 FROM fhir_current c JOIN fhir_version v ON v.seq = c.seq
		 WHERE `+w.String()+` AND c.seq > ? AND c.seq <= ? ORDER BY c.seq LIMIT ?`, args...)
	if err != nil {
		return SearchResult{}, fmt.Errorf("search %s: %w", typ, err)
	}
	if later {
		// The resources changed since the snapshot (few: those written
		// while the client pages), at the place of their version of the
		// snapshot, up to where this page can reach.
		bound := snap
		if len(rs) > count {
			bound = rs[count].Seq
		}
		moved, err := t.movedSince(ctx, typ, q, snap, q.After, bound)
		if err != nil {
			return SearchResult{}, fmt.Errorf("search %s: %w", typ, err)
		}
		if len(moved) > 0 {
			rs = append(rs, moved...)
			slices.SortFunc(rs, func(a, b Resource) int { return cmpInt64(a.Seq, b.Seq) })
		}
	}
	res := SearchResult{Resources: rs, Total: total, Cursor: true}
	if len(rs) > count {
		res.Resources = rs[:count]
		res.Next = cursor{after: rs[count-1].Seq, snapshot: snap, total: total}.String()
	}
	return res, nil
}

// lastUpdatedFloor returns the time (µs) at or after which every match of
// q was written, when a _lastUpdated parameter with one lower bound (gt,
// ge, sa) says so.
func lastUpdatedFloor(q Query) (int64, bool) {
	for _, p := range q.Params {
		if p.Name != "_lastUpdated" || len(p.Values) != 1 {
			continue
		}
		switch v := p.Values[0]; v.Prefix {
		case "gt", "sa":
			return v.Hi, true
		case "ge":
			return v.Lo, true
		}
	}
	return 0, false
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// movedSince returns the matches of q changed after write snap whose
// version of the snapshot lies in (after, bound], in their current
// version and with Seq set to their version of the snapshot (their place
// in the paging order). Resources created after snap are not returned.
func (t *Tx) movedSince(ctx context.Context, typ string, q Query, snap, after, bound int64) ([]Resource, error) {
	w := searchConds(typ, q, "c.seq", true)
	args := append([]any{snap}, w.args...)
	args = append(args, snap, after, bound)
	rows, err := t.tx.QueryContext(ctx,
		`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json,
		        (SELECT MAX(n.seq) FROM fhir_version n WHERE n.type = c.type AND n.id = c.id AND n.seq <= ?) AS place
		 FROM fhir_current c JOIN fhir_version v ON v.seq = c.seq
		 WHERE `+w.String()+` AND c.seq > ? AND place > ? AND place <= ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// searchRows is one page by offset (or after an older cursor).
func (t *Tx) searchRows(ctx context.Context, typ string, q Query, w *sqlWhere, count int) ([]Resource, error) {
	order, orderArgs := orderBy(q.Sort)
	offset := q.Offset
	if q.After > 0 && len(q.Sort) == 0 {
		w.add("c.seq > ?", q.After)
		offset = 0
	}
	args := append(append(append([]any{}, w.args...), orderArgs...), count, offset)
	rs, err := t.queryResources(ctx,
		`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq
		 FROM fhir_current c JOIN fhir_version v ON v.seq = c.seq
		 WHERE `+w.String()+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", typ, err)
	}
	return rs, nil
}

// EverythingQuery selects a patient's records for Patient/$everything.
type EverythingQuery struct {
	Patient string    // the Patient id (required)
	Since   time.Time // zero = all; else resources changed at or after it
	Types   []string  // empty = all types
	Count   int       // page size, 0 = DefaultCount
	// Page is "" for the first page, else the token Everything returned for
	// the next one.
	Page string
}

// everythingPage is a parsed $everything page token: "o" + the cursor
// of the patient's own resources, or "s" + snapshot.total. + the last
// shared resource sent as Type/id ("" before the first).
type everythingPage struct {
	shared  bool
	cur     cursor
	lastRef string
}

func (p everythingPage) String() string {
	if p.shared {
		return "s" + strconv.FormatInt(p.cur.snapshot, 10) + "." + strconv.Itoa(p.cur.total) + "." + p.lastRef
	}
	return "o" + p.cur.String()
}

func parseEverythingPage(tok string) (everythingPage, error) {
	bad := fmt.Errorf("everything: %w: malformed page token", ErrInvalid)
	switch {
	case strings.HasPrefix(tok, "o"):
		c, ok := parseCursor(tok[1:])
		if !ok || c.snapshot == 0 {
			return everythingPage{}, bad
		}
		return everythingPage{cur: c}, nil
	case strings.HasPrefix(tok, "s"):
		parts := strings.SplitN(tok[1:], ".", 3)
		if len(parts) != 3 {
			return everythingPage{}, bad
		}
		c, ok := parseCursor("0." + parts[0] + "." + parts[1])
		if !ok || c.snapshot == 0 {
			return everythingPage{}, bad
		}
		if parts[2] != "" {
			typ, id, found := strings.Cut(parts[2], "/")
			if !found || !IsResourceType(typ) || !ValidID(id) {
				return everythingPage{}, bad
			}
		}
		return everythingPage{shared: true, cur: c, lastRef: parts[2]}, nil
	}
	return everythingPage{}, bad
}

// Everything returns one page of a patient's records, their total, and the
// token of the next page ("" after the last): the non-deleted resources in
// the patient's compartment (the Patient first, then in write order), then
// the shared practice resources they refer to (practitioners,
// organizations, locations, medications...), sorted by type and id. Pages
// follow a cursor over the record as it was on the first page (see the
// top of this file), so records changed between two pages neither shift
// the pages nor come twice.
func (t *Tx) Everything(ctx context.Context, e EverythingQuery) ([]Resource, int, string, error) {
	if e.Patient == "" {
		return nil, 0, "", fmt.Errorf("everything: %w: no patient", ErrInvalid)
	}
	count := e.Count
	if count <= 0 {
		count = DefaultCount
	}
	count = min(count, MaxCount)
	var page everythingPage
	if e.Page != "" {
		var err error
		if page, err = parseEverythingPage(e.Page); err != nil {
			return nil, 0, "", err
		}
	}
	var out []Resource
	var shared []Resource // the shared part, when already listed
	if e.Page == "" {
		snap, err := t.lastSeq(ctx)
		if err != nil {
			return nil, 0, "", fmt.Errorf("everything: %w", err)
		}
		own, err := t.countOwn(ctx, e)
		if err != nil {
			return nil, 0, "", err
		}
		if shared, err = t.shared(ctx, e, snap, "", -1); err != nil {
			return nil, 0, "", err
		}
		page.cur = cursor{snapshot: snap, total: own + len(shared)}
		if patient, ok, err := t.everythingPatient(ctx, e); err != nil {
			return nil, 0, "", err
		} else if ok {
			out = append(out, patient)
		}
	}
	total := page.cur.total
	if !page.shared {
		rs, err := t.ownPage(ctx, e, page.cur, count-len(out)+1)
		if err != nil {
			return nil, 0, "", err
		}
		out = append(out, rs...)
		// One row more than the page tells whether another page follows.
		if len(out) > count {
			out = out[:count]
			next := everythingPage{cur: cursor{after: out[count-1].Seq, snapshot: page.cur.snapshot, total: total}}
			if out[count-1].Type == "Patient" && out[count-1].ID == e.Patient {
				next.cur.after = 0 // a page of one: the Patient only
			}
			return out, total, next.String(), nil
		}
	}
	// The shared part: listed on the first page already, else now, once
	// for all it has left when it fits on this page.
	if shared == nil {
		var err error
		if shared, err = t.shared(ctx, e, page.cur.snapshot, page.lastRef, count-len(out)+1); err != nil {
			return nil, 0, "", err
		}
	}
	room := count - len(out)
	if len(shared) > room {
		out = append(out, shared[:room]...)
		last := out[len(out)-1]
		next := everythingPage{shared: true, cur: page.cur, lastRef: last.Type + "/" + last.ID}
		return out, total, next.String(), nil
	}
	return append(out, shared...), total, "", nil
}

// everythingFilter adds e's _since and _type conditions on version v.
func everythingFilter(w *sqlWhere, e EverythingQuery) {
	if !e.Since.IsZero() {
		w.add("v.last_updated >= ?", e.Since.UnixMicro())
	}
	if len(e.Types) > 0 {
		w.add("v.type IN (?"+strings.Repeat(", ?", len(e.Types)-1)+")", anySlice(e.Types)...)
	}
}

// countOwn counts the patient's current, non-deleted resources matching e,
// from the compartment's side: the cost grows with the patient's record,
// not with the practice's.
func (t *Tx) countOwn(ctx context.Context, e EverythingQuery) (int, error) {
	from, err := t.firstSeqSince(ctx, e.Since)
	if err != nil {
		return 0, fmt.Errorf("everything: %w", err)
	}
	w := &sqlWhere{}
	w.add("p.patient = ? AND p.seq >= ? AND c.deleted = 0", e.Patient, from)
	everythingFilter(w, e)
	var n int
	err = t.tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM fhir_compartment p JOIN fhir_version v ON v.seq = p.seq
		 JOIN fhir_current c ON c.type = v.type AND c.id = v.id AND c.seq = v.seq
		 WHERE `+w.String(), w.args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("everything: count: %w", err)
	}
	return n, nil
}

// everythingPatient is the Patient itself, when e selects it.
func (t *Tx) everythingPatient(ctx context.Context, e EverythingQuery) (Resource, bool, error) {
	if len(e.Types) > 0 && !slices.Contains(e.Types, "Patient") {
		return Resource{}, false, nil
	}
	r, err := t.Read(ctx, "Patient", e.Patient)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrGone) {
		return Resource{}, false, nil
	}
	if err != nil {
		return Resource{}, false, fmt.Errorf("everything: %w", err)
	}
	if !e.Since.IsZero() && r.LastUpdated.Before(e.Since) {
		return Resource{}, false, nil
	}
	return r, true, nil
}

// ownPage returns up to limit of the patient's own resources (the Patient
// excepted) after c.after, as they were at c.snapshot: for each resource
// its newest version at or before the snapshot, unless that is a deletion.
func (t *Tx) ownPage(ctx context.Context, e EverythingQuery, c cursor, limit int) ([]Resource, error) {
	from, err := t.firstSeqSince(ctx, e.Since)
	if err != nil {
		return nil, fmt.Errorf("everything: %w", err)
	}
	w := &sqlWhere{}
	w.add("p.patient = ? AND p.seq > ? AND p.seq <= ? AND v.deleted = 0", e.Patient, max(c.after, from-1), c.snapshot)
	w.add("NOT (v.type = 'Patient' AND v.id = ?)", e.Patient)
	w.add(`NOT EXISTS (SELECT 1 FROM fhir_version n WHERE n.type = v.type AND n.id = v.id
		AND n.version > v.version AND n.seq <= ?)`, c.snapshot)
	everythingFilter(w, e)
	rs, err := t.queryResources(ctx,
		`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq
		 FROM fhir_compartment p JOIN fhir_version v ON v.seq = p.seq
		 WHERE `+w.String()+` ORDER BY p.seq LIMIT ?`, append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("everything: %w", err)
	}
	return rs, nil
}

// firstSeqSinceSQL finds the first write at or after a time. INDEXED BY:
// left to itself, SQLite answers MIN(seq) by walking the table in seq
// order until a row matches, which for a recent time (an incremental
// sync) visits nearly every write ever made; the index visits only the
// writes since.
const firstSeqSinceSQL = `SELECT MIN(seq) FROM fhir_version INDEXED BY fhir_version_time WHERE last_updated >= ?`

// firstSeqSince is the first write at or after since (1 when since is
// zero; past the last write when nothing was written since). Writes are
// numbered in the order of their timestamps (see InTx), so the writes at
// or after since are exactly those from this seq on.
func (t *Tx) firstSeqSince(ctx context.Context, since time.Time) (int64, error) {
	if since.IsZero() {
		return 1, nil
	}
	var seq sql.NullInt64
	if err := t.tx.QueryRowContext(ctx, firstSeqSinceSQL, since.UnixMicro()).Scan(&seq); err != nil {
		return 0, fmt.Errorf("find writes since: %w", err)
	}
	if !seq.Valid {
		last, err := t.lastSeq(ctx)
		return last + 1, err
	}
	return seq.Int64, nil
}

// shared returns the shared part of $everything after lastRef, at most
// limit (-1 = all), for the search whose first page saw write snap. In
// full, from every reference of the patient's record: found once per
// search, by the first page (for the total), and kept for the last pages
// (sharedMemo), where they are listed; with _since, from the shared
// resources changed since (few), each kept if the record refers to it, so
// an incremental sync does not pay for the whole record.
func (t *Tx) shared(ctx context.Context, e EverythingQuery, snap int64, lastRef string, limit int) ([]Resource, error) {
	var (
		refs [][2]string
		err  error
	)
	switch {
	case !e.Since.IsZero():
		refs, err = t.sharedChangedSince(ctx, e)
	default:
		key := sharedKey{patient: e.Patient, snapshot: snap}
		var ok bool
		if refs, ok = t.st.shared.get(key); !ok {
			refs, err = t.sharedRefs(ctx, e.Patient)
			// Kept only from a read: a write transaction's snapshot may
			// be rolled back, and its number given to another write.
			if err == nil && !t.write {
				t.st.shared.put(key, refs)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return t.readShared(ctx, e, refs, lastRef, limit)
}

// sharedKey names the shared references of one full $everything: its
// patient and the snapshot of its first page.
type sharedKey struct {
	patient  string
	snapshot int64
}

// sharedMemoSize bounds the searches whose shared references are kept: a
// search whose entry went (many searches since, a restart) finds them
// again.
const sharedMemoSize = 16

// sharedMemo keeps the shared references of the latest full $everything
// searches. The lists are never modified once kept.
type sharedMemo struct {
	mu   sync.Mutex
	refs map[sharedKey][][2]string
	keys []sharedKey // oldest first
}

func (m *sharedMemo) get(k sharedKey) ([][2]string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	refs, ok := m.refs[k]
	return refs, ok
}

func (m *sharedMemo) put(k sharedKey, refs [][2]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refs == nil {
		m.refs = map[sharedKey][][2]string{}
	}
	if _, ok := m.refs[k]; ok {
		return
	}
	if len(m.keys) == sharedMemoSize {
		delete(m.refs, m.keys[0])
		m.keys = m.keys[1:]
	}
	m.refs[k] = refs
	m.keys = append(m.keys, k)
}

// sharedChangedSince lists the shared resources written at or after
// e.Since that the patient's current records refer to, sorted by type and
// id.
func (t *Tx) sharedChangedSince(ctx context.Context, e EverythingQuery) ([][2]string, error) {
	rows, err := t.tx.QueryContext(ctx,
		`SELECT DISTINCT type, id FROM fhir_version WHERE type IN (?`+strings.Repeat(", ?", len(sharedTypes)-1)+`)
		 AND last_updated >= ? ORDER BY type, id`, append(anySlice(sharedTypes), e.Since.UnixMicro())...)
	if err != nil {
		return nil, fmt.Errorf("everything: shared: %w", err)
	}
	var changed [][2]string
	for rows.Next() {
		var ref [2]string
		if err := rows.Scan(&ref[0], &ref[1]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("everything: shared: %w", err)
		}
		changed = append(changed, ref)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("everything: shared: %w", err)
	}
	var out [][2]string
	for _, ref := range changed {
		var one int
		err := t.tx.QueryRowContext(ctx,
			`SELECT 1 FROM fhir_index i
			 JOIN fhir_current c ON c.type = i.type AND c.id = i.id AND c.deleted = 0
			 JOIN fhir_compartment p ON p.seq = c.seq AND p.patient = ?
			 WHERE i.name = '`+sharedRefsParam+`' AND i.sys = ? AND i.val = ? LIMIT 1`, e.Patient, ref[0], ref[1]).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("everything: shared: %w", err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// sharedRefs lists the shared resources (SharedType) the patient's
// current records refer to, as "Type/id" sorted by type and id. They are
// found from the compartment side (each record's own index rows), so the
// cost grows with the patient's record, not with the number of slots or
// practitioners.
func (t *Tx) sharedRefs(ctx context.Context, patient string) ([][2]string, error) {
	rows, err := t.tx.QueryContext(ctx,
		`SELECT DISTINCT i.sys, i.val FROM fhir_compartment p JOIN fhir_version v ON v.seq = p.seq
		 JOIN fhir_current c ON c.type = v.type AND c.id = v.id AND c.seq = v.seq AND c.deleted = 0
		 JOIN fhir_index i ON i.type = c.type AND i.id = c.id AND i.name = ?
		 WHERE p.patient = ? ORDER BY i.sys, i.val`, sharedRefsParam, patient)
	if err != nil {
		return nil, fmt.Errorf("everything: shared: %w", err)
	}
	defer rows.Close()
	var refs [][2]string
	for rows.Next() {
		var typ, id string
		if err := rows.Scan(&typ, &id); err != nil {
			return nil, fmt.Errorf("everything: shared: %w", err)
		}
		refs = append(refs, [2]string{typ, id})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("everything: shared: %w", err)
	}
	return refs, nil
}

// readShared reads the current refs after the reference lastRef ("" =
// from the start) that e selects, at most limit of them (-1 = all).
// Referred to from the whole compartment, not only from what changed
// since e.Since: a client syncing with _since already has the older ones.
func (t *Tx) readShared(ctx context.Context, e EverythingQuery, refs [][2]string, lastRef string, limit int) ([]Resource, error) {
	var out []Resource
	for _, ref := range refs {
		if limit >= 0 && len(out) >= limit {
			break
		}
		if lastRef != "" && !refAfter(ref, lastRef) {
			continue
		}
		if len(e.Types) > 0 && !slices.Contains(e.Types, ref[0]) {
			continue
		}
		r, err := t.Read(ctx, ref[0], ref[1])
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrGone) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("everything: shared: %w", err)
		}
		if !e.Since.IsZero() && r.LastUpdated.Before(e.Since) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// refAfter reports whether ref sorts after last ("Type/id") in the order
// sharedRefs lists them (by type, then id).
func refAfter(ref [2]string, last string) bool {
	typ, id, _ := strings.Cut(last, "/")
	return ref[0] > typ || (ref[0] == typ && ref[1] > id)
}
