package daraja

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// tokenCache holds the one access token. Daraja keeps one token per app
// and a new one invalidates the old, so the provider never asks for two at
// once: mu is held while one is fetched.
type tokenCache struct {
	mu    sync.Mutex
	token string
	until time.Time // renew from then on
}

// defaultTokenLife is assumed when expires_in does not read: Daraja's
// tokens live an hour.
const defaultTokenLife = 3599 * time.Second

// accessToken is a valid token, fetched when there is none or it is about
// to lapse.
func (p *Provider) accessToken(ctx context.Context) (string, error) {
	p.tok.mu.Lock()
	defer p.tok.mu.Unlock()
	if p.tok.token != "" && p.cfg.Now().Before(p.tok.until) {
		return p.tok.token, nil
	}
	tok, life, err := p.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	// Renew a minute early (a tenth early for a short life), so that no
	// request leaves with a token about to lapse.
	p.tok.token, p.tok.until = tok, p.cfg.Now().Add(life-min(time.Minute, life/10))
	p.log.Debug("daraja: new access token", "lives", life)
	return tok, nil
}

// dropToken forgets tok after the gateway refused it (unless another
// caller has already replaced it).
func (p *Provider) dropToken(tok string) {
	p.tok.mu.Lock()
	if p.tok.token == tok {
		p.tok.token = ""
	}
	p.tok.mu.Unlock()
}

func (p *Provider) fetchToken(ctx context.Context) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.BaseURL+"/oauth/v1/generate?grant_type=client_credentials", nil)
	if err != nil {
		return "", 0, err
	}
	req.SetBasicAuth(p.cfg.ConsumerKey, p.cfg.ConsumerSecret)
	resp, err := p.cfg.HTTP.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("no access token from Daraja: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode != http.StatusOK {
		g := gatewayErrorOf(body)
		switch g.Code {
		case "400.008.01":
			return "", 0, errors.New("daraja refused the consumer key and secret (consumer_key_file, consumer_secret_file)")
		case "":
			return "", 0, fmt.Errorf("no access token from Daraja: it answered %s", resp.Status)
		}
		return "", 0, fmt.Errorf("no access token from Daraja: %s %s %s", resp.Status, g.Code, g.Message)
	}
	var v struct {
		AccessToken text `json:"access_token"`
		ExpiresIn   text `json:"expires_in"` // a number in new documents, a string in old ones
	}
	if err := json.Unmarshal(body, &v); err != nil || v.AccessToken == "" {
		return "", 0, errors.New("no access token from Daraja: its answer holds none")
	}
	life := defaultTokenLife
	if secs, err := strconv.ParseFloat(string(v.ExpiresIn), 64); err == nil && secs >= 1 && secs <= 86400 {
		life = time.Duration(secs * float64(time.Second))
	}
	return string(v.AccessToken), life, nil
}
