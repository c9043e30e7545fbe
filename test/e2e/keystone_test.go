package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/testutil/keystonetest"
)

// TestExternalKeystone joins zun-api to a real Keystone (Debian's keystone
// package) the way an operator adds Zun to an existing cloud: a service
// user, the container service and endpoints registered with the openstack
// CLI, zun-api started with --auth-strategy keystone. Tenants then use the
// OpenStack clients and our zun CLI with Keystone's tokens, and the roles
// Keystone gives are the roles our policy sees.
func TestExternalKeystone(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	k := keystonetest.Start(t)
	admin := keystonetest.Admin

	svc := k.CreateProject(t, "service")
	k.CreateUser(t, "zun", "zun-service-pw-1", svc, "admin")
	pwFile := filepath.Join(t.TempDir(), "keystone-password")
	if err := os.WriteFile(pwFile, []byte("zun-service-pw-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	apiURL := "http://" + addr
	dead := "http://" + freePort(t) // nothing listens there
	service := strings.TrimSpace(k.Openstack(t, admin, "service", "create", "--name", "zun",
		"--description", "Container service", "-f", "value", "-c", "id", "container"))
	k.Openstack(t, admin, "endpoint", "create", "--region", keystonetest.Region, "container", "public", apiURL+"/v1")
	k.Openstack(t, admin, "endpoint", "create", "--region", keystonetest.Region, "container", "internal", dead+"/v1")

	demo := k.CreateProject(t, "ks-demo")
	other := k.CreateProject(t, "ks-other")
	k.CreateUser(t, "ks-alice", "alice-pw-1", demo, "member")
	k.CreateUser(t, "ks-bob", "bob-pw-1", other, "member")
	k.CreateUser(t, "ks-carol", "carol-pw-1", demo, "reader")
	alice := keystonetest.Credentials{User: "ks-alice", Password: "alice-pw-1", Project: "ks-demo"}
	bob := keystonetest.Credentials{User: "ks-bob", Password: "bob-pw-1", Project: "ks-other"}
	carol := keystonetest.Credentials{User: "ks-carol", Password: "carol-pw-1", Project: "ks-demo"}

	dir := t.TempDir()
	args := []string{"--all-in-one", "--data-dir", dir, "--listen", addr, "--sync-interval", "5s", "--host", uniqueHost(),
		"--auth-strategy", "keystone", "--keystone-url", k.URL, "--keystone-password-file", pwFile,
		"--keystone-cache-ttl", "30s"}
	a := &aio{t: t, URL: apiURL, DataDir: dir, args: args}
	a.Proc = startProc(t, "zun-api", args...)
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(a.Proc.Log(), "\n") {
				if strings.Contains(l, "status=4") {
					t.Log(l)
				}
			}
		}
	})
	a.admin = k.Token(t, admin)
	waitFor(t, 60*time.Second, func() bool {
		st, body := a.doRaw("GET", "/v1/hosts", a.admin, "1.40", nil)
		var l struct{ Hosts []any }
		_ = json.Unmarshal(body, &l)
		return st == 200 && len(l.Hosts) > 0
	})
	if st, _ := a.doRaw("GET", "/identity/v3", "", "", nil); st != http.StatusNotFound {
		t.Errorf("GET /identity/v3 = %d, want 404 (no embedded identity)", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "admin-password")); err == nil {
		t.Error("an embedded admin was bootstrapped")
	}

	// A member runs a container with the OpenStack client, which finds our
	// API in Keystone's catalog.
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	aliceEnv := append(append([]string{}, base...), k.Env(alice)...)
	out := a.cli(aliceEnv, "openstack", "appcontainer", "run", "--name", "ks-web", "busybox:1.35", "sleep", "600")
	id := uuidFromTable(t, out)
	c := a.WaitStatus(id, 60*time.Second, "Running")
	if c.ProjectID != demo {
		t.Errorf("project_id %q, want Keystone's %q", c.ProjectID, demo)
	}
	if out := a.cli(aliceEnv, "openstack", "appcontainer", "list"); !strings.Contains(out, "ks-web") {
		t.Errorf("appcontainer list:\n%s", out)
	}
	if out := a.cli(aliceEnv, "zun", "show", "ks-web"); !strings.Contains(out, id) {
		t.Errorf("python zun show:\n%s", out)
	}

	// Another project's member: 404 and an empty list.
	bobTok := k.Token(t, bob)
	if st, b := a.doRaw("GET", "/v1/containers/"+id, bobTok, "1.40", nil); st != 404 {
		t.Errorf("bob GET: %d %s", st, b)
	}
	if st, b := a.doRaw("GET", "/v1/containers", bobTok, "1.40", nil); st != 200 || strings.Contains(string(b), id) {
		t.Errorf("bob list: %d %s", st, b)
	}
	// Keystone's admin sees it with --all-projects.
	adminEnv := append(append([]string{}, base...), k.Env(admin)...)
	if out := a.cli(adminEnv, "openstack", "appcontainer", "list", "--all-projects"); !strings.Contains(out, "ks-web") {
		t.Errorf("admin appcontainer list --all-projects:\n%s", out)
	}
	// Bad tokens.
	for _, tok := range []string{"", "bogus", bobTok + "x"} {
		if st, b := a.doRaw("GET", "/v1/containers", tok, "1.40", nil); st != 401 {
			t.Errorf("token %.10q: %d %s", tok, st, b)
		}
	}
	// Roles come from Keystone: the admin API is the admin role's only.
	carolTok := k.Token(t, carol)
	for _, tc := range []struct {
		who, tok string
		want     int
	}{{"reader", carolTok, 403}, {"member", k.Token(t, alice), 403}, {"admin", a.admin, 200}} {
		if st, b := a.doRaw("GET", "/v1/hosts", tc.tok, "1.40", nil); st != tc.want {
			t.Errorf("%s GET /v1/hosts: %d, want %d: %s", tc.who, st, tc.want, b)
		}
	}
	if st, b := a.doRaw("GET", "/v1/containers", carolTok, "1.40", nil); st != 200 || !strings.Contains(string(b), id) {
		t.Errorf("reader of the project lists: %d %s", st, b)
	}

	testGoCLIWithKeystone(t, a, k, alice, base, id, dead)
	testClientAuth(t, k, service, alice, apiURL+"/v1", dead+"/v1")

	a.cli(aliceEnv, "openstack", "appcontainer", "delete", "--stop", "ks-web")
	a.WaitGone(id, 60*time.Second)

	// Keystone down: a cached token still works until the cache TTL, a
	// token never seen is 503, never let through.
	fresh, unseen := k.Token(t, alice), k.Token(t, alice)
	if st, b := a.doRaw("GET", "/v1/containers", fresh, "1.40", nil); st != 200 {
		t.Fatalf("fresh token: %d %s", st, b)
	}
	if err := k.Stop(); err != nil {
		t.Fatal(err)
	}
	if st, b := a.doRaw("GET", "/v1/containers", fresh, "1.40", nil); st != 200 {
		t.Errorf("cached token with Keystone down: %d %s", st, b)
	}
	if st, b := a.doRaw("GET", "/v1/containers", unseen, "1.40", nil); st != 503 {
		t.Errorf("unseen token with Keystone down: %d %s", st, b)
	}
}

