package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// filePageSize is the page size an SQLite file's header states.
func filePageSize(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header := make([]byte, 100)
	if _, err := io.ReadFull(f, header); err != nil {
		t.Fatal(err)
	}
	size := int64(binary.BigEndian.Uint16(header[16:18]))
	if size == 1 {
		size = 65536
	}
	return size
}

// TestPageSize: a new cache file has pages of 16 KB; one made with
// SQLite's 4 KB pages (every file before them) keeps them, and both store,
// read back and honour the size cap.
func TestPageSize(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string) // nil: a new file
		want int64
	}{
		{"new file", nil, 16384},
		{"file with 4 KB pages", func(t *testing.T, path string) {
			// As openDB opened files before: journal_mode first, so
			// the file got SQLite's default page size.
			db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Ping(); err != nil {
				t.Fatal(err)
			}
		}, 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			if tt.make != nil {
				if err := os.Chmod(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				tt.make(t, filepath.Join(dir, FileName))
			}
			s := openTest(t, dir, nil, true)
			if err := s.Setup(ctx, testPassphrase); err != nil {
				t.Fatal(err)
			}
			p := newProfile(t, s, "Ada")
			var rs []Resource
			for i := range 200 {
				rs = append(rs, observation("obs-"+itoa(i), 1+i%28))
			}
			if err := s.Put(ctx, p.ID, rs...); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, p.ID, "Observation", "obs-7"); err != nil || string(got.JSON) != string(rs[7].JSON) {
				t.Fatalf("Get: %v, %q", err, got.JSON)
			}
			var pageSize int64
			if err := s.writer.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
				t.Fatal(err)
			}
			if pageSize != tt.want {
				t.Errorf("page size %d, want %d", pageSize, tt.want)
			}
			if err := s.LimitSize(ctx, 1); err != nil {
				t.Fatal(err)
			}
			// The room left inside the file's pages fills up first.
			var err error
			for i := 0; err == nil && i < 100; i++ {
				r := observation("more-"+itoa(i), 3)
				r.JSON = append(r.JSON[:len(r.JSON)-1], `,"note":[{"text":"`+strings.Repeat("x", 2000)+`"}]}`...)
				err = s.Put(ctx, p.ID, r)
			}
			wantErr(t, "Put past the size cap", err, ErrDiskFull)
			if err := s.LimitSize(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, p.ID, observation("one-more", 3)); err != nil {
				t.Fatalf("Put once the cap is lifted: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := filePageSize(t, filepath.Join(dir, FileName)); got != tt.want {
				t.Errorf("the file's header says %d, want %d", got, tt.want)
			}
		})
	}
}
