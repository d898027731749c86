package phone

import (
	"slices"
	"strings"
)

// plan is what the box knows of one country's numbering plan: enough to
// read its numbers in every form people write them and to refuse numbers
// with a digit too many or too few. docs/phone-numbers.md gives the facts
// behind each row and their source.
type plan struct {
	region string // ISO 3166-1 alpha-2, upper case
	code   string // country calling code
	// exit is the international prefix the country's own plan names
	// where it is longer than "00" (which is read everywhere).
	exit string
	// ranges: every national significant number (the digits after the
	// country code, without the trunk prefix 0) begins with one of these
	// prefixes; the longest matching prefix decides its allowed lengths.
	ranges []numberRange
}

// numberRange is a block of national significant numbers sharing leading
// digits. Blocks are kept coarse (a whole leading digit where the country
// allows it) so that a range the regulator opens later still reads.
type numberRange struct {
	prefix   string
	min, max int // digits of the national significant number
	mobile   bool
}

// trunkPrefix is dialled before a national significant number inside the
// country; it is "0" in every country of the table.
const trunkPrefix = "0"

// plans are the countries whose national numbers the box reads.
// Invariant: sorted by region (Countries lists them in this order).
var plans = []plan{
	{region: "GH", code: "233", ranges: []numberRange{
		{prefix: "2", min: 9, max: 9, mobile: true},
		{prefix: "3", min: 9, max: 9},
		{prefix: "5", min: 9, max: 9, mobile: true},
		{prefix: "800", min: 8, max: 9},
	}},
	{region: "IN", code: "91", ranges: []numberRange{
		{prefix: "1", min: 8, max: 13},
		{prefix: "160", min: 10, max: 10, mobile: true},
		{prefix: "2", min: 10, max: 10},
		{prefix: "3", min: 10, max: 10},
		{prefix: "4", min: 10, max: 10},
		{prefix: "5", min: 10, max: 10},
		{prefix: "6", min: 10, max: 10, mobile: true},
		{prefix: "7", min: 10, max: 10, mobile: true},
		{prefix: "8", min: 10, max: 10, mobile: true},
		{prefix: "9", min: 10, max: 10, mobile: true},
	}},
	{region: "KE", code: "254", exit: "000", ranges: []numberRange{
		{prefix: "1", min: 9, max: 9, mobile: true},
		{prefix: "20", min: 8, max: 9},
		{prefix: "4", min: 7, max: 9},
		{prefix: "5", min: 7, max: 9},
		{prefix: "6", min: 7, max: 9},
		{prefix: "7", min: 9, max: 9, mobile: true},
		{prefix: "800", min: 9, max: 10},
		{prefix: "900", min: 9, max: 9},
	}},
	{region: "MW", code: "265", ranges: []numberRange{
		{prefix: "1", min: 7, max: 7},
		{prefix: "111", min: 9, max: 9, mobile: true},
		{prefix: "2", min: 9, max: 9},
		{prefix: "31", min: 9, max: 9, mobile: true},
		{prefix: "77", min: 9, max: 9, mobile: true},
		{prefix: "8", min: 9, max: 9, mobile: true},
		{prefix: "9", min: 9, max: 9, mobile: true},
	}},
	{region: "NG", code: "234", ranges: []numberRange{
		{prefix: "20", min: 10, max: 10},
		{prefix: "7", min: 10, max: 10, mobile: true},
		// 700 and 800 numbers run to 14 digits in the plan; E.164 caps a
		// number at 15 digits with the country code.
		{prefix: "700", min: 10, max: 12},
		{prefix: "8", min: 10, max: 10, mobile: true},
		{prefix: "800", min: 10, max: 12},
		{prefix: "9", min: 10, max: 10, mobile: true},
	}},
	{region: "PH", code: "63", ranges: []numberRange{
		{prefix: "1800", min: 11, max: 13},
		{prefix: "2", min: 6, max: 6},
		{prefix: "2", min: 9, max: 9},
		{prefix: "3", min: 9, max: 9},
		{prefix: "4", min: 9, max: 9},
		{prefix: "5", min: 9, max: 9},
		{prefix: "6", min: 9, max: 9},
		{prefix: "7", min: 9, max: 9},
		{prefix: "8", min: 8, max: 10},
		{prefix: "813", min: 10, max: 10, mobile: true},
		{prefix: "817", min: 10, max: 10, mobile: true},
		{prefix: "895", min: 10, max: 10, mobile: true},
		{prefix: "896", min: 10, max: 10, mobile: true},
		{prefix: "897", min: 10, max: 10, mobile: true},
		{prefix: "898", min: 10, max: 10, mobile: true},
		{prefix: "9", min: 10, max: 10, mobile: true},
	}},
	{region: "RW", code: "250", ranges: []numberRange{
		{prefix: "06", min: 8, max: 8},
		{prefix: "2", min: 9, max: 9},
		{prefix: "7", min: 9, max: 9, mobile: true},
		{prefix: "800", min: 9, max: 9},
		{prefix: "900", min: 9, max: 9},
	}},
	{region: "TZ", code: "255", exit: "000", ranges: []numberRange{
		{prefix: "2", min: 9, max: 9},
		{prefix: "41", min: 9, max: 9},
		{prefix: "6", min: 9, max: 9, mobile: true},
		{prefix: "7", min: 9, max: 9, mobile: true},
		{prefix: "8", min: 9, max: 9},
		{prefix: "90", min: 9, max: 9},
	}},
	{region: "UG", code: "256", exit: "000", ranges: []numberRange{
		{prefix: "20", min: 9, max: 9},
		{prefix: "3", min: 9, max: 9},
		{prefix: "4", min: 9, max: 9},
		{prefix: "7", min: 9, max: 9, mobile: true},
		{prefix: "800", min: 9, max: 9},
		{prefix: "90", min: 9, max: 9},
	}},
	{region: "ZM", code: "260", ranges: []numberRange{
		{prefix: "21", min: 9, max: 9},
		{prefix: "5", min: 9, max: 9, mobile: true},
		{prefix: "63", min: 9, max: 9},
		{prefix: "7", min: 9, max: 9, mobile: true},
		{prefix: "800", min: 9, max: 9},
		{prefix: "9", min: 9, max: 9, mobile: true},
	}},
}

