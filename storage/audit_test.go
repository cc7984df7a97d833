package storage

import (
	"context"
	"strings"
	"testing"
)

func auditKinds(rep AuditReport) []string {
	var kinds []string
	for _, e := range rep.Entries {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// TestAuditTrail: events are chained and verified; a failed unlock made
// while locked is kept as a clear minimal record, listed unverified, and
// sealed into the chain at the next unlock; no patient data is in it.
func TestAuditTrail(t *testing.T) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	p := newProfile(t, s, "Ada Lovelace")
	if err := s.Audit(ctx, AuditExport, p.ID, "bundle to a file"); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangePassphrase(ctx, testPassphrase, testPassphrase+"2"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	wantErr(t, "wrong passphrase", s.UnlockWithPassphrase(ctx, "wrong"), ErrWrongPassphrase)
	var pending string
	if err := rawDB(t, dir).QueryRow("SELECT pending FROM audit WHERE sealed IS NULL").Scan(&pending); err != nil {
		t.Fatalf("no clear record of the failed unlock: %v", err)
	}
	if strings.Contains(pending, "Ada") || !strings.Contains(pending, AuditUnlockFailed) {
		t.Fatalf("pending record = %s", pending)
	}
	if _, err := s.AuditTrail(ctx); err == nil {
		t.Fatal("AuditTrail while locked")
	}
	if err := s.UnlockWithPassphrase(ctx, testPassphrase+"2"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProfile(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := s.AuditTrail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{AuditProfileAdded, AuditExport, AuditPassphrase, AuditUnlockFailed, AuditProfileRemoved}
	if got := auditKinds(rep); strings.Join(got, ",") != strings.Join(want, ",") || len(rep.Broken) > 0 {
		t.Fatalf("trail = %v broken %v, want %v", got, rep.Broken, want)
	}
	for i, e := range rep.Entries {
		if !e.Verified || e.N != int64(i+1) || e.Time.IsZero() {
			t.Fatalf("entry %d = %+v", i, e)
		}
	}
	if rep.Entries[0].ProfileID != p.ID || rep.Entries[3].Detail != "passphrase" {
		t.Fatalf("entries = %+v", rep.Entries)
	}
}

// TestAuditTrailTampering: removing, replacing, reordering or cutting off
// entries is reported, never accepted; the next unlock notes it in the
// trail once and the app keeps working.
func TestAuditTrailTampering(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper string
		want   string
	}{
		{"middle entry removed", "DELETE FROM audit WHERE seq = (SELECT min(seq) + 1 FROM audit)", "removed"},
		{"last entry removed", "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)", "removed"},
		{"entry damaged", "UPDATE audit SET sealed = CAST(substr(sealed, 1, 30) || CASE WHEN substr(sealed, 31, 1) = x'00' THEN x'01' ELSE x'00' END || substr(sealed, 32) AS BLOB) WHERE seq = (SELECT min(seq) + 2 FROM audit)", "could not be read"},
		{"entries swapped", "UPDATE audit SET seq = -seq WHERE seq IN (SELECT seq FROM audit ORDER BY seq LIMIT 2)", "could not be read"},
		{"head removed", "DELETE FROM audit_head", "end of the trail is missing"},
		{"pending forged", "INSERT INTO audit (pending) VALUES ('{\"k\":\"export\"}')", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := newPassphraseStore(t)
			for _, kind := range []string{AuditSignIn, AuditExport, AuditExport, AuditSignIn} {
				if err := s.Audit(ctx, kind, "", ""); err != nil {
					t.Fatal(err)
				}
			}
			s.Lock()
			mustExec(t, rawDB(t, dir), tc.tamper)
			if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
				t.Fatal(err)
			}
			rep, err := s.AuditTrail(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(rep.Broken) > 0 || len(rep.Entries) != 4 {
					t.Fatalf("a forged pending record of another kind: %+v", rep)
				}
				return
			}
			// What is found is reported (Broken), and noted in the trail at
			// the unlock that found it, so it stays visible even when the
			// chain continues from the note (a removed head).
			last := rep.Entries[len(rep.Entries)-1]
			if last.Kind != AuditTrailBroken || !strings.Contains(last.Detail, tc.want) {
				t.Fatalf("last entry = %+v, want the unlock's note of the break saying %q", last, tc.want)
			}
			if tc.name != "head removed" && !strings.Contains(strings.Join(rep.Broken, "; "), tc.want) {
				t.Fatalf("broken = %q, want one saying %q", rep.Broken, tc.want)
			}
			// The app keeps working and the note is made once.
			s.Lock()
			if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
				t.Fatal(err)
			}
			if err := s.Audit(ctx, AuditExport, "", ""); err != nil {
				t.Fatal(err)
			}
			rep2, _ := s.AuditTrail(ctx)
			if n := strings.Count(strings.Join(auditKinds(rep2), ","), AuditTrailBroken); n != 1 {
				t.Fatalf("%d notes of the break, want 1", n)
			}
		})
	}
}
