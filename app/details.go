package app

// The patient's own details: address, phone, e-mail, preferred language,
// emergency contact (Patient.contact) and preferred pharmacy (the HL7
// patient-preferredPharmacy extension, the same the refill form reads).
// A change is a Patient update with If-Match of the version the patient
// edited, through the outbox. When the practice's copy changed meanwhile
// (412), the patient sees both versions field by field and chooses
// (DetailsConflict, ResolveDetailsConflict).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
)

// DetailKey names one of the patient's details.
type DetailKey string

// The details a patient sees; the last three are their identity, which
// only the practice changes.
const (
	DetailPhone                 DetailKey = "phone"
	DetailEmail                 DetailKey = "email"
	DetailStreet                DetailKey = "street"
	DetailCity                  DetailKey = "city"
	DetailState                 DetailKey = "state"
	DetailPostalCode            DetailKey = "postal-code"
	DetailLanguage              DetailKey = "language"
	DetailEmergencyName         DetailKey = "emergency-name"
	DetailEmergencyRelationship DetailKey = "emergency-relationship"
	DetailEmergencyPhone        DetailKey = "emergency-phone"
	DetailPharmacy              DetailKey = "pharmacy"
	DetailName                  DetailKey = "name"
	DetailBirthDate             DetailKey = "birth-date"
	DetailGender                DetailKey = "gender"
)

// detailDefs lists the details in the order shown, with the Patient
// element they live in (DetailLabel names them).
var detailDefs = []struct {
	key     DetailKey
	element string
}{
	{DetailName, "name"},
	{DetailBirthDate, "birthDate"},
	{DetailGender, "gender"},
	{DetailPhone, "telecom"},
	{DetailEmail, "telecom"},
	{DetailStreet, "address"},
	{DetailCity, "address"},
	{DetailState, "address"},
	{DetailPostalCode, "address"},
	{DetailLanguage, "communication"},
	{DetailEmergencyName, "contact"},
	{DetailEmergencyRelationship, "contact"},
	{DetailEmergencyPhone, "contact"},
	{DetailPharmacy, "extension"},
}

// identityElements are never changed online unless the practice says so.
var identityElements = []string{"name", "birthDate", "gender"}

// DetailLabel is the name of a detail for people, in the current
// language.
func DetailLabel(k DetailKey) string {
	switch k {
	case DetailName:
		return i18n.L("Name")
	case DetailBirthDate:
		return i18n.L("Date of birth")
	case DetailGender:
		return i18n.L("Sex")
	case DetailPhone:
		return i18n.L("Phone")
	case DetailEmail:
		return i18n.L("E-mail")
	case DetailStreet:
		return i18n.L("Street")
	case DetailCity:
		return i18n.L("City")
	case DetailState:
		return i18n.L("State")
	case DetailPostalCode:
		return i18n.L("ZIP code")
	case DetailLanguage:
		return i18n.L("Preferred language")
	case DetailEmergencyName:
		return i18n.L("Emergency contact")
	case DetailEmergencyRelationship:
		return i18n.L("Their relationship to you")
	case DetailEmergencyPhone:
		return i18n.L("Their phone")
	case DetailPharmacy:
		return i18n.L("Preferred pharmacy")
	}
	return string(k)
}

// DetailKeys lists every detail, in the order shown.
func DetailKeys() []DetailKey {
	out := make([]DetailKey, len(detailDefs))
	for i, d := range detailDefs {
		out[i] = d.key
	}
	return out
}

// DetailField is one detail as shown.
type DetailField struct {
	Key   DetailKey
	Label string
	// Value is the detail as stored: a language code ("es"), a pharmacy's
	// reference ("Organization/id"), else the text.
	Value string
	// Display is Value for people (the language's or pharmacy's name).
	Display string
	// Editable says the practice lets the patient change it online;
	// otherwise AskWho says who to ask.
	Editable bool
	AskWho   string
}

// Language is a language a patient may prefer, by its BCP 47 code.
type Language struct{ Code string }

