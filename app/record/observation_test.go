package record

import (
	"testing"
)

func res(typ, id, js string) Resource { return Resource{Type: typ, ID: id, JSON: []byte(js)} }

func TestDecodeObservation(t *testing.T) {
	tests := []struct {
		name       string
		json       string
		wantName   string
		wantStatus string
		wantText   string // Value.Text
		wantNum    float64
		wantHasNum bool
		wantComp   string // Value.Quantity.Comparator
		wantFlag   Flag
		wantDate   string
		wantPrec   Precision
		incomplete bool
	}{
		{
			name: "quantity with range and interpretation",
			json: `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0","display":"Glucose"}]},
				"effectiveDateTime":"2019-03-04T10:30:00+01:00","valueQuantity":{"value":130,"unit":"mg/dL"},
				"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"H","display":"High"}]}],
				"referenceRange":[{"low":{"value":70,"unit":"mg/dL"},"high":{"value":99,"unit":"mg/dL"}}]}`,
			wantName: "Blood sugar (glucose)", wantStatus: "final", wantText: "130 mg/dL", wantNum: 130, wantHasNum: true,
			wantFlag: Flag{Code: "H", Text: "High", Abnormal: true, Source: FlagFromInterpretation},
			wantDate: "4 Mar 2019, 10:30", wantPrec: PrecisionTime,
		},
		{
			name: "comparator escaped as \\u003c is read and not flagged by us",
			json: `{"status":"final","code":{"text":"Troponin"},"effectiveDateTime":"2020-01-02","valueQuantity":{"value":0.01,"comparator":"\u003c","unit":"ng/mL"},
				"referenceRange":[{"high":{"value":0.04,"unit":"ng/mL"}}]}`,
			wantName: "Troponin", wantStatus: "final", wantText: "< 0.01 ng/mL", wantNum: 0.01, wantHasNum: true, wantComp: "<",
			wantDate: "2 Jan 2020", wantPrec: PrecisionDay,
		},
		{
			name:     "value as a string holding a number",
			json:     `{"status":"final","code":{"text":"Potassium"},"effectiveDateTime":"2019-03","valueQuantity":{"value":"5.4","unit":"mmol/L"},"referenceRange":[{"low":{"value":3.5},"high":{"value":5.1}}]}`,
			wantName: "Potassium", wantStatus: "final", wantText: "5.4 mmol/L", wantNum: 5.4, wantHasNum: true,
			wantFlag: Flag{Code: "H", Abnormal: true, Source: FlagComputed},
			wantDate: "Mar 2019", wantPrec: PrecisionMonth,
		},
		{
			name:     "value that is not a number",
			json:     `{"status":"final","code":{"text":"Sodium"},"effectiveDateTime":"2019","valueQuantity":{"value":"high","unit":"mmol/L"}}`,
			wantName: "Sodium", wantStatus: "final", wantText: "", wantDate: "2019", wantPrec: PrecisionYear, incomplete: true,
		},
		{
			name:     "wrong-case status and interpretation code",
			json:     `{"status":"Final","code":{"text":"Hemoglobin"},"valueQuantity":{"value":10.1,"unit":"g/dL"},"interpretation":[{"coding":[{"code":"l"}]}]}`,
			wantName: "Hemoglobin", wantStatus: "final", wantText: "10.1 g/dL", wantNum: 10.1, wantHasNum: true,
			wantFlag: Flag{Code: "L", Abnormal: true, Source: FlagFromInterpretation},
		},
		{
			name:     "interpretation given only as words",
			json:     `{"status":"final","code":{"text":"WBC"},"valueQuantity":{"value":3},"interpretation":[{"text":"Low"}]}`,
			wantName: "WBC", wantStatus: "final", wantText: "3", wantNum: 3, wantHasNum: true,
			wantFlag: Flag{Code: "L", Text: "Low", Abnormal: true, Source: FlagFromInterpretation},
		},
		{
			name:     "computed normal flag",
			json:     `{"status":"final","code":{"text":"Calcium"},"valueQuantity":{"value":9.5,"unit":"mg/dL"},"referenceRange":[{"low":{"value":8.5,"unit":"mg/dL"},"high":{"value":10.2,"unit":"mg/dL"}}]}`,
			wantName: "Calcium", wantStatus: "final", wantText: "9.5 mg/dL", wantNum: 9.5, wantHasNum: true,
			wantFlag: Flag{Code: "N", Source: FlagComputed},
		},
		{
			name:     "range in another unit is not compared",
			json:     `{"status":"final","code":{"text":"Glucose"},"valueQuantity":{"value":7,"unit":"mmol/L"},"referenceRange":[{"low":{"value":70,"unit":"mg/dL"},"high":{"value":99,"unit":"mg/dL"}}]}`,
			wantName: "Glucose", wantStatus: "final", wantText: "7 mmol/L", wantNum: 7, wantHasNum: true,
		},
		{
			name:       "code of the wrong type keeps the value",
			json:       `{"status":"final","code":"8867-4","effectiveDateTime":"2021-05-06","valueQuantity":{"value":72,"unit":"/min"}}`,
			wantStatus: "final", wantText: "72 /min", wantNum: 72, wantHasNum: true, wantDate: "6 May 2021", wantPrec: PrecisionDay, incomplete: true,
		},
		{
			name:     "unknown fields are ignored",
			json:     `{"status":"final","futureField":{"x":[1,2]},"code":{"text":"Note"},"valueString":"Feeling better","_status":{"extension":[]}}`,
			wantName: "Note", wantStatus: "final", wantText: "Feeling better",
		},
		{
			name:     "boolean value",
			json:     `{"status":"final","code":{"text":"Smoker"},"valueBoolean":false}`,
			wantName: "Smoker", wantStatus: "final", wantText: "No",
		},
		{
			name:     "codeable concept value",
			json:     `{"status":"final","code":{"text":"Blood type"},"valueCodeableConcept":{"coding":[{"code":"A+","display":"A positive"}]}}`,
			wantName: "Blood type", wantStatus: "final", wantText: "A positive",
		},
		{
			name:     "integer value",
			json:     `{"status":"final","code":{"text":"Pain"},"valueInteger":4}`,
			wantName: "Pain", wantStatus: "final", wantText: "4", wantNum: 4, wantHasNum: true,
		},
		{
			name:     "data absent",
			json:     `{"status":"final","code":{"text":"Height"},"dataAbsentReason":{"text":"Patient refused"}}`,
			wantName: "Height", wantStatus: "final", wantText: "No value: Patient refused",
		},
		{
			name:     "bad date marks incomplete and keeps the rest",
			json:     `{"status":"final","code":{"text":"Weight"},"effectiveDateTime":"last tuesday","valueQuantity":{"value":70,"unit":"kg"}}`,
			wantName: "Weight", wantStatus: "final", wantText: "70 kg", wantNum: 70, wantHasNum: true, incomplete: true,
		},
		{
			name:     "period start used as the date",
			json:     `{"status":"final","code":{"text":"Holter"},"effectivePeriod":{"start":"2018-07-01T08:00:00Z","end":"2018-07-02T08:00:00Z"},"valueString":"normal"}`,
			wantName: "Holter", wantStatus: "final", wantText: "normal", wantDate: "1 Jul 2018, 08:00", wantPrec: PrecisionTime,
		},
		{
			name:     "JSON that does not parse still yields a dated entry",
			json:     `{"status":"final","code":{"text":"Glucose"},"effectiveDateTime":"2017-02-03","valueQuantity":{"value":1`,
			wantDate: "3 Feb 2017", wantPrec: PrecisionDay, incomplete: true,
		},
		{
			name: "empty object",
			json: `{}`,
		},
		{
			name:       "not an object at all",
			json:       `[1,2,3]`,
			incomplete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DecodeObservation(res("Observation", "o1", tt.json))
			if o.Type != "Observation" || o.ID != "o1" {
				t.Errorf("entry = %s/%s", o.Type, o.ID)
			}
			if o.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", o.Name, tt.wantName)
			}
			if o.Status != tt.wantStatus {
				t.Errorf("Status = %q, want %q", o.Status, tt.wantStatus)
			}
			if o.Value.Text != tt.wantText {
				t.Errorf("Value.Text = %q, want %q", o.Value.Text, tt.wantText)
			}
			n, ok := o.Value.Number()
			if ok != tt.wantHasNum || n != tt.wantNum {
				t.Errorf("Number = %v,%v, want %v,%v", n, ok, tt.wantNum, tt.wantHasNum)
			}
			if o.Value.Quantity.Comparator != tt.wantComp {
				t.Errorf("Comparator = %q, want %q", o.Value.Quantity.Comparator, tt.wantComp)
			}
			if o.Flag != tt.wantFlag {
				t.Errorf("Flag = %+v, want %+v", o.Flag, tt.wantFlag)
			}
			if o.Effective.String() != tt.wantDate || o.Effective.Precision != tt.wantPrec {
				t.Errorf("Effective = %q (precision %d), want %q (%d)", o.Effective, o.Effective.Precision, tt.wantDate, tt.wantPrec)
			}
			if o.Incomplete != tt.incomplete {
				t.Errorf("Incomplete = %v, want %v", o.Incomplete, tt.incomplete)
			}
		})
	}
}

