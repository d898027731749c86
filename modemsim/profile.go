package modemsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unknown-command reply styles for Profile.UnknownCommand.
const (
	// UnknownError answers every unknown command with a bare ERROR.
	UnknownError = "ERROR"
	// UnknownCME100 renders "+CME ERROR: 100" through the current CMEE setting (SIM800C style).
	UnknownCME100 = "CME100"
)

// Profile is one modem personality (docs/modem.md §9 compares them). Fields hold
// the exact strings a device of that family puts on the wire.
type Profile struct {
	Name string

	Manufacturer, Model, Revision string

	// EchoAtStart is the echo state after power-on, replug and reboot.
	EchoAtStart bool
	// EchoAfterATZ restores echo on ATZ (stored profile saved with E1).
	EchoAfterATZ bool

	// GCAP is the full +GCAP answer line.
	GCAP string
	// UnknownCommand is UnknownError, UnknownCME100, or a literal final line such as "COMMAND NOT SUPPORT".
	UnknownCommand string
	// Prompt is written after AT+CMGS=<n>: "\r\n> " or "\r\n>\r\n".
	Prompt string
	// EscapeReply is the final line after ESC abandons a prompt; empty means silence.
	EscapeReply string

	// CSMSRange is the AT+CSMS=? answer line; the services it lists are the ones AT+CSMS=<n> accepts.
	CSMSRange string
	// CNMIRange is the AT+CNMI=? answer line; values outside it are rejected.
	CNMIRange string
	// CNMIDefault is the <mode>,<mt>,<bm>,<ds>,<bfr> tuple after boot and ATZ.
	CNMIDefault [5]int

	// CMTHeader formats the +CMT line; the argument is the TPDU length.
	CMTHeader string
	// CMGRHeader formats the +CMGR line; arguments are %[1]d stat and %[2]d TPDU length.
	CMGRHeader string
	// CMGREmptyOK answers AT+CMGR on an empty slot with a bare OK instead of +CMS ERROR: 321.
	CMGREmptyOK bool
	// CMGDEmptyOK answers AT+CMGD on an empty slot with OK instead of +CMS ERROR: 321.
	CMGDEmptyOK bool

	// FirstIndex is the storage index of the first slot (0 on Huawei and Quectel).
	FirstIndex int
	// Slots is the storage size.
	Slots int
	// Memories lists the store names accepted for <mem1>, <mem2>, <mem3> (the AT+CPMS=? answer).
	Memories [3][]string
	// CPMSRange, when set, is the literal AT+CPMS=? answer line, for the
	// shapes rendering Memories does not give: a bare store between lists
	// (+CPMS: ("ME","MT"),"ME",("SM")), nested lists, no parentheses.
	// Memories still decides what AT+CPMS= accepts.
	CPMSRange string
	// DefaultMemories are the stores selected after boot.
	DefaultMemories [3]string
	// PDUWithoutSMSC lists and reads stored messages without the
	// service-centre field in front of the TPDU, as some modems store them.
	PDUWithoutSMSC bool

	// CREGURCWithMode puts <n> in front of the unsolicited +CREG too
	// (+CREG: 2,5,"5E25","605F"), as the Sony-Ericsson MD400 does; the
	// standard URC starts with <stat>.
	CREGURCWithMode bool

	// BootURCs are emitted, one frame each, after power-on, AT+CFUN=1,1, Reboot and replug.
	BootURCs []string
	// NoiseURCs are cycled through by periodic noise and by SetNoise.
	NoiseURCs []string
	// NoiseInterval starts periodic noise at boot (Huawei); zero means quiet until SetNoise.
	NoiseInterval time.Duration
	// CURC makes AT^CURC=0/1 switch periodic noise off/on (Huawei).
	CURC bool
	// FullURC is sent when an arriving message finds the store full; empty means none.
	FullURC string
}

