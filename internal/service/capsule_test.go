package service

import (
	"context"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
)

type capsuleView struct {
	UUID         string  `json:"uuid"`
	Status       string  `json:"status"`
	StatusReason *string `json:"status_reason"`
	CPU          float64 `json:"cpu"`
	Containers   []struct {
		UUID   string `json:"uuid"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"containers"`
}

func (s *stack) waitCapsule(uuid string, cond func(capsuleView) bool) capsuleView {
	s.t.Helper()
	var v capsuleView
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st := s.do("GET", "/v1/capsules/"+uuid, "", &v); st == 404 {
			v = capsuleView{Status: "gone"}
		}
		if cond(v) {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("capsule %s: %+v", uuid, v)
	return v
}

// TestCapsuleOverFakeDriver: a capsule's start, one claim, an app exit
// seen through engine events, and a teardown leaving nothing.
func TestCapsuleOverFakeDriver(t *testing.T) {
	s := startStack(t)
	body := `{"template": {"kind": "capsule", "metadata": {"name": "fk"}, "spec": {"restartPolicy": "Never",
	  "initContainers": [{"image": "busybox", "name": "init", "resources": {"requests": {"cpu": 2}}}],
	  "containers": [{"image": "busybox", "name": "one", "resources": {"requests": {"cpu": 0.5, "memory": 64}}},
	                 {"image": "busybox", "name": "two", "resources": {"requests": {"cpu": 0.5, "memory": 64}}}]}}}`
	var c capsuleView
	if st := s.do("POST", "/v1/capsules", body, &c); st != 202 {
		t.Fatalf("create: %d", st)
	}
	if c.CPU != 2 {
		t.Fatalf("capsule cpu %v, want the init container's 2 (more than the apps' 1)", c.CPU)
	}
	c = s.waitCapsule(c.UUID, func(v capsuleView) bool { return v.Status == "Running" })
	var hosts struct {
		Hosts []struct {
			CPUUsed float64 `json:"cpu_used"`
		}
	}
	s.do("GET", "/v1/hosts", "", &hosts)
	if len(hosts.Hosts) != 1 || hosts.Hosts[0].CPUUsed != 2 {
		t.Fatalf("one claim of 2 cpu expected: %+v", hosts)
	}
	states, _ := s.drv.List(context.Background())
	if len(states) != 4 {
		t.Fatalf("fake engine has %d containers, want sandbox, init and two apps", len(states))
	}
	// An app container failing under Never fails the capsule (engine event).
	if err := s.drv.Exit(&model.Container{UUID: c.Containers[1].UUID}, 1, ""); err != nil {
		t.Fatal(err)
	}
	c = s.waitCapsule(c.UUID, func(v capsuleView) bool { return v.Status == "Error" })
	if c.StatusReason == nil || *c.StatusReason != "container two exited with code 1" {
		t.Fatalf("reason %v", c.StatusReason)
	}
	if st := s.do("DELETE", "/v1/capsules/"+c.UUID, "", nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	s.waitCapsule(c.UUID, func(v capsuleView) bool { return v.Status == "gone" })
	if states, _ := s.drv.List(context.Background()); len(states) != 0 {
		t.Fatalf("fake engine left %d containers", len(states))
	}
	s.do("GET", "/v1/hosts", "", &hosts)
	if hosts.Hosts[0].CPUUsed != 0 {
		t.Fatalf("claim not released: %+v", hosts)
	}
}
