package labels

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlens/netlens/internal/testenv"
	"github.com/netlens/netlens/schema"
)

func ns(s string) *int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	n := t.UnixNano()
	return &n
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, kind, in string
		want           []schema.Label
	}{
		{"positional", User, "10.0.0.1,alice\n# a comment\n10.0.1.0/24,bob,2024-03-01,2024-03-02T12:00:00Z\n\n2001:DB8::/32,carol\n", []schema.Label{
			{Kind: User, Line: 1, Address: "10.0.0.1", Label: "alice"},
			{Kind: User, Line: 3, Address: "10.0.1.0/24", Label: "bob", ValidFrom: ns("2024-03-01T00:00:00Z"), ValidTo: ns("2024-03-02T12:00:00Z")},
			{Kind: User, Line: 5, Address: "2001:db8::/32", Label: "carol"},
		}},
		{"header in another order, host bits masked", User, "user,from,address\nalice,1709251200,10.0.0.7/8\n", []schema.Label{
			{Kind: User, Line: 2, Address: "10.0.0.0/8", Label: "alice", ValidFrom: ns("2024-03-01T00:00:00Z")},
		}},
		{"darknet ground truth", Class, "ip,class\n71.6.232.5,quadmetrics\n", []schema.Label{
			{Kind: Class, Line: 2, Address: "71.6.232.5", Label: "quadmetrics"},
		}},
		{"ip,label layout", Class, "ip,label\n139.162.212.214,ipip\n", []schema.Label{
			{Kind: Class, Line: 2, Address: "139.162.212.214", Label: "ipip"},
		}},
		{"user without id is its address", User, "address,user\n192.0.2.9,\n", []schema.Label{
			{Kind: User, Line: 2, Address: "192.0.2.9", Label: "192.0.2.9"},
		}},
		{"domains and prefixes of organisations", Org, "domain,org\nGoogleVideo.com.,Google\n*.fbcdn.net,Meta\n157.240.0.0/16,Meta\n", []schema.Label{
			{Kind: Org, Line: 2, Address: "googlevideo.com", Label: "Google"},
			{Kind: Org, Line: 3, Address: "fbcdn.net", Label: "Meta"},
			{Kind: Org, Line: 4, Address: "157.240.0.0/16", Label: "Meta"},
		}},
		{"hostile label kept as text", Category, "example.com,\"<script>alert(1)</script>, \"\"x\"\"\"\n", []schema.Label{
			{Kind: Category, Line: 1, Address: "example.com", Label: `<script>alert(1)</script>, "x"`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.in), "f.csv", tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ kind, in, want string }{
		{User, "10.0.0.1,alice\n10.0.0.300,bob\n", `f.csv:2:1: column 1 (address): "10.0.0.300" is not an address or a prefix`},
		{User, "address,user,from\n10.0.0.1,alice,yesterday\n", `f.csv:2:16: column 3 (from): "yesterday" is not a time`},
		{User, "10.0.0.1,alice,2024-03-02,2024-03-01\n", `f.csv:1:27: column 4 (to): the label ends (2024-03-01) before it starts (2024-03-02)`},
		{Class, "ip,class\n10.0.0.1,\n", `f.csv:2:10: column 2 (class): no class label for 10.0.0.1`},
		{Class, "example.com,scanner\n", `f.csv:1:1: column 1 (address): "example.com" is not an address or a prefix`},
		{Org, "exa mple.com,x\n", `f.csv:1:1: column 1 (address): "exa mple.com" is not an address, a prefix (192.0.2.0/24) or a domain`},
		{Org, "example.com,x,2024-01-01\n", `f.csv:1:15: column 3 (from): a domain label applies at all times`},
		{User, "10.0.0.1,alice,1969-12-31\n", `f.csv:1:16: column 3 (from): "1969-12-31" is out of the range of label times (1970 to 2261)`},
		{User, "10.0.0.1,\"alice\n", `f.csv:1:17: extraneous or missing " in quoted-field`},
		{User, "label,from\nx,2024-01-01\n", `f.csv:1: the header names no address column`},
	} {
		_, err := Parse(strings.NewReader(tc.in), "f.csv", tc.kind)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestReadGzipAndHash(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("ip,class\n192.0.2.1,mirai\n"))
	zw.Close()
	path := filepath.Join(dir, "gt.csv.gz")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path, Class)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Labels) != 1 || f.Labels[0].Label != "mirai" || f.Size != int64(b.Len()) || len(f.SHA256) != 64 {
		t.Errorf("read %+v", f)
	}
	if _, err := Read(path, "colour"); err == nil {
		t.Error("kind colour accepted")
	}
}

// TestReadCorpusGroundTruth reads DarkVec's two ground-truth layouts.
func TestReadCorpusGroundTruth(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(t), "darknet")
	for name, want := range map[string]int{"big_gt.csv": 10164, "idarkvec_demo_ground_truth.csv.gz": 22980} {
		f, err := Read(filepath.Join(dir, name), Class)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Labels) != want {
			t.Errorf("%s: %d labels, want %d", name, len(f.Labels), want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("ip,class\n192.0.2.1,x\n", Class)
	f.Add("10.0.0.0/8,alice,2024-01-01,2024-02-01\n", User)
	f.Add("domain,org\nexample.com,Example\n", Org)
	f.Fuzz(func(t *testing.T, in, kind string) {
		if !ValidKind(kind) {
			return
		}
		labels, err := Parse(strings.NewReader(in), "f", kind)
		if err != nil {
			return
		}
		for _, l := range labels {
			if l.Address == "" || l.Label == "" || l.Kind != kind {
				t.Fatalf("bad label %+v", l)
			}
			if l.ValidFrom != nil && l.ValidTo != nil && *l.ValidFrom >= *l.ValidTo {
				t.Fatalf("empty window %+v", l)
			}
		}
		_ = Spans(labels, 0)
	})
}
