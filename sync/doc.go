// Package sync will post journal entries to Fineract exactly once (next issue).
package sync
