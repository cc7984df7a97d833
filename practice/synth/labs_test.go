package synth

import "testing"

func TestLabComment(t *testing.T) {
	tests := []struct {
		pn        panel
		high, low []string
		want      string
	}{
		{panelA1c, nil, nil, "Your A1c is in the normal range. No changes needed."},
		{panelA1c, []string{"A1c"}, nil, "Your A1c is above the normal range. " + panelA1c.advice},
		{panelLipid, []string{"total cholesterol", "LDL cholesterol"}, []string{"HDL cholesterol"},
			"In your lipid panel, total cholesterol and LDL cholesterol are above the normal range, and HDL cholesterol is below the normal range. " + panelLipid.advice},
		{panelCBC, nil, nil, "All results of your blood count are in the normal range. No changes needed."},
	}
	for _, tt := range tests {
		if got := labComment(tt.pn, tt.high, tt.low); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}
