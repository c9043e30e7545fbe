package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/identity"
	"github.com/openzun/zun/internal/keystone"
	"github.com/openzun/zun/internal/store"
)

// startIdentity starts the embedded identity service, bootstraps the
// admin and writes its client files (auth-strategy embedded).
func (a *API) startIdentity(ctx context.Context, cfg config.Config, st store.Store, log *slog.Logger) (*identity.Service, error) {
	idn, adminPassword, err := newIdentity(ctx, cfg, st.Identity(), log)
	if err != nil {
		return nil, err
	}
	a.Identity = idn
	a.AdminPassword = adminPassword
	if err := writeClientFiles(cfg.DataDir, cfg.PublicURL+"/identity/v3", a.AdminPassword); err != nil {
		return nil, err
	}
	return idn, nil
}

// keystoneValidator builds the validator of an external Keystone
// (auth-strategy keystone) and logs in once, so that wrong credentials show
// at start-up. A Keystone that is down does not stop zun-api: requests
// answer 503 until it is back.
func keystoneValidator(ctx context.Context, kc config.KeystoneConfig, log *slog.Logger) (*keystone.Validator, error) {
	password := kc.Password
	if password == "" {
		b, err := os.ReadFile(kc.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read keystone-password-file: %w", err)
		}
		if password = strings.TrimSpace(string(b)); password == "" {
			return nil, errors.New("keystone-password-file is empty")
		}
	}
	hc := &http.Client{}
	if kc.CAFile != "" {
		pem, err := os.ReadFile(kc.CAFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read keystone-cafile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in keystone-cafile %s", kc.CAFile)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
		hc.Transport = tr
	}
	v, err := keystone.New(keystone.Config{
		AuthURL: kc.URL, Username: kc.Username, Password: password, Project: kc.Project,
		UserDomain: kc.UserDomain, ProjectDomain: kc.ProjectDomain, CacheTTL: kc.CacheTTL, HTTPClient: hc,
	}, log)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := v.Check(cctx); err != nil {
		log.Warn("cannot log in to keystone yet; requests answer 503 until it works", "error", err)
	}
	return v, nil
}