// testGoCLIWithKeystone drives our zun CLI against the external Keystone:
// OS_* password auth, OS_CLOUD and --os-cloud with clouds.yaml, OS_TOKEN
// and --os-token, and the interface choice of the catalog.
func testGoCLIWithKeystone(t *testing.T, a *aio, k *keystonetest.Keystone, alice keystonetest.Credentials, base []string, id, dead string) {
	zun := filepath.Join(binDir, "zun")
	env := func(kv ...string) []string { return append(append([]string{}, base...), kv...) }

	if out := a.cli(env(k.Env(alice)...), zun, "list"); !strings.Contains(out, "ks-web") {
		t.Errorf("zun list (OS_* password):\n%s", out)
	}
	clouds := filepath.Join(t.TempDir(), "clouds.yaml")
	if err := os.WriteFile(clouds, []byte(`clouds:
  ks:
    auth_type: password
    auth:
      auth_url: `+k.URL+`
      username: `+alice.User+`
      password: `+alice.Password+`
      project_name: `+alice.Project+`
      user_domain_name: Default
      project_domain_name: Default
    region_name: `+keystonetest.Region+`
    interface: public
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := a.cli(env("OS_CLIENT_CONFIG_FILE="+clouds, "OS_CLOUD=ks"), zun, "show", "ks-web"); !strings.Contains(out, id) {
		t.Errorf("zun show (OS_CLOUD):\n%s", out)
	}
	if out := a.cli(env("OS_CLIENT_CONFIG_FILE="+clouds), zun, "--os-cloud", "ks", "list"); !strings.Contains(out, "ks-web") {
		t.Errorf("zun --os-cloud list:\n%s", out)
	}
	tok := k.Token(t, alice)
	if out := a.cli(env("OS_AUTH_URL="+k.URL, "OS_AUTH_TYPE=v3token", "OS_TOKEN="+tok), zun, "show", "ks-web"); !strings.Contains(out, id) {
		t.Errorf("zun show (OS_TOKEN):\n%s", out)
	}
	if out := a.cli(env(), zun, "--os-auth-url", k.URL, "--os-auth-type", "token", "--os-token", tok,
		"--os-project-name", alice.Project, "--os-project-domain-name", "Default", "list"); !strings.Contains(out, "ks-web") {
		t.Errorf("zun --os-token --os-project-name list:\n%s", out)
	}
	// The internal endpoint of the catalog is a dead address: choosing it
	// must show it was used.
	cmd := exec.Command(zun, "list")
	cmd.Env = env(append(k.Env(alice), "OS_INTERFACE=internal")...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), strings.TrimPrefix(dead, "http://")) {
		t.Errorf("zun list with OS_INTERFACE=internal: %v\n%s", err, out)
	}
}
