package synth

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// DemoPassword is the password of every generated demo account.
const DemoPassword = "carebook-demo"

// Account is one portal login of the demo practice, for the authorization
// server to create (smart.Server.CreateUser and AddAccess).
type Account struct {
	// Username and Password sign in; Password is DemoPassword.
	Username, Password string
	// Description says who this is, for a demo's sign-in page or a README.
	Description string
	// PatientIDs are the charts this account may open, in picker order.
	PatientIDs []string
	// FHIRUser is the signed-in person: "Patient/..." for a patient,
	// "RelatedPerson/..." for a proxy (the RelatedPerson of the first chart).
	FHIRUser string
	// Relations maps each of PatientIDs to "self", "parent" or "caregiver".
	Relations map[string]string
	// RelatedPersons maps each chart a proxy reaches to the RelatedPerson
	// that represents this account in that chart ("RelatedPerson/...").
	// Empty for an account with only "self" access.
	RelatedPersons map[string]string
}

// Options says what to generate.
type Options struct {
	// Seed selects the pseudo-random choices; same Seed and Now, same bytes.
	Seed int64
	// Scale > 1 adds the patient ScalePatientID with about Scale×1,000
	// resources (for benchmarks). 0 and 1 add nothing.
	Scale int
	// Now is the moment the data is relative to: history lies before it,
	// free slots and the upcoming appointments after it. Zero means
	// time.Now(), which makes the output differ from run to run.
	Now time.Time
}

// Stable ids of the demo patients.
const (
	MayaID         = "demo-maya"  // main demo adult, rich record
	LeoID          = "demo-leo"   // child, 8 years old
	NiaID          = "demo-nia"   // teenager, 14 years old
	JoseID         = "demo-jose"  // elderly adult with a caregiver
	ScalePatientID = "demo-scale" // only with Options.Scale > 1
	PracticeOrgID  = "riverside"  // the practice's Organization
)

// maxBundleEntries bounds one transaction bundle, so the scale patient is
// loaded in several transactions of reasonable size.
const maxBundleEntries = 1000

// ErrBadOptions is returned (wrapped) by Generate for invalid Options.
var ErrBadOptions = errors.New("synth: invalid options")

// resource is one generated FHIR resource before it is serialized.
type resource struct {
	typ, id string
	body    obj
}

// set is the resources of one bundle, in the order they were added.
type set struct {
	list []resource
}

// add records a resource of type typ with the given id; body gets its
// resourceType and id.
func (s *set) add(typ, id string, body obj) {
	body["resourceType"] = typ
	body["id"] = id
	s.list = append(s.list, resource{typ: typ, id: id, body: body})
}

// Generate builds the demo practice: one transaction Bundle for the practice
// (organization, practitioners, schedules, slots), one per demo patient, and
// for Options.Scale > 1 the scale patient's bundles. Every entry is a PUT
// with a stable id, so loading the bundles twice changes nothing. Bundles
// must be loaded in the order returned (the practice first).
func Generate(opts Options) (bundles [][]byte, accounts []Account, err error) {
	if opts.Scale < 0 {
		return nil, nil, fmt.Errorf("%w: negative scale %d", ErrBadOptions, opts.Scale)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	g := &generator{now: now.Truncate(time.Second), seed: opts.Seed}

	practice := g.buildPractice()
	sets := []*set{practice}
	for _, p := range demoPersonas(g.now) {
		sets = append(sets, g.buildPatient(p))
	}
	// The patients booked slots while they were built; the practice set
	// holds the same maps, so the busy status is already in it.
	if opts.Scale > 1 {
		sets = append(sets, g.buildScalePatient(opts.Scale)...)
	}
	for _, s := range sets {
		for start := 0; start < len(s.list); start += maxBundleEntries {
			end := min(start+maxBundleEntries, len(s.list))
			b, err := transactionBundle(s.list[start:end])
			if err != nil {
				return nil, nil, err
			}
			bundles = append(bundles, b)
		}
	}
	return bundles, demoAccounts(opts.Scale > 1), nil
}

// transactionBundle serializes resources as a FHIR transaction Bundle of PUTs.
func transactionBundle(list []resource) ([]byte, error) {
	entries := make([]any, 0, len(list))
	for _, r := range list {
		entries = append(entries, obj{
			"resource": r.body,
			"request":  obj{"method": "PUT", "url": r.typ + "/" + r.id},
		})
	}
	b, err := json.Marshal(obj{"resourceType": "Bundle", "type": "transaction", "entry": entries})
	if err != nil {
		return nil, fmt.Errorf("synth: encode bundle: %w", err)
	}
	return b, nil
}

// generator holds what is shared while one practice is generated.
type generator struct {
	now   time.Time
	seed  int64
	slots []*slot // the practice's slots, in time order per practitioner
}

// rng returns the random source of one part of the data (a patient, the
// practice), so adding a part never changes the others.
func (g *generator) rng(part string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(part))
	return rand.New(rand.NewPCG(uint64(g.seed), h.Sum64()))
}

// demoAccounts lists the logins of the demo practice.
func demoAccounts(withScale bool) []Account {
	accounts := []Account{
		{
			Username: "maya", Password: DemoPassword,
			Description: "Maya Rivera, 42, the main demo patient with five years of history",
			PatientIDs:  []string{MayaID}, FHIRUser: "Patient/" + MayaID,
			Relations: map[string]string{MayaID: "self"},
		},
		{
			Username: "amara", Password: DemoPassword,
			Description: "Amara Okafor, parent of Leo (8, full access) and Nia (14, limited access)",
			PatientIDs:  []string{LeoID, NiaID}, FHIRUser: "RelatedPerson/demo-amara-leo",
			Relations: map[string]string{LeoID: "parent", NiaID: "parent"},
			RelatedPersons: map[string]string{
				LeoID: "RelatedPerson/demo-amara-leo",
				NiaID: "RelatedPerson/demo-amara-nia",
			},
		},
		{
			Username: "nia", Password: DemoPassword,
			Description: "Nia Okafor, 14, a teenager with her own login",
			PatientIDs:  []string{NiaID}, FHIRUser: "Patient/" + NiaID,
			Relations: map[string]string{NiaID: "self"},
		},
		{
			Username: "jose", Password: DemoPassword,
			Description: "José Hernández García, 79, who gave his daughter caregiver access",
			PatientIDs:  []string{JoseID}, FHIRUser: "Patient/" + JoseID,
			Relations: map[string]string{JoseID: "self"},
		},
		{
			Username: "lucia", Password: DemoPassword,
			Description: "Lucía Hernández, caregiver of her father José",
			PatientIDs:  []string{JoseID}, FHIRUser: "RelatedPerson/demo-lucia-jose",
			Relations:      map[string]string{JoseID: "caregiver"},
			RelatedPersons: map[string]string{JoseID: "RelatedPerson/demo-lucia-jose"},
		},
	}
	if withScale {
		accounts = append(accounts, Account{
			Username: "scale", Password: DemoPassword,
			Description: "Quinn Taylor, a patient with a very large record, for benchmarks",
			PatientIDs:  []string{ScalePatientID}, FHIRUser: "Patient/" + ScalePatientID,
			Relations: map[string]string{ScalePatientID: "self"},
		})
	}
	return accounts
}
