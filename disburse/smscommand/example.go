package smscommand

// GCashExample is a GCash-style setting: commands "SEND <amount>
// <number> <PIN>" to 2882, replies from the sender id GCash, numbers in
// the Philippines' national form. Its expressions read the replies of the
// operator stand-in of package modemsim word for word, and
// config/example.toml shows the same values (tests hold the three
// together). The PIN is the box's own: set it before New.
func GCashExample() Config {
	return Config{
		Operator:    "2882",
		ReplyFrom:   []string{"GCash"},
		Command:     "SEND {amount} {phone} {pin}",
		PhoneFormat: PhoneNational,
		Success:     `You have sent PHP (?P<amount>[0-9,.]+) to (?P<phone>[0-9+]+)\. Ref\. No\. (?P<confirmation>[0-9]+)`,
		Failure:     `(?:failed|not successful)[.:]? *(?P<reason>.*)`,
		Country:     "PH",
	}
}
