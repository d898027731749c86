// Package modem drives a GSM modem over AT commands: init, receive from storage, send PDUs, health and reconnect.
package modem
