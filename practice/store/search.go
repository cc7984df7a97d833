package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sqlWhere accumulates SQL conditions and their arguments.
type sqlWhere struct {
	conds []string
	args  []any
}

func (w *sqlWhere) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *sqlWhere) String() string { return strings.Join(w.conds, " AND ") }

// dateCond returns the SQL condition comparing a stored range [lo, hi) with
// a search value, after the FHIR date search rules.
func dateCond(lo, hi string, v Value) (string, []any) {
	switch v.Prefix {
	case "ne":
		return fmt.Sprintf("NOT (%s >= ? AND %s <= ?)", lo, hi), []any{v.Lo, v.Hi}
	case "gt":
		return hi + " > ?", []any{v.Hi}
	case "lt":
		return lo + " < ?", []any{v.Lo}
	case "ge":
		return hi + " > ?", []any{v.Lo}
	case "le":
		return lo + " < ?", []any{v.Hi}
	case "sa":
		return lo + " >= ?", []any{v.Hi}
	case "eb":
		return hi + " <= ?", []any{v.Lo}
	case "ap":
		return fmt.Sprintf("(%s < ? AND %s > ?)", lo, hi), []any{v.Hi, v.Lo}
	}
	return fmt.Sprintf("(%s >= ? AND %s <= ?)", lo, hi), []any{v.Lo, v.Hi}
}

// paramCond returns the SQL condition for one search parameter over the
// current-resource row aliased c.
func paramCond(p Param) (string, []any) {
	var (
		ors  []string
		args []any
	)
	switch p.Name {
	case "_id":
		for _, v := range p.Values {
			ors = append(ors, "c.id = ?")
			args = append(args, v.Code)
		}
		return "(" + strings.Join(ors, " OR ") + ")", args
	case "_lastUpdated":
		for _, v := range p.Values {
			cond, a := dateCond("c.last_updated", "(c.last_updated + 1)", v)
			ors = append(ors, cond)
			args = append(args, a...)
		}
		return "(" + strings.Join(ors, " OR ") + ")", args
	}
	for _, v := range p.Values {
		switch p.Kind {
		case KindToken:
			if v.HasSystem && v.Code == "" {
				ors = append(ors, "i.sys = ?")
				args = append(args, v.System)
			} else if v.HasSystem {
				ors = append(ors, "(i.sys = ? AND i.val = ?)")
				args = append(args, v.System, v.Code)
			} else {
				ors = append(ors, "i.val = ?")
				args = append(args, v.Code)
			}
		case KindReference:
			if v.Type != "" {
				ors = append(ors, "(i.sys = ? AND i.val = ?)")
				args = append(args, v.Type, v.ID)
			} else {
				ors = append(ors, "i.val = ?")
				args = append(args, v.ID)
			}
		case KindDate:
			cond, a := dateCond("i.lo", "i.hi", v)
			ors = append(ors, cond)
			args = append(args, a...)
		}
	}
	cond := `EXISTS (SELECT 1 FROM fhir_index i WHERE i.type = c.type AND i.id = c.id AND i.name = ? AND (` +
		strings.Join(ors, " OR ") + `))`
	return cond, append([]any{p.Name}, args...)
}

