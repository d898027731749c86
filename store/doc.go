// Package store keeps all daemon state in one bbolt file: inbox segments and messages, outbox, dedupe fingerprints.
package store
