package cputime

import (
	"runtime"
	"testing"
)

// TestUsedGrowsWithWork: busy work shows in the CPU time used (on the
// platforms that measure it).
func TestUsedGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" || runtime.GOOS == "plan9" {
		t.Skip("CPU time is not measured on " + runtime.GOOS)
	}
	before := Used()
	if before <= 0 {
		t.Fatalf("Used() = %v at the start of a test, want > 0", before)
	}
	x := 0
	for i := range 200_000_000 {
		x += i % 7
	}
	if after := Used(); after <= before {
		t.Errorf("Used() went from %v to %v over a busy loop (%d)", before, after, x)
	}
}
