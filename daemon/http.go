package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/mifos-edge/mifos-edge/api"
	"github.com/mifos-edge/mifos-edge/console"
	"github.com/mifos-edge/mifos-edge/ops"
	"github.com/mifos-edge/mifos-edge/web"
)

// httpMux lists what the daemon serves on [http] listen. Each area is its
// own package with its own routes; this is the one place they are mounted.
func (d *Daemon) httpMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(api.Prefix, d.apiServer().Handler())
	d.gatewayServer().Mount(mux)
	d.mountConsole(mux)
	d.mountDisburse(mux)
	ops.Mount(mux, d.opsOptions())
	return mux
}

// serveHTTP serves the console, the API and the operations endpoints on
// [http] listen until ctx ends. An address that cannot be bound (another
// program holds the port) is logged and tried again every 30 s: SMS and
// postings must not stop because the console cannot start.
func (d *Daemon) serveHTTP(ctx context.Context) error {
	h := d.cfg.HTTP
	if !h.TLS() && !h.Loopback() {
		d.log.Warn("the console and API are served over plain HTTP to the network: Mifos passwords, session cookies and API tokens cross it in clear; set http.tls_cert_file and http.tls_key_file (docs/console.md)", "listen", h.Listen)
	}
	for {
		ln, err := d.listenHTTP()
		if err == nil {
			return d.serveHTTPOn(ctx, ln)
		}
		d.log.Error("the console and API cannot listen; trying again in 30 s", "listen", h.Listen, "err", err)
		if err := sleep(ctx, 30*time.Second, nil); err != nil {
			return err
		}
	}
}

// listenHTTP binds [http] listen, wrapped in TLS when a certificate is
// configured. The certificate is read at each try, so a fixed file is
// taken up without a restart.
func (d *Daemon) listenHTTP() (net.Listener, error) {
	h := d.cfg.HTTP
	var conf *tls.Config
	if h.TLS() {
		cert, err := tls.LoadX509KeyPair(h.TLSCertFile, h.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("http.tls_cert_file %s / http.tls_key_file %s: %w", h.TLSCertFile, h.TLSKeyFile, err)
		}
		conf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", h.Listen)
	if err != nil || conf == nil {
		return ln, err
	}
	return tls.NewListener(ln, conf), nil
}

func (d *Daemon) serveHTTPOn(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           web.Protect(d.httpMux(), console.LargeBodies...),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	d.log.Info("http listening", "listen", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return ctx.Err()
}

// opsOptions is what /healthz and /metrics read.
func (d *Daemon) opsOptions() ops.Options {
	o := ops.Options{Queues: d.db, Store: d.db, Modem: d.modem.Status, Metrics: d.metrics}
	if d.setupAPI != nil {
		o.Setup = func() (bool, []string) {
			st := d.setup.get()
			if st == nil {
				return false, nil
			}
			var names []string
			for _, c := range st.Problems() {
				names = append(names, c.Name)
			}
			return true, names
		}
	}
	if d.cfg.HTTP.MetricsToken {
		o.Tokens = d.db
	}
	if d.payments != nil {
		o.Payments = d.db.PaymentCounts
	}
	if d.disburseEngine != nil {
		o.DisburseLines = d.db.DisburseLineCounts
	}
	return o
}
