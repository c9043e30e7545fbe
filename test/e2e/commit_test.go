package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestCommitOnAgent commits through the compute agent: the API answers
// 202 with the image id at once and records the commit action; a commit
// the image service refuses (larger than --max-image-size) leaves the
// image killed with the reason and the action finished in error.
func TestCommitOnAgent(t *testing.T) {
	requireDocker(t)
	a := startAIO(t, "--max-image-size", "1")
	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "name": "tocommit",
		"command": []string{"sleep", "300"}}, 202, &c)
	a.WaitStatus(c.UUID, 60*time.Second, "Running")

	var res struct{ UUID string }
	a.Do("POST", "/v1/containers/"+c.UUID+"/commit?repository=toolarge-"+randSuffix()+"&tag=v1", nil, 202, &res)
	if res.UUID == "" {
		t.Fatal("commit answered no image id")
	}
	var im struct {
		Status         string `json:"status"`
		ZunCommitError string `json:"zun_commit_error"`
	}
	waitFor(t, 60*time.Second, func() bool {
		a.Do("GET", "/image/v2/images/"+res.UUID, nil, 200, &im)
		return im.Status == "killed"
	})
	if !strings.Contains(im.ZunCommitError, "refused") {
		t.Fatalf("killed image without the reason: %+v", im)
	}

	var raw struct {
		ContainerActions []map[string]any `json:"containerActions"`
	}
	waitFor(t, 20*time.Second, func() bool {
		a.Do("GET", "/v1/containers/"+c.UUID+"/container_actions", nil, 200, &raw)
		for _, ac := range raw.ContainerActions {
			if ac["action"] == "commit" && ac["message"] != nil && ac["message"] != "" {
				return true
			}
		}
		return false
	})
	for _, ac := range raw.ContainerActions {
		if ac["action"] != "commit" {
			continue
		}
		var detail struct {
			Events []struct{ Event, Result string }
		}
		a.Do("GET", "/v1/containers/"+c.UUID+"/container_actions/"+ac["request_id"].(string), nil, 200, &detail)
		if len(detail.Events) != 1 || detail.Events[0].Event != "compute__do_container_commit" || detail.Events[0].Result != "Error" {
			t.Fatalf("commit action events: %+v", detail)
		}
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
}
