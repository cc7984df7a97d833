package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/carebook/carebook/storage"
)

func TestRepairSummary(t *testing.T) {
	tests := []struct {
		rep  storage.RepairReport
		err  error
		want []string
	}{
		{storage.RepairReport{}, nil, []string{"Every part of Maya's record could be read", "downloaded again"}},
		{storage.RepairReport{Records: 3, Checkpoints: 5}, nil, []string{"3 parts of Maya's record could not be read and removed", "downloaded again"}},
		{storage.RepairReport{Records: 1, Checkpoints: 2, Outbox: 1}, errors.New("offline"), []string{"1 part of Maya's record could not be read and removed", "1 item that had not been sent could not be read", "could not be downloaded now"}},
		{storage.RepairReport{Checkpoints: 1}, nil, []string{"its download starts over"}},
	}
	for _, tt := range tests {
		got := repairSummary("Maya", tt.rep, tt.err)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("repairSummary(%+v, %v) = %q, want it to say %q", tt.rep, tt.err, got, w)
			}
		}
	}
}
