package storage_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/carebook/carebook/storage"
)

// A first start on a machine without a keyring, a profile, a pull that
// stores resources with its checkpoint, and an outbox item.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "carebook-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Production code passes no KDF (Argon2id at full cost) and no
	// NoKeyring (the OS keyring is used where it works).
	s, err := storage.Open(dir, storage.Options{NoKeyring: true, KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Setup(ctx, "a long passphrase"); err != nil {
		log.Fatal(err)
	}

	p, err := s.CreateProfile(ctx, storage.Profile{PracticeURL: "https://practice.example/fhir", PatientID: "123", Label: "Maya"})
	if err != nil {
		log.Fatal(err)
	}

	// One pull page: resources and checkpoint commit together.
	err = s.Update(ctx, p.ID, func(tx *storage.Tx) error {
		err := tx.Put(storage.Resource{Type: "Observation", ID: "bp-1", LastUpdated: time.Now(),
			JSON: []byte(`{"resourceType":"Observation","id":"bp-1"}`)})
		if err != nil {
			return err
		}
		return tx.SetCheckpoint("Observation", "2024-05-01T10:00:00Z")
	})
	if err != nil {
		log.Fatal(err)
	}

	item, err := s.Enqueue(ctx, storage.OutboxItem{ProfileID: p.ID, Kind: "message",
		Identifier: "urn:uuid:6b1c0e6e-3b43-4a7e-9f3c-7a4f0f1d2c11", Payload: []byte(`{"resourceType":"Communication"}`)})
	if err != nil {
		log.Fatal(err)
	}

	s.Lock() // e.g. after inactivity
	_, err = s.Get(ctx, p.ID, "Observation", "bp-1")
	fmt.Println("locked:", err != nil)

	if err := s.UnlockWithPassphrase(ctx, "a long passphrase"); err != nil {
		log.Fatal(err)
	}
	r, err := s.Get(ctx, p.ID, "Observation", "bp-1")
	if err != nil {
		log.Fatal(err)
	}
	since, _, _ := s.Checkpoint(ctx, p.ID, "Observation")
	fmt.Println(r.Type, r.ID, since, item.Status)
	// Output:
	// locked: true
	// Observation bp-1 2024-05-01T10:00:00Z pending
}
