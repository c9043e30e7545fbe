package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestServicesHostsZones covers the admin views and that a disabled or
// forced-down compute service takes no new containers.
func TestServicesHostsZones(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	var svcs struct {
		Services []struct {
			Host, Binary, State string
			Disabled            bool
			ReportCount         int `json:"report_count"`
		} `json:"services"`
	}
	a.Do("GET", "/v1/services", nil, 200, &svcs)
	if len(svcs.Services) != 1 || svcs.Services[0].State != "up" || svcs.Services[0].Binary != "zun-compute" {
		t.Fatalf("services: %+v", svcs)
	}
	host := svcs.Services[0].Host
	var hosts struct {
		Hosts []struct {
			Hostname string
			CPUs     int      `json:"cpus"`
			MemTotal int64    `json:"mem_total"`
			Runtimes []string `json:"runtimes"`
			Kernel   string   `json:"kernel_version"`
		} `json:"hosts"`
	}
	a.Do("GET", "/v1/hosts", nil, 200, &hosts)
	h := hosts.Hosts[0]
	if h.Hostname != host || h.CPUs < 1 || h.MemTotal < 100 || !contains(h.Runtimes, "runc") || h.Kernel == "" {
		t.Errorf("host: %+v", h)
	}
	a.Do("GET", "/v1/hosts/"+host, nil, 200, nil)
	var az struct {
		AvailabilityZones []struct {
			AvailabilityZone string `json:"availability_zone"`
		} `json:"availability_zones"`
	}
	a.Do("GET", "/v1/availability_zones", nil, 200, &az)
	if len(az.AvailabilityZones) != 1 || az.AvailabilityZones[0].AvailabilityZone != "nova" {
		t.Errorf("zones: %+v", az)
	}

	// Disabled: new containers find no host.
	a.Do("PUT", "/v1/services/disable?host="+host+"&binary=zun-compute&disabled_reason=maintenance", nil, 200, nil)
	var c container
	a.Do("POST", "/v1/containers", map[string]any{"image": "busybox:1.35"}, 202, &c)
	c = a.WaitStatus(c.UUID, 10*time.Second, "Error")
	if !strings.Contains(deref(c.StatusReason), "not enough hosts") {
		t.Errorf("reason: %s", deref(c.StatusReason))
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID, nil, 204, nil)
	a.Do("PUT", "/v1/services/enable?host="+host+"&binary=zun-compute", nil, 200, nil)

	// Forced down: the same, and the service shows down.
	a.Do("PUT", "/v1/services/force_down?host="+host+"&binary=zun-compute&forced_down=true", nil, 200, nil)
	a.Do("GET", "/v1/services", nil, 200, &svcs)
	if svcs.Services[0].State != "down" {
		t.Errorf("forced down service shows %s", svcs.Services[0].State)
	}
	// An up service cannot be deleted.
	a.Do("PUT", "/v1/services/force_down?host="+host+"&binary=zun-compute&forced_down=false", nil, 200, nil)
	if st, _ := a.doRaw("DELETE", "/v1/services?host="+host+"&binary=zun-compute", a.admin, "1.40", nil); st != 409 {
		t.Errorf("delete of an up service: %d", st)
	}
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "60"}}, 202, &c)
	a.WaitStatus(c.UUID, 60*time.Second, "Running")
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
}