// Languages are the languages offered for the preferred language (BCP 47
// codes); a practice's own code is kept as it is.
var Languages = []Language{
	{"en"}, {"es"}, {"zh"}, {"vi"}, {"tl"}, {"ar"}, {"fr"}, {"ko"}, {"ru"}, {"de"},
	{"ht"}, {"pt"}, {"hi"}, {"pl"}, {"it"}, {"ja"},
}

// Name is the language's name in the current language ("Spanish").
func (l Language) Name() string {
	switch l.Code {
	case "en":
		return i18n.L("English")
	case "es":
		return i18n.L("Spanish")
	case "zh":
		return i18n.L("Chinese")
	case "vi":
		return i18n.L("Vietnamese")
	case "tl":
		return i18n.L("Tagalog")
	case "ar":
		return i18n.L("Arabic")
	case "fr":
		return i18n.L("French")
	case "ko":
		return i18n.L("Korean")
	case "ru":
		return i18n.L("Russian")
	case "de":
		return i18n.L("German")
	case "ht":
		return i18n.L("Haitian Creole")
	case "pt":
		return i18n.L("Portuguese")
	case "hi":
		return i18n.L("Hindi")
	case "pl":
		return i18n.L("Polish")
	case "it":
		return i18n.L("Italian")
	case "ja":
		return i18n.L("Japanese")
	}
	return l.Code
}

// LanguageName is the name of a language code, or the code.
func LanguageName(code string) string {
	base, _, _ := strings.Cut(code, "-")
	for _, l := range Languages {
		if strings.EqualFold(l.Code, code) || strings.EqualFold(l.Code, base) {
			return l.Name()
		}
	}
	return code
}

// languageCode is the code of a language given by name ("Spanish"), or "".
func languageCode(name string) string {
	for _, l := range Languages {
		if strings.EqualFold(l.Name(), strings.TrimSpace(name)) || strings.EqualFold(l.Code, strings.TrimSpace(name)) {
			return l.Code
		}
	}
	return ""
}

// DetailsState is where the patient's last change of their details
// stands.
type DetailsState string

// The states of a change.
const (
	DetailsNone    DetailsState = ""         // nothing changed from here
	DetailsWaiting DetailsState = "waiting"  // stored, not accepted yet
	DetailsSent    DetailsState = "sent"     // the practice accepted it
	DetailsFailed  DetailsState = "failed"   // the practice refused it (Words)
	DetailsChoose  DetailsState = "conflict" // the practice's copy changed meanwhile: choose
)

// DetailsUpdate is the patient's last change of their details.
type DetailsUpdate struct {
	State   DetailsState
	Words   string // the practice's words when refused, or why it waits
	Seq     int64
	LocalID string
	When    time.Time
}

// Details are the patient's details as the practice last sent them (or
// as the patient changed them, while that waits to be sent).
type Details struct {
	// Version is the practice's version of the details shown: give it
	// back to UpdateDetails.
	Version    string
	Fields     []DetailField
	Pharmacies []Pharmacy // the pharmacies the record knows, preferred first
	Update     DetailsUpdate
	// CanChange is false when the practice takes no changes online (then
	// Ask says who to ask).
	CanChange bool
	Ask       string
}

// Field returns the detail k.
func (d Details) Field(k DetailKey) DetailField {
	for _, f := range d.Fields {
		if f.Key == k {
			return f
		}
	}
	return DetailField{Key: k, Label: DetailLabel(k)}
}

