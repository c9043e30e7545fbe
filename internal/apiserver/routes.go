package apiserver

// routeTable is the whole v1 API. Every non-public route names a policy
// rule; TestRoutesHavePolicies walks this table.
func (s *Server) routeTable() []route {
	const c = "/v1/containers/{id}"
	return []route{
		{method: "GET", path: "/{$}", public: true, unversioned: true, handler: s.rootVersions},
		{method: "GET", path: "/v1", public: true, handler: s.v1Version},
		{method: "GET", path: "/v1/{$}", public: true, handler: s.v1Version},

		{method: "POST", path: "/v1/containers", policy: "container:create", handler: s.containerCreate},
		{method: "GET", path: "/v1/containers", policy: "container:get_all", handler: s.containerList},
		{method: "GET", path: c, policy: "container:get_one", handler: s.containerShow},
		{method: "PATCH", path: c, policy: "container:update", handler: s.containerUpdate},
		{method: "DELETE", path: c, policy: "container:delete", handler: s.containerDelete},
		{method: "POST", path: c + "/start", policy: "container:start", handler: s.containerStart},
		{method: "POST", path: c + "/stop", policy: "container:stop", handler: s.containerStop},
		{method: "POST", path: c + "/reboot", policy: "container:reboot", handler: s.containerReboot},
		{method: "POST", path: c + "/pause", policy: "container:pause", handler: s.containerPause},
		{method: "POST", path: c + "/unpause", policy: "container:unpause", handler: s.containerUnpause},
		{method: "POST", path: c + "/kill", policy: "container:kill", handler: s.containerKill},
		{method: "POST", path: c + "/rebuild", policy: "container:rebuild", handler: s.containerRebuild},
		{method: "POST", path: c + "/rename", policy: "container:rename", maxVer: 13, handler: s.containerRename},
		{method: "GET", path: c + "/logs", policy: "container:logs", handler: s.containerLogs},
		{method: "GET", path: c + "/top", policy: "container:top", handler: s.containerTop},
		{method: "GET", path: c + "/stats", policy: "container:stats", handler: s.containerStats},
		{method: "POST", path: c + "/execute", policy: "container:execute", handler: s.containerExecute},
		{method: "POST", path: c + "/execute_resize", policy: "container:execute_resize", handler: s.containerExecResize},
		{method: "GET", path: c + "/attach", policy: "container:attach", handler: s.containerAttach},
		{method: "POST", path: c + "/resize", policy: "container:resize", handler: s.containerTTYResize},
		{method: "GET", path: c + "/get_archive", policy: "container:get_archive", handler: s.containerGetArchive},
		{method: "POST", path: c + "/put_archive", policy: "container:put_archive", handler: s.containerPutArchive},
		{method: "POST", path: c + "/resize_container", policy: "container:resize_container", minVer: 19, handler: s.containerResize},
		{method: "GET", path: c + "/container_actions", policy: "container:actions", handler: s.actionList},
		{method: "GET", path: c + "/container_actions/{rid}", policy: "container:actions", handler: s.actionShow},

		{method: "POST", path: "/v1/capsules", policy: "capsule:create", handler: s.capsuleCreate},
		{method: "POST", path: "/v1/capsules/{$}", policy: "capsule:create", handler: s.capsuleCreate},
		{method: "GET", path: "/v1/capsules", policy: "capsule:get_all", handler: s.capsuleList},
		{method: "GET", path: "/v1/capsules/{$}", policy: "capsule:get_all", handler: s.capsuleList},
		{method: "GET", path: "/v1/capsules/{id}", policy: "capsule:get", handler: s.capsuleShow},
		{method: "DELETE", path: "/v1/capsules/{id}", policy: "capsule:delete", handler: s.capsuleDelete},

		{method: "GET", path: "/v1/hosts", policy: "host:get_all", minVer: 4, handler: s.hostList},
		{method: "GET", path: "/v1/hosts/{id}", policy: "host:get", minVer: 4, handler: s.hostShow},
		{method: "GET", path: "/v1/services", policy: "zun-service:get_all", handler: s.serviceList},
		{method: "DELETE", path: "/v1/services", policy: "zun-service:delete", handler: s.serviceDelete},
		{method: "PUT", path: "/v1/services/enable", policy: "zun-service:enable", handler: s.serviceEnable},
		{method: "PUT", path: "/v1/services/disable", policy: "zun-service:disable", handler: s.serviceDisable},
		{method: "PUT", path: "/v1/services/force_down", policy: "zun-service:force_down", handler: s.serviceForceDown},
		{method: "GET", path: "/v1/availability_zones", policy: "availability_zones:get_all", handler: s.azList},

		{method: "PUT", path: "/v1/quotas/{project_id}", policy: "quota:update", minVer: quotaMinVersion, handler: s.quotaUpdate},
		{method: "GET", path: "/v1/quotas/{project_id}", policy: "quota:get", minVer: quotaMinVersion, handler: s.quotaGet},
		{method: "DELETE", path: "/v1/quotas/{project_id}", policy: "quota:delete", minVer: quotaMinVersion, handler: s.quotaDelete},
		{method: "GET", path: "/v1/quotas/{project_id}/defaults", policy: "quota:get_default", minVer: quotaMinVersion, handler: s.quotaDefaults},
		{method: "PUT", path: "/v1/quota_classes/{name}", policy: "quota_class:update", minVer: quotaMinVersion, handler: s.quotaClassUpdate},
		{method: "GET", path: "/v1/quota_classes/{name}", policy: "quota_class:get", minVer: quotaMinVersion, handler: s.quotaClassGet},
	}
}
