package rules

import (
	"context"
	"errors"

	"github.com/carebook/carebook/practice/fhirserver"
	"github.com/carebook/carebook/practice/store"
)

// Hook is the Policy as the FHIR API's write hook: wire it as
// fhirserver.Config.Hook. It runs every write through Policy.Check inside the
// API's transaction and answers a Refusal with an OperationOutcome.
type Hook struct {
	Policy Policy
}

// BeforeWrite implements fhirserver.WriteHook.
func (h Hook) BeforeWrite(ctx context.Context, tx *store.Tx, w fhirserver.Write) error {
	var old []byte
	if w.Old != nil && !w.Old.Deleted {
		old = w.Old.JSON
	}
	err := h.Policy.Check(ctx, StoreTx(tx), Request{
		Method: w.Method, Type: w.Type, ID: w.ID, Old: old, New: w.New, Grant: w.Grant,
	})
	var r *Refusal
	if errors.As(err, &r) {
		return &fhirserver.OperationOutcomeError{Status: r.Status, Code: r.Code, Message: r.Message}
	}
	return err
}

// AdjustWrite implements fhirserver.WriteAdjuster with Policy.Adjust.
func (h Hook) AdjustWrite(ctx context.Context, tx *store.Tx, w fhirserver.Write) ([]byte, error) {
	var old []byte
	if w.Old != nil && !w.Old.Deleted {
		old = w.Old.JSON
	}
	return h.Policy.Adjust(ctx, StoreTx(tx), Request{
		Method: w.Method, Type: w.Type, ID: w.ID, Old: old, New: w.New, Grant: w.Grant,
	})
}
