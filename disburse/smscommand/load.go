package smscommand

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mifos-edge/mifos-edge/config"
)

// Load resolves [disbursement.sms_command]: it reads the PIN from
// pin_file (when set) and takes country ([sms] country) for phone numbers.
// Its errors name the file, never what it holds. The result still goes
// through New, which checks it.
func Load(c config.SMSCommand, country string) (Config, error) {
	out := Config{
		Operator: c.Operator, ReplyFrom: c.ReplyFrom, Command: c.Command, PhoneFormat: c.PhoneFormat,
		Success: c.Success, Failure: c.Failure, Country: country,
	}
	if c.PINFile == "" {
		return out, nil
	}
	pin, err := readPIN(c.PINFile)
	if err != nil {
		return Config{}, err
	}
	out.PIN = pin
	return out, nil
}

func readPIN(path string) (Secret, error) {
	const key = "disbursement.sms_command.pin_file"
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrPermission):
		return "", fmt.Errorf("%s %s cannot be read by this user (check its owner and permissions)", key, path)
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("%s %s does not exist", key, path)
	case err != nil:
		// The path error names the file; the content was never read.
		return "", fmt.Errorf("%s %s cannot be read: %w", key, path, err)
	}
	// An editor's final line break is not part of the PIN.
	pin := strings.TrimRight(string(data), "\r\n")
	switch {
	case pin == "":
		return "", fmt.Errorf("%s %s is empty: it must hold the operator PIN", key, path)
	case strings.ContainsAny(pin, "\r\n"):
		return "", fmt.Errorf("%s %s holds more than one line: it must hold only the operator PIN", key, path)
	}
	return Secret(pin), nil
}
