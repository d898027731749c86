// Package store keeps all daemon state in one bbolt file: inbox segments and
// messages, the outbox send state machine, dedupe fingerprints and the reply
// log. Every state change is a single fsynced bbolt transaction, so a process
// killed at any instant leaves the file either before or after the change,
// never in between. It imports no other package of this module.
//
// Records are JSON; ids are big-endian uint64 keys from NextSequence. Every
// state has its own flat index bucket of ids, so listing a state and counting
// it never decodes unrelated records.
package store
