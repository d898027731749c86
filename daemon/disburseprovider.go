package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/disburse/daraja"
	"github.com/mifos-edge/mifos-edge/disburse/smscommand"
)

// callbackToken reads the secret path segment Daraja's callbacks carry,
// creating the file (0600, 32 random bytes in hex) on first start.
func callbackToken(path string, log *slog.Logger) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("disbursement.daraja.callback_token_file %s cannot be read: %w", path, err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create disbursement.daraja.callback_token_file %s: %w", path, err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	log.Warn("created the Daraja callback token; the public relay must forward callback_url + /hooks/daraja/<token>/ to this box", "callback_token_file", path)
	return tok, nil
}

// newDisburseProvider builds the provider [disbursement] provider names;
// rep takes the results that arrive on their own. callbacks is the HTTP
// handler of a provider that calls back (nil otherwise).
func newDisburseProvider(cfg *config.Config, rep disburse.Reporter, log *slog.Logger) (p disburse.Provider, c disburse.Commander, callbacks http.Handler, err error) {
	switch cfg.Disbursement.Provider {
	case config.ProviderDaraja:
		token, err := callbackToken(cfg.Disbursement.Daraja.CallbackTokenFile, log)
		if err != nil {
			return nil, nil, nil, err
		}
		dc, err := daraja.Load(cfg.Disbursement.Daraja, token)
		if err != nil {
			return nil, nil, nil, err
		}
		dp, err := daraja.New(dc, rep, log.With("component", "daraja"))
		if err != nil {
			return nil, nil, nil, err
		}
		return dp, nil, dp.Callbacks(), nil
	case config.ProviderSMSCommand:
		sc, err := smscommand.Load(cfg.Disbursement.SMSCommand, cfg.SMS.Country)
		if err != nil {
			return nil, nil, nil, err
		}
		cmd, err := smscommand.New(sc)
		if err != nil {
			return nil, nil, nil, err
		}
		return nil, cmd, nil, nil
	}
	return nil, nil, nil, fmt.Errorf("provider %q is not built into this binary", cfg.Disbursement.Provider)
}
