package daemon

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/disburse"
	"github.com/mifos-edge/mifos-edge/disburse/smscommand"
)

// newDisburseProvider builds the provider [disbursement] provider names;
// rep takes the results that arrive on their own. callbacks is the HTTP
// handler of a provider that calls back (nil otherwise).
func newDisburseProvider(cfg *config.Config, rep disburse.Reporter, log *slog.Logger) (p disburse.Provider, c disburse.Commander, callbacks http.Handler, err error) {
	switch cfg.Disbursement.Provider {
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
