package static

import (
	"bytes"
	"testing"
)

// TestPreparePDF: preparing the PDF font leaves figures as they were: a
// PDF drawn after it is the one drawn before, but for its dates.
func TestPreparePDF(t *testing.T) {
	for _, c := range Goldens(t)[:2] {
		var before, after bytes.Buffer
		if err := Render(&before, c, PDF, Size{}); err != nil {
			t.Fatal(err)
		}
		if err := PreparePDF(); err != nil {
			t.Fatal(err)
		}
		if err := Render(&after, c, PDF, Size{}); err != nil {
			t.Fatal(err)
		}
		if before.Len() != after.Len() || !bytes.HasPrefix(after.Bytes(), []byte("%PDF")) {
			t.Errorf("%s: %d bytes before, %d after", c.ID, before.Len(), after.Len())
		}
	}
}
