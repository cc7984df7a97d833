package record

import (
	"os"
	"testing"

	"github.com/carebook/carebook/app/locfmt"
)

// TestMain formats in en-GB: the decoding tests here check dates at their
// precision ("6 May 2012", "Oct 2018"), written day first; locfmt's own
// tests check every locale's formats.
func TestMain(m *testing.M) {
	locfmt.SetCurrent(locfmt.Parse("en-GB"))
	os.Exit(m.Run())
}
