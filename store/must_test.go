package store

import "testing"

// A store call whose error a test ignores hands a zero value to the check
// that follows, which can then pass by accident (no pending messages, no
// journal entries). These make every such call fail the test instead.

// must returns v, failing the test if err is set; write must(db.Stats())(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// must2 is must for a call with two results besides the error.
func must2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(t testing.TB) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

// check fails the test if a setup step (a write, a close) failed.
func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
