package synth

import "time"

// kind says which age group's care a persona gets (vaccines, vitals, labs).
type kind int

const (
	adult kind = iota
	child
	teen
	elder
)

// persona describes one demo patient; buildPatient turns it into resources.
type persona struct {
	id, short         string // short prefixes the ids of the patient's resources
	given             []string
	family, gender    string
	birth             time.Time
	lang, langDisplay string
	phone, email      string
	street            string
	gp                string // practitioner id
	kind              kind
	history           int // years of visits
	mrn               string

	heightCm          float64 // adults; children grow along childGrowth
	weight            [2]float64
	bp                [2][2]float64 // systolic/diastolic at start and end of history
	hr                float64
	labTrends         map[string][2]float64 // LOINC → value at start and end of history
	a1c               bool                  // A1c at every annual visit (and follow-ups)
	labsEveryPhysical bool

	followUpsPerYear int
	sick             []sickReason
	conditions       []condition
	meds             []med
	allergies        []allergy
	procedures       []procedure
	carePlan         carePlan
	proxies          []proxy
	payer, memberID  string
	pharmacy         string // id of the preferred pharmacy
	threads          []thread
	refillTaskMed    int  // index in meds of the open refill Task's medication; -1 none
	pdfHandout       bool // add the care plan handout as a PDF document
}

type sickReason struct {
	code, display, note string
	yearsAgo            float64
	med                 *med // a short course, completed
	procedure           *procedure
}

type condition struct {
	code, display string
	onsetYears    float64 // years ago
	resolvedYears float64 // years ago; 0 = still active
}

type med struct {
	code, display, dosage string
	status                string // active, stopped, completed
	startYears, endYears  float64
	refills               int
	quantity              float64
	unit                  string
	prescriber            string
	reason                int    // index in conditions, -1 none
	pharmacy              string // where it is dispensed when not the preferred pharmacy
}

type allergy struct {
	code, display, category, criticality string
	reactionCode, reaction, severity     string
	recordedYears                        float64
}

type procedure struct {
	code, display string
	yearsAgo      float64
}

type carePlan struct {
	title, description string
	addresses          int // index in conditions
	goals              []goal
	activities         []string
}

type goal struct {
	text, loinc, measure string
	comparator           string // "<" or ">="
	value                float64
	unit, ucum           string
}

type proxy struct {
	id, given, family, relCode, relDisplay, phone string
	gender                                        string
}

type thread struct {
	topic     string
	daysAgo   float64
	byPatient bool // who opened it: the patient side or the practice
	byProxy   bool // the patient side is the persona's first proxy
	messages  []string
}

// ageAgo is a birth date that makes someone years old at now, plus a few
// months and days so birthdays don't all fall on the same day.
func ageAgo(now time.Time, years, months, days int) time.Time {
	return atClock(now, 0, 0).AddDate(-years, -months, -days)
}

