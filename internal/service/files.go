package service

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// secret returns the secret stored in path, creating a random one (mode
// 0600) on first use.
func secret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("failed to read %s: %w", path, err)
	}
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	s := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := writeFile(path, s+"\n"); err != nil {
		return "", err
	}
	return s, nil
}

// writeFile writes atomically with mode 0600.
func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// writeClientFiles writes admin-openrc and clouds.yaml, as DevStack does.
func writeClientFiles(dir, authURL, password string) error {
	rc := fmt.Sprintf(`# Credentials of the bootstrap admin of this zun all-in-one.
export OS_AUTH_URL=%s
export OS_AUTH_TYPE=password
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin
export OS_PASSWORD=%s
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
unset OS_CLOUD OS_TOKEN
`, shellQuote(authURL), shellQuote(password))
	if err := writeFile(filepath.Join(dir, "admin-openrc"), rc); err != nil {
		return err
	}
	cy := fmt.Sprintf(`clouds:
  zun:
    auth:
      auth_url: %q
      username: admin
      password: %q
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
`, authURL, password)
	return writeFile(filepath.Join(dir, "clouds.yaml"), cy)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
