package access

import "testing"

func TestParseScope(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want Scope
	}{
		{"patient/*.rs", true, Scope{"patient", "*", "rs"}},
		{"patient/Communication.c", true, Scope{"patient", "Communication", "c"}},
		{"patient/Appointment.cu", true, Scope{"patient", "Appointment", "cu"}},
		{"patient/Observation.read", true, Scope{"patient", "Observation", "rs"}},
		{"user/*.write", true, Scope{"user", "*", "cud"}},
		{"patient/*.*", true, Scope{"patient", "*", "cruds"}},
		{"patient/*.sr", false, Scope{}},
		{"patient/*.rr", false, Scope{}},
		{"patient/*.x", false, Scope{}},
		{"patient/Observation.rs?category=laboratory", false, Scope{}},
		{"openid", false, Scope{}},
		{"launch/patient", false, Scope{}},
		{"offline_access", false, Scope{}},
		{"patient/.rs", false, Scope{}},
	}
	for _, tt := range tests {
		got, ok := ParseScope(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGrantAllows(t *testing.T) {
	parse := func(ss ...string) []Scope {
		var out []Scope
		for _, s := range ss {
			sc, ok := ParseScope(s)
			if !ok {
				t.Fatalf("bad scope %q", s)
			}
			out = append(out, sc)
		}
		return out
	}
	full := Grant{Scopes: parse("patient/*.rs", "patient/Communication.c")}
	limited := Grant{Scopes: parse("patient/*.rs"), AllowedTypes: []string{"Patient", "Immunization"}}
	tests := []struct {
		name string
		g    Grant
		typ  string
		i    rune
		want bool
	}{
		{"read any type", full, "Observation", Read, true},
		{"search any type", full, "Condition", Search, true},
		{"create message", full, "Communication", Create, true},
		{"no create appointment", full, "Appointment", Create, false},
		{"no update", full, "Patient", Update, false},
		{"limited allows listed", limited, "Immunization", Read, true},
		{"limited refuses others", limited, "Observation", Read, false},
		{"no scopes", Grant{}, "Patient", Read, false},
	}
	for _, tt := range tests {
		if got := tt.g.Allows(tt.typ, tt.i); got != tt.want {
			t.Errorf("%s: Allows(%s,%c) = %v, want %v", tt.name, tt.typ, tt.i, got, tt.want)
		}
	}
}
