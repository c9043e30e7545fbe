package keystonetest

import (
	"net/http"
	"testing"
)

// CreateRegion creates a region (Keystone's bootstrap made RegionOne).
func (k *Keystone) CreateRegion(t testing.TB, id string) {
	t.Helper()
	k.call(t, http.MethodPost, "/regions", map[string]any{"region": map[string]any{"id": id}}, http.StatusCreated, nil)
}

// CreateService registers a service in the catalog and returns its id.
func (k *Keystone) CreateService(t testing.TB, typ, name string) string {
	t.Helper()
	var out struct{ Service struct{ ID string } }
	k.call(t, http.MethodPost, "/services", map[string]any{"service": map[string]any{"type": typ, "name": name}},
		http.StatusCreated, &out)
	return out.Service.ID
}

// CreateEndpoint adds an endpoint of service (an id) to the catalog.
func (k *Keystone) CreateEndpoint(t testing.TB, service, iface, region, url string) {
	t.Helper()
	k.call(t, http.MethodPost, "/endpoints", map[string]any{"endpoint": map[string]any{
		"service_id": service, "interface": iface, "region_id": region, "url": url}}, http.StatusCreated, nil)
}
