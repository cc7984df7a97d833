package synth

import (
	"math"
	"time"
)

// scalePanels rotate over the scale patient's visits.
var scalePanels = []panel{panelCMP, panelLipid, panelCBC, panelA1c}

// buildScalePatient generates the benchmark patient: a chart with at least
// scale×1,000 resources, mostly visits with their vitals and lab results
// spread over the last decades.
func (g *generator) buildScalePatient(scale int) []*set {
	p := persona{
		id: ScalePatientID, short: "scale", given: []string{"Quinn"}, family: "Taylor", gender: "other",
		birth: ageAgo(g.now, 61, 2, 9), lang: "en-US", langDisplay: "English (United States)",
		phone: "(555) 600-1000", street: "1 Benchmark Way", gp: "dr-olsen", kind: adult, history: 30,
		mrn: "RFM-200001", heightCm: 176, weight: [2]float64{88, 80}, bp: [2][2]float64{{138, 88}, {126, 80}}, hr: 70,
		labTrends:  map[string][2]float64{"4548-4": {5.4, 6.2}},
		conditions: []condition{{code: "38341003", display: "Hypertension", onsetYears: 20}},
		carePlan:   carePlan{title: "Heart health", activities: []string{"Walk daily"}},
	}
	b := &patientBuilder{g: g, p: p, s: &set{}, rnd: g.rng("patient/" + p.id), counters: map[string]int{}}
	b.addPatient()
	b.addConditions()

	target := scale * 1000
	// A visit adds an encounter, five vitals, a panel (about six resources)
	// and now and then a summary: about twelve resources.
	estimate := target/12 + 1
	spacing := time.Duration(float64(30*365*24*time.Hour) / float64(estimate))
	start := g.now.AddDate(-30, 0, 0)
	span := g.now.Sub(start).Hours()
	for i := 0; len(b.s.list) < target; i++ {
		v := &visit{at: g.now.Add(-time.Duration(i+1) * spacing).Truncate(time.Minute), vt: visitFollowUp, practitioner: p.gp}
		v.id = b.newID("enc")
		frac := math.Max(0, math.Min(1, v.at.Sub(start).Hours()/span))
		b.s.add("Encounter", v.id, b.encounter(v))
		v.vitals = b.vitalSigns(v.at, frac)
		b.addVitals(v.id, v.at, v.vitals)
		b.addLabPanel(scalePanels[i%len(scalePanels)], v.id, v.at, v.practitioner, frac, false)
		if i%10 == 0 {
			b.addVisitSummary(v)
		}
	}
	return []*set{b.s}
}
