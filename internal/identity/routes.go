package identity

import "net/http"

// adminRoutes registers the admin calls of python-openstackclient's
// "project", "user", "role add" and "role assignment" commands. Every one
// needs a token with the admin role, except where the policy says
// otherwise. Deleting and updating records and revoking roles are not
// served: the store has no such operations.
func (s *Service) adminRoutes(mux *http.ServeMux) {
	const grant = "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"
	for _, rt := range []struct {
		pattern string
		allow   policy
		h       apiHandler
	}{
		{"GET /v3/domains", anyUser, s.listDomains},
		{"GET /v3/domains/{domain_id}", anyUser, s.showDomain},
		{"GET /v3/projects", adminOnly, s.listProjects},
		{"POST /v3/projects", adminOnly, s.createProject},
		{"GET /v3/projects/{project_id}", ownProject, s.showProject},
		{"GET /v3/users", adminOnly, s.listUsers},
		{"POST /v3/users", adminOnly, s.createUser},
		{"GET /v3/users/{user_id}", selfUser, s.showUser},
		{"GET /v3/users/{user_id}/projects", selfUser, s.listUserProjects},
		{"GET /v3/roles", adminOnly, s.listRoles},
		{"GET /v3/roles/{role_id}", adminOnly, s.showRole},
		{"GET /v3/projects/{project_id}/users/{user_id}/roles", adminOnly, s.listGrants},
		{"PUT " + grant, adminOnly, s.grantRole},
		{"GET " + grant, adminOnly, s.checkRole}, // GET patterns serve HEAD too
		{"GET /v3/role_assignments", ownAssignments, s.listAssignments},
	} {
		mux.HandleFunc(rt.pattern, s.api(rt.allow, rt.h))
	}
}
