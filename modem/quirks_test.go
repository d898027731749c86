package modem

import (
	"reflect"
	"slices"
	"testing"
)

// AT+CPMS=? answers with a bare store between two groups (ModemManager's
// test-modem-helpers.c "mixed" case) must give one list per parameter, and
// every chosen store must be one its parameter offers.
func TestStoreGroupsWithBareStores(t *testing.T) {
	cases := []struct {
		in     string
		groups [][]string
		want   []string
	}{
		{`("ME","MT"),"ME",("SM")`, [][]string{{"ME", "MT"}, {"ME"}, {"SM"}}, []string{"ME", "ME", "SM"}},
		{`     (  "ME"  ,  "MT"  )   ,  "ME" ,   (  "SM"  )`, [][]string{{"ME", "MT"}, {"ME"}, {"SM"}}, []string{"ME", "ME", "SM"}},
		{`"ME","MT","SM"`, [][]string{{"ME"}, {"MT"}, {"SM"}}, []string{"ME", "MT", "SM"}}, // Huawei MU609
		{`("ME","MT"),("ME","SM","MT"),("SM","MT")`, [][]string{{"ME", "MT"}, {"ME", "SM", "MT"}, {"SM", "MT"}}, []string{"MT", "MT", "MT"}},
		{`(("SM","BM","SR"),("SM"))`, [][]string{{"SM", "BM", "SR"}, {"SM"}}, []string{"SM", "SM"}},
		{`("SM"),,()`, [][]string{{"SM"}, nil, nil}, []string{"SM"}},
		{`(),,(  )`, [][]string{nil, nil, nil}, nil},
	}
	for _, c := range cases {
		groups := parseStoreGroups(c.in)
		if !reflect.DeepEqual(groups, c.groups) {
			t.Errorf("groups of %s = %q, want %q", c.in, groups, c.groups)
		}
		got := chooseStores(groups)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("stores for %s = %q, want %q", c.in, got, c.want)
		}
		for i, st := range got {
			if !slices.Contains(groups[i], st) {
				t.Errorf("%s: parameter %d gets %q, which it does not offer", c.in, i+1, st)
			}
		}
	}
}

// The unsolicited +CREG has no <n>, but some modems put it there anyway
// (Sony-Ericsson MD400 in ModemManager's tests: +CREG: 2,5,"0502","0404736D"
// is roaming, not "searching"). Query answers and URCs go through one reader.
func TestRegistrationForms(t *testing.T) {
	for payload, want := range map[string]int{
		"0,1":                          1, // query, n=0
		`2,1,"5E25","605F"`:            1, // query, Siemens
		`0,1,"5E25","605F",2`:          1, // query, Telit with AcT
		"2,1,4CA,81DE445":              1, // query, Huawei unquoted
		`2,5,"2AF5","0B88E350",2`:      5, // query, Sierra 312U
		`2,6,"8B37","0A265185",7`:      6, // query, u-blox TOBY-L2
		"1":                            1, // URC, n=1
		"3":                            3,
		`5,"25FF","825E"`:              5, // URC, n=2
		`6,"8B37","0A265185",7`:        6, // URC with AcT, u-blox
		"1,4CA,81DE445":                1, // URC, Huawei unquoted
		`2,5,"0502","0404736D"`:        5, // URC with the mode field first, MD400
		`0011,"0001","0010",000`:       11,
		`1,"",""`:                      1,
		`2,2,"",""`:                    2,
		` 2 , 5 , "0502" , "0404736D"`: 5,
	} {
		got, ok := parseRegistration(payload)
		if !ok || got != want {
			t.Errorf("parseRegistration(%s) = %d, %v; want %d", payload, got, ok, want)
		}
	}
	for _, bad := range []string{"", "x", "1,x", ","} {
		if got, ok := parseRegistration(bad); ok {
			t.Errorf("parseRegistration(%q) = %d, want no reading", bad, got)
		}
	}
}

// A modem another program left in UCS2 (AT+CSCS="UCS2") shows the service
// centre as UTF-16 hex; gammu's tests/at-smsc dumps 01 and 05.
func TestServiceCentreInUCS2(t *testing.T) {
	for line, want := range map[string]string{
		`+CSCA: 002B00390037003200350034003100320030003000330032,145`:       "+97254120032",
		`+CSCA: "002B003400340037003800300032003000390032003000330035",145`: "+447802092035",
		`+CSCA: "+79168999100",145`:                                         "+79168999100",
		`+CSCA: "6281100000",145`:                                           "6281100000",
		`+CSCA: "62811000",129`:                                             "62811000", // hex-looking, but not UCS2 digits
		`+CSCA: "",129`:                                                     "",
	} {
		if got, ok := parseCSCA([]string{line}); !ok || got != want {
			t.Errorf("parseCSCA(%s) = %q, %v; want %q", line, got, ok, want)
		}
	}
}