// PatientDetails reads the patient's details from the local cache (it
// works offline), with what the practice lets them change and the state
// of their last change.
func (a *App) PatientDetails(ctx context.Context, profileID string) (Details, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Details{}, fmt.Errorf("details: %w", err)
	}
	m, err := a.cachedPatient(ctx, p)
	if err != nil {
		return Details{}, err
	}
	offers, err := a.practiceOffers(ctx, profileID)
	if err != nil {
		return Details{}, err
	}
	// The pharmacies the record names: the patient's, the prescriptions'
	// and the requests'.
	c, err := a.ChartOf(ctx, profileID, "MedicationRequest", "Task")
	if err != nil {
		return Details{}, fmt.Errorf("details: %w", err)
	}
	d := Details{Version: versionOf(m), Pharmacies: pharmacies(c, record.MedicationRequest{}), CanChange: !offers.NoUpdate,
		Ask: firstNonBlank(offers.Ask, DefaultAsk())}
	d.Update, err = a.lastDetailsUpdate(ctx, profileID)
	if err != nil {
		return Details{}, err
	}
	m = a.latestPatient(ctx, profileID, d.Update, m)
	d.Version = versionOf(m)
	values := detailValues(m)
	if d.Update.State == DetailsWaiting {
		// Show what is being sent, not what it replaces.
		if it, err := a.store.OutboxItem(ctx, profileID, d.Update.Seq); err == nil {
			if req, err := outbox.DecodeRequest(it); err == nil {
				if mine, err := decodeObject(req.Resource); err == nil {
					values = detailValues(mine)
				}
			}
		}
	}
	for _, def := range detailDefs {
		f := DetailField{Key: def.key, Label: DetailLabel(def.key), Value: values[def.key], Editable: d.CanChange && offers.editable(def.element)}
		f.Display = displayValue(c, def.key, f.Value)
		if !f.Editable {
			f.AskWho = d.Ask
		}
		d.Fields = append(d.Fields, f)
	}
	return d, nil
}

// latestPatient is the practice's latest copy of the patient known here:
// cached, or that of the last change when a sync sent it since (until the
// next pull brings it).
func (a *App) latestPatient(ctx context.Context, profileID string, u DetailsUpdate, cached map[string]any) map[string]any {
	if u.State != DetailsSent {
		return cached
	}
	it, err := a.store.OutboxItem(ctx, profileID, u.Seq)
	if err != nil || len(it.Result) == 0 {
		return cached
	}
	if sent, err := decodeObject(it.Result); err == nil && newer(sent, cached) {
		return sent
	}
	return cached
}

// newer says whether resource a was updated after b (meta.lastUpdated).
func newer(a, b map[string]any) bool {
	ta, errA := time.Parse(time.RFC3339Nano, str(obj(a["meta"]), "lastUpdated"))
	tb, errB := time.Parse(time.RFC3339Nano, str(obj(b["meta"]), "lastUpdated"))
	return errA == nil && (errB != nil || ta.After(tb))
}

// editable says whether the practice lets patients change element.
func (o PracticeOffers) editable(element string) bool {
	if o.Editable == nil {
		for _, e := range identityElements {
			if e == element {
				return false
			}
		}
		return true
	}
	for _, e := range o.Editable {
		if e == element {
			return true
		}
	}
	return false
}

// displayValue is a detail's value for people.
func displayValue(c *record.Chart, k DetailKey, v string) string {
	switch {
	case v == "":
		return ""
	case k == DetailLanguage:
		return LanguageName(v)
	case k == DetailPharmacy:
		return pharmacyName(c, v)
	}
	return v
}

// pharmacyName is the name of the pharmacy ref, with its address when
// known.
func pharmacyName(c *record.Chart, ref string) string {
	for _, party := range c.Parties {
		if party.Key() == ref && party.Name != "" {
			return party.Name
		}
	}
	return firstNonBlank(c.Refs.Lookup(ref), ref)
}

// cachedPatient is the practice's Patient as the cache holds it.
func (a *App) cachedPatient(ctx context.Context, p storage.Profile) (map[string]any, error) {
	r, err := a.store.Get(ctx, p.ID, "Patient", p.PatientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalid(i18n.L("your details are not in this record yet: update it first"))
	}
	if err != nil {
		return nil, fmt.Errorf("details: %w", err)
	}
	m, err := decodeObject(r.JSON)
	if err != nil {
		return nil, fmt.Errorf("details: the saved copy is unreadable")
	}
	return m, nil
}

