package client

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/testutil/keystonetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	keystonetest.StopShared()
	os.Exit(code)
}

// TestRealKeystone authenticates against a real Keystone the ways the
// OpenStack clients do and picks the container endpoint of the catalog by
// interface and region. The endpoints are only URLs here: no request
// reaches them.
func TestRealKeystone(t *testing.T) {
	k := keystonetest.Shared(t)
	svc := k.CreateService(t, api.ServiceType, "zun")
	k.CreateRegion(t, "RegionTwo")
	for _, e := range []struct{ iface, region, url string }{
		{"public", keystonetest.Region, "http://public.one/v1"},
		{"internal", keystonetest.Region, "http://internal.one/v1"},
		{"admin", keystonetest.Region, "http://admin.one/v1"},
		{"public", "RegionTwo", "http://public.two/v1"},
	} {
		k.CreateEndpoint(t, svc, e.iface, e.region, e.url)
	}
	p := k.CreateProject(t, "client-demo")
	k.CreateUser(t, "client-alice", "alice-pw-1", p, "member")
	alice := keystonetest.Credentials{User: "client-alice", Password: "alice-pw-1", Project: "client-demo"}
	scoped := k.Token(t, alice)
	password := Config{AuthURL: strings.TrimSuffix(k.URL, "/v3"), Username: alice.User, Password: alice.Password,
		ProjectName: alice.Project, UserDomainName: "Default", ProjectDomainName: "Default"}

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"password, public by default", password, "http://public."},
		{"internal interface", password.Merge(Config{Interface: "internal", RegionName: keystonetest.Region}), "http://internal.one/v1"},
		{"adminURL spelling", password.Merge(Config{Interface: "adminURL", RegionName: keystonetest.Region}), "http://admin.one/v1"},
		{"region two", password.Merge(Config{RegionName: "RegionTwo"}), "http://public.two/v1"},
		{"v3password", password.Merge(Config{AuthType: "v3password", RegionName: keystonetest.Region}), "http://public.one/v1"},
		{"token used as is", Config{AuthURL: k.URL, AuthType: "v3token", Token: scoped, RegionName: "RegionTwo"}, "http://public.two/v1"},
		{"token rescoped", Config{AuthURL: k.URL, AuthType: "token", Token: scoped, ProjectName: alice.Project,
			ProjectDomainName: "Default", RegionName: keystonetest.Region}, "http://public.one/v1"},
		{"token inferred", Config{AuthURL: k.URL, Token: scoped, Interface: "internal"}, "http://internal.one/v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := New(context.Background(), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ep, err := cl.Endpoint(context.Background())
			if err != nil || !strings.HasPrefix(ep, tc.want) {
				t.Errorf("endpoint %q, %v; want %s", ep, err, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"wrong password", password.Merge(Config{Password: "wrong"}), ""},
		{"bogus token", Config{AuthURL: k.URL, AuthType: "v3token", Token: "bogus"}, ""},
		{"no such region", password.Merge(Config{RegionName: "RegionThree"}), "RegionThree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.cfg)
			var ae *api.Error
			if err == nil || (tc.want == "" && !errors.As(err, &ae)) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want a Keystone refusal mentioning %q", err, tc.want)
			}
		})
	}
}
