package ui

import (
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// draftSaveDelay is how long after the last change a draft is saved.
const draftSaveDelay = 700 * time.Millisecond

// draftID names a form's draft among every form on screen: its profile
// and its key. (Profile ids are random: two cores, a test's, may share
// only made-up ones, and then a flush saves a draft too early, no more.)
type draftID struct {
	profileID string
	key       string
}

// unsavedDrafts holds the autosave of each draft with a change not saved
// yet (a *autosave[T], by draftID), so that a form opening again saves
// what the form the patient just left holds before it reads the draft
// (flushDraft).
var unsavedDrafts sync.Map

// flushDraft saves the change a form left unsaved under id, if any. Any
// goroutine but the UI's: it may wait for storage.
func flushDraft(id draftID) {
	if s, ok := unsavedDrafts.Load(id); ok {
		s.(interface{ save() }).save()
	}
}

// autosave keeps what a form holds (a T) as a sealed draft: saved once the
// patient pauses (draftSaveDelay), before any lock (the core's
// SaveBeforeLock), and before a form of the same draft reads it
// (flushDraft); never once the form is closed (sent or discarded).
type autosave[T any] struct {
	id draftID
	// write saves a T; it blocks on storage (never on the UI goroutine).
	write func(T) error
	// keep registers a save with every lock (SaveBeforeLock).
	keep func(save func()) (remove func())
	// shown, when set, is told each write's outcome on the UI goroutine.
	shown func(err error)
	do    func(func()) // doOnUI, read on the UI goroutine when built

	edits  atomic.Int64 // counts changes, so only the last one is saved
	closed atomic.Bool  // sent or discarded: no more saves
	saveMu sync.Mutex   // one write at a time

	mu      sync.Mutex
	unsaved *T     // the latest change, until it is saved
	forget  func() // the lock's save of unsaved, while there is one
}

// newAutosave makes the autosave of the draft id. UI goroutine.
func newAutosave[T any](id draftID, keep func(save func()) (remove func()), write func(T) error) *autosave[T] {
	return &autosave[T]{id: id, write: write, keep: keep, do: doOnUI}
}

// changed notes that the form now holds v: it is saved once the patient
// pauses, or before that by a lock or the form opening again. UI
// goroutine.
func (s *autosave[T]) changed(v T) {
	n := s.edits.Add(1)
	s.mu.Lock()
	s.unsaved = &v
	if s.forget == nil {
		s.forget = s.keep(s.save)
		unsavedDrafts.Store(s.id, s)
	}
	s.mu.Unlock()
	time.AfterFunc(draftSaveDelay, func() {
		if n == s.edits.Load() {
			s.save()
		}
	})
}

// save writes the latest change unless the form is closed; after a
// failure the change waits for the next one, or the next save. Any
// goroutine but the UI's.
func (s *autosave[T]) save() {
	if s.closed.Load() {
		// Without waiting for the send under way (exclusive): a lock
		// must not wait for the network.
		s.take()
		s.settle(nil)
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	v := s.take()
	var err error
	if v != nil && !s.closed.Load() {
		err = s.write(*v)
	}
	s.settle(func() {
		if err != nil && s.unsaved == nil {
			s.unsaved = v
		}
	})
	if v != nil && s.shown != nil {
		s.do(func() { s.shown(err) })
	}
}

// take takes the unsaved change, or nil.
func (s *autosave[T]) take() *T {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.unsaved
	s.unsaved = nil
	return v
}

// settle runs restore (when set) with s.mu held, then ends the lock's save
// and the form's place among the unsaved drafts once nothing is left to
// save.
func (s *autosave[T]) settle(restore func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if restore != nil {
		restore()
	}
	if s.forget != nil && (s.unsaved == nil || s.closed.Load()) {
		s.forget()
		s.forget = nil
		unsavedDrafts.CompareAndDelete(s.id, s)
	}
}

// The form's send (or its draft's discard) goes: close, then exclusive
// with the send in the background, then reopen when nothing was stored.
// Each does nothing more than run f on a nil autosave (a form without
// drafts).

// close stops the saves: the form is being sent, or its draft
// discarded. Any goroutine.
func (s *autosave[T]) close() {
	if s != nil {
		s.closed.Store(true)
	}
}

// reopen lets the saves go on after a send or discard failed, from v,
// what the form holds: it is still the patient's, and a change made just
// before close is saved too. UI goroutine.
func (s *autosave[T]) reopen(v T) {
	if s == nil {
		return
	}
	s.closed.Store(false)
	s.changed(v)
}

// exclusive runs f (the send or the discard of the draft) with no write
// of the draft under way. Any goroutine but the UI's.
func (s *autosave[T]) exclusive(f func()) {
	if s == nil {
		f()
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	f()
}

// discardButton is a form's "Discard draft": tapped, it empties the form
// (clear), then saves an empty T at once in place of what the form held,
// which removes the draft (an empty draft is none). The form stays open,
// for a fresh start. UI goroutine; touch notes the patient's activity.
func (s *autosave[T]) discardButton(touch, clear func()) *widget.Button {
	return &widget.Button{Text: lang.L("Discard draft"), Icon: theme.DeleteIcon(), OnTapped: func() {
		touch()
		clear()
		var none T
		s.changed(none)
		go s.save()
	}}
}
