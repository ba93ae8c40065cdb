package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/ingest"
)

// udpCapture writes a nanosecond pcap of n UDP packets of 100 payload bytes
// (158 bytes a record) and returns its path. The payload of packet mark is
// changed: captures that differ only in mark have the same size, and the
// same head and tail when mark is in the middle.
func udpCapture(t *testing.T, name string, n, mark int) string {
	t.Helper()
	le, be := binary.LittleEndian, binary.BigEndian
	b := le.AppendUint32(nil, 0xa1b23c4d)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, 1) // Ethernet
	for i := range n {
		ts := int64(1_700_000_000_000_000_000) + int64(i)*1_000_000
		b = le.AppendUint32(b, uint32(ts/1e9))
		b = le.AppendUint32(b, uint32(ts%1e9))
		b = le.AppendUint32(b, 142)
		b = le.AppendUint32(b, 142)
		b = append(b, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00) // Ethernet
		b = append(b, 0x45, 0)                                        // IPv4
		b = be.AppendUint16(b, 128)
		b = be.AppendUint16(b, uint16(i))
		b = append(b, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2)
		b = be.AppendUint16(b, 40000) // UDP
		b = be.AppendUint16(b, 9999)
		b = be.AppendUint16(b, 108)
		b = be.AppendUint16(b, 0)
		payload := strings.Repeat("x", 100)
		if i == mark {
			payload = strings.Repeat("y", 100)
		}
		b = append(b, payload...)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func fingerprint(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	id, err := dataset.Fingerprint(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func sha256Hex(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// captures returns, per capture id, the rows of packets and dns, and the
// inputs of the manifest, as text.
func captures(t *testing.T, ds *dataset.Dataset) (rows, inputs string) {
	t.Helper()
	rows = tsv(t, ds, `
		SELECT 'packets', capture, count(*) FROM packets GROUP BY ALL
		UNION ALL SELECT 'dns', capture, count(*) FROM dns GROUP BY ALL
		ORDER BY ALL`)
	var b strings.Builder
	for _, in := range ds.Manifest().Inputs {
		b.WriteString(filepath.Base(in.Path) + " " + in.ID + " " + in.SHA256 + "\n")
	}
	return rows, b.String()
}

// TestCaptureIDs checks that an input's capture id is its fingerprint,
// known before its sha256, and that a different file with the same
// fingerprint, or whose fingerprint another input holds, gets one derived
// from its sha256 instead; across runs, in one run and when read again.
func TestCaptureIDs(t *testing.T) {
	ctx := context.Background()
	const n = 1500 // 237,024 bytes: head and tail end before and start after packet 700
	a := udpCapture(t, "a.pcap", n, -1)
	b := udpCapture(t, "b.pcap", n, 700)
	fpA, fpB := fingerprint(t, a), fingerprint(t, b)
	if fpA != fpB {
		t.Fatalf("a and b have fingerprints %s and %s: the test wants them equal", fpA, fpB)
	}
	shaA, shaB := sha256Hex(t, a), sha256Hex(t, b)
	if shaA == shaB {
		t.Fatal("a and b have the same content")
	}
	fpSample, shaSample := fingerprint(t, sample), sha256Hex(t, sample)
	force := ingest.DefaultConfig()
	force.Force = true

	run := func(t *testing.T, ds *dataset.Dataset, cfg ingest.Config, paths ...string) *ingest.Stats {
		t.Helper()
		st, err := ingest.Run(ctx, ds, paths, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	check := func(t *testing.T, step string, ds *dataset.Dataset, wantRows, wantInputs string) {
		t.Helper()
		rows, inputs := captures(t, ds)
		if rows != wantRows {
			t.Errorf("%s: rows per capture\n%s\nwant\n%s", step, rows, wantRows)
		}
		if inputs != wantInputs {
			t.Errorf("%s: manifest inputs\n%s\nwant\n%s", step, inputs, wantInputs)
		}
	}
	ids := func(st *ingest.Stats) string {
		var s []string
		for _, f := range st.Files {
			s = append(s, f.ID)
		}
		return strings.Join(s, " ")
	}
	line := func(name, id, sha string) string { return name + " " + id + " " + sha + "\n" }
	// counts gives the rows per capture in the order of captures: table,
	// id and count, three strings a row.
	counts := func(rows ...string) string {
		var lines []string
		for i := 0; i+2 < len(rows); i += 3 {
			lines = append(lines, rows[i]+"\t"+rows[i+1]+"\t"+rows[i+2]+"\n")
		}
		slices.Sort(lines)
		return strings.Join(lines, "")
	}

	t.Run("fingerprint", func(t *testing.T) {
		// As the Python function of dataset/FORMAT.md computes it.
		if fpSample != "e261f2cbbc0f0f70" {
			t.Errorf("fingerprint of the sample %s, want e261f2cbbc0f0f70", fpSample)
		}
		ds := openDS(t)
		st := run(t, ds, ingest.DefaultConfig(), sample)
		if got := ids(st); got != fpSample {
			t.Errorf("id %s, want the fingerprint %s", got, fpSample)
		}
		check(t, "sample", ds, counts("dns", fpSample, "662", "packets", fpSample, "624"), line("dlink-camera-setup.pcap", fpSample, shaSample))
	})

	t.Run("same fingerprint in one run", func(t *testing.T) {
		ds := openDS(t)
		st := run(t, ds, ingest.DefaultConfig(), a, b, a)
		if got, want := ids(st), fpA+" "+shaB[:16]+" "+fpA; got != want {
			t.Errorf("ids %s, want %s", got, want)
		}
		if !st.Files[2].Skipped {
			t.Error("a given twice was read twice")
		}
		check(t, "a b", ds, counts("packets", shaB[:16], "1500", "packets", fpA, "1500"), line("a.pcap", fpA, shaA)+line("b.pcap", shaB[:16], shaB))
	})

	t.Run("same fingerprint in later runs", func(t *testing.T) {
		ds := openDS(t)
		run(t, ds, ingest.DefaultConfig(), a)
		st := run(t, ds, ingest.DefaultConfig(), b)
		if got := ids(st); got != shaB[:16] {
			t.Errorf("b: id %s, want %s", got, shaB[:16])
		}
		st = run(t, ds, ingest.DefaultConfig(), b)
		if !st.Files[0].Skipped || ids(st) != shaB[:16] {
			t.Errorf("b again: skipped %v, id %s; want skipped with id %s", st.Files[0].Skipped, ids(st), shaB[:16])
		}
		want := counts("packets", shaB[:16], "1500", "packets", fpA, "1500")
		check(t, "a, then b", ds, want, line("a.pcap", fpA, shaA)+line("b.pcap", shaB[:16], shaB))
		// Read again, each keeps its id: b because a holds the fingerprint,
		// a because its own entry, gone first, held it.
		run(t, ds, force, b)
		check(t, "b forced", ds, want, line("a.pcap", fpA, shaA)+line("b.pcap", shaB[:16], shaB))
		run(t, ds, force, a)
		check(t, "a forced", ds, want, line("b.pcap", shaB[:16], shaB)+line("a.pcap", fpA, shaA))
	})

	t.Run("fingerprint held by an input of another size", func(t *testing.T) {
		ds := openDS(t)
		run(t, ds, ingest.DefaultConfig(), sample)
		// Make the sample's entry hold a's fingerprint, as a 64-bit
		// collision would: a, of a size no other input has, is not hashed
		// before it is read, and must not take that id.
		name := filepath.Join(ds.Dir(), dataset.ManifestName)
		m, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(strings.ReplaceAll(string(m), `"`+fpSample+`"`, `"`+fpA+`"`)), 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err = dataset.OpenWrite(ds.Dir())
		if err != nil {
			t.Fatal(err)
		}
		st := run(t, ds, ingest.DefaultConfig(), a)
		if got := ids(st); got != shaA[:16] {
			t.Errorf("a: id %s, want %s", got, shaA[:16])
		}
		check(t, "sample, then a", ds, counts("dns", fpSample, "662", "packets", shaA[:16], "1500", "packets", fpSample, "624"),
			line("dlink-camera-setup.pcap", fpA, shaSample)+line("a.pcap", shaA[:16], shaA))
	})
}
