package service

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestGeneratedNamesNeverConflict creates many containers without a name
// in one project. Zun's generator has 576 names ("alpha-1-container") and
// names are unique in a project: 150 draws collide with near certainty
// (p ≈ 1 − 4·10⁻⁹), and a collision must be drawn again, never a 409.
func TestGeneratedNamesNeverConflict(t *testing.T) {
	s := startStack(t)
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"secret-admin-pw"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}`
	resp, err := http.Post(s.url+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.Token.Project.ID == "" {
		t.Fatalf("project of the token: %v", err)
	}
	if st := s.do("PUT", "/v1/quotas/"+tok.Token.Project.ID, `{"containers":-1,"cpu":-1,"memory":-1,"disk":-1}`, nil); st != 200 {
		t.Fatalf("quota update: %d", st)
	}
	const n = 150
	names := map[string]bool{}
	for i := range n {
		var v struct{ Name string }
		if st := s.do("POST", "/v1/containers", `{"image":"busybox:1.35"}`, &v); st != 202 {
			t.Fatalf("create %d without a name: %d", i, st)
		}
		if names[v.Name] {
			t.Fatalf("name %s given twice", v.Name)
		}
		names[v.Name] = true
	}
	// Most keep Zun's form; the few whose draws were all taken carry
	// their UUID's first block.
	zunForm := 0
	for name := range names {
		if strings.Count(name, "-") == 2 && strings.HasSuffix(name, "-container") {
			zunForm++
		}
	}
	if zunForm < n*3/4 {
		t.Errorf("only %d of %d names in Zun's form", zunForm, n)
	}
}