// lastDetailsUpdate is the state of the newest change of the details made
// here.
func (a *App) lastDetailsUpdate(ctx context.Context, profileID string) (DetailsUpdate, error) {
	entries, err := a.Outbox(ctx, profileID)
	if err != nil {
		return DetailsUpdate{}, fmt.Errorf("details: %w", err)
	}
	var u DetailsUpdate
	for _, e := range entries {
		if e.Kind != outbox.KindPatientUpdate {
			continue
		}
		u = DetailsUpdate{Seq: e.Seq, LocalID: e.LocalID, When: e.UpdatedAt, Words: e.LastError}
		switch e.State {
		case storage.OutboxSent:
			u.State, u.Words = DetailsSent, ""
		case storage.OutboxConflict:
			u.State = DetailsChoose
		case storage.OutboxFailed:
			u.State = DetailsFailed
		default:
			u.State = DetailsWaiting
		}
	}
	return u, nil
}

// MaxDetailText is the longest detail accepted, in characters.
const MaxDetailText = 200

var (
	phoneChars  = regexp.MustCompile(`^\+?[0-9 ()./-]+(\s*(x|ext\.?)\s*[0-9]+)?$`)
	postalChars = regexp.MustCompile(`^[A-Za-z0-9 -]{3,10}$`)
	langCode    = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`)
)

// checkDetail validates and normalises the new value of k.
func checkDetail(k DetailKey, v string, known []Pharmacy) (string, error) {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > MaxDetailText {
		return "", invalid(i18n.L("{{.Detail}} can be at most {{.Max}} characters", map[string]any{"Detail": DetailLabel(k), "Max": MaxDetailText}))
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' }) {
		return "", invalid(i18n.L("{{.Detail}} cannot contain control characters", map[string]any{"Detail": DetailLabel(k)}))
	}
	if v == "" {
		return "", nil // removes it
	}
	switch k {
	case DetailPhone, DetailEmergencyPhone:
		digits := 0
		for _, r := range v {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !phoneChars.MatchString(v) || digits < 7 || digits > 15 {
			return "", invalid(i18n.L("{{.Given}} is not a phone number: use digits, spaces, ( ) - and an optional leading +", map[string]any{"Given": strconv.Quote(v)}))
		}
	case DetailEmail:
		addr, err := mail.ParseAddress(v)
		_, domain, _ := strings.Cut(v, "@")
		if err != nil || addr.Address != v || !strings.Contains(domain, ".") {
			return "", invalid(i18n.L("{{.Given}} is not an e-mail address such as name@example.org", map[string]any{"Given": strconv.Quote(v)}))
		}
	case DetailPostalCode:
		if !postalChars.MatchString(v) {
			return "", invalid(i18n.L("{{.Given}} is not a ZIP or postal code", map[string]any{"Given": strconv.Quote(v)}))
		}
	case DetailLanguage:
		if c := languageCode(v); c != "" {
			return c, nil
		}
		if !langCode.MatchString(v) {
			return "", invalid(i18n.L("unknown language {{.Given}}: give its name (Spanish) or code (es)", map[string]any{"Given": strconv.Quote(v)}))
		}
	case DetailPharmacy:
		ph, err := choosePharmacy(known, v)
		if err != nil {
			return "", err
		}
		return ph.Ref, nil
	}
	return v, nil
}

// UpdateDetails changes the patient's details: changes holds the new value
// of each detail changed ("" removes it), baseVersion the version the
// patient edited (Details.Version; "" for the one in the cache). The
// whole Patient is sent back with only those values changed, as an update
// with If-Match through the outbox. Outcomes are those of every action;
// besides, a *DetailsConflictError (which matches ErrRefused) when the
// practice's copy changed meanwhile: it carries both versions field by
// field for ResolveDetailsConflict.
func (a *App) UpdateDetails(ctx context.Context, profileID string, changes map[DetailKey]string, baseVersion string) (Submitted, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("details: %w", err)
	}
	d, err := a.PatientDetails(ctx, profileID)
	if err != nil {
		return Submitted{}, err
	}
	if d.Update.State == DetailsWaiting {
		return Submitted{}, invalid(i18n.L("your last change ({{.ID}}) is still waiting to be sent; change your details again once the practice has it", map[string]any{"ID": d.Update.LocalID}))
	}
	if d.Update.State == DetailsChoose {
		// A newer change would hide this one, which would then never
		// reach the practice.
		return Submitted{}, invalid(i18n.L("your last change ({{.ID}}) waits for your choice: the practice's copy changed meanwhile; choose what to keep first", map[string]any{"ID": d.Update.LocalID}))
	}
	cached, err := a.cachedPatient(ctx, p)
	if err != nil {
		return Submitted{}, err
	}
	cur := a.latestPatient(ctx, profileID, d.Update, cached)
	values := detailValues(cur)
	clean := map[DetailKey]string{}
	for k, v := range changes {
		f := d.Field(k)
		known := false
		for _, def := range detailDefs {
			known = known || def.key == k
		}
		if !known {
			return Submitted{}, invalid(i18n.L("unknown detail {{.Given}}; the details are {{.Details}}", map[string]any{"Given": strconv.Quote(string(k)), "Details": joinKeys(DetailKeys())}))
		}
		if v, err = checkDetail(k, v, d.Pharmacies); err != nil {
			return Submitted{}, err
		}
		if v == values[k] {
			continue
		}
		if !f.Editable {
			return Submitted{}, invalid(i18n.L("{{.Detail}} cannot be changed online: please ask {{.Who}}", map[string]any{"Detail": f.Label, "Who": f.AskWho}))
		}
		clean[k] = v
	}
	if len(clean) == 0 {
		return Submitted{}, invalid(i18n.L("nothing to change: these are your details already"))
	}
	version := firstNonBlank(baseVersion, versionOf(cur))
	c, err := a.ChartOf(ctx, profileID, "Organization") // pharmacies, by name
	if err != nil {
		return Submitted{}, fmt.Errorf("details: %w", err)
	}
	applyDetails(cur, clean, func(ref string) string { return pharmacyName(c, ref) })
	var base map[DetailKey]string
	if version == versionOf(cur) {
		base = values
	}
	return a.sendDetails(ctx, p, cur, version, base)
}

func joinKeys(ks []DetailKey) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// sendDetails sends m (the whole Patient) as an update conditional on
// version; base (may be nil) are the values of that version, to tell what
// the patient changed should the practice's copy have changed too.
func (a *App) sendDetails(ctx context.Context, p storage.Profile, m map[string]any, version string, base map[DetailKey]string) (Submitted, error) {
	body := mustJSON(m)
	ifMatch := ""
	if version != "" {
		ifMatch = `W/"` + version + `"`
	}
	if base != nil {
		// Kept sealed with the profile: should the practice's copy have
		// changed meanwhile, the conflict can still tell what the patient
		// changed after a restart (DetailsConflictOf).
		b, err := json.Marshal(detailsBase{IfMatch: ifMatch, Values: base})
		if err == nil {
			err = a.store.PutValue(ctx, p.ID, valueDetailsBase, b)
		}
		if err != nil {
			return Submitted{}, fmt.Errorf("details: %w", err)
		}
	}
	sub, err := a.submitUpdate(ctx, p.ID, outbox.KindPatientUpdate, body, ifMatch)
	var refused *RefusedError
	switch {
	case err == nil:
		a.keepPatientCopy(ctx, p.ID, sub.Seq)
		return sub, nil
	case errors.As(err, &refused) && refused.Conflict:
		conflict, cerr := a.buildConflict(ctx, p, sub.Seq, m, base)
		if cerr != nil {
			return sub, err // the refusal stands; the conflict is built again when asked (DetailsConflictOf)
		}
		return sub, &DetailsConflictError{Conflict: conflict, Refused: refused}
	}
	return sub, err
}

// keepPatientCopy puts the practice's copy of an accepted update in the
// cache, so the details show it before the next sync.
func (a *App) keepPatientCopy(ctx context.Context, profileID string, seq int64) {
	it, err := a.store.OutboxItem(ctx, profileID, seq)
	if err != nil || len(it.Result) == 0 {
		return // the next sync brings it
	}
	a.cachePatient(ctx, profileID, it.Result)
}

// cachePatient stores the practice's Patient (as read from it) in the
// cache; best effort: the next sync brings it anyway.
func (a *App) cachePatient(ctx context.Context, profileID string, raw []byte) {
	m, err := decodeObject(raw)
	if err != nil || str(m, "resourceType") != "Patient" || str(m, "id") == "" {
		return
	}
	updated, _ := time.Parse(time.RFC3339Nano, str(obj(m["meta"]), "lastUpdated"))
	if a.store.Put(ctx, profileID, storage.Resource{Type: "Patient", ID: str(m, "id"), LastUpdated: updated, JSON: raw}) != nil {
		return
	}
	a.forget(profileID)
	a.bus.Publish(RecordChanged{ProfileID: profileID})
}

// valueDetailsBase names the sealed value that keeps the details the
// patient's last change was made on (detailsBase).
const valueDetailsBase = "details_base"

// detailsBase is the version a change of the details was made on.
type detailsBase struct {
	IfMatch string               `json:"if_match"`
	Values  map[DetailKey]string `json:"values"`
}

// DetailsConflictError is a change of the details the practice refused
// because its copy changed since the version the patient edited. It
// matches ErrRefused (errors.Is) and *RefusedError (errors.As).
type DetailsConflictError struct {
	Conflict DetailsConflict
	Refused  *RefusedError
}

func (e *DetailsConflictError) Error() string {
	return i18n.L("your details changed at the practice meanwhile: choose which to keep ({{.Words}})", map[string]any{"Words": e.Refused.Message})
}

// Unwrap gives the practice's refusal.
func (e *DetailsConflictError) Unwrap() error { return e.Refused }

// ConflictRow is one detail the patient changed whose value differs from
// the practice's current copy.
type ConflictRow struct {
	Key   DetailKey
	Label string
	// Yours is the patient's value, Practice the practice's current one
	// (as stored, see DetailField.Value), with their Display forms.
	Yours, Practice               string
	YoursDisplay, PracticeDisplay string
	// PracticeChanged says the practice changed this detail too (known
	// when the version the patient edited is still at hand).
	PracticeChanged bool
}

// DetailsConflict is both versions of the details, field by field.
type DetailsConflict struct {
	// Seq is the outbox item the practice refused.
	Seq int64
	// Version is the practice's current version: the resolution is sent
	// against it.
	Version string
	Rows    []ConflictRow
	// practice is the practice's current Patient, the base of the
	// resolution.
	practice []byte
	// yours are the patient's values of the rows.
	yours map[DetailKey]string
}

// buildConflict reads the practice's current copy of the patient and
// compares it with what the patient sent (mine), field by field.
func (a *App) buildConflict(ctx context.Context, p storage.Profile, seq int64, mine map[string]any, base map[DetailKey]string) (DetailsConflict, error) {
	_, api, err := a.practiceAPI(ctx, p.ID)
	if err != nil {
		return DetailsConflict{}, err
	}
	resp, err := api.Get(ctx, "Patient/"+p.PatientID, nil)
	if err != nil {
		return DetailsConflict{}, fmt.Errorf("read the practice's copy: %w", err)
	}
	theirs, err := decodeObject(resp.Body)
	if err != nil {
		return DetailsConflict{}, err
	}
	a.cachePatient(ctx, p.ID, resp.Body)
	c, err := a.ChartOf(ctx, p.ID, "Organization") // pharmacies, by name
	if err != nil {
		return DetailsConflict{}, fmt.Errorf("details: %w", err)
	}
	yours, practice := detailValues(mine), detailValues(theirs)
	out := DetailsConflict{Seq: seq, Version: versionOf(theirs), practice: resp.Body, yours: map[DetailKey]string{}}
	for _, def := range detailDefs {
		k := def.key
		changedByYou := base == nil || yours[k] != base[k]
		if !changedByYou || yours[k] == practice[k] {
			continue
		}
		out.Rows = append(out.Rows, ConflictRow{Key: k, Label: DetailLabel(def.key), Yours: yours[k], Practice: practice[k],
			YoursDisplay: displayValue(c, k, yours[k]), PracticeDisplay: displayValue(c, k, practice[k]),
			PracticeChanged: base != nil && practice[k] != base[k]})
		out.yours[k] = yours[k]
	}
	return out, nil
}

// DetailsConflictOf builds the conflict of the newest change of the
// details the practice refused as changed meanwhile: it reads the
// practice's current copy (so it needs the practice).
func (a *App) DetailsConflictOf(ctx context.Context, profileID string) (DetailsConflict, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return DetailsConflict{}, fmt.Errorf("details: %w", err)
	}
	u, err := a.lastDetailsUpdate(ctx, profileID)
	if err != nil {
		return DetailsConflict{}, err
	}
	if u.State != DetailsChoose {
		return DetailsConflict{}, invalid(i18n.L("no change of your details is waiting for your choice"))
	}
	it, err := a.store.OutboxItem(ctx, profileID, u.Seq)
	if err != nil {
		return DetailsConflict{}, fmt.Errorf("details: %w", err)
	}
	req, err := outbox.DecodeRequest(it)
	if err != nil {
		return DetailsConflict{}, fmt.Errorf("details: %w", err)
	}
	mine, err := decodeObject(req.Resource)
	if err != nil {
		return DetailsConflict{}, err
	}
	var base map[DetailKey]string
	var kept detailsBase
	if raw, err := a.store.Value(ctx, profileID, valueDetailsBase); err == nil && json.Unmarshal(raw, &kept) == nil && kept.IfMatch == req.IfMatch {
		base = kept.Values
	}
	return a.buildConflict(ctx, p, u.Seq, mine, base)
}

// ResolveDetailsConflict sends the patient's choice: for each row, keep
// theirs (keepYours[k] true, the default for a row not listed) or the
// practice's value. The chosen values are applied to the practice's
// current copy and sent against its version; the refused change is then
// removed. When every row keeps the practice's value nothing is sent and
// Submitted.Ref names the patient. Outcomes are those of UpdateDetails
// (the practice may have changed again: another DetailsConflictError).
func (a *App) ResolveDetailsConflict(ctx context.Context, profileID string, c DetailsConflict, keepYours map[DetailKey]bool) (Submitted, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("details: %w", err)
	}
	if len(c.practice) == 0 {
		return Submitted{}, invalid(i18n.L("this conflict was not read from the practice"))
	}
	for k := range keepYours {
		if _, ok := c.yours[k]; !ok {
			return Submitted{}, invalid(i18n.L("{{.Detail}} is not among the details to choose", map[string]any{"Detail": DetailLabel(k)}))
		}
	}
	changes := map[DetailKey]string{}
	for k, v := range c.yours {
		if keep, ok := keepYours[k]; !ok || keep {
			changes[k] = v
		}
	}
	discard := func() error {
		err := a.DiscardOutboxItem(ctx, profileID, c.Seq)
		if errors.Is(err, ErrInvalidInput) {
			return nil // gone already
		}
		return err
	}
	if len(changes) == 0 {
		if err := discard(); err != nil {
			return Submitted{}, err
		}
		return Submitted{Ref: "Patient/" + p.PatientID}, nil
	}
	m, err := decodeObject(c.practice)
	if err != nil {
		return Submitted{}, err
	}
	chart, err := a.ChartOf(ctx, profileID, "Organization") // pharmacies, by name
	if err != nil {
		return Submitted{}, fmt.Errorf("details: %w", err)
	}
	base := detailValues(m) // the version the resolution is made on
	applyDetails(m, changes, func(ref string) string { return pharmacyName(chart, ref) })
	sub, err := a.sendDetails(ctx, p, m, c.Version, base)
	if err == nil || errors.Is(err, ErrQueued) || errors.Is(err, ErrRefused) || errors.Is(err, ErrNeedsSignIn) {
		// The resolution is stored: the refused change has been replaced.
		if derr := discard(); derr != nil && err == nil {
			return sub, derr
		}
	}
	return sub, err
}

// CheckDetail validates a new value of k as UpdateDetails does (a
// pharmacy is checked against the record when sent); nil when it can be
// sent. For forms that check as the patient types.
func CheckDetail(k DetailKey, v string) error {
	if k == DetailPharmacy {
		return nil
	}
	_, err := checkDetail(k, v, nil)
	return err
}
