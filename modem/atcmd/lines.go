package atcmd

// maxLineLen bounds a line so a modem spewing bytes without line ends cannot
// exhaust memory; the longest real line is a PDU of about 360 hex characters.
const maxLineLen = 8192

// lineSplitter turns the modem's byte stream into lines and SMS prompts.
// CR and LF both end a line (so CR-only modems work), empty lines are
// dropped, and a '>' at the start of a line is a prompt even without a line end.
type lineSplitter struct {
	buf         []byte
	afterPrompt bool // swallowing the spaces after a prompt
}

type token struct {
	prompt bool
	line   string
}

// feed consumes data and appends the complete tokens it finds to out.
func (s *lineSplitter) feed(data []byte, out []token) []token {
	for _, b := range data {
		if s.afterPrompt {
			if b == ' ' {
				continue
			}
			s.afterPrompt = false
		}
		switch b {
		case '\r', '\n':
			if len(s.buf) > 0 {
				out = append(out, token{line: string(s.buf)})
				s.buf = s.buf[:0]
			}
		case 0:
			// NUL bytes show up on some USB serial links after a reset; they carry nothing.
		case '>':
			if len(s.buf) == 0 {
				out = append(out, token{prompt: true})
				s.afterPrompt = true
				continue
			}
			s.buf = append(s.buf, b)
		default:
			s.buf = append(s.buf, b)
			if len(s.buf) >= maxLineLen {
				out = append(out, token{line: string(s.buf)})
				s.buf = s.buf[:0]
			}
		}
	}
	return out
}