// Search runs q over the current, non-deleted resources of type typ and
// returns one page of matches and the total number of matches (-1 when
// q.NoTotal).
func (t *Tx) Search(ctx context.Context, typ string, q Query) ([]Resource, int, error) {
	if !IsResourceType(typ) {
		return nil, 0, fmt.Errorf("search: %w: unknown resource type %q", ErrInvalid, truncate(typ))
	}
	w := &sqlWhere{}
	w.add("c.type = ? AND c.deleted = 0", typ)
	if q.Patient != "" {
		w.add("EXISTS (SELECT 1 FROM fhir_compartment p WHERE p.seq = c.seq AND p.patient = ?)", q.Patient)
	}
	for _, p := range q.Params {
		cond, args := paramCond(p)
		w.add(cond, args...)
	}
	total := -1
	if !q.NoTotal || q.CountOnly {
		if err := t.tx.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM fhir_current c WHERE `+w.String(), w.args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("search %s: count: %w", typ, err)
		}
	}
	if q.CountOnly {
		return nil, total, nil
	}
	order, orderArgs := orderBy(q.Sort)
	count := q.Count
	if count <= 0 {
		count = DefaultCount
	}
	offset := q.Offset
	if q.After > 0 && len(q.Sort) == 0 {
		w.add("c.seq > ?", q.After)
		offset = 0
	}
	args := append(append(append([]any{}, w.args...), orderArgs...), count, offset)
	rows, err := t.tx.QueryContext(ctx,
		`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq
		 FROM fhir_current c JOIN fhir_version v ON v.seq = c.seq
		 WHERE `+w.String()+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search %s: %w", typ, err)
	}
	defer rows.Close()
	var out []Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("search %s: %w", typ, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("search %s: %w", typ, err)
	}
	return out, total, nil
}

func orderBy(sorts []Sort) (string, []any) {
	var (
		keys []string
		args []any
	)
	for _, s := range sorts {
		var key string
		switch s.Param {
		case "_lastUpdated":
			key = "c.last_updated"
		case "_id":
			key = "c.id"
		default:
			key = "(SELECT MIN(i.lo) FROM fhir_index i WHERE i.type = c.type AND i.id = c.id AND i.name = ?)"
			args = append(args, s.Param)
		}
		if s.Desc {
			key += " DESC"
		}
		keys = append(keys, key)
	}
	keys = append(keys, "c.seq") // a stable order for paging
	return strings.Join(keys, ", "), args
}

// Included returns the current, non-deleted resources that rs refer to
// through the reference parameters of include, without repeats and without
// resources already in rs. When patient is not empty, only resources of a
// shared type (see SharedType) or in that patient's compartment are returned.
func (t *Tx) Included(ctx context.Context, rs []Resource, include []Include, patient string) ([]Resource, error) {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.Type+"/"+r.ID] = true
	}
	var out []Resource
	for _, inc := range include {
		for _, r := range rs {
			if r.Type != inc.SourceType {
				continue
			}
			rows, err := t.tx.QueryContext(ctx,
				`SELECT sys, val FROM fhir_index WHERE type = ? AND id = ? AND name = ?`, r.Type, r.ID, inc.Param)
			if err != nil {
				return nil, fmt.Errorf("include: %w", err)
			}
			var targets [][2]string
			for rows.Next() {
				var tt, id string
				if err := rows.Scan(&tt, &id); err != nil {
					rows.Close()
					return nil, fmt.Errorf("include: %w", err)
				}
				targets = append(targets, [2]string{tt, id})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("include: %w", err)
			}
			for _, target := range targets {
				key := target[0] + "/" + target[1]
				if seen[key] || (inc.TargetType != "" && target[0] != inc.TargetType) {
					continue
				}
				seen[key] = true
				if patient != "" && !SharedType(target[0]) {
					in, err := t.InCompartment(ctx, target[0], target[1], patient)
					if err != nil {
						return nil, err
					}
					if !in {
						continue
					}
				}
				res, err := t.Read(ctx, target[0], target[1])
				if err != nil {
					continue // dangling or deleted: nothing to include
				}
				out = append(out, res)
			}
		}
	}
	return out, nil
}

// HistoryQuery selects resource versions for a history interaction.
type HistoryQuery struct {
	Type    string    // "" = all types (system history)
	ID      string    // "" = all resources of Type; needs Type
	Since   time.Time // zero = from the beginning; else versions at or after it
	Patient string    // "" = everyone; else versions in that patient's compartment
	Types   []string  // when not empty (and Type is ""), only these types
	Count   int       // page size, 0 = DefaultCount
	Offset  int
}

// History returns one page of versions (deletions included, with Deleted
// set and no JSON), newest first, and the number of versions selected.
func (t *Tx) History(ctx context.Context, h HistoryQuery) ([]Resource, int, error) {
	w := &sqlWhere{}
	w.add("1 = 1")
	if h.Type != "" {
		w.add("v.type = ?", h.Type)
	}
	if h.ID != "" {
		w.add("v.id = ?", h.ID)
	}
	if h.Type == "" && len(h.Types) > 0 {
		w.add("v.type IN (?"+strings.Repeat(", ?", len(h.Types)-1)+")", anySlice(h.Types)...)
	}
	if !h.Since.IsZero() {
		w.add("v.last_updated >= ?", h.Since.UnixMicro())
	}
	if h.Patient != "" {
		w.add("EXISTS (SELECT 1 FROM fhir_compartment p WHERE p.seq = v.seq AND p.patient = ?)", h.Patient)
	}
	var total int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM fhir_version v WHERE `+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("history: count: %w", err)
	}
	count := h.Count
	if count <= 0 {
		count = DefaultCount
	}
	rows, err := t.tx.QueryContext(ctx,
		`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq FROM fhir_version v
		 WHERE `+w.String()+` ORDER BY v.seq DESC LIMIT ? OFFSET ?`,
		append(w.args, min(count, MaxCount), h.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("history: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("history: %w", err)
	}
	return out, total, nil
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

// Everything returns one page of a patient's records, their total, and the
// token of the next page ("" after the last): the current, non-deleted
// resources in the patient's compartment (the Patient first, then in write
// order), then the shared practice resources they refer to
// (practitioners, organizations, locations, medications...). Pages follow a
// cursor, so records changed between two pages do not shift them.
func (t *Tx) Everything(ctx context.Context, e EverythingQuery) ([]Resource, int, string, error) {
	if e.Patient == "" {
		return nil, 0, "", fmt.Errorf("everything: %w: no patient", ErrInvalid)
	}
	var (
		afterSeq   int64 // own part: after this seq (Patient already sent)
		sharedFrom int   // shared part: from this index
		inShared   bool
	)
	switch {
	case e.Page == "":
	case strings.HasPrefix(e.Page, "o"):
		n, err := strconv.ParseInt(e.Page[1:], 10, 64)
		if err != nil || n < 0 {
			return nil, 0, "", fmt.Errorf("everything: %w: malformed page token", ErrInvalid)
		}
		afterSeq = n
	case strings.HasPrefix(e.Page, "s"):
		n, err := strconv.Atoi(e.Page[1:])
		if err != nil || n < 0 {
			return nil, 0, "", fmt.Errorf("everything: %w: malformed page token", ErrInvalid)
		}
		sharedFrom, inShared = n, true
	default:
		return nil, 0, "", fmt.Errorf("everything: %w: malformed page token", ErrInvalid)
	}
	inCompartment := "c.deleted = 0 AND EXISTS (SELECT 1 FROM fhir_compartment p WHERE p.seq = c.seq AND p.patient = ?)"
	w := &sqlWhere{}
	w.add(inCompartment, e.Patient)
	if !e.Since.IsZero() {
		w.add("c.last_updated >= ?", e.Since.UnixMicro())
	}
	if len(e.Types) > 0 {
		w.add("c.type IN (?"+strings.Repeat(", ?", len(e.Types)-1)+")", anySlice(e.Types)...)
	}
	var own int
	if err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM fhir_current c WHERE `+w.String(), w.args...).Scan(&own); err != nil {
		return nil, 0, "", fmt.Errorf("everything: count: %w", err)
	}
	shared, err := t.sharedReferenced(ctx, e, inCompartment)
	if err != nil {
		return nil, 0, "", err
	}
	count := e.Count
	if count <= 0 {
		count = DefaultCount
	}
	count = min(count, MaxCount)
	var out []Resource
	if !inShared {
		var rs []Resource
		if e.Page == "" {
			args := append(append([]any{}, w.args...), e.Patient, count+1)
			rs, err = t.queryResources(ctx,
				`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq
				 FROM fhir_current c JOIN fhir_version v ON v.seq = c.seq
				 WHERE `+w.String()+`
				 ORDER BY (c.type = 'Patient' AND c.id = ?) DESC, c.seq LIMIT ?`, args...)
		} else {
			args := append(append([]any{}, w.args...), e.Patient, afterSeq, count+1)
			rs, err = t.queryResources(ctx,
				`SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.json, v.seq
				 FROM fhir_current c JOIN fhir_version v ON v.seq = c.seq
				 WHERE `+w.String()+` AND NOT (c.type = 'Patient' AND c.id = ?) AND c.seq > ?
				 ORDER BY c.seq LIMIT ?`, args...)
		}
		if err != nil {
			return nil, 0, "", fmt.Errorf("everything: %w", err)
		}
		// One row more than the page tells whether another page follows.
		out = rs
		if len(out) > count {
			out = out[:count]
			// The Patient comes first whatever its seq: the cursor is the
			// largest seq sent.
			last := afterSeq
			for _, r := range out {
				if !(r.Type == "Patient" && r.ID == e.Patient) {
					last = max(last, r.Seq)
				}
			}
			return out, own + len(shared), "o" + strconv.FormatInt(last, 10), nil
		}
	}
	from := min(sharedFrom, len(shared))
	to := min(from+count-len(out), len(shared))
	out = append(out, shared[from:to]...)
	next := ""
	if to < len(shared) {
		next = "s" + strconv.Itoa(to)
	}
	return out, own + len(shared), next, nil
}

// sharedReferenced returns the current shared resources (SharedType) that
// the patient's records refer to, sorted by type and id, filtered by
// e.Since and e.Types. They are found from the compartment side (each
// record's own index rows), so the cost grows with the patient's record,
// not with the number of slots or practitioners. Referred to from the whole
// compartment, not only from what changed since e.Since: a client syncing
// with _since already has the older ones.
func (t *Tx) sharedReferenced(ctx context.Context, e EverythingQuery, inCompartment string) ([]Resource, error) {
	rows, err := t.tx.QueryContext(ctx,
		`SELECT DISTINCT i.sys, i.val FROM fhir_current c
		 JOIN fhir_index i ON i.type = c.type AND i.id = c.id AND i.name = ?
		 WHERE `+inCompartment+` ORDER BY i.sys, i.val`, sharedRefsParam, e.Patient)
	if err != nil {
		return nil, fmt.Errorf("everything: shared: %w", err)
	}
	var refs [][2]string
	for rows.Next() {
		var typ, id string
		if err := rows.Scan(&typ, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("everything: shared: %w", err)
		}
		refs = append(refs, [2]string{typ, id})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("everything: shared: %w", err)
	}
	var out []Resource
	for _, ref := range refs {
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

// queryResources runs a query selecting resource columns.
func (t *Tx) queryResources(ctx context.Context, query string, args ...any) ([]Resource, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
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

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
