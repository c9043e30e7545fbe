package identity

import "net/http"

// adminRoutes registers the admin calls of python-openstackclient's
// "domain", "project", "user", "role", "role add/remove" and "role
// assignment" commands. Every one needs a token with the admin role
// (project- or domain-scoped), except where the policy lets others
// through.
func (s *Service) adminRoutes(mux *http.ServeMux) {
	const (
		projectGrant = "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"
		domainGrant  = "/v3/domains/{domain_id}/users/{user_id}/roles/{role_id}"
	)
	for _, rt := range []struct {
		pattern string
		allow   policy
		h       apiHandler
	}{
		{"GET /v3/domains", anyUser, s.listDomains},
		{"POST /v3/domains", adminOnly, s.createDomain},
		{"GET /v3/domains/{domain_id}", anyUser, s.showDomain},
		{"PATCH /v3/domains/{domain_id}", adminOnly, s.updateDomain},
		{"DELETE /v3/domains/{domain_id}", adminOnly, s.deleteDomain},
		{"GET /v3/projects", adminOnly, s.listProjects},
		{"POST /v3/projects", adminOnly, s.createProject},
		{"GET /v3/projects/{project_id}", ownProject, s.showProject},
		{"PATCH /v3/projects/{project_id}", adminOnly, s.updateProject},
		{"DELETE /v3/projects/{project_id}", adminOnly, s.deleteProject},
		{"GET /v3/users", adminOnly, s.listUsers},
		{"POST /v3/users", adminOnly, s.createUser},
		{"GET /v3/users/{user_id}", selfUser, s.showUser},
		{"PATCH /v3/users/{user_id}", adminOnly, s.updateUser},
		{"DELETE /v3/users/{user_id}", adminOnly, s.deleteUser},
		{"POST /v3/users/{user_id}/password", selfUser, s.changePassword},
		{"GET /v3/users/{user_id}/projects", selfUser, s.listUserProjects},
		{"GET /v3/roles", adminOnly, s.listRoles},
		{"POST /v3/roles", adminOnly, s.createRole},
		{"GET /v3/roles/{role_id}", adminOnly, s.showRole},
		{"DELETE /v3/roles/{role_id}", adminOnly, s.deleteRole},
		{"GET /v3/projects/{project_id}/users/{user_id}/roles", adminOnly, s.listGrants},
		{"PUT " + projectGrant, adminOnly, s.grantRole},
		{"GET " + projectGrant, adminOnly, s.checkRole}, // GET patterns serve HEAD too
		{"DELETE " + projectGrant, adminOnly, s.revokeRole},
		{"GET /v3/domains/{domain_id}/users/{user_id}/roles", adminOnly, s.listGrants},
		{"PUT " + domainGrant, adminOnly, s.grantRole},
		{"GET " + domainGrant, adminOnly, s.checkRole},
		{"DELETE " + domainGrant, adminOnly, s.revokeRole},
		{"GET /v3/role_assignments", ownAssignments, s.listAssignments},
	} {
		mux.HandleFunc(rt.pattern, s.api(rt.allow, rt.h))
	}
}

// anyUser lets every authenticated caller through; the handler narrows
// what it shows.
func anyUser(*http.Request, *claims) bool { return true }
