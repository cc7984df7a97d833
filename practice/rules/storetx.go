package rules

import (
	"context"
	"errors"
	"fmt"

	"github.com/carebook/carebook/practice/store"
)

// StoreTx adapts the practice store's write transaction to Tx.
func StoreTx(tx *store.Tx) Tx { return storeTx{tx} }

type storeTx struct{ tx *store.Tx }

func (s storeTx) Read(ctx context.Context, typ, id string) ([]byte, error) {
	r, err := s.tx.Read(ctx, typ, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return nil, fmt.Errorf("read %s: %w", typ, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return r.JSON, nil
}

func (s storeTx) Put(ctx context.Context, typ, id string, body []byte) error {
	_, err := s.tx.Put(ctx, typ, id, body)
	return err
}
