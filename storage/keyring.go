package storage

import (
	"errors"
	"fmt"
	"sync"

	gokeyring "github.com/zalando/go-keyring"
)

// Keyring is the small part of an OS credential store that storage needs.
// Get returns an error wrapping ErrNotFound when the entry is absent and one
// wrapping ErrNoKeyring when no backend is usable. Implementations must be
// safe for concurrent use; calls may block (an OS unlock prompt).
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

type osKeyring struct{}

// mapKeyringErr turns go-keyring errors into this package's sentinels. Any
// failure other than "not found" means the backend cannot be used now. The
// backend's message names no secret, so it is kept for diagnosis.
func mapKeyringErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gokeyring.ErrNotFound) {
		return fmt.Errorf("keyring %s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("keyring %s: %w: %v", op, ErrNoKeyring, err)
}

func (osKeyring) Get(service, user string) (string, error) {
	v, err := gokeyring.Get(service, user)
	return v, mapKeyringErr("get", err)
}

func (osKeyring) Set(service, user, secret string) error {
	return mapKeyringErr("set", gokeyring.Set(service, user, secret))
}

func (osKeyring) Delete(service, user string) error {
	return mapKeyringErr("delete", gokeyring.Delete(service, user))
}

// NoKeyring returns a Keyring that has no backend: every call fails at once
// with ErrNoKeyring, so the store protects its master key with the
// passphrase (Argon2id). It is what phones get from OSKeyring until a
// native Keystore/Keychain bridge exists (see docs/platforms.md), and what
// a test uses to run the phone's path on a desktop.
func NoKeyring(reason string) Keyring { return noKeyring{reason: reason} }

type noKeyring struct{ reason string }

func (k noKeyring) err(op string) error {
	return fmt.Errorf("keyring %s: %w: %s", op, ErrNoKeyring, k.reason)
}

func (k noKeyring) Get(string, string) (string, error) { return "", k.err("get") }
func (k noKeyring) Set(string, string, string) error   { return k.err("set") }
func (k noKeyring) Delete(string, string) error        { return k.err("delete") }

// NewMemoryKeyring returns an empty Keyring held in process memory. It is for
// tests, and for platforms whose app supplies no keyring (its content is lost
// when the process exits, so a store using it also needs a passphrase).
// Unlike go-keyring's MockInit it is not global, so parallel tests can each
// have their own.
func NewMemoryKeyring() Keyring {
	return &memoryKeyring{entries: make(map[[2]string]string)}
}

type memoryKeyring struct {
	mu      sync.Mutex
	entries map[[2]string]string
}

func (m *memoryKeyring) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.entries[[2]string{service, user}]
	if !ok {
		return "", fmt.Errorf("keyring get: %w", ErrNotFound)
	}
	return v, nil
}

func (m *memoryKeyring) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[[2]string{service, user}] = secret
	return nil
}

func (m *memoryKeyring) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{service, user}
	if _, ok := m.entries[k]; !ok {
		return fmt.Errorf("keyring delete: %w", ErrNotFound)
	}
	delete(m.entries, k)
	return nil
}
