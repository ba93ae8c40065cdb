package analysis

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a parameter.
type Kind string

// Parameter kinds.
const (
	Int      Kind = "int"
	Float    Kind = "float"
	String   Kind = "string"
	Bool     Kind = "bool"
	Duration Kind = "duration" // Go syntax (300ms, 1.5s, 1h), or whole days or weeks (1d, 1w)
	Addr     Kind = "address"  // an IP address, or empty
	// File names a file on the machine that runs netlens. Only the command
	// line takes one: netlens serve offers no File parameter, so that a
	// page cannot make it read a file outside the dataset.
	File Kind = "file"
)

// Param is a typed parameter with a default.
type Param struct {
	Name    string
	Kind    Kind
	Default string // in the same syntax as --set; "" means unset
	Doc     string
	// Choices, when set, are the only values allowed.
	Choices []string
	// Min is the least value of an Int, Float or Duration (inclusive).
	Min *float64
}

// AtLeast returns a pointer to v, for Param.Min.
func AtLeast(v float64) *float64 { return &v }

// Values are validated parameter values by name.
type Values map[string]any

// Int returns the int parameter name.
func (v Values) Int(name string) int64 { x, _ := v[name].(int64); return x }

// Float returns the float parameter name.
func (v Values) Float(name string) float64 { x, _ := v[name].(float64); return x }

// String returns the string or address parameter name ("" when unset).
func (v Values) String(name string) string { x, _ := v[name].(string); return x }

// Bool returns the bool parameter name.
func (v Values) Bool(name string) bool { x, _ := v[name].(bool); return x }

// Duration returns the duration parameter name.
func (v Values) Duration(name string) time.Duration { x, _ := v[name].(time.Duration); return x }

// IsSet reports whether the parameter has a non-empty value.
func (v Values) IsSet(name string) bool {
	x, ok := v[name]
	return ok && x != "" && x != nil
}

// ParseValues applies defaults and settings to params, checking every value.
func ParseValues(params []Param, settings map[string]string) (Values, error) {
	byName := map[string]Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	for k := range settings {
		if _, ok := byName[k]; !ok {
			names := make([]string, 0, len(params))
			for _, p := range params {
				names = append(names, p.Name)
			}
			sort.Strings(names)
			if len(names) == 0 {
				return nil, fmt.Errorf("unknown parameter %q: this analysis takes none", k)
			}
			return nil, fmt.Errorf("unknown parameter %q (parameters: %s)", k, strings.Join(names, ", "))
		}
	}
	v := Values{}
	for _, p := range params {
		s, ok := settings[p.Name]
		if !ok {
			s = p.Default
		}
		x, err := p.parse(s)
		if err != nil {
			return nil, fmt.Errorf("parameter %s=%q: %w", p.Name, s, err)
		}
		v[p.Name] = x
	}
	return v, nil
}

// parseDuration reads a duration in Go's syntax, or a whole number of days
// (1d) or weeks (1w): the bins of a year of traffic.
func parseDuration(s string) (time.Duration, error) {
	if n := len(s); n > 1 && (s[n-1] == 'd' || s[n-1] == 'w') {
		unit := 24 * time.Hour
		if s[n-1] == 'w' {
			unit *= 7
		}
		if k, err := strconv.ParseInt(s[:n-1], 10, 64); err == nil && k >= 0 {
			if k > int64(math.MaxInt64/unit) {
				return 0, errDurationRange
			}
			return time.Duration(k) * unit, nil
		}
	}
	return time.ParseDuration(s)
}

// errDurationRange is the error of a duration of days or weeks too large.
var errDurationRange = errors.New("duration out of range")

// durationSyntax is the syntax of time.ParseDuration: a duration that has
// it and does not parse is too large.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

func (p Param) parse(s string) (any, error) {
	s = strings.TrimSpace(s)
	if len(p.Choices) > 0 && !slices.Contains(p.Choices, s) {
		return nil, fmt.Errorf("must be one of %s", strings.Join(p.Choices, ", "))
	}
	var num float64
	var x any
	switch p.Kind {
	case Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("too large: at most %d", int64(math.MaxInt64))
		}
		if err != nil {
			return nil, fmt.Errorf("not a whole number")
		}
		x, num = n, float64(n)
	case Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("not a number")
		}
		x, num = f, f
	case Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("not true or false")
		}
		return b, nil
	case Duration:
		d, err := parseDuration(s)
		if errors.Is(err, errDurationRange) || err != nil && durationSyntax.MatchString(s) {
			return nil, fmt.Errorf("too large: at most %v", time.Duration(math.MaxInt64))
		}
		if err != nil {
			return nil, fmt.Errorf("not a duration like 300ms, 2s or 1h")
		}
		x, num = d, d.Seconds()
	case Addr:
		if s == "" {
			return "", nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("not an IP address")
		}
		return a.String(), nil
	default:
		return s, nil
	}
	if p.Min != nil && num < *p.Min {
		return nil, fmt.Errorf("must be at least %v", *p.Min)
	}
	return x, nil
}
