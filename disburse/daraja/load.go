package daraja

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mifos-edge/mifos-edge/config"
)

// Load resolves [disbursement.daraja] into a Config: it reads the three
// secret files and builds the callback addresses from callback_url and
// callbackToken (the content of callback_token_file):
// callback_url + "/hooks/daraja/" + token + "/result", "/timeout",
// "/status-result" and "/status-timeout". Errors name a file, never what
// it holds.
func Load(c config.Daraja, callbackToken string) (Config, error) {
	var errs []error
	read := func(key, path string, squeeze bool) string {
		s, err := readSecret(key, path, squeeze)
		if err != nil {
			errs = append(errs, err)
		}
		return s
	}
	cfg := Config{
		BaseURL:        strings.TrimRight(c.BaseURL, "/"),
		ConsumerKey:    read("consumer_key_file", c.ConsumerKeyFile, false),
		ConsumerSecret: read("consumer_secret_file", c.ConsumerSecretFile, false),
		InitiatorName:  c.InitiatorName,
		// openssl base64 breaks its output into lines of 64: the
		// credential is one string, so every line break goes.
		SecurityCredential: read("security_credential_file", c.SecurityCredentialFile, true),
		ShortCode:          c.ShortCode,
		CommandID:          c.CommandID,
		CallbackToken:      strings.TrimSpace(callbackToken),
		Timeout:            c.Timeout.Duration,
	}
	if cfg.CommandID == "" {
		cfg.CommandID = config.DefaultDarajaCommandID
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = config.DefaultDarajaTimeout
	}
	switch {
	case cfg.CallbackToken == "":
		errs = append(errs, errors.New("disbursement.daraja: the callback token is empty (callback_token_file)"))
	case strings.Trim(cfg.CallbackToken, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "":
		errs = append(errs, errors.New("disbursement.daraja: the callback token (callback_token_file) may hold only letters, digits, - and _"))
	}
	base := strings.TrimRight(c.CallbackURL, "/") + "/hooks/daraja/" + cfg.CallbackToken
	cfg.ResultURL, cfg.QueueTimeOutURL = base+"/result", base+"/timeout"
	cfg.StatusResultURL, cfg.StatusTimeOutURL = base+"/status-result", base+"/status-timeout"
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// readSecret reads a secret file; squeeze drops every space and line
// break, otherwise only the surrounding ones go.
func readSecret(key, path string, squeeze bool) (string, error) {
	if path == "" {
		return "", fmt.Errorf("disbursement.daraja.%s is not set", key)
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrPermission):
		return "", fmt.Errorf("disbursement.daraja.%s %s cannot be read by this user (check its owner and permissions)", key, path)
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("disbursement.daraja.%s %s does not exist", key, path)
	case err != nil:
		// The error names the file and the system's reason; it never
		// holds the content.
		return "", fmt.Errorf("disbursement.daraja.%s %s cannot be read: %w", key, path, err)
	}
	s := strings.TrimSpace(string(data))
	if squeeze {
		s = strings.Join(strings.Fields(s), "")
	}
	if s == "" {
		return "", fmt.Errorf("disbursement.daraja.%s %s is empty", key, path)
	}
	return s, nil
}
