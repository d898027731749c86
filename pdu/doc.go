// Package pdu decodes received SMS PDUs (leniently where the network is sloppy) and encodes outgoing texts into SUBMIT PDUs.
package pdu
