package identity

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// TestZunClient drives Debian's python3-zunclient far enough to see that it
// authenticates and finds the container endpoint in the catalog: its first
// request after authentication (version discovery at the root of the
// container endpoint, which zun-api serves) must carry a valid token.
func TestZunClient(t *testing.T) {
	bin, err := exec.LookPath("zun")
	if err != nil {
		t.Skip("python3-zunclient is not installed")
	}
	var (
		mu    sync.Mutex
		paths []string
		valid bool
	)
	e := newEnvWith(t, func(e *env, mux *http.ServeMux) {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			_, _, err := e.svc.Validate(r.Context(), r.Header.Get("X-Auth-Token"))
			mu.Lock()
			paths = append(paths, r.URL.Path)
			valid = valid || err == nil
			mu.Unlock()
			http.Error(w, "zun-api is not part of this test", http.StatusServiceUnavailable)
		})
	})
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OS_") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin, "service-list")
	cmd.Env = append(env,
		"OS_AUTH_URL="+e.url(""),
		"OS_USERNAME=admin", "OS_PASSWORD="+adminPassword, "OS_PROJECT_NAME=admin",
		"OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default",
	)
	out, err := cmd.CombinedOutput()
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 || !valid {
		t.Fatalf("zun never reached the container endpoint with a valid token (err %v): paths %v\n%s", err, paths, out)
	}
}
