package store

import (
	"context"
	"fmt"
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
// q.NoTotal). See SearchPage for paging.
func (t *Tx) Search(ctx context.Context, typ string, q Query) ([]Resource, int, error) {
	p, err := t.SearchPage(ctx, typ, q)
	return p.Resources, p.Total, err
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
		// The writes since are those from the first one at or after it
		// (see firstSeqSince): a seq range, whatever the plan.
		from, err := t.firstSeqSince(ctx, h.Since)
		if err != nil {
			return nil, 0, fmt.Errorf("history: %w", err)
		}
		w.add("v.last_updated >= ? AND v.seq >= ?", h.Since.UnixMicro(), from)
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
