package analysis

import (
	"strings"
	"testing"
)

// TestParseTooLarge: a number or duration beyond what the parameter can
// hold is named too large, with the limit, not taken for bad syntax.
func TestParseTooLarge(t *testing.T) {
	params := []Param{
		{Name: "gap", Kind: Duration, Default: "300ms"},
		{Name: "top", Kind: Int, Default: "10"},
	}
	for _, tt := range []struct {
		set  map[string]string
		want string // "" for valid
	}{
		{map[string]string{"gap": "9999999h"}, `parameter gap="9999999h": too large: at most 2562047h47m16.854775807s`},
		{map[string]string{"gap": "2562047h47m16.854775808s"}, "too large: at most 2562047h47m16.854775807s"},
		{map[string]string{"gap": "2562047h"}, ""},
		{map[string]string{"gap": "1h30m"}, ""},
		{map[string]string{"gap": "soon"}, `parameter gap="soon": not a duration like 300ms, 2s or 1h`},
		{map[string]string{"gap": "1w"}, ""},
		{map[string]string{"gap": "30d"}, ""},
		{map[string]string{"gap": "99999999999999w"}, "too large: at most 2562047h47m16.854775807s"},
		{map[string]string{"gap": "1.5w"}, "not a duration"},
		{map[string]string{"gap": "5"}, "not a duration"},
		{map[string]string{"gap": "1.5.5s"}, "not a duration"},
		{map[string]string{"top": "99999999999999999999"}, `parameter top="99999999999999999999": too large: at most 9223372036854775807`},
		{map[string]string{"top": "ten"}, "not a whole number"},
	} {
		_, err := ParseValues(params, tt.set)
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.set, err, tt.want)
		}
	}
}
