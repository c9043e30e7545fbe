package apiserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWithoutTrailingSlash: python-zunclient's GET /v1/containers/?q=...
// reaches the /v1/containers route with its query.
func TestWithoutTrailingSlash(t *testing.T) {
	h := withoutTrailingSlash(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.URL.Path + "?" + r.URL.RawQuery))
	}))
	for in, want := range map[string]string{
		"/v1/containers/?all_projects=True": "/v1/containers?all_projects=True",
		"/v1/containers?x=1":                "/v1/containers?x=1",
		"/":                                 "/?",
		"/v1//":                             "/v1?",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", in, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("%s reached %s, want %s", in, got, want)
		}
	}
}
