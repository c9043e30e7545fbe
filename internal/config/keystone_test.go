package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeystoneSettings: the external-Keystone settings come from flags,
// ZUN_* variables and the file, and are checked together.
func TestKeystoneSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "zun.yaml")
	if err := os.WriteFile(file, []byte("auth_strategy: keystone\nkeystone-url: http://ks:5000/v3\nkeystone_project: svc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("zun-api", []string{"--config", file, "--keystone-cache-ttl", "90s"},
		[]string{"ZUN_KEYSTONE_PASSWORD_FILE=/etc/zun/ks-pw", "ZUN_KEYSTONE_USER_DOMAIN=Users"})
	if err != nil {
		t.Fatal(err)
	}
	want := KeystoneConfig{URL: "http://ks:5000/v3", Username: "zun", PasswordFile: "/etc/zun/ks-pw", Project: "svc",
		UserDomain: "Users", ProjectDomain: "Default", CacheTTL: 90 * time.Second}
	if c.AuthStrategy != "keystone" || c.Keystone != want {
		t.Errorf("got %q %+v, want keystone %+v", c.AuthStrategy, c.Keystone, want)
	}
	if d, _ := Load("zun-api", []string{"--config", "/dev/null"}, nil); d.AuthStrategy != "embedded" {
		t.Errorf("default auth-strategy %q", d.AuthStrategy)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown strategy", []string{"--auth-strategy", "ldap"}, "auth-strategy"},
		{"no url", []string{"--auth-strategy", "keystone", "--keystone-password", "p"}, "keystone-url"},
		{"no password", []string{"--auth-strategy", "keystone", "--keystone-url", "http://ks"}, "keystone-password"},
		{"two passwords", []string{"--auth-strategy", "keystone", "--keystone-url", "http://ks",
			"--keystone-password", "p", "--keystone-password-file", "f"}, "one of"},
		{"zero ttl", []string{"--auth-strategy", "keystone", "--keystone-url", "http://ks",
			"--keystone-password", "p", "--keystone-cache-ttl", "0s"}, "keystone-cache-ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("zun-api", append([]string{"--config", "/dev/null"}, tc.args...), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load(%v) = %v, want an error about %s", tc.args, err, tc.want)
			}
		})
	}
}