func TestDecodeObservationBloodPressure(t *testing.T) {
	o := DecodeObservation(res("Observation", "bp", `{"status":"final",
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},
		"effectiveDateTime":"2019-05-01T09:00:00Z",
		"component":[
		 {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}]},"valueQuantity":{"value":142,"unit":"mm[Hg]"},"interpretation":[{"coding":[{"code":"H"}]}]},
		 {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4","display":"Diastolic blood pressure"}]},"valueQuantity":{"value":"81","unit":"mm[Hg]"}}],
		"note":[{"text":"Recheck in two weeks"}]}`))
	if len(o.Components) != 2 {
		t.Fatalf("components = %d", len(o.Components))
	}
	if n, ok := o.Components[0].Value.Number(); !ok || n != 142 || o.Components[0].Name != "Systolic blood pressure (top number)" {
		t.Errorf("systolic = %v %v %q", n, ok, o.Components[0].Name)
	}
	if n, ok := o.Components[1].Value.Number(); !ok || n != 81 {
		t.Errorf("diastolic = %v %v", n, ok)
	}
	if !o.Abnormal() || o.Flag.Abnormal {
		t.Errorf("Abnormal() = %v, panel flag = %+v: want the component's H to count", o.Abnormal(), o.Flag)
	}
	if !o.HasCategory("vital-signs") || len(o.Notes) != 1 || o.Notes[0] != "Recheck in two weeks" {
		t.Errorf("categories %v notes %v", o.Categories, o.Notes)
	}
	if o.Incomplete {
		t.Error("marked incomplete")
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{5.4, "5.4"}, {130, "130"}, {161.6696023890834, "161.67"}, {0.0123456, "0.0123"},
		{0.001, "0.001"}, {-2.3456, "-2.35"}, {1.5e-7, "0.00000015"}, {7.0, "7"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.in); got != tt.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
