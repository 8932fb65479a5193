// Command gen prints test vectors of Go's math functions, as Prometheus (built by Go for
// amd64) computes them, for Rill's bit-exact Rust ports (crates/rill-model/src/go_math).
//
// Each line is `name input-bits... output-bits`, all as 16 hex digits of the float64 bits.
// Run it on an x86_64 machine with AVX and FMA (Go's Exp takes its FMA path there):
//
//	go run . > golden.txt                   # the fixed edge cases, committed as golden.txt
//	go run . -random 1000000 -seed 1        # random inputs, for scripts/go-math-check.sh
//
// "exp_nofma" lines are Exp with Go's FMA path switched off (through math.useFMA), so the
// non-FMA variant of the port is checked against Go too; "exp_portable" and "log_portable"
// are Go's pure-Go exp and log (math.exp, math.log), what Go runs on other architectures.
package main

import (
	"bufio"
	"flag"
	"math"
	"math/rand"
	"os"
	"strconv"
	_ "unsafe" // for go:linkname
)

//go:linkname useFMA math.useFMA
var useFMA bool

// Go's pure-Go exp and log, which Go uses instead of the assembly on other architectures
// (the empty linkname.s lets these declarations have no body).
//
//go:linkname portableExp math.exp
func portableExp(x float64) float64

//go:linkname portableLog math.log
func portableLog(x float64) float64

func expNoFMA(x float64) float64 {
	saved := useFMA
	useFMA = false
	r := math.Exp(x)
	useFMA = saved
	return r
}

var unary = []struct {
	name string
	f    func(float64) float64
}{
	{"exp", math.Exp}, {"exp_nofma", expNoFMA}, {"exp_portable", portableExp}, {"expm1", math.Expm1},
	{"exp2", math.Exp2},
	{"log", math.Log}, {"log_portable", portableLog}, {"log2", math.Log2}, {"log10", math.Log10}, {"log1p", math.Log1p},
	{"sin", math.Sin}, {"cos", math.Cos}, {"tan", math.Tan},
	{"asin", math.Asin}, {"acos", math.Acos}, {"atan", math.Atan},
	{"sinh", math.Sinh}, {"cosh", math.Cosh}, {"tanh", math.Tanh},
	{"asinh", math.Asinh}, {"acosh", math.Acosh}, {"atanh", math.Atanh},
}

var binary = []struct {
	name string
	f    func(float64, float64) float64
}{
	{"pow", math.Pow}, {"atan2", math.Atan2},
}

// Edge cases shared by every unary function.
var common = []float64{
	0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, 1e-310, 1.0 / (1 << 28),
	0.5, 0.7071067811865476, math.Nextafter(1, 0), 1, math.Nextafter(1, 2), -0.9, 2, 21, 1 << 29,
	1e22, 1e300, math.MaxFloat64,
}

// Extra cases per function: overflow limits, huge trigonometric arguments, powers of two, and
// (the last three of each list) inputs where Go and glibc's libm round differently.
var extra = map[string][]float64{
	"exp":          {709.4, 709.44, 709.5, 709.78, 709.79, 710, -708.4, -709.1, -745, -745.2, -746, 0.8681355693769461, -367.7510420796552, 38.417801106477},
	"exp_nofma":    {709.4, 709.5, -709.1, -745, -745.2, 3.7, -710.4125623445698, 709.5235631107117, 37.18424362435682},
	"exp_portable": {709.5, 709.78, 709.79, -709.1, -745, -745.2, -746, 3.7, 0.8681355693769461, -367.7510420796552, 38.417801106477},
	"expm1":        {1e-20, 0.3, 0.4, 1.2, -1.2, 20, 38.9, 57, 709.78, 710, -40, 5.79856296475495, 0.3362777127263522, 0.2215562157934136},
	"exp2":         {0.5, -0.5, 1023.5, 1023.99, 1024, -1022.5, -1073.9, -1074, -1074.5, 10.3, 0.0001},
	"log":          {1e-320, 0.70710678118654757, 1.4142135623730951, 3.3089333057991173, 0.1335244863453639, 0.1630143455253073},
	"log_portable": {1e-320, 0.70710678118654757, 1.4142135623730951, 3.3089333057991173, 0.1335244863453639, 0.1630143455253073},
	"log2":         {1024, 0.25, 1e-320, 9007199254740993, 0.39709901175229634, 0.08670367967377192, 302.86341500511156},
	"log10":        {1000, 1e-5, 1e-320, 0.16063338531311372, 7.143998741782093, 710.977398852048},
	"log1p":        {-1, -0.999, 1e-20, 1e-10, 0.4142, -0.29, 9007199254740992, -0.27171747422245895, 4.545990288972793, -0.25412286496104747},
	"sin":          {1e6, 5e8, 536870913, 1e15 + 3, 1e200, -43.30287426378861, -720.3391286428129, 707.152924604331},
	"cos":          {1e6, 5e8, 536870913, 1.5707963267948966, 1e200, -4.111119770680071, 12.731603881097115, 919.1983641923791},
	"tan":          {1.5707963267948966, 1e6, 536870913, 1e200, -0.8487621147185059, 21.2732286722368, -911.2935395765902},
	"asin":         {0.69, 0.71, 1.0000001, -0.8044946229840778, -0.17115541278132076, 0.7096132059786677},
	"acos":         {0.69, -1, 0.9271059326468566, -0.31447607102795316, 0.8105383709116736},
	"atan":         {0.65, 0.67, 2.4, 2.5, 15.181029243844685, -782.535828986427, -7.135868080915979},
	"sinh":         {0.4, 0.51, 20.9, 709.5, 710, -711, 0.22740930698854175, 708.0937590191263, -0.4923873154462507},
	"cosh":         {0.4, 20.9, 706, 709.5, 710, -711, 33.249524462094435, -710.3342087929555, 709.8355519567235},
	"tanh":         {0.6, 0.63, 44, 45, 0.149186045627222, -0.03178833146650866, 0.918824461627812},
	"asinh":        {1.5, 3e8, 517.206053256734, 3.0845835475892596, -2.433687042681374},
	"acosh":        {2.5, 3e8, 1.3434567400110846, 347.51264581646524, 3.572138960354571},
	"atanh":        {0.6, 0.999999, -1, -0.48549128725182866, 0.02433756302316046, 0.4055741863754847},
}

