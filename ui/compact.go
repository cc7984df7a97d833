package ui

import "strings"

// keptTexts gathers the texts a section keeps for as long as it is shown
// (its rows' titles, dates, keys) and moves them into one allocation,
// each distinct text once (compact). Built one by one while the record
// was decoded, thousands of small texts would stay scattered among what
// the decoded record left free, keeping most of the memory it used in
// use; and the same words ("Office visit") would be kept once a row.
type keptTexts struct {
	ptrs []*string
}

// add gathers texts; they must not move (the slices holding them are
// final) until compact.
func (k *keptTexts) add(texts ...*string) {
	k.ptrs = append(k.ptrs, texts...)
}

// compact moves every text gathered into one string.
func (k *keptTexts) compact() {
	at := make(map[string]int, len(k.ptrs)/2)
	n := 0
	for _, p := range k.ptrs {
		if _, ok := at[*p]; !ok && *p != "" {
			at[*p] = n
			n += len(*p)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range k.ptrs {
		// Each text is written where it was first met.
		if s := *p; s != "" && at[s] == b.Len() {
			b.WriteString(s)
		}
	}
	all := b.String()
	for _, p := range k.ptrs {
		if s := *p; s != "" {
			*p = all[at[s] : at[s]+len(s)]
		}
	}
	k.ptrs = nil
}

// addItems gathers the texts of a list's rows.
func (k *keptTexts) addItems(items []listItem) {
	for i := range items {
		it := &items[i]
		k.add(&it.title, &it.detail, &it.flag, &it.key, &it.source)
	}
}

// idList is a list of ids kept as one text, separated by NUL (which no
// id holds): a section keeps the ids of what each of thousands of rows
// shows, and one text each, moved with the section's other texts into
// one allocation (keptTexts), keeps no slice and no string header per id.
type idList string

func newIDList(ids []string) idList { return idList(strings.Join(ids, "\x00")) }

// ids are the ids of the list, in order.
func (l idList) ids() []string {
	if l == "" {
		return nil
	}
	return strings.Split(string(l), "\x00")
}

// text is the list's text, for keptTexts.add.
func (l *idList) text() *string { return (*string)(l) }
