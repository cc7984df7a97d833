package practice

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
)

// Tests start hundreds of throwaway practices (no DataFile) with the same
// demo data. Generating that data and loading it into SQLite is the
// slowest part of a start (seconds under the race detector), so a process
// does it once per kind of practice: the demo data, and a snapshot of the
// database once it was seeded. Every later throwaway practice of the same
// kind starts from a copy of that snapshot. A practice with a DataFile, or
// loading files, is seeded as before.

// templateKey is what makes two throwaway practices' seeded databases the
// same: synth's options, the accounts' password cost, and the day (the
// demo's appointments and free times are relative to today).
type templateKey struct {
	seed         int64
	scale        int
	passwordCost int
	day          string
	dataset      string
}

var templates struct {
	mu   sync.Mutex
	data map[templateKey]*generated // synth's output
	db   map[templateKey][]byte     // seeded databases (store.Snapshot)
}

// generated is synth's output for one key.
type generated struct {
	bundles  [][]byte
	accounts []synth.Account
}

func (s *Server) templateKey() templateKey {
	return templateKey{seed: s.cfg.Seed, scale: s.cfg.Scale, passwordCost: s.cfg.PasswordCost,
		day: time.Now().Format(time.DateOnly), dataset: s.cfg.Dataset}
}

// throwaway reports whether the practice lives in a temporary database
// seeded with the demo data only: the kind a template can serve.
func (s *Server) throwaway() bool { return s.cfg.DataFile == "" && len(s.cfg.Load) == 0 }

// generate returns synth's demo data for the practice, made once per key.
// Callers must not change what it returns.
func (s *Server) generate() ([][]byte, []synth.Account, error) {
	key := s.templateKey()
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if g := templates.data[key]; g != nil {
		return g.bundles, g.accounts, nil
	}
	bundles, accounts, err := generateLocked(key)
	if err != nil {
		return nil, nil, err
	}
	if templates.data == nil {
		templates.data = map[templateKey]*generated{}
	}
	templates.data[key] = &generated{bundles: bundles, accounts: accounts}
	return bundles, accounts, nil
}

// generateLocked makes the data of key, with templates.mu held. A second
// practice (synth.DatasetLakeside) is derived from the demo practice's data
// of the same day, kept for the demo practice's own starts, so the same
// patient's shared items carry the same dates at both.
func generateLocked(key templateKey) ([][]byte, []synth.Account, error) {
	switch key.dataset {
	case "":
		return synth.Generate(synth.Options{Seed: key.seed, Scale: key.scale})
	case synth.DatasetLakeside:
		demoKey := key
		demoKey.dataset, demoKey.scale = "", 0
		g := templates.data[demoKey]
		if g == nil {
			bundles, accounts, err := synth.Generate(synth.Options{Seed: key.seed})
			if err != nil {
				return nil, nil, err
			}
			g = &generated{bundles: bundles, accounts: accounts}
			if templates.data == nil {
				templates.data = map[templateKey]*generated{}
			}
			templates.data[demoKey] = g
		}
		return synth.Lakeside(g.bundles, time.Now())
	}
	return nil, nil, fmt.Errorf("%w: unknown dataset %q", synth.ErrBadOptions, key.dataset)
}

// openTemplate opens a copy of the seeded database of the practice's kind,
// or returns nil when there is none yet (or the practice is not a
// throwaway one).
func (s *Server) openTemplate() (*store.Store, error) {
	if !s.throwaway() {
		return nil, nil
	}
	templates.mu.Lock()
	image := templates.db[s.templateKey()]
	templates.mu.Unlock()
	if image == nil {
		return nil, nil
	}
	return store.OpenCopy(image)
}

// keepTemplate keeps a snapshot of the freshly seeded database for the
// next throwaway practice of the same kind.
func (s *Server) keepTemplate(ctx context.Context) error {
	if !s.throwaway() {
		return nil
	}
	key := s.templateKey()
	templates.mu.Lock()
	have := templates.db[key] != nil
	templates.mu.Unlock()
	if have {
		return nil
	}
	image, err := s.st.Snapshot(ctx)
	if err != nil {
		return err
	}
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if templates.db == nil {
		templates.db = map[templateKey][]byte{}
	}
	templates.db[key] = image
	return nil
}
