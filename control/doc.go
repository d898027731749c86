// Package control is the local unix-socket protocol CLI commands use to reach a running daemon.
package control
