package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// keystoneauthScript authenticates with the real keystoneauth1 the way
// openstackclient (generic plugin, discovery at the unversioned URL) and
// zunclient (v3 plugin, catalog lookup of "container") do, then re-scopes
// through the token plugin and checks that a wrong password is refused.
const keystoneauthScript = `
import json, os, sys
from keystoneauth1 import exceptions, session
from keystoneauth1.identity import generic, v3

url = os.environ["OS_AUTH_URL"]
pw = os.environ["OS_PASSWORD"]
out = {}
for name, plugin in [
    ("generic", generic.Password(auth_url=url, username="alice", password=pw,
                                 user_domain_name="Default", project_name="demo",
                                 project_domain_name="Default")),
    ("v3", v3.Password(auth_url=url + "/v3", user_id=os.environ["OS_USER_ID"], password=pw,
                       project_id=os.environ["OS_PROJECT_ID"])),
]:
    sess = session.Session(auth=plugin)
    token = sess.get_token()
    access = plugin.get_access(sess)
    out[name] = {
        "token": token,
        "endpoint": sess.get_endpoint(service_type="container", interface="public", region_name="RegionOne"),
        "identity": sess.get_endpoint(service_type="identity", interface="internal"),
        "project_id": access.project_id,
        "project_name": access.project_name,
        "user_id": access.user_id,
        "username": access.username,
        "roles": access.role_names,
        "expires": access.expires.isoformat(),
        "project_scoped": access.project_scoped,
    }

rescope = v3.Token(auth_url=url, token=out["generic"]["token"], project_name="demo",
                   project_domain_id="default")
sess = session.Session(auth=rescope)
out["rescope"] = {"token": sess.get_token(), "audit_chain": rescope.get_access(sess).audit_chain_id}

try:
    session.Session(auth=generic.Password(auth_url=url, username="alice", password="wrong-password",
                                          user_domain_id="default", project_name="demo",
                                          project_domain_id="default")).get_token()
    out["wrong"] = "accepted"
except exceptions.Unauthorized as e:
    out["wrong"] = "unauthorized"
print(json.dumps(out))
`

// findKeystoneauth returns a python3 that can import keystoneauth1.
func findKeystoneauth(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, py := range candidates {
		if _, err := os.Stat(py); err != nil {
			continue
		}
		if exec.Command(py, "-c", "import keystoneauth1").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with keystoneauth1 on this machine")
	return ""
}

func TestKeystoneauth1(t *testing.T) {
	py := findKeystoneauth(t)
	e := newEnv(t)
	cmd := exec.Command(py, "-c", keystoneauthScript)
	cmd.Env = append(os.Environ(),
		"OS_AUTH_URL="+e.url(""),
		"OS_PASSWORD="+alicePassword,
		"OS_USER_ID="+e.aliceID,
		"OS_PROJECT_ID="+e.demoID,
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("keystoneauth1: %v\n%s", err, stderr.String())
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	for _, name := range []string{"generic", "v3"} {
		var r struct {
			Token         string   `json:"token"`
			Endpoint      string   `json:"endpoint"`
			Identity      string   `json:"identity"`
			ProjectID     string   `json:"project_id"`
			ProjectName   string   `json:"project_name"`
			UserID        string   `json:"user_id"`
			Username      string   `json:"username"`
			Roles         []string `json:"roles"`
			ProjectScoped bool     `json:"project_scoped"`
		}
		if err := json.Unmarshal(out[name], &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Endpoint != e.srv.URL+"/v1" || r.Identity != e.url("") {
			t.Errorf("%s: endpoints %q %q", name, r.Endpoint, r.Identity)
		}
		if r.ProjectID != e.demoID || r.ProjectName != "demo" || r.UserID != e.aliceID || r.Username != "alice" ||
			!r.ProjectScoped || len(r.Roles) != 1 || r.Roles[0] != "member" {
			t.Errorf("%s: access %+v", name, r)
		}
		id, _, err := e.svc.Validate(context.Background(), r.Token)
		if err != nil || id.ProjectID != e.demoID || id.UserID != e.aliceID {
			t.Errorf("%s: token from keystoneauth1 does not validate: %+v %v", name, id, err)
		}
	}
	var rescope struct {
		Token      string `json:"token"`
		AuditChain string `json:"audit_chain"`
	}
	if err := json.Unmarshal(out["rescope"], &rescope); err != nil || rescope.AuditChain == "" {
		t.Fatalf("rescope: %s %v", out["rescope"], err)
	}
	if id, _, err := e.svc.Validate(context.Background(), rescope.Token); err != nil || id.ProjectID != e.demoID {
		t.Errorf("re-scoped token: %+v %v", id, err)
	}
	if string(out["wrong"]) != `"unauthorized"` {
		t.Errorf("wrong password: %s", out["wrong"])
	}
}
