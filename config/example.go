package config

import _ "embed"

//go:embed example.toml
var example []byte

// Example returns the fully commented example configuration file, suitable
// for writing to /etc/mifos-edge/mifos-edge.toml as a starting point.
func Example() []byte { return append([]byte(nil), example...) }