func demoPersonas(now time.Time) []persona {
	return []persona{
		{
			id: MayaID, short: "maya", given: []string{"Maya", "Elena"}, family: "Rivera", gender: "female",
			birth: ageAgo(now, 42, 4, 11), lang: "en-US", langDisplay: "English (United States)",
			phone: "(555) 310-2294", email: "maya.rivera@mail.example", street: "417 Willow Lane",
			gp: "dr-park", kind: adult, history: 5, mrn: "RFM-100231",
			heightCm: 165, weight: [2]float64{84, 79}, bp: [2][2]float64{{146, 94}, {128, 82}}, hr: 76,
			labTrends: map[string][2]float64{
				"2093-3": {245, 192}, "18262-6": {165, 118}, "2085-9": {44, 51}, "2571-8": {182, 138},
				"2345-7": {103, 109}, "4548-4": {5.6, 6.1},
			},
			a1c: true, labsEveryPhysical: true, followUpsPerYear: 1,
			sick: []sickReason{
				{code: "444814009", display: "Viral sinusitis (disorder)", yearsAgo: 3.6,
					note: "Nasal congestion and facial pressure for five days. No fever. Supportive care: saline rinses, fluids, rest."},
				{code: "44465007", display: "Sprain of ankle", yearsAgo: 2.3,
					note: "Inversion injury of the right ankle while running. Able to bear weight. RICE, ankle brace, short course of pain medicine.",
					med: &med{code: "1049221", display: "Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet",
						dosage: "Take 1 tablet by mouth every 6 hours as needed for severe pain. Do not drive.", quantity: 12, unit: "tablet"}},
				{code: "10509002", display: "Acute bronchitis (disorder)", yearsAgo: 1.4,
					note:      "Cough for ten days, no shortness of breath. Chest X-ray clear. Expect the cough to settle over two to three weeks.",
					procedure: &procedure{code: "399208008", display: "Plain chest X-ray (procedure)"}},
				{code: "195662009", display: "Acute viral pharyngitis (disorder)", yearsAgo: 0.5,
					note: "Sore throat for two days, rapid strep test negative. Warm fluids, throat lozenges, acetaminophen as needed."},
			},
			conditions: []condition{
				{code: "38341003", display: "Hypertension", onsetYears: 4.2},
				{code: "55822004", display: "Hyperlipidemia", onsetYears: 3.1},
				{code: "15777000", display: "Prediabetes", onsetYears: 1.9},
				{code: "232353008", display: "Perennial allergic rhinitis with seasonal variation", onsetYears: 9},
			},
			meds: []med{
				{code: "316049", display: "Hydrochlorothiazide 25 MG Oral Tablet", dosage: "Take 1 tablet by mouth every morning.",
					status: "stopped", startYears: 4.2, endYears: 3.2, refills: 0, quantity: 30, unit: "tablet", prescriber: "dr-park", reason: 0},
				{code: "314076", display: "Lisinopril 10 MG Oral Tablet", dosage: "Take 1 tablet by mouth once daily.",
					status: "active", startYears: 3.2, refills: 2, quantity: 90, unit: "tablet", prescriber: "dr-park", reason: 0},
				{code: "312961", display: "Simvastatin 20 MG Oral Tablet", dosage: "Take 1 tablet by mouth every evening.",
					status: "active", startYears: 3.0, refills: 0, quantity: 90, unit: "tablet", prescriber: "dr-park", reason: 1},
				{code: "1014676", display: "cetirizine hydrochloride 10 MG Oral Tablet", dosage: "Take 1 tablet by mouth daily during allergy season.",
					status: "active", startYears: 2.5, refills: 5, quantity: 30, unit: "tablet", prescriber: "np-natarajan", reason: 3,
					pharmacy: "pharmacy-caremail"},
			},
			allergies: []allergy{
				{code: "91936005", display: "Allergy to penicillin", category: "medication", criticality: "high",
					reactionCode: "271807003", reaction: "Eruption of skin", severity: "moderate", recordedYears: 12},
				{code: "418689008", display: "Allergy to grass pollen", category: "environment", criticality: "low",
					reactionCode: "76067001", reaction: "Sneezing", severity: "mild", recordedYears: 9},
			},
			procedures: []procedure{{code: "428191000124101", display: "Documentation of current medications", yearsAgo: 0.2}},
			carePlan: carePlan{
				title: "Blood pressure and heart health", addresses: 0,
				description: "Keep blood pressure under 130/80 and lower LDL cholesterol; prevent type 2 diabetes.",
				goals: []goal{
					{text: "Systolic blood pressure below 130 mmHg", loinc: "8480-6", measure: "Systolic blood pressure", comparator: "<", value: 130, unit: "mmHg", ucum: "mm[Hg]"},
					{text: "Hemoglobin A1c below 5.7%", loinc: "4548-4", measure: "Hemoglobin A1c", comparator: "<", value: 5.7, unit: "%", ucum: "%"},
				},
				activities: []string{"Check blood pressure at home twice a week and bring the log to visits",
					"Walk 30 minutes on at least five days a week", "Meet the dietitian for a low-sodium, low-sugar eating plan"},
			},
			payer: "prairie-mutual", memberID: "PMH-4471-0921", pharmacy: "pharmacy-riverside",
			threads: []thread{
				{topic: "Home blood pressure readings", daysAgo: 40, byPatient: true, messages: []string{
					"Hi Dr. Park, my home readings this week were mostly around 132/84. Is that OK or should I change anything?",
					"Thank you for sending these, Maya. That is a real improvement. Keep taking lisinopril as you are and we will review at your next visit.",
				}},
				{topic: "Your recent lab results", daysAgo: 25, byPatient: false, messages: []string{
					"Hello Maya, your cholesterol has improved since last year. Your A1c is 6.1%, in the prediabetes range. Let's talk about an eating plan at your next visit.",
					"Thanks! Could you send me a copy of the lab report?",
					"Of course. A copy of the report is now in your documents.",
				}},
			},
			refillTaskMed: 2, pdfHandout: true,
		},
		{
			id: LeoID, short: "leo", given: []string{"Leo", "Chidi"}, family: "Okafor", gender: "male",
			birth: ageAgo(now, 8, 5, 3), lang: "en-US", langDisplay: "English (United States)",
			phone: "(555) 448-7310", street: "22 Orchard Court",
			gp: "dr-brooks", kind: child, history: 5, mrn: "RFM-104518", hr: 92,
			sick: []sickReason{
				{code: "65363002", display: "Otitis media", yearsAgo: 3.8,
					note: "Left ear pain and fever for two days. Red, bulging left eardrum. Antibiotic for ten days.",
					med: &med{code: "562251", display: "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
						dosage: "Take 1 tablet by mouth twice daily for 10 days.", quantity: 20, unit: "tablet"}},
				{code: "444814009", display: "Viral sinusitis (disorder)", yearsAgo: 2.1,
					note: "Runny nose and cough for a week, eating and drinking well. No antibiotic needed."},
				{code: "195662009", display: "Acute viral pharyngitis (disorder)", yearsAgo: 0.7,
					note: "Sore throat and mild fever. Rapid strep negative. Fluids and rest; back to school when fever free for 24 hours."},
			},
			conditions: []condition{
				{code: "195967001", display: "Asthma", onsetYears: 3.5},
			},
			meds: []med{
				{code: "745679", display: "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
					dosage: "Inhale 2 puffs with spacer every 4 hours as needed for cough or wheeze.",
					status: "active", startYears: 3.5, refills: 1, quantity: 1, unit: "inhaler", prescriber: "dr-brooks", reason: 0},
				{code: "1870230", display: "NDA020800 0.3 ML Epinephrine 1 MG/ML Auto-Injector",
					dosage: "Inject into the outer thigh for a severe allergic reaction, then call 911.",
					status: "active", startYears: 4.5, refills: 2, quantity: 2, unit: "auto-injector", prescriber: "dr-brooks", reason: -1},
			},
			allergies: []allergy{
				{code: "91935009", display: "Allergy to peanuts", category: "food", criticality: "high",
					reactionCode: "39579001", reaction: "Anaphylaxis", severity: "severe", recordedYears: 4.5},
			},
			carePlan: carePlan{
				title: "Asthma action plan", addresses: 0,
				description: "Keep asthma controlled at home and school; know when to use the rescue inhaler.",
				goals:       []goal{{text: "No night-time asthma symptoms", measure: ""}},
				activities: []string{"Use the albuterol inhaler with spacer for cough or wheeze",
					"Keep an epinephrine auto-injector at school", "Yearly flu vaccine"},
			},
			proxies: []proxy{{id: "demo-amara-leo", given: "Amara", family: "Okafor", relCode: "MTH", relDisplay: "mother",
				phone: "(555) 448-7310", gender: "female"}},
			payer: "prairie-mutual", memberID: "PMH-5520-1184-02", pharmacy: "pharmacy-eastgate",
			threads: []thread{
				{topic: "School form for inhaler", daysAgo: 60, byPatient: true, byProxy: true, messages: []string{
					"Hello, Leo's school needs a medication form signed for his inhaler. Can Dr. Brooks fill it in?",
					"Hi Amara, Dr. Brooks signed the form. You can pick it up at the front desk or we can fax it to the school.",
				}},
			},
			refillTaskMed: -1,
		},
		{
			id: NiaID, short: "nia", given: []string{"Nia", "Adaeze"}, family: "Okafor", gender: "female",
			birth: ageAgo(now, 14, 2, 20), lang: "en-US", langDisplay: "English (United States)",
			phone: "(555) 448-7311", street: "22 Orchard Court",
			gp: "dr-brooks", kind: teen, history: 5, mrn: "RFM-104517", hr: 80,
			bp:        [2][2]float64{{102, 64}, {110, 70}},
			labTrends: map[string][2]float64{"718-7": {11.1, 12.3}},
			sick: []sickReason{
				{code: "43878008", display: "Streptococcal sore throat (disorder)", yearsAgo: 2.6,
					note: "Sore throat and fever, rapid strep positive. Penicillin for ten days.",
					med: &med{code: "834061", display: "Penicillin V Potassium 250 MG Oral Tablet",
						dosage: "Take 1 tablet by mouth twice daily for 10 days.", quantity: 20, unit: "tablet"}},
				{code: "70704007", display: "Sprain of wrist", yearsAgo: 1.2,
					note: "Fell during basketball practice. No bony tenderness. Wrist splint for two weeks."},
			},
			conditions: []condition{
				{code: "271737000", display: "Anemia (disorder)", onsetYears: 1.1},
			},
			meds: []med{
				{code: "310325", display: "ferrous sulfate 325 MG Oral Tablet", dosage: "Take 1 tablet by mouth daily with orange juice.",
					status: "active", startYears: 1.1, refills: 3, quantity: 30, unit: "tablet", prescriber: "dr-brooks", reason: 0},
			},
			allergies: []allergy{
				{code: "232347008", display: "Dander (animal) allergy", category: "environment", criticality: "low",
					reactionCode: "76067001", reaction: "Sneezing", severity: "mild", recordedYears: 6},
			},
			carePlan: carePlan{
				title: "Iron-deficiency anemia", addresses: 0,
				description: "Restore iron stores with supplements and diet; recheck blood count in a year.",
				goals:       []goal{{text: "Hemoglobin at least 12 g/dL", loinc: "718-7", measure: "Hemoglobin", comparator: ">=", value: 12, unit: "g/dL", ucum: "g/dL"}},
				activities:  []string{"Iron supplement daily", "Iron-rich foods: beans, lentils, leafy greens, lean meat"},
			},
			proxies: []proxy{{id: "demo-amara-nia", given: "Amara", family: "Okafor", relCode: "MTH", relDisplay: "mother",
				phone: "(555) 448-7310", gender: "female"}},
			payer: "prairie-mutual", memberID: "PMH-5520-1184-01", pharmacy: "pharmacy-eastgate",
			threads: []thread{
				{topic: "Sports physical form", daysAgo: 90, byPatient: true, messages: []string{
					"Hi, I need my sports physical form for the volleyball team. Is it ready?",
					"Hi Nia, yes. The signed form is ready at the front desk.",
				}},
			},
			refillTaskMed: -1,
		},
		{
			id: JoseID, short: "jose", given: []string{"José", "Luis"}, family: "Hernández García", gender: "male",
			birth: ageAgo(now, 79, 7, 2), lang: "es", langDisplay: "Spanish",
			phone: "(555) 732-0185", street: "9 Ñandú Street, Apt 3",
			gp: "dr-olsen", kind: elder, history: 5, mrn: "RFM-098812",
			heightCm: 170, weight: [2]float64{81, 77}, bp: [2][2]float64{{148, 86}, {134, 78}}, hr: 72,
			labTrends: map[string][2]float64{"4548-4": {7.6, 6.9}, "2345-7": {152, 131}, "2160-0": {1.0, 1.3}},
			a1c:       true, labsEveryPhysical: true, followUpsPerYear: 2,
			sick: []sickReason{
				{code: "10509002", display: "Acute bronchitis (disorder)", yearsAgo: 2.8,
					note: "Cough and low-grade fever. Lungs with scattered wheezes. Inhaler and rest; return if short of breath."},
			},
			conditions: []condition{
				{code: "44054006", display: "Diabetes mellitus type 2", onsetYears: 12},
				{code: "38341003", display: "Hypertension", onsetYears: 15},
				{code: "49436004", display: "Atrial Fibrillation", onsetYears: 3.4},
				{code: "239873007", display: "Osteoarthritis of knee", onsetYears: 7},
			},
			meds: []med{
				{code: "860975", display: "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
					dosage: "Take 2 tablets by mouth with the evening meal.", status: "active", startYears: 12, refills: 3,
					quantity: 180, unit: "tablet", prescriber: "dr-olsen", reason: 0},
				{code: "197361", display: "Amlodipine 5 MG Oral Tablet", dosage: "Take 1 tablet by mouth once daily.",
					status: "active", startYears: 6, refills: 1, quantity: 90, unit: "tablet", prescriber: "dr-olsen", reason: 1},
				{code: "855332", display: "Warfarin Sodium 5 MG Oral Tablet", dosage: "Take as directed by the anticoagulation clinic.",
					status: "stopped", startYears: 3.4, endYears: 2.0, quantity: 30, unit: "tablet", prescriber: "dr-olsen", reason: 2},
				{code: "1364445", display: "apixaban 5 MG Oral Tablet", dosage: "Take 1 tablet by mouth twice daily.",
					status: "active", startYears: 2.0, refills: 4, quantity: 60, unit: "tablet", prescriber: "dr-olsen", reason: 2},
				{code: "313782", display: "Acetaminophen 325 MG Oral Tablet", dosage: "Take 2 tablets by mouth every 6 hours as needed for knee pain.",
					status: "active", startYears: 6.5, refills: 5, quantity: 100, unit: "tablet", prescriber: "dr-olsen", reason: 3},
			},
			allergies: []allergy{
				{code: "232350006", display: "House dust mite allergy", category: "environment", criticality: "low",
					reactionCode: "49727002", reaction: "Cough", severity: "mild", recordedYears: 20},
			},
			procedures: []procedure{
				{code: "73761001", display: "Colonoscopy", yearsAgo: 4.1},
				{code: "312681000", display: "Bone density scan (procedure)", yearsAgo: 1.6},
			},
			carePlan: carePlan{
				title: "Diabetes care", addresses: 0,
				description: "Keep blood sugar in range while avoiding lows; protect kidneys, eyes and feet.",
				goals: []goal{
					{text: "Hemoglobin A1c below 7.5%", loinc: "4548-4", measure: "Hemoglobin A1c", comparator: "<", value: 7.5, unit: "%", ucum: "%"},
					{text: "Blood pressure below 140/90", loinc: "8480-6", measure: "Systolic blood pressure", comparator: "<", value: 140, unit: "mmHg", ucum: "mm[Hg]"},
				},
				activities: []string{"A1c every six months", "Yearly diabetic eye exam", "Foot check at every visit"},
			},
			proxies: []proxy{{id: "demo-lucia-jose", given: "Lucía", family: "Hernández", relCode: "DAUC", relDisplay: "daughter",
				phone: "(555) 732-0199", gender: "female"}},
			payer: "medicare", memberID: "1EG4-TE5-MK72", pharmacy: "pharmacy-caremail",
			threads: []thread{
				{topic: "Papá's knee pain", daysAgo: 18, byPatient: true, byProxy: true, messages: []string{
					"Hello Dr. Olsen, this is Lucía writing for my father. His knee has been more painful this week. Can he take more acetaminophen?",
					"Hi Lucía, he can take up to 6 tablets a day, no more. If the pain keeps him from walking, please book a visit.",
				}},
			},
			refillTaskMed: -1,
		},
	}
}
