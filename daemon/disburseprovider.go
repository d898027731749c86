package daemon

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/disburse"
)

// newDisburseProvider builds the provider [disbursement] provider names;
// rep takes the results that arrive on their own. callbacks is the HTTP
// handler of a provider that calls back (nil otherwise).
func newDisburseProvider(cfg *config.Config, rep disburse.Reporter, log *slog.Logger) (p disburse.Provider, c disburse.Commander, callbacks http.Handler, err error) {
	return nil, nil, nil, errors.New("provider " + cfg.Disbursement.Provider + " is not built into this binary")
}
