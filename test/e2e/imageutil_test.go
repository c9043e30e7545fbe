package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func httpNewRequest(method, url string, body []byte) (*http.Request, error) {
	return http.NewRequest(method, url, bytes.NewReader(body))
}

func httpDo(r *http.Request) (*http.Response, error) { return http.DefaultClient.Do(r) }

func httpGet(url string) (*http.Response, error) { return http.Get(url) }
