package console

import (
	"sync"
	"time"
)

// Failed sign-ins are limited per username and per client address: after
// a few free tries each further failure locks that key for twice as long
// as the one before, up to maxLock. A username is locked sooner than an
// address, since several people may share an address (a branch router)
// but an attacker guessing one password tries many. The counts live in
// memory: only a person with access to the box can restart the daemon.
const (
	freeUserFailures = 5
	freeAddrFailures = 20
	firstLock        = 30 * time.Second
	maxLock          = 15 * time.Minute
	// forgetAfter clears a key's failures once it has been quiet so long.
	forgetAfter = time.Hour
	// maxKeys bounds the memory an attacker trying many usernames can
	// make the box spend; past it the quiet keys are dropped first.
	maxKeys = 10000
)

type strikes struct {
	failures int
	until    time.Time // locked until
	last     time.Time
}

type limiter struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*strikes
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, m: map[string]*strikes{}}
}

// wait returns how long the longest lock among keys still runs; zero when
// none is locked.
func (l *limiter) wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var d time.Duration
	for _, k := range keys {
		if s := l.m[k]; s != nil && s.until.After(now) {
			d = max(d, s.until.Sub(now))
		}
	}
	return d
}

// fail counts a failed sign-in against each key, with free the number of
// failures allowed before the first lock.
func (l *limiter) fail(key string, free int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	s := l.m[key]
	if s == nil || now.Sub(s.last) > forgetAfter {
		if len(l.m) >= maxKeys {
			l.prune(now)
		}
		s = &strikes{}
		l.m[key] = s
	}
	s.failures++
	s.last = now
	if over := s.failures - free; over > 0 {
		lock := firstLock
		for i := 1; i < over && lock < maxLock; i++ {
			lock *= 2
		}
		s.until = now.Add(min(lock, maxLock))
	}
}

// succeed clears key's failures.
func (l *limiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}

// prune drops keys quiet for forgetAfter, and if that is not enough, the
// unlocked ones.
func (l *limiter) prune(now time.Time) {
	for k, s := range l.m {
		if now.Sub(s.last) > forgetAfter {
			delete(l.m, k)
		}
	}
	if len(l.m) < maxKeys {
		return
	}
	for k, s := range l.m {
		if !s.until.After(now) {
			delete(l.m, k)
		}
	}
}
