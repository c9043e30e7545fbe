package policy

// Defaults returns Zun's default rules (zun/common/policies).
func Defaults() map[string]Check {
	r := map[string]Check{}
	owner := []string{
		"container:create", "container:delete", "container:get_one", "container:get_all",
		"container:update", "container:start", "container:stop", "container:reboot",
		"container:pause", "container:unpause", "container:logs", "container:execute",
		"container:execute_resize", "container:kill", "container:rename", "container:attach",
		"container:resize", "container:top", "container:get_archive", "container:put_archive",
		"container:stats", "container:commit", "container:add_security_group",
		"container:remove_security_group", "container:network_attach", "container:network_detach",
		"container:network_list", "container:rebuild", "container:resize_container", "container:actions",
		"availability_zones:get_all",
		"image:search",
		"registry:create", "registry:delete", "registry:get_one", "registry:get_all", "registry:update",
	}
	for _, n := range owner {
		r[n] = AdminOrOwner
	}
	admin := []string{
		"container:create:runtime", "container:create:requested_destination",
		"container:create:image_pull_policy", "container:delete_all_projects",
		"container:delete_force", "container:get_one_all_projects", "container:get_all_all_projects",
		"container:get_one:host", "container:get_one:image_pull_policy",
		"container:get_one:privileged", "container:get_one:runtime",
		"container:action:events",
		"host:get_all", "host:get",
		"zun-service:get_all", "zun-service:delete", "zun-service:enable",
		"zun-service:disable", "zun-service:force_down",
		"image:pull", "image:get_all", "image:get_one", "image:delete",
		"registry:get_all_all_projects",
	}
	for _, n := range admin {
		r[n] = AdminAPI
	}
	r["container:create:privileged"] = DenyEverybody
	return r
}
