package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
	"github.com/openzun/zun/internal/testutil/keystonetest"
)

// testClientAuth authenticates our Go client against the real Keystone the
// ways the OpenStack clients do, and checks the container endpoint it picks
// from the catalog by interface and region. public and internal of
// RegionOne are registered by the caller; this adds an admin endpoint and
// a RegionTwo.
func testClientAuth(t *testing.T, k *keystonetest.Keystone, service string, alice keystonetest.Credentials, public, internal string) {
	k.CreateRegion(t, "RegionTwo")
	k.CreateEndpoint(t, service, "admin", keystonetest.Region, "http://admin.one/v1")
	k.CreateEndpoint(t, service, "public", "RegionTwo", "http://public.two/v1")
	scoped := k.Token(t, alice)
	password := client.Config{AuthURL: strings.TrimSuffix(k.URL, "/v3"), Username: alice.User, Password: alice.Password,
		ProjectName: alice.Project, UserDomainName: "Default", ProjectDomainName: "Default"}

	for _, tc := range []struct {
		name string
		cfg  client.Config
		want []string
	}{
		{"password, public of any region", password, []string{public, "http://public.two/v1"}},
		{"internal interface", password.Merge(client.Config{Interface: "internal", RegionName: keystonetest.Region}), []string{internal}},
		{"adminURL spelling", password.Merge(client.Config{Interface: "adminURL", RegionName: keystonetest.Region}), []string{"http://admin.one/v1"}},
		{"region two", password.Merge(client.Config{RegionName: "RegionTwo"}), []string{"http://public.two/v1"}},
		{"v3password", password.Merge(client.Config{AuthType: "v3password", RegionName: keystonetest.Region}), []string{public}},
		{"token used as is", client.Config{AuthURL: k.URL, AuthType: "v3token", Token: scoped, RegionName: "RegionTwo"}, []string{"http://public.two/v1"}},
		{"token rescoped", client.Config{AuthURL: k.URL, AuthType: "token", Token: scoped, ProjectName: alice.Project,
			ProjectDomainName: "Default", RegionName: keystonetest.Region}, []string{public}},
		{"token inferred", client.Config{AuthURL: k.URL, Token: scoped, Interface: "internal"}, []string{internal}},
	} {
		cl, err := client.New(context.Background(), tc.cfg)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if ep, err := cl.Endpoint(context.Background()); err != nil || !contains(tc.want, ep) {
			t.Errorf("%s: endpoint %q, %v; want one of %q", tc.name, ep, err, tc.want)
		}
	}

	for _, tc := range []struct {
		name string
		cfg  client.Config
		want string
	}{
		{"wrong password", password.Merge(client.Config{Password: "wrong"}), ""},
		{"bogus token", client.Config{AuthURL: k.URL, AuthType: "v3token", Token: "bogus"}, ""},
		{"no such region", password.Merge(client.Config{RegionName: "RegionThree"}), "RegionThree"},
	} {
		_, err := client.New(context.Background(), tc.cfg)
		var ae *api.Error
		if err == nil || (tc.want == "" && !errors.As(err, &ae)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, want a Keystone refusal mentioning %q", tc.name, err, tc.want)
		}
	}
}
