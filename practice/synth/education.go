package synth

import (
	"html"
	"strings"
	"time"
)

// Patient education: the handouts the practice gives a patient about a
// health problem, as DocumentReferences with the text inline (readable
// offline once synced). Each is typed LOINC 69730-0 "Instructions" and
// categorized SNOMED CT 311401005 "Patient education", authored by the
// practice, and points to the Condition it is about (context.related).
const (
	practiceName           = "Riverside Family Medicine"
	loincInstructions      = "69730-0"
	snomedPatientEducation = "311401005"
)

// handout is one education document of the practice's library.
type handout struct {
	title string
	html  bool     // sent as text/html, else text/plain
	paras []string // the text, a paragraph each; "- " starts a list item
}

// handouts are the practice's education documents, by the SNOMED CT code
// of the condition they explain. The words are the practice's own, in
// plain language.
var handouts = map[string]handout{
	"38341003": {title: "Living with high blood pressure", html: true, paras: []string{
		"High blood pressure (hypertension) means your blood pushes too hard against the walls of your arteries. It usually causes no symptoms, but over years it can damage your heart, brain, kidneys and eyes.",
		"What you can do every day:",
		"- Take your blood pressure medicine at the same time each day, even when you feel well.",
		"- Eat less salt: aim for under 1,500 mg of sodium a day. Read food labels; most salt comes from bread, soups and ready meals.",
		"- Move for 30 minutes on most days: a brisk walk counts.",
		"- Limit alcohol to one drink a day, and do not smoke.",
		"Checking at home: sit quietly for 5 minutes, feet flat, arm resting at heart level. Take two readings a minute apart, morning and evening, and bring the numbers to your next visit.",
		"Call us if your readings are above 160/100 more than once. Call 911 for a reading above 180/120 with chest pain, shortness of breath, weakness on one side or trouble speaking.",
	}},
	"55822004": {title: "High cholesterol: what it means for you", html: true, paras: []string{
		"Cholesterol is a fat carried in your blood. Too much LDL (\"bad\") cholesterol builds up in your arteries and raises the risk of heart attack and stroke. HDL (\"good\") cholesterol helps clear it away.",
		"Ways to lower your LDL:",
		"- Choose foods with healthy fats: olive oil, nuts, fish. Eat less butter, fatty meat and fried food.",
		"- Add fiber: oats, beans, lentils, fruit and vegetables.",
		"- Stay active and keep a healthy weight.",
		"- If you were prescribed a statin, take it every day; it works only while you take it.",
		"We check your cholesterol with a blood test, usually once a year. Tell us about muscle pain that does not go away while taking a statin.",
	}},
	"15777000": {title: "Prediabetes: lowering your risk of diabetes", paras: []string{
		"Prediabetes means your blood sugar is higher than normal but not yet high enough to be diabetes. Many people with prediabetes can stop it from turning into type 2 diabetes.",
		"Small changes make a big difference:",
		"- Losing 5 to 7 percent of your weight (10 to 14 pounds if you weigh 200 pounds) cuts your risk by more than half.",
		"- Aim for 150 minutes of activity a week, such as 30 minutes of walking five days a week.",
		"- Drink water instead of soda and juice. Fill half your plate with vegetables.",
		"We will check your A1c blood test every year. Ask us about the National Diabetes Prevention Program, a free year-long class.",
	}},
	"195967001": {title: "Your asthma action plan", html: true, paras: []string{
		"Asthma makes the airways in the lungs swell and tighten. Knowing your zones helps you act early.",
		"Green zone (doing well): no cough or wheeze, sleeping through the night. Keep taking your daily medicines as prescribed.",
		"Yellow zone (getting worse): cough, wheeze, tight chest, or waking at night. Use your quick-relief inhaler: 2 puffs with the spacer, every 4 hours as needed. Call us if you need it more than twice a week.",
		"Red zone (medical alert): very short of breath, the quick-relief inhaler does not help, trouble walking or talking, lips or fingernails turning blue. Use the inhaler and call 911.",
		"Triggers to avoid: smoke, dust, pet dander, cold air and colds. Get your flu vaccine every fall.",
	}},
	"271737000": {title: "Iron-deficiency anemia: taking iron", paras: []string{
		"Anemia means your blood has fewer red blood cells than it should, so your body gets less oxygen. You may feel tired, weak or short of breath.",
		"Taking iron tablets:",
		"- Take them with a glass of orange juice or another source of vitamin C: it helps your body absorb the iron.",
		"- Do not take them with milk, tea, coffee or antacids; wait two hours.",
		"- Your stools may turn dark; this is expected. Constipation is common: drink water and eat fiber.",
		"Eat iron-rich foods: lean red meat, beans, lentils, spinach and iron-fortified cereals. We will recheck your blood count in about three months.",
	}},
	"44054006": {title: "Managing type 2 diabetes", html: true, paras: []string{
		"With type 2 diabetes your body does not use insulin well, so sugar builds up in your blood. Keeping it in range protects your eyes, kidneys, nerves and heart.",
		"Your daily routine:",
		"- Take your diabetes medicines as prescribed; metformin is best taken with meals.",
		"- Check your feet every day for cuts, blisters or redness.",
		"- Eat regular meals with vegetables, lean protein and whole grains; keep sweets and sugary drinks for rare occasions.",
		"- Walk or move after meals: it lowers blood sugar.",
		"Each year you need an eye exam, a kidney test and a foot exam. Your A1c goal is usually below 7 percent; ask us what yours is.",
		"Low blood sugar (shaky, sweaty, confused): take 15 grams of fast sugar, such as half a cup of juice, and check again in 15 minutes.",
	}},
	"49436004": {title: "Atrial fibrillation and your blood thinner", paras: []string{
		"Atrial fibrillation (AFib) is an irregular heartbeat. Blood can pool in the heart and form clots, so most people with AFib take a blood thinner to prevent a stroke.",
		"Living safely with a blood thinner:",
		"- Take it at the same time every day. Do not stop it unless we tell you to.",
		"- Tell every doctor and dentist that you take it, before any procedure.",
		"- Avoid aspirin and ibuprofen unless we said they are safe for you.",
		"Call 911 for signs of stroke: face drooping, arm weakness, speech difficulty. Call us for bleeding that does not stop, black stools, or a racing heart with dizziness.",
	}},
}

