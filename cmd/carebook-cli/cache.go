package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/carebook/carebook/storage"
)

// passphraseVar is the environment variable holding the cache passphrase.
const passphraseVar = "CAREBOOK_PASSPHRASE"

// openCache opens and unlocks the cache in dir (default storage.DefaultDir),
// setting it up on first use.
func openCache(ctx context.Context, dir string, e env) (*storage.Store, error) {
	dir, err := storage.DirOrDefault(dir)
	if err != nil {
		return nil, usagef("no --data folder given and no default: %v", err)
	}
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		return nil, err
	}
	if err := unlock(ctx, st, e.getenv(passphraseVar)); err != nil {
		st.Close()
		return nil, err
	}
	if err := openOwnLocks(ctx, st, e); err != nil {
		st.Close()
		return nil, err
	}
	// The key derivations are done: Argon2id's 64 MiB is garbage now.
	// Collect it and give it back to the system at once. Otherwise the
	// collector's next goal is twice that heap, a long command (the sync of
	// a large record) runs its whole course with 128 MB of garbage before
	// the first collection, and the memory stays with the process.
	debug.FreeOSMemory()
	return st, nil
}

func unlock(ctx context.Context, st *storage.Store, passphrase string) error {
	ok, err := st.Initialized(ctx)
	if err != nil {
		return err
	}
	if !ok {
		// The app's rule for passphrases (storage.CheckPassphrase).
		if err := storage.CheckPassphrase(passphrase); err != nil {
			return usagef("%s: %v", passphraseVar, err)
		}
		if err := st.Setup(ctx, passphrase); err != nil {
			if errors.Is(err, storage.ErrPassphraseRequired) {
				return fmt.Errorf("no keyring available: set %s to protect the cache with a passphrase: %w", passphraseVar, err)
			}
			return fmt.Errorf("set up the cache: %w", err)
		}
		return nil
	}
	if passphrase != "" {
		if err := st.UnlockWithPassphrase(ctx, passphrase); err != nil {
			return fmt.Errorf("unlock the cache: %w", err)
		}
		return nil
	}
	if err := st.UnlockWithKeyring(ctx); err != nil {
		return fmt.Errorf("unlock the cache (set %s to use the passphrase): %w", passphraseVar, err)
	}
	return nil
}
