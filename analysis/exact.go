package analysis

import (
	"math"
	"math/big"
)

// The floats of result tables (means, standard deviations, quantiles,
// shares, durations) are computed here, in Go, from the exact integers
// engines return (counts, sums, sums of squares, the values at given
// ranks), and rounded once to the nearest float64, ties to even. Engines
// sum and divide floats in orders of their own, so their floats differ in
// the last bits; these do not, whatever the engine.

// exactInt is the largest magnitude up to which every integer is a float64.
const exactInt = 1 << 53

// Ratio returns num/den rounded to the nearest float64.
func Ratio(num, den int64) float64 {
	if -exactInt <= num && num <= exactInt && -exactInt <= den && den <= exactInt {
		// Both operands are exact, so IEEE division rounds the exact
		// quotient once.
		return float64(num) / float64(den)
	}
	return ratio(big.NewInt(num), big.NewInt(den))
}

// ratio returns num/den rounded to the nearest float64.
func ratio(num, den *big.Int) float64 {
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}

// Seconds returns nanoseconds as seconds.
func Seconds(ns int64) float64 { return Ratio(ns, 1e9) }

// Mean returns the mean of n values whose sum is sum, divided by unit (1e9
// gives seconds of nanoseconds); 0 when n is 0.
func Mean(sum *big.Int, n, unit int64) float64 {
	if n == 0 {
		return 0
	}
	return ratio(sum, new(big.Int).Mul(big.NewInt(n), big.NewInt(unit)))
}

// StdDev returns the sample standard deviation (with n-1 in the
// denominator, as pandas' std and describe give it) of n values whose sum
// is sum and whose sum of squares is sumSquares, divided by unit: the
// square root of the variance (n*sumSquares - sum^2) / (n*(n-1)*unit^2),
// which is exact and then rounded to the nearest float64. ok is false when
// n < 2, for which it is not defined.
func StdDev(sum, sumSquares *big.Int, n, unit int64) (std float64, ok bool) {
	if n < 2 {
		return 0, false
	}
	bn, bu := big.NewInt(n), big.NewInt(unit)
	num := new(big.Int).Mul(bn, sumSquares)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	den := new(big.Int).Mul(bn, big.NewInt(n-1))
	den.Mul(den, bu).Mul(den, bu)
	return math.Sqrt(ratio(num, den)), true
}
