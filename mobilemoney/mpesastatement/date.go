package mpesastatement

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Nairobi's zone on a box without /usr/share/zoneinfo
)

// nairobi is the zone of every time in a Kenyan statement: the portal
// writes local time without an offset.
var nairobi = mustZone("Africa/Nairobi")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // embedded tzdata always has it
	}
	return loc
}

// timeLayouts are the forms a statement's times take: day first as the
// 2025 portal writes it (never month first: "05-06-2025" is 5 June), year
// first as older exports and the 2009 spec do, with or without seconds,
// with dashes or, after Excel re-saved the file in a Kenyan locale,
// slashes. Go reads unpadded days, months and hours in these layouts too.
var timeLayouts = []string{
	"2-1-2006 15:04:05",
	"2-1-2006 15:04",
	"2006-1-2 15:04:05",
	"2006-1-2 15:04",
	"2006-1-2T15:04:05",
	"2/1/2006 15:04:05",
	"2/1/2006 15:04",
}

// Excel serial dates (days since 1899-12-30, the fraction is the time of
// day) come out of xlsx files read by other tools. Only serials between
// these days (years 2000 and 2100) are taken as dates, so a stray number
// is not read as a time in 1900.
const (
	excelMinSerial = 36526 // 2000-01-01
	excelMaxSerial = 73051 // 2100-01-01
)

var errTimeForm = errors.New("not a date and time in a form a statement uses (DD-MM-YYYY HH:MM:SS, YYYY-MM-DD HH:MM:SS, DD/MM/YYYY HH:MM or an Excel serial)")

// parseTime reads a Completion Time cell as Nairobi time.
func parseTime(s string) (time.Time, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, nairobi); err == nil {
			return t, nil
		}
	}
	if t, ok := excelSerial(s); ok {
		return t, nil
	}
	return time.Time{}, errTimeForm
}

func excelSerial(s string) (time.Time, bool) {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return time.Time{}, false // ParseFloat would also take "1e4", "Inf"
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < excelMinSerial || f >= excelMaxSerial {
		return time.Time{}, false
	}
	days := math.Floor(f)
	secs := math.Round((f - days) * 86400)
	// time.Date normalises the overflowing day and second counts.
	return time.Date(1899, 12, 30+int(days), 0, 0, int(secs), 0, nairobi), true
}
