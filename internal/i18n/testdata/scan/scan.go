// Package scan is what TestScannerCases scans: each literal that is text a
// person reads says so in its own words.
package scan

func coding() map[string]any {
	return map[string]any{
		"system":  "http://loinc.org",
		"code":    "48765-2",
		"display": "Allergies and adverse reactions Document",
		"text":    "Flagged because a person reads it",
	}
}

func title() string { return "Flagged as well" }