// Profiles returns the built-in personalities keyed by name.
func Profiles() map[string]Profile {
	allMem := []string{"ME", "MT", "SM", "SR"}
	generic := Profile{
		Name:            "generic",
		Manufacturer:    "GENERIC",
		Model:           "GSM MODEM",
		Revision:        "1.0",
		EchoAtStart:     true,
		EchoAfterATZ:    true,
		GCAP:            "+GCAP: +CGSM",
		UnknownCommand:  UnknownError,
		Prompt:          "\r\n> ",
		CSMSRange:       "+CSMS: (0,1)",
		CNMIRange:       "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
		CNMIDefault:     [5]int{0, 0, 0, 0, 0},
		CMTHeader:       "+CMT: ,%d",
		CMGRHeader:      "+CMGR: %[1]d,,%[2]d",
		CMGDEmptyOK:     true,
		FirstIndex:      1,
		Slots:           20,
		Memories:        [3][]string{allMem, allMem, allMem},
		DefaultMemories: [3]string{"SM", "SM", "SM"},
	}

	sim800 := generic
	sim800.Name = "sim800"
	sim800.Manufacturer, sim800.Model, sim800.Revision = "SIMCOM_Ltd", "SIMCOM_SIM800L", "1308B08SIM800L16"
	sim800.UnknownCommand = UnknownCME100
	sim800.CNMIRange = "+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)"
	sim800.CNMIDefault = [5]int{2, 1, 0, 0, 0}
	sim800.CMTHeader = `+CMT: "",%d`
	sim800.CMGRHeader = `+CMGR: %[1]d,"",%[2]d`
	sim800.CMGREmptyOK = true
	sim800.Slots = 50
	simcomMem := []string{"SM", "ME", "SM_P", "ME_P", "MT"}
	sim800.Memories = [3][]string{simcomMem, simcomMem, simcomMem}
	sim800.BootURCs = []string{"RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"}

	sim7670 := sim800
	sim7670.Name = "simcom-sim7670g"
	sim7670.Model, sim7670.Revision = "A7670G", "A011B07A7670M7"
	sim7670.Prompt = "\r\n>\r\n"
	sim7670.UnknownCommand = UnknownError

	ec25 := generic
	ec25.Name = "quectel-ec25"
	ec25.Manufacturer, ec25.Model, ec25.Revision = "Quectel", "EC25", "EC25EFAR06A06M4G"
	ec25.CNMIDefault = [5]int{2, 1, 0, 0, 0}
	ec25.FirstIndex = 0
	ec25.Slots = 40
	quectelMem := []string{"SM", "ME", "MT"}
	ec25.Memories = [3][]string{quectelMem, quectelMem, quectelMem}
	ec25.BootURCs = []string{"RDY", "+CFUN: 1", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"}
	ec25.NoiseURCs = []string{`+QIND: "csq",21,99`}
	ec25.FullURC = `+QIND: "smsfull","SM"`

	m26 := generic
	m26.Name = "quectel-m26"
	m26.Manufacturer, m26.Model, m26.Revision = "Quectel_Ltd", "Quectel_M26", "M26FBR03A01"
	m26.GCAP = "+GCAP: +CGSM,+FCLASS"
	m26.UnknownCommand = UnknownCME100
	m26.CSMSRange = "+CSMS: (0,128)"
	m26.CNMIRange = "+CNMI: (0-3),(0-3),(0,2,3),(0-2),(0,1)"
	m26.CNMIDefault = [5]int{2, 1, 0, 0, 0}
	m26.Slots = 30
	m26.Memories = [3][]string{quectelMem, quectelMem, quectelMem}
	m26.BootURCs = []string{"RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"}

	huawei := generic
	huawei.Name = "huawei-e173"
	huawei.Manufacturer, huawei.Model, huawei.Revision = "huawei", "E173", "11.126.85.00.209"
	huawei.GCAP = "+GCAP: +CGSM,+DS,+ES"
	huawei.UnknownCommand = "COMMAND NOT SUPPORT"
	huawei.CNMIRange = "+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)"
	huawei.CMGREmptyOK = true
	huawei.FirstIndex = 0
	huawei.Slots = 25
	huawei.BootURCs = []string{"^RSSI:99", "^BOOT:20952548,0,0,0,72", "^SIMST:1", "^SRVST:2", "^MODE:5,4", "^STIN:0,0,0"}
	huawei.NoiseURCs = []string{
		"^RSSI:18",
		"^MODE:5,4",
		"^DSFLOWRPT:0000240E,00000000,00000000,00000000000AD023,00000000002FA192,0003E800,0003E800",
		"^RSSI: 19",
		"^BOOT:27710117,0,0,0,75",
		"^SRVST:2",
	}
	huawei.NoiseInterval = 3 * time.Second
	huawei.CURC = true
	huawei.FullURC = `^SMMEMFULL: "SM"`

	zte := generic
	zte.Name = "zte-mf626"
	zte.Manufacturer, zte.Model, zte.Revision = "ZTE INCORPORATED", "MF626", "BD_MF626V1.0.0B03"
	zte.CNMIRange = "+CNMI: (0-3),(0-3),(0-3),(0,1),(0,1)"
	zte.CMGRHeader = "+CMGR: ,,%[2]d"
	zte.Slots = 50
	zte.BootURCs = []string{"+ZUSIMR:2", `+ZPASR: "UMTS"`, `+ZDONR: "METEOR",272,3,"CS_PS","ROAM_OFF"`, "+ZEND"}
	zte.NoiseURCs = []string{`+ZPASR: "UMTS"`, `+ZDONR: "METEOR",272,3,"CS_PS","ROAM_OFF"`}

	cinterion := generic
	cinterion.Name = "cinterion-mc75i"
	cinterion.Manufacturer, cinterion.Model, cinterion.Revision = "Cinterion", "MC75i", "REVISION 01.301"
	cinterion.CNMIRange = "+CNMI: (0-3),(0,1),(0,2,3),(0,2),(1)"
	cinterion.CNMIDefault = [5]int{0, 0, 0, 0, 1}
	cinterion.CMGDEmptyOK = false
	cinterion.Slots = 25
	cinterion.Memories = [3][]string{{"ME", "SM", "MT"}, {"ME", "SM", "MT"}, {"SM", "MT"}}
	cinterion.DefaultMemories = [3]string{"ME", "ME", "SM"}
	cinterion.BootURCs = []string{"^SYSSTART"}

	out := map[string]Profile{}
	for _, p := range []Profile{generic, sim800, sim7670, ec25, m26, huawei, zte, cinterion} {
		out[p.Name] = p
	}
	return out
}

// valueSet is one parenthesised group of a "=?" answer, e.g. (0-3) or (0,2,3).
type valueSet map[int]bool

// parseRanges turns "+CNMI: (0-3),(0,1),(1)" into one set per group.
func parseRanges(line string) ([]valueSet, error) {
	if i := strings.Index(line, ":"); i >= 0 {
		line = line[i+1:]
	}
	var sets []valueSet
	for _, group := range strings.Split(line, "),") {
		group = strings.Trim(strings.TrimSpace(group), "()")
		set := valueSet{}
		for _, item := range strings.Split(group, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			lo, hi, isRange := strings.Cut(item, "-")
			a, err := strconv.Atoi(lo)
			if err != nil {
				return nil, fmt.Errorf("range %q: %w", line, err)
			}
			b := a
			if isRange {
				if b, err = strconv.Atoi(hi); err != nil {
					return nil, fmt.Errorf("range %q: %w", line, err)
				}
			}
			for v := a; v <= b; v++ {
				set[v] = true
			}
		}
		sets = append(sets, set)
	}
	return sets, nil
}

// cpmsRangeLine renders the AT+CPMS=? answer from the memory lists.
func (p Profile) cpmsRangeLine() string {
	if p.CPMSRange != "" {
		return p.CPMSRange
	}
	groups := make([]string, 3)
	for i, mems := range p.Memories {
		quoted := make([]string, len(mems))
		for j, m := range mems {
			quoted[j] = strconv.Quote(m)
		}
		groups[i] = "(" + strings.Join(quoted, ",") + ")"
	}
	return "+CPMS: " + strings.Join(groups, ",")
}

func (p Profile) validate() error {
	if p.Name == "" {
		return fmt.Errorf("profile has no name")
	}
	if _, err := parseRanges(p.CNMIRange); err != nil {
		return err
	}
	if _, err := parseRanges(p.CSMSRange); err != nil {
		return err
	}
	if p.Prompt == "" || p.CMTHeader == "" || p.CMGRHeader == "" {
		return fmt.Errorf("profile %s lacks a prompt or a +CMT/+CMGR header format", p.Name)
	}
	return nil
}