// addEducation adds the practice's handout about each of the patient's
// current conditions it has one for, given on the day the condition was
// diagnosed. It draws no random numbers, so the rest of the record stays
// the same.
func (b *patientBuilder) addEducation() {
	for i, c := range b.p.conditions {
		h, ok := handouts[c.code]
		if !ok || c.resolvedYears > 0 || i >= len(b.conditionIDs) {
			continue
		}
		given := b.g.now.Add(-time.Duration(c.onsetYears * 365.25 * 24 * float64(time.Hour)))
		given = atClock(given, 16, 30)
		switch given.Weekday() {
		case time.Saturday:
			given = given.AddDate(0, 0, -1)
		case time.Sunday:
			given = given.AddDate(0, 0, -2)
		}
		text, contentType := h.plainText(), "text/plain; charset=utf-8"
		if h.html {
			text, contentType = h.htmlText(), "text/html; charset=utf-8"
		}
		b.s.add("DocumentReference", b.newID("edu"), obj{
			"status":      "current",
			"docStatus":   "final",
			"type":        concept(sysLOINC, loincInstructions, "Instructions"),
			"category":    []any{obj{"coding": []any{coding(sysSNOMED, snomedPatientEducation, "Patient education (procedure)")}, "text": "Patient education"}},
			"subject":     b.patientRef(),
			"date":        fhirInstant(given),
			"author":      []any{refDisplay("Organization", PracticeOrgID, practiceName)},
			"custodian":   ref("Organization", PracticeOrgID),
			"description": h.title,
			"content": []any{obj{"attachment": obj{
				"contentType": contentType,
				"language":    "en-US",
				"title":       h.title,
				"creation":    fhirInstant(given),
				"data":        b64([]byte(text)),
				"size":        len(text),
			}}},
			"context": obj{"related": []any{refDisplay("Condition", b.conditionIDs[i], withoutTag(c.display))}},
		})
	}
}

// plainText is the handout as text/plain.
func (h handout) plainText() string {
	var sb strings.Builder
	sb.WriteString(h.title + "\n" + practiceName + "\n\n")
	for _, p := range h.paras {
		sb.WriteString(p + "\n")
		if !strings.HasPrefix(p, "- ") {
			sb.WriteString("\n")
		}
	}
	sb.WriteString("\nQuestions? Send us a message in Carebook or call (555) 201-4400.\n")
	return sb.String()
}

// htmlText is the handout as a small HTML page.
func (h handout) htmlText() string {
	var sb strings.Builder
	sb.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html.EscapeString(h.title) + "</title></head><body>\n")
	sb.WriteString("<h1>" + html.EscapeString(h.title) + "</h1>\n<p><i>" + html.EscapeString(practiceName) + "</i></p>\n")
	inList := false
	for _, p := range h.paras {
		item, isItem := strings.CutPrefix(p, "- ")
		if isItem && !inList {
			sb.WriteString("<ul>\n")
		} else if !isItem && inList {
			sb.WriteString("</ul>\n")
		}
		inList = isItem
		if isItem {
			sb.WriteString("<li>" + html.EscapeString(item) + "</li>\n")
		} else {
			sb.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
		}
	}
	if inList {
		sb.WriteString("</ul>\n")
	}
	sb.WriteString("<p>Questions? Send us a message in Carebook or call (555) 201-4400.</p>\n</body></html>\n")
	return sb.String()
}