// callingCodes are the country calling codes ITU-T E.164 assigns, each
// between spaces. No code begins another (E.164 keeps them prefix-free),
// so the first that begins a number is its code.
const callingCodes = " 1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 " +
	"211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 " +
	"250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 " +
	"350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 420 421 423 " +
	"500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599 " +
	"670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 " +
	"800 808 850 852 853 855 856 870 878 880 881 882 883 886 888 " +
	"960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 979 992 993 994 995 996 998 "

// callingCode returns the country calling code d begins with, or "".
func callingCode(d string) string {
	for n := 1; n <= 3 && n < len(d); n++ {
		if strings.Contains(callingCodes, " "+d[:n]+" ") {
			return d[:n]
		}
	}
	return ""
}

// planOf returns the plan of region (any case), or nil.
func planOf(region string) *plan {
	region = strings.ToUpper(region)
	for i := range plans {
		if plans[i].region == region {
			return &plans[i]
		}
	}
	return nil
}

// planFor returns the plan of the country with calling code cc, or nil.
func planFor(cc string) *plan {
	for i := range plans {
		if plans[i].code == cc {
			return &plans[i]
		}
	}
	return nil
}

// Countries lists the regions (ISO 3166-1 alpha-2) whose national
// numbers the box reads, sorted.
func Countries() []string {
	out := make([]string, len(plans))
	for i, p := range plans {
		out[i] = p.region
	}
	return out
}

// Supported reports whether the box reads national numbers of region
// (ISO 3166-1 alpha-2, any case).
func Supported(region string) bool { return planOf(region) != nil }

// fits reports whether nsn is a national significant number of the plan:
// the ranges with the longest prefix nsn begins with allow its length.
func (p *plan) fits(nsn string) bool {
	longest := -1
	for _, r := range p.ranges {
		if strings.HasPrefix(nsn, r.prefix) && len(r.prefix) > longest {
			longest = len(r.prefix)
		}
	}
	return slices.ContainsFunc(p.ranges, func(r numberRange) bool {
		return len(r.prefix) == longest && strings.HasPrefix(nsn, r.prefix) && len(nsn) >= r.min && len(nsn) <= r.max
	})
}

// mobileDigits is the length of the country's mobile numbers (the longest
// if they differ): digits written without + or trunk prefix that are no
// longer are read as a national number, longer ones as international.
func (p *plan) mobileDigits() int {
	n := 0
	for _, r := range p.ranges {
		if r.mobile {
			n = max(n, r.max)
		}
	}
	return n
}