var pairs = map[string][][2]float64{
	"pow": {
		{2, 10}, {2, 0.5}, {2, -0.5}, {2, -1074}, {2, 1024}, {2, -1075}, {10, 2}, {10, -2}, {10, 0.3},
		{1, math.NaN()}, {math.NaN(), 0}, {math.NaN(), 1}, {0, -3}, {math.Copysign(0, -1), -3},
		{math.Copysign(0, -1), 3}, {math.Copysign(0, -1), 1e300}, {0, -1e300}, {-1, math.Inf(1)},
		{0.5, math.Inf(1)}, {0.5, math.Inf(-1)}, {2, math.Inf(-1)}, {math.Inf(-1), 3}, {math.Inf(-1), -3},
		{math.Inf(-1), 2}, {math.Inf(1), -1}, {-8, 1.0 / 3}, {-8, 3}, {-2, 1e300}, {0.9, 1e300},
		{1.0000001, 1e10}, {3.7, 2.5}, {3.7, -7.25}, {1e-300, 2}, {1e300, 1.5}, {5e-324, 0.5},
		{5e-324, -1}, {123.456, 7.89}, {0.999, 12345.678}, {-1.5, 33}, {7, 1.0 / 7},
		{0.9619565392897615, -292.3567494183762}, {0.999725426488978, 0.9595204314675376}, {13.065184432857532, -7},
	},
	"atan2": {
		{0, 0}, {0, math.Copysign(0, -1)}, {math.Copysign(0, -1), -1}, {1, 0}, {-1, 0},
		{math.Inf(1), math.Inf(1)}, {math.Inf(-1), math.Inf(-1)}, {1, math.Inf(1)}, {1, math.Inf(-1)},
		{math.Inf(1), 5}, {math.NaN(), 1}, {1, 1}, {1, -1}, {-1, -1}, {3, 4}, {-3, -4}, {1e-300, 1e300},
		{1e300, 1e-300}, {0.7, -0.2}, {5e-324, -1},
		{1.0003222410801853, 0.26517704003955656}, {-26.827349230316912, -93}, {-3.271490043442995, 65},
	},
}

func main() {
	random := flag.Int("random", 0, "print this many random inputs per function instead of the fixed cases")
	seed := flag.Int64("seed", 1, "seed of the random inputs")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	if *random > 0 {
		printRandom(w, *random, rand.New(rand.NewSource(*seed)))
		return
	}
	for _, u := range unary {
		for _, x := range append(append([]float64{}, common...), extra[u.name]...) {
			line(w, u.name, u.f(x), x)
		}
	}
	for _, b := range binary {
		for _, p := range pairs[b.name] {
			line(w, b.name, b.f(p[0], p[1]), p[0], p[1])
		}
	}
}

// line prints `name in... out` as float64 bits.
func line(w *bufio.Writer, name string, out float64, in ...float64) {
	buf := append(make([]byte, 0, 64), name...)
	for _, v := range append(in, out) {
		buf = append(buf, ' ')
		buf = appendHex(buf, math.Float64bits(v))
	}
	w.Write(append(buf, '\n'))
}

func appendHex(buf []byte, v uint64) []byte {
	s := strconv.FormatUint(v, 16)
	for i := len(s); i < 16; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// randomInput draws from several magnitude ranges: near 0, moderate, the whole float64 range
// by exponent, raw bit patterns, and the function's own domain boundaries.
func randomInput(r *rand.Rand, name string) float64 {
	sign := 1.0
	if r.Intn(2) == 0 {
		sign = -1
	}
	switch r.Intn(8) {
	case 0:
		return sign * r.Float64()
	case 1:
		return sign * r.Float64() * 10
	case 2:
		return sign * r.Float64() * 1000
	case 3:
		return sign * math.Ldexp(1+r.Float64(), r.Intn(2100)-1075)
	case 4:
		return math.Float64frombits(r.Uint64())
	case 5:
		return sign * (705 + r.Float64()*6)
	case 6:
		return sign * r.Float64() * (1 << 31)
	default:
		switch name {
		case "acosh":
			return 1 + r.Float64()*3
		case "log", "log2", "log10":
			return r.Float64() * 4
		case "log1p":
			return -1 + r.Float64()*2
		default:
			return sign * r.Float64() * 50
		}
	}
}

func printRandom(w *bufio.Writer, n int, r *rand.Rand) {
	for _, u := range unary {
		for i := 0; i < n; i++ {
			x := randomInput(r, u.name)
			line(w, u.name, u.f(x), x)
		}
	}
	for _, b := range binary {
		for i := 0; i < n; i++ {
			x, y := randomInput(r, b.name), randomInput(r, b.name)
			switch r.Intn(4) {
			case 0: // integer exponents, the repeated-squaring path
				y = float64(r.Intn(200) - 100)
			case 1: // bases near 1 with big exponents
				x = 1 + (r.Float64()-0.5)*1e-3
			case 2: // positive bases, so fractional exponents do not give NaN
				x = math.Abs(x)
			}
			line(w, b.name, b.f(x, y), x, y)
		}
	}
}
