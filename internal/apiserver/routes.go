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
		{method: "POST", path: c + "/resize_container", policy: "container:resize_container", minVer: 19, handler: s.containerResize},
		{method: "GET", path: c + "/container_actions", policy: "container:actions", handler: s.actionList},
		{method: "GET", path: c + "/container_actions/{rid}", policy: "container:actions", handler: s.actionShow},

		{method: "GET", path: "/v1/hosts", policy: "host:get_all", minVer: 4, handler: s.hostList},
		{method: "GET", path: "/v1/hosts/{id}", policy: "host:get", minVer: 4, handler: s.hostShow},
		{method: "GET", path: "/v1/services", policy: "zun-service:get_all", handler: s.serviceList},
		{method: "DELETE", path: "/v1/services", policy: "zun-service:delete", handler: s.serviceDelete},
		{method: "PUT", path: "/v1/services/enable", policy: "zun-service:enable", handler: s.serviceEnable},
		{method: "PUT", path: "/v1/services/disable", policy: "zun-service:disable", handler: s.serviceDisable},
		{method: "PUT", path: "/v1/services/force_down", policy: "zun-service:force_down", handler: s.serviceForceDown},
		{method: "GET", path: "/v1/availability_zones", policy: "availability_zones:get_all", handler: s.azList},

		{method: "POST", path: c + "/commit", policy: "container:commit", handler: s.containerCommit},
		{method: "POST", path: "/v1/images", policy: "image:pull", handler: s.imagePull},
		{method: "GET", path: "/v1/images", policy: "image:get_all", handler: s.imageList},
		// python-zunclient's image calls end with a slash.
		{method: "POST", path: "/v1/images/{$}", policy: "image:pull", handler: s.imagePull},
		{method: "GET", path: "/v1/images/{$}", policy: "image:get_all", handler: s.imageList},
		{method: "GET", path: "/v1/images/{image}", policy: "image:get_one", handler: s.imageShow},
		{method: "DELETE", path: "/v1/images/{image}", policy: "image:delete", handler: s.imageDelete},
		{method: "GET", path: "/v1/images/{image}/search", policy: "image:search", handler: s.imageSearch},
		{method: "POST", path: "/v1/registries", policy: "registry:create", minVer: 30, handler: s.registryCreate},
		{method: "GET", path: "/v1/registries", policy: "registry:get_all", minVer: 30, handler: s.registryList},
		{method: "GET", path: "/v1/registries/{id}", policy: "registry:get_one", minVer: 30, handler: s.registryShow},
		{method: "PATCH", path: "/v1/registries/{id}", policy: "registry:update", minVer: 30, handler: s.registryUpdate},
		{method: "DELETE", path: "/v1/registries/{id}", policy: "registry:delete", minVer: 30, handler: s.registryDelete},
	}
}
