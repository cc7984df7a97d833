package staff

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/carebook/carebook/practice/store"
)

// confirmAppointments confirms every booking waiting for the office
// ("pending", see rules.Policy.Adjust) made at least Delay ago: it becomes
// "booked". A booking cancelled meanwhile is left alone.
func (w *Worker) confirmAppointments(ctx context.Context, now time.Time) error {
	appts, err := w.searchAll(ctx, "Appointment", url.Values{"status": {"pending"}})
	errs := []error{err}
	for _, a := range appts {
		if !w.due(a.LastUpdated, now) {
			continue
		}
		errs = append(errs, w.st.InTx(ctx, func(tx *store.Tx) error {
			r, m, err := readIn(ctx, tx, "Appointment", a.ID)
			if err != nil || str(m, "status") != "pending" {
				return err
			}
			m["status"] = "booked"
			return updateIn(ctx, tx, r, m)
		}))
	}
	return errors.Join(errs...)
}
