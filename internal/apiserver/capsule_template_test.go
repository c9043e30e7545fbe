package apiserver

import (
	"encoding/json"
	"strings"
	"testing"
)

func parseTestTemplate(t *testing.T, tpl string, minor int) (*capsuleTemplate, error) {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal([]byte(`{"template": `+tpl+`}`), &body); err != nil {
		t.Fatal(err)
	}
	return parseTemplateBody(body, minor)
}

func TestParseTemplate(t *testing.T) {
	tpl := `{"kind": "Capsule", "capsuleVersion": "Beta", "metadata": {"name": "demo", "labels": {"a": "b"}},
	  "spec": {"restartPolicy": "OnFailure",
	    "initContainers": [{"image": "busybox", "resources": {"requests": {"cpu": 3, "memory": "1G"}}}],
	    "containers": [
	      {"image": "busybox", "name": "web", "command": ["httpd"], "args": ["-f"], "ports": [{"containerPort": 80, "hostPort": 30080, "protocol": "UDP"}],
	       "resources": {"requests": {"cpu": 1, "memory": 256}}, "volumeMounts": [{"name": "data", "mountPath": "/srv/", "readOnly": true}]},
	      {"image": "busybox", "resources": {"requests": {"cpu": 1.5, "memory": 128}}, "stdin": true, "tty": true}],
	    "volumes": [{"name": "data", "cinder": {"size": 2}}, {"name": "old", "cinder": {"volumeID": "kept-vol"}}]}}`
	pt, err := parseTestTemplate(t, tpl, 40)
	if err != nil {
		t.Fatal(err)
	}
	c := pt.capsule
	if c.RestartPolicy != "OnFailure" || c.CPU != 3 || c.Memory != 1024 || c.Name != "demo" {
		t.Fatalf("capsule: policy %s cpu %v memory %d name %s", c.RestartPolicy, c.CPU, c.Memory, c.Name)
	}
	web := c.Containers[0]
	if strings.Join(web.Command, " ") != "httpd -f" || web.CapsulePorts[0].Protocol != "udp" || web.CapsulePorts[0].HostPort != 30080 ||
		!web.VolumeMounts[0].ReadOnly {
		t.Fatalf("web: %+v", web)
	}
	if !c.Containers[1].Interactive || !c.Containers[1].TTY {
		t.Fatalf("stdin/tty: %+v", c.Containers[1])
	}
	if !c.Volumes[0].AutoRemove || c.Volumes[0].Size != 2 || c.Volumes[1].VolumeID != "kept-vol" || !c.Volumes[1].Existing || c.Volumes[1].AutoRemove {
		t.Fatalf("volumes: %+v", c.Volumes)
	}
	// As a JSON string, too.
	s, _ := json.Marshal(tpl)
	if _, err := parseTestTemplate(t, string(s), 40); err != nil {
		t.Fatalf("template as a string: %v", err)
	}
	// Fields added by later microversions are refused before them.
	for _, tc := range []struct {
		minor int
		want  string
	}{{37, "'annotations' was unexpected"}, {34, "'ports'"}, {36, "'stdin'"}} {
		m := `{"kind": "capsule", "metadata": {"name": "x1", "annotations": {}}, "spec": {"containers": [{"image": "busybox", "ports": [], "stdin": true}]}}`
		if tc.minor == 34 || tc.minor == 36 {
			m = strings.Replace(m, `, "annotations": {}`, "", 1)
		}
		if tc.minor == 36 {
			m = strings.Replace(m, `"ports": [], `, "", 1)
		}
		if _, err := parseTestTemplate(t, m, tc.minor); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("1.%d: %v, want %s", tc.minor, err, tc.want)
		}
	}
	for _, bad := range []string{`[]`, `"not json"`, `{"kind": "capsule", "metadata": {}, "spec": {"containers": [{"image": "busybox", "volumeMounts": [{"name": "v", "mountPath": "/dev/shm"}]}], "volumes": [{"name": "v", "cinder": {"size": 1}}]}}`} {
		if _, err := parseTestTemplate(t, bad, 40); err == nil {
			t.Errorf("template %s accepted", bad)
		}
	}
}
