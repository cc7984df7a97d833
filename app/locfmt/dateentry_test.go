package locfmt

import (
	"errors"
	"testing"
	"time"
)

func TestDateEntry(t *testing.T) {
	day := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		locale, entry, pattern string
		typed                  []string // each reads as day
	}{
		{"en-US", "03/05/2026", "MM/DD/YYYY", []string{"03/05/2026", "3/5/2026", "2026-03-05", " 03/05/2026 "}},
		{"en-GB", "05/03/2026", "DD/MM/YYYY", []string{"05/03/2026", "5/3/2026", "5.3.2026", "2026-03-05"}},
		{"es-ES", "05/03/2026", "DD/MM/AAAA", []string{"05/03/2026", "5/3/2026", "5-3-2026", "2026-03-05"}},
		{"de-DE", "05.03.2026", "TT.MM.JJJJ", []string{"05.03.2026", "5.3.2026", "2026-03-05"}},
	}
	for _, tt := range tests {
		l := Parse(tt.locale)
		if got := l.DateEntry(day); got != tt.entry {
			t.Errorf("%s: DateEntry = %q, want %q", tt.locale, got, tt.entry)
		}
		if got := l.DateEntryPattern(); got != tt.pattern {
			t.Errorf("%s: DateEntryPattern = %q, want %q", tt.locale, got, tt.pattern)
		}
		for _, s := range tt.typed {
			got, err := l.ParseDateEntry(s, time.UTC)
			if err != nil || !got.Equal(day) {
				t.Errorf("%s: ParseDateEntry(%q) = %v, %v; want %v", tt.locale, s, got, err, day)
			}
		}
		for _, bad := range []string{"", "tomorrow", "31/31/2026", "5/3/26", "2026/03"} {
			if _, err := l.ParseDateEntry(bad, time.UTC); !errors.Is(err, ErrDateEntry) {
				t.Errorf("%s: ParseDateEntry(%q) = %v, want ErrDateEntry", tt.locale, bad, err)
			}
		}
	}
}
