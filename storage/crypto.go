package storage

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sealed values ("envelopes") have this layout:
//
//	version (1 byte) | nonce (24 bytes) | XChaCha20-Poly1305 ciphertext and tag
//
// The version byte is also part of the associated data, so it cannot be
// changed without failing authentication.
const (
	envelopeV1      = 1
	keySize         = chacha20poly1305.KeySize    // 32 bytes, 256-bit keys
	nonceSize       = chacha20poly1305.NonceSizeX // 24 bytes, random nonces are safe
	envelopeHeader  = 1 + nonceSize
	envelopeMinSize = envelopeHeader + chacha20poly1305.Overhead
)

// adFor builds associated data from its parts. Each part is length-prefixed
// so that ("ab","c") and ("a","bc") never produce the same bytes.
func adFor(parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += binary.MaxVarintLen64 + len(p)
	}
	return appendAD(make([]byte, 0, n), parts...)
}

// appendAD appends the associated data of parts to dst (see adFor).
func appendAD(dst []byte, parts ...string) []byte {
	dst = append(dst, envelopeV1)
	for _, p := range parts {
		dst = binary.AppendUvarint(dst, uint64(len(p)))
		dst = append(dst, p...)
	}
	return dst
}

// seal encrypts plaintext under key, bound to ad, with a fresh random nonce.
func seal(key, plaintext, ad []byte) ([]byte, error) {
	return sealAppend(nil, key, plaintext, ad)
}

// sealAppend is seal appending the envelope to dst (which may be reused
// scratch space; it must not overlap plaintext).
func sealAppend(dst, key, plaintext, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	start := len(dst)
	dst = slices.Grow(dst, envelopeHeader+len(plaintext)+aead.Overhead())
	dst = append(dst, envelopeV1)
	dst = dst[:start+envelopeHeader]
	nonce := dst[start+1 : start+envelopeHeader]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return aead.Seal(dst, nonce, plaintext, ad), nil
}

// open authenticates and decrypts an envelope made by seal. Any malformed,
// altered or misplaced envelope yields ErrIntegrity.
func open(key, envelope, ad []byte) ([]byte, error) {
	if len(envelope) < envelopeMinSize {
		return nil, fmt.Errorf("open sealed value: %w: too short", ErrIntegrity)
	}
	if envelope[0] != envelopeV1 {
		return nil, fmt.Errorf("open sealed value: %w: unknown format %d", ErrIntegrity, envelope[0])
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", err)
	}
	pt, err := aead.Open(nil, envelope[1:envelopeHeader], envelope[envelopeHeader:], ad)
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", ErrIntegrity)
	}
	return pt, nil
}

// randomKey returns a new random 256-bit key.
func randomKey() ([]byte, error) {
	k := make([]byte, keySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("random key: %w", err)
	}
	return k, nil
}

// zero overwrites b. Go may have left copies elsewhere (the garbage
// collector moves nothing, but an AEAD value copies its key); this is the
// best a Go program can do without runtime support.
func zero(b []byte) {
	clear(b)
}

// KDFParams are the Argon2id cost parameters of the passphrase-derived key.
// They are stored next to each passphrase-wrapped key, so changing the
// defaults never locks out an existing install.
type KDFParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory in KiB
	Threads   uint8  // parallelism
}

// DefaultKDFParams are the production Argon2id parameters: the second
// recommended option of RFC 9106 (t=3, m=64 MiB, p=4), which also fits phones.
var DefaultKDFParams = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

func (p KDFParams) valid() bool {
	// The upper bounds stop a tampered database from making unlock hang.
	return p.Time >= 1 && p.Time <= 64 && p.Threads >= 1 && p.MemoryKiB >= 8*uint32(p.Threads) && p.MemoryKiB <= 1<<20
}

// deriveKey derives a key-encryption key from a passphrase with Argon2id.
func deriveKey(passphrase string, salt []byte, p KDFParams) []byte {
	return argon2.IDKey([]byte(passphrase), salt, p.Time, p.MemoryKiB, p.Threads, keySize)
}

// profileKeys holds the keys of one profile while the store is unlocked.
// Lock zeroes them; operations that captured the pointer earlier then fail
// with ErrLocked instead of using zeroed keys.
type profileKeys struct {
	num int64 // the profile's local number (profiles.num); not a secret

	mu    sync.RWMutex
	dek   []byte // data key: seals every value of the profile
	index []byte // HMAC key for row keys (derived from the first DEK, kept across rotations)
	// old is the data key being replaced while a key rotation runs: values
	// not re-sealed yet open with it. nil otherwise.
	old  []byte
	gone bool // true once zeroed
	// sealGen changes whenever dek does (rotate, unrotate): a Batch
	// sealed under another generation is sealed again.
	sealGen uint64
	// readers counts the reads in flight (beginRead); a rotation that
	// finishes meanwhile keeps old until the last of them ends (dropOld),
	// since their read snapshots may predate the last values re-sealed.
	readers int
	dropOld bool
	// vocab is the search index's word list, read once (see search.go).
	vocab *searchVocab
}

