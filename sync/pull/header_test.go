package pull

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/carebook/carebook/sync/fhirapi"
)

// headerCases are resources whose header entryHeader either reads as
// fhirapi.ParseHeader does or leaves to it (want fast or not).
var headerCases = []struct {
	name string
	raw  string
	fast bool
}{
	{"plain", `{"resourceType":"Observation","id":"o-1","status":"final","meta":{"versionId":"3","lastUpdated":"2024-01-01T00:00:00.123Z"},"code":{"text":"x \"y\" }{"}}`, true},
	{"spaces", " {\n \"resourceType\" : \"Condition\" ,\t\"id\":\"c\", \"verificationStatus\" : { \"coding\" : [ {\"code\":\"entered-in-error\"} ] } }\n", true},
	{"fields in any order, nested look-alikes", `{"code":{"id":"inner","status":"x"},"contained":[{"resourceType":"Medication","id":"m"}],"id":"p","resourceType":"Procedure"}`, true},
	{"numbers and literals", `{"a":1.5e3,"b":true,"c":null,"d":[1,-2,{"e":false}],"resourceType":"Goal","id":"g"}`, true},
	{"empty meta", `{"resourceType":"Goal","id":"g","meta":{}}`, true},
	{"null verification", `{"resourceType":"AllergyIntolerance","id":"a","verificationStatus":null}`, true},
	{"empty object", `{}`, true},
	{"escaped id", `{"resourceType":"Observation","id":"\u006f1"}`, false},
	{"escaped key", `{"resourceType":"Observation","\u0069d":"o1"}`, false},
	{"key in another case", `{"resourceType":"Observation","ID":"o1"}`, false},
	{"key folding to status", "{\"resourceType\":\"Observation\",\"id\":\"o\",\"\u017ftatus\":\"entered-in-error\"}", false},
	{"repeated id", `{"resourceType":"Observation","id":"a","id":"b"}`, false},
	{"status of the wrong type", `{"resourceType":"Encounter","id":"1","status":["x"]}`, false},
	{"null status", `{"resourceType":"Encounter","id":"1","status":null}`, false},
	{"meta not an object", `{"resourceType":"Encounter","id":"1","meta":"x"}`, false},
	{"non-ASCII id", `{"resourceType":"Observation","id":"é"}`, false},
	{"array", `[1,2]`, false},
}

func TestEntryHeaderReadsAsParseHeader(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.raw)) {
				t.Fatalf("not valid JSON: %s", tt.raw)
			}
			got, ok := entryHeader([]byte(tt.raw))
			if ok != tt.fast {
				t.Fatalf("fast path %v, want %v", ok, tt.fast)
			}
			if !ok {
				return
			}
			want, err := fhirapi.ParseHeader([]byte(tt.raw))
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("entryHeader = %+v\nParseHeader  = %+v", got, want)
			}
		})
	}
}

// TestClassifyEntry: classifyEntry decides as classify does, on the fast
// path and off it.
func TestClassifyEntry(t *testing.T) {
	raws := []string{
		`{"resourceType":"Observation","id":"1","status":"entered-in-error"}`,
		`{"resourceType":"Observation","id":"1","status":"final","meta":{"lastUpdated":"soon"}}`,
		`{"resourceType":"Observation","id":"` + strings.Repeat("x", 65) + `"}`,
		`{"resourceType":"../Patient","id":"1"}`,
		`{"resourceType":"Encounter","id":"1","status":["x"]}`,
	}
	for _, tt := range headerCases {
		raws = append(raws, tt.raw)
	}
	for _, raw := range raws {
		r1, rm1, mal1 := classify(json.RawMessage(raw))
		r2, rm2, mal2 := classifyEntry(json.RawMessage(raw))
		if !reflect.DeepEqual(r1, r2) || rm1 != rm2 || !reflect.DeepEqual(mal1, mal2) {
			t.Errorf("%s:\nclassify      %+v %v %+v\nclassifyEntry %+v %v %+v", raw, r1, rm1, mal1, r2, rm2, mal2)
		}
	}
}

func FuzzEntryHeader(f *testing.F) {
	for _, tt := range headerCases {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := entryHeader([]byte(in)) // must not panic on anything
		if !ok || !json.Valid([]byte(in)) {
			return
		}
		want, err := fhirapi.ParseHeader([]byte(in))
		if err != nil {
			t.Fatalf("entryHeader read %q, ParseHeader failed: %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: entryHeader = %+v, ParseHeader = %+v", in, got, want)
		}
	})
}
