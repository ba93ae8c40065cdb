package input

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{
		"a.pcap", "b.pcap.gz", "c.txt", ".hidden.pcap",
		"sub/d.pcap", "sub/e/f.pcapng", "sub/.git/config", "sub/.cache/x.pcap",
		"z/g.pcap",
	} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Dir(full), filepath.Base(full), []byte("x"))
	}
	if err := os.Symlink(filepath.Join(dir, "a.pcap"), filepath.Join(dir, "z", "link.pcap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "z", "dirlink")); err != nil {
		t.Fatal(err)
	}
	j := func(parts ...string) string { return filepath.Join(append([]string{dir}, parts...)...) }
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"file", []string{j("a.pcap")}, []string{j("a.pcap")}, ""},
		{"hidden file named explicitly", []string{j(".hidden.pcap")}, []string{j(".hidden.pcap")}, ""},
		{"directory, recursive, sorted, no hidden", []string{dir}, []string{
			j("a.pcap"), j("b.pcap.gz"), j("c.txt"), j("sub", "d.pcap"), j("sub", "e", "f.pcapng"), j("z", "g.pcap"), j("z", "link.pcap"),
		}, ""},
		{"glob", []string{j("*.pcap*")}, []string{j(".hidden.pcap"), j("a.pcap"), j("b.pcap.gz")}, ""},
		{"glob matching a directory", []string{j("s*")}, []string{j("sub", "d.pcap"), j("sub", "e", "f.pcapng")}, ""},
		{"duplicates removed, first kept", []string{j("z"), j("a.pcap"), j("z", "g.pcap"), j("z", ".", "g.pcap"), j("*.pcap")},
			[]string{j("z", "g.pcap"), j("z", "link.pcap"), j("a.pcap"), j(".hidden.pcap")}, ""},
		{"order of arguments kept", []string{j("z", "g.pcap"), j("a.pcap")}, []string{j("z", "g.pcap"), j("a.pcap")}, ""},
		{"no arguments", nil, nil, ""},
		{"missing file", []string{j("a.pcap"), j("nope.pcap")}, nil, `expand "` + j("nope.pcap") + `": no such file, directory or match`},
		{"glob matching nothing", []string{j("*.zst")}, nil, `expand "` + j("*.zst") + `": no such file, directory or match`},
		{"bad pattern", []string{j("[")}, nil, `expand "` + j("[") + `": syntax error in pattern`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.args)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("Expand error = %q, want %q", gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Expand (-want +got):\n%s", diff)
			}
		})
	}
}