// beginRead marks a read of sealed values as in flight: until endRead,
// the key a finished rotation replaced stays to open what the read's
// snapshot still holds under it.
func (k *profileKeys) beginRead() {
	k.mu.Lock()
	k.readers++
	k.mu.Unlock()
}

// endRead ends a read that beginRead started.
func (k *profileKeys) endRead() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.readers--
	if k.readers == 0 && k.dropOld {
		zero(k.old)
		k.old, k.dropOld = nil, false
	}
}

func newProfileKeys(dek []byte) (*profileKeys, error) {
	index, err := deriveIndexKey(dek)
	if err != nil {
		return nil, err
	}
	return &profileKeys{dek: dek, index: index}, nil
}

// deriveIndexKey is the index key of a profile never re-keyed.
func deriveIndexKey(dek []byte) ([]byte, error) {
	index, err := hkdf.Key(sha256.New, dek, nil, "carebook index key v1", keySize)
	if err != nil {
		return nil, fmt.Errorf("derive index key: %w", err)
	}
	return index, nil
}

func (k *profileKeys) destroy() {
	k.mu.Lock()
	defer k.mu.Unlock()
	zero(k.dek)
	zero(k.index)
	zero(k.old)
	k.vocab = nil
	k.gone = true
}

// sealGeneration is the generation of the sealing key; false once the
// keys are destroyed.
func (k *profileKeys) sealGeneration() (uint64, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.sealGen, !k.gone
}

func (k *profileKeys) seal(plaintext, ad []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, ErrLocked
	}
	return seal(k.dek, plaintext, ad)
}

// sealAppend is seal appending to dst.
func (k *profileKeys) sealAppend(dst, plaintext, ad []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, ErrLocked
	}
	return sealAppend(dst, k.dek, plaintext, ad)
}

func (k *profileKeys) open(envelope, ad []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, ErrLocked
	}
	pt, err := open(k.dek, envelope, ad)
	if err != nil && k.old != nil {
		// A rotation runs: the value may not be re-sealed yet.
		if pt, oldErr := open(k.old, envelope, ad); oldErr == nil {
			return pt, nil
		}
	}
	return pt, err
}

// rowKeySize is the length of row keys: HMAC-SHA256 truncated to 128 bits,
// which keeps indexes small; collisions within a profile would need about
// 2^64 rows.
const rowKeySize = 16

// rowKey is the clear primary key of a row whose natural key is secret:
// HMAC-SHA256 under the profile's index key of the domain and parts. The
// same inputs always give the same key, so rows can be found again, but the
// key reveals nothing about them.
func (k *profileKeys) rowKey(domain string, parts ...string) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, ErrLocked
	}
	m := hmac.New(sha256.New, k.index)
	m.Write(adFor(append([]string{domain}, parts...)...))
	return m.Sum(nil)[:rowKeySize], nil
}

// rowKeyHasher computes many row keys with one HMAC state, for bulk writes.
// It holds material derived from the index key, so it must not outlive the
// transaction it serves; it refuses to work once the keys are destroyed.
type rowKeyHasher struct {
	keys *profileKeys
	mac  hash.Hash
	buf  []byte
}

func (k *profileKeys) hasher() (*rowKeyHasher, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.gone {
		return nil, ErrLocked
	}
	return &rowKeyHasher{keys: k, mac: hmac.New(sha256.New, k.index)}, nil
}

// rowKey is profileKeys.rowKey appended to dst.
func (h *rowKeyHasher) rowKey(dst []byte, domain string, parts ...string) ([]byte, error) {
	h.keys.mu.RLock()
	gone := h.keys.gone
	h.keys.mu.RUnlock()
	if gone {
		return nil, ErrLocked
	}
	// The same bytes as adFor(domain, parts...), without allocating.
	h.buf = appendAD(h.buf[:0], domain)
	for _, p := range parts {
		h.buf = binary.AppendUvarint(h.buf, uint64(len(p)))
		h.buf = append(h.buf, p...)
	}
	h.mac.Reset()
	h.mac.Write(h.buf)
	return h.mac.Sum(dst)[:len(dst)+rowKeySize], nil
}
