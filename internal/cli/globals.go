package cli

import (
	"github.com/spf13/cobra"

	"github.com/openzun/zun/client"
)

// globals are the flags every command accepts; empty values fall back to
// the environment and clouds.yaml.
type globals struct {
	cloud, authType, authURL                     string
	username, userID, password                   string
	projectName, projectID                       string
	userDomainName, userDomainID                 string
	projectDomainName, projectDomainID           string
	region, iface, token, endpoint, cacert, apiV string
	insecure, debug                              bool
}

func (g *globals) register(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&g.cloud, "os-cloud", "", "Cloud name in clouds.yaml (env[OS_CLOUD])")
	f.StringVar(&g.authType, "os-auth-type", "", "Authentication type: password, token or none (env[OS_AUTH_TYPE])")
	f.StringVar(&g.authURL, "os-auth-url", "", "Keystone URL (env[OS_AUTH_URL])")
	f.StringVar(&g.username, "os-username", "", "User name (env[OS_USERNAME])")
	f.StringVar(&g.userID, "os-user-id", "", "User ID (env[OS_USER_ID])")
	f.StringVar(&g.password, "os-password", "", "Password (env[OS_PASSWORD])")
	f.StringVar(&g.projectName, "os-project-name", "", "Project name (env[OS_PROJECT_NAME])")
	f.StringVar(&g.projectID, "os-project-id", "", "Project ID (env[OS_PROJECT_ID])")
	f.StringVar(&g.userDomainName, "os-user-domain-name", "", "User domain name (env[OS_USER_DOMAIN_NAME])")
	f.StringVar(&g.userDomainID, "os-user-domain-id", "", "User domain ID (env[OS_USER_DOMAIN_ID])")
	f.StringVar(&g.projectDomainName, "os-project-domain-name", "", "Project domain name (env[OS_PROJECT_DOMAIN_NAME])")
	f.StringVar(&g.projectDomainID, "os-project-domain-id", "", "Project domain ID (env[OS_PROJECT_DOMAIN_ID])")
	f.StringVar(&g.region, "os-region-name", "", "Region of the container endpoint (env[OS_REGION_NAME])")
	f.StringVar(&g.iface, "os-interface", "", "Endpoint interface: public, internal or admin (env[OS_INTERFACE]; default public)")
	f.StringVar(&g.iface, "endpoint-type", "", "Alias of --os-interface")
	f.StringVar(&g.token, "os-token", "", "Pre-issued token (env[OS_TOKEN])")
	f.StringVar(&g.endpoint, "os-endpoint", "", "Container API endpoint, bypassing the catalog (env[OS_ENDPOINT])")
	f.StringVar(&g.endpoint, "bypass-url", "", "Alias of --os-endpoint")
	f.StringVar(&g.cacert, "os-cacert", "", "CA bundle to verify TLS servers (env[OS_CACERT])")
	f.BoolVar(&g.insecure, "insecure", false, "Do not verify TLS certificates (env[OS_INSECURE])")
	f.StringVar(&g.apiV, "zun-api-version", "", "Container API microversion, X.Y or latest (env[OS_CONTAINER_API_VERSION]; default "+client.DefaultAPIVersion+")")
	f.StringVar(&g.apiV, "os-container-api-version", "", "Alias of --zun-api-version")
	f.BoolVar(&g.debug, "debug", false, "Print debugging output (requests) to stderr")
	for _, hidden := range []string{"endpoint-type", "bypass-url", "os-container-api-version"} {
		_ = f.MarkHidden(hidden)
	}
}

func (g *globals) config() client.Config {
	return client.Config{
		AuthType: g.authType, AuthURL: g.authURL,
		Username: g.username, UserID: g.userID, Password: g.password,
		ProjectName: g.projectName, ProjectID: g.projectID,
		UserDomainName: g.userDomainName, UserDomainID: g.userDomainID,
		ProjectDomainName: g.projectDomainName, ProjectDomainID: g.projectDomainID,
		RegionName: g.region, Interface: g.iface, Token: g.token, Endpoint: g.endpoint,
		CACert: g.cacert, Insecure: g.insecure, APIVersion: g.apiV,
	}
}
