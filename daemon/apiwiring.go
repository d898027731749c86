package daemon

import "github.com/mifos-edge/mifos-edge/api"

// apiServer is the integrator API on this daemon's store: numbers are read
// in sms.country, and a queued SMS wakes the sender at once.
func (d *Daemon) apiServer() *api.Server {
	s := &api.Server{DB: d.db, Country: d.cfg.SMS.Country, Nudge: func() { nudge(d.outboxReady) }}
	if d.payments != nil {
		s.Payments = d.payments
	}
	return s
}
