package smart

import (
	"reflect"
	"strings"
	"testing"

	"github.com/carebook/carebook/practice/access"
	"golang.org/x/net/html"
)

func TestGrantScopes(t *testing.T) {
	tests := []struct {
		requested string
		want      []string
	}{
		{"openid fhirUser launch/patient offline_access patient/*.rs",
			[]string{"openid", "fhirUser", "launch/patient", "offline_access", "patient/*.rs"}},
		{"patient/*.read", []string{"patient/*.read"}},
		{"patient/*.write", nil},
		{"patient/*.*", []string{"patient/*.rs"}},
		{"patient/*.cruds", []string{"patient/*.rs"}},
		{"patient/Observation.read patient/Observation.rs", []string{"patient/Observation.read", "patient/Observation.rs"}},
		{"patient/Appointment.write", []string{"patient/Appointment.cu"}},
		{"patient/Appointment.cud", []string{"patient/Appointment.cu"}},
		{"patient/Communication.c patient/Task.c patient/Patient.u", []string{"patient/Communication.c", "patient/Task.c", "patient/Patient.u"}},
		{"patient/Patient.cruds", []string{"patient/Patient.rus"}},
		{"patient/Observation.c", nil},
		{"user/*.rs system/*.rs launch online_access", nil},
		{"patient/Observation.rs?category=laboratory", nil},
		{"patient/*.rs patient/*.rs", []string{"patient/*.rs"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := grantScopes(tt.requested); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("grantScopes(%q) = %q, want %q", tt.requested, got, tt.want)
		}
	}
}

func TestConsentItems(t *testing.T) {
	tests := []struct {
		scope string
		want  []string
	}{
		{"openid fhirUser launch/patient offline_access patient/*.rs patient/Communication.c patient/Appointment.cu patient/Task.c patient/Patient.u",
			[]string{"know who you are", "read your health record", "send messages", "book and cancel appointments",
				"request refills", "update your contact details", "stay signed in"}},
		{"launch/patient patient/Observation.rs", []string{"read your health record"}},
		{"launch/patient patient/Communication.c", []string{"send messages"}},
	}
	for _, tt := range tests {
		if got := consentItems(tt.scope); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("consentItems(%q) = %q, want %q", tt.scope, got, tt.want)
		}
	}
}

func TestLoopbackRedirect(t *testing.T) {
	tests := []struct {
		uri  string
		want bool
	}{
		{"http://127.0.0.1:49152/callback", true},
		{"http://127.0.0.1/callback", true},
		{"http://localhost:8080/cb", true},
		{"http://[::1]:8080/cb", true},
		{"https://127.0.0.1:8080/cb", false},
		{"http://127.0.0.1.evil.example/cb", false},
		{"http://user@127.0.0.1:1/cb", false},
		{"http://127.0.0.1:1/cb#frag", false},
		{"carebook:/callback", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isLoopbackRedirect(tt.uri); got != tt.want {
			t.Errorf("isLoopbackRedirect(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
}

// FuzzGrantScopes checks that whatever a client asks for, only
// understood scopes within the write policy are granted.
func FuzzGrantScopes(f *testing.F) {
	for _, s := range []string{
		"openid fhirUser launch/patient offline_access patient/*.rs patient/Communication.c",
		"patient/*.*", "patient/Appointment.write user/*.cruds", "patient/Observation.rs?x=1", "patient/.r", "a/b.c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, requested string) {
		for _, g := range grantScopes(requested) {
			switch g {
			case scopeOpenID, scopeFHIRUser, scopeLaunchPatient, scopeOffline:
				continue
			}
			sc, ok := access.ParseScope(g)
			if !ok || sc.Context != "patient" {
				t.Fatalf("granted %q from %q", g, requested)
			}
			allowed := "rs" + writePolicy[sc.ResourceType]
			for _, r := range sc.Interactions {
				if !strings.ContainsRune(allowed, r) {
					t.Fatalf("granted %q (%c not allowed) from %q", g, r, requested)
				}
			}
			if !hasScope(requested, g) && !strings.HasPrefix(g, "patient/"+sc.ResourceType+".") {
				t.Fatalf("granted %q that was not asked for in %q", g, requested)
			}
		}
	})
}

// FuzzFindForm feeds SignIn's page parser arbitrary HTML: it must not
// panic, and a form it finds has an id.
func FuzzFindForm(f *testing.F) {
	f.Add(`<form id="login" action="/auth/login"><input type="hidden" name="csrf_token" value="x"></form>`)
	f.Add(`<form id="picker"><input type="radio" name="patient" value="a" checked><input type="radio" name="patient" value="b"></form>`)
	f.Add(`<form><form id=x><input type=hidden>`)
	f.Fuzz(func(t *testing.T, page string) {
		doc, err := html.Parse(strings.NewReader(page))
		if err != nil {
			return
		}
		if fm := findForm(doc); fm != nil && fm.id == "" {
			t.Fatalf("form without id from %q", page)
		}
	})
}
