package policy

// Default is a registered rule: its name, default check string, what it
// guards and the API operations checking it (for the policy dump).
type Default struct {
	Name        string
	Check       string
	Description string
	Operations  []string // "METHOD /path"
}

// Zun's base rules (zun/common/policies/base.py).
const (
	adminOrOwner  = "rule:admin_or_owner"
	adminAPI      = "rule:admin_api"
	denyEverybody = "rule:deny_everybody"
)

// Defaults returns the registered rules in the order of Zun's policy
// modules.
func Defaults() []Default { return append([]Default(nil), defaultRules...) }

const ctr = "/v1/containers/{container_ident}"

func ops(s ...string) []string { return s }

var defaultRules = []Default{
	// base
	{"context_is_admin", "role:admin", "Decides who is an administrator (the is_admin credential).", nil},
	{"admin_or_owner", "is_admin:True or project_id:%(project_id)s", "Administrators, or members of the project owning the object.", nil},
	{"admin_api", "rule:context_is_admin", "Administrators only.", nil},
	{"deny_everybody", "!", "Nobody.", nil},

	// containers
	{"container:create", adminOrOwner, "Create a new container.", ops("POST /v1/containers")},
	{"container:create:runtime", adminAPI, "Create a container with a given runtime.", ops("POST /v1/containers")},
	{"container:create:privileged", denyEverybody, "Create a privileged container. Privileged containers can reach the host's devices and escape isolation.", ops("POST /v1/containers")},
	{"container:create:requested_destination", adminAPI, "Create a container on a requested host.", ops("POST /v1/containers")},
	{"container:create:image_pull_policy", adminAPI, "Create a container with a given image pull policy.", ops("POST /v1/containers")},
	{"container:delete", adminOrOwner, "Delete a container.", ops("DELETE " + ctr)},
	{"container:delete_all_projects", adminAPI, "Delete a container of any project.", ops("DELETE " + ctr)},
	{"container:delete_force", adminAPI, "Forcibly delete a container in any state.", ops("DELETE " + ctr)},
	{"container:get_one", adminOrOwner, "Show a container.", ops("GET " + ctr)},
	{"container:get_one:host", adminAPI, "See the host field of a container (also filtering lists by host).", ops("GET "+ctr, "GET /v1/containers")},
	{"container:get_one:image_pull_policy", adminAPI, "See the image_pull_policy field of a container.", ops("GET "+ctr, "GET /v1/containers")},
	{"container:get_one:privileged", adminAPI, "See the privileged field of a container.", ops("GET "+ctr, "GET /v1/containers")},
	{"container:get_one:runtime", adminAPI, "See the runtime field of a container.", ops("GET "+ctr, "GET /v1/containers")},
	{"container:get_one_all_projects", adminAPI, "Show a container of any project.", ops("GET " + ctr)},
	{"container:get_all", adminOrOwner, "List the containers of the project.", ops("GET /v1/containers")},
	{"container:get_all_all_projects", adminAPI, "List the containers of all projects.", ops("GET /v1/containers")},
	{"container:update", adminOrOwner, "Update a container.", ops("PATCH " + ctr)},
	{"container:start", adminOrOwner, "Start a container.", ops("POST " + ctr + "/start")},
	{"container:stop", adminOrOwner, "Stop a container.", ops("POST " + ctr + "/stop")},
	{"container:reboot", adminOrOwner, "Reboot a container.", ops("POST " + ctr + "/reboot")},
	{"container:pause", adminOrOwner, "Pause a container.", ops("POST " + ctr + "/pause")},
	{"container:unpause", adminOrOwner, "Unpause a container.", ops("POST " + ctr + "/unpause")},
	{"container:logs", adminOrOwner, "Get the logs of a container.", ops("GET " + ctr + "/logs")},
	{"container:execute", adminOrOwner, "Execute a command in a running container.", ops("POST " + ctr + "/execute")},
	{"container:execute_resize", adminOrOwner, "Resize the TTY of an execution.", ops("POST " + ctr + "/execute_resize")},
	{"container:kill", adminOrOwner, "Send a signal to a container.", ops("POST " + ctr + "/kill")},
	{"container:rename", adminOrOwner, "Rename a container.", ops("POST " + ctr + "/rename")},
	{"container:attach", adminOrOwner, "Attach to a running container.", ops("GET " + ctr + "/attach")},
	{"container:resize", adminOrOwner, "Resize the TTY of a container.", ops("POST " + ctr + "/resize")},
	{"container:top", adminOrOwner, "List the processes of a container.", ops("GET " + ctr + "/top")},
	{"container:get_archive", adminOrOwner, "Read a tar archive of a path in a container.", ops("GET " + ctr + "/get_archive")},
	{"container:put_archive", adminOrOwner, "Write a tar archive to a path in a container.", ops("POST " + ctr + "/put_archive")},
	{"container:stats", adminOrOwner, "Show the resource usage of a container.", ops("GET " + ctr + "/stats")},
	{"container:commit", adminOrOwner, "Commit a container to an image.", ops("POST " + ctr + "/commit")},
	{"container:add_security_group", adminOrOwner, "Add a security group to a container.", ops("POST " + ctr + "/add_security_group")},
	{"container:remove_security_group", adminOrOwner, "Remove a security group from a container.", ops("POST " + ctr + "/remove_security_group")},
	{"container:network_attach", adminOrOwner, "Attach a network to a container.", ops("POST " + ctr + "/network_attach")},
	{"container:network_detach", adminOrOwner, "Detach a network from a container.", ops("POST " + ctr + "/network_detach")},
	{"container:network_list", adminOrOwner, "List the networks of a container.", ops("GET " + ctr + "/network_list")},
	{"container:rebuild", adminOrOwner, "Rebuild a container.", ops("POST " + ctr + "/rebuild")},
	{"container:resize_container", adminOrOwner, "Change the CPU and memory of a container.", ops("POST " + ctr + "/resize_container")},
	{"container:actions", adminOrOwner, "List or show the actions of a container.", ops("GET "+ctr+"/container_actions", "GET "+ctr+"/container_actions/{request_id}")},
	{"container:action:events", adminAPI, "See the events (with tracebacks) of a container action.", ops("GET " + ctr + "/container_actions/{request_id}")},

	// capsules
	// volumes (the Cinder v3 subset at /volume/v3/{project_id})
	{"volume:create", adminOrOwner, "Create a volume.", ops("POST /volume/v3/{project_id}/volumes")},
	{"volume:get", adminOrOwner, "Show a volume or its attachments.", ops("GET /volume/v3/{project_id}/volumes/{volume_id}")},
	{"volume:get_all", adminOrOwner, "List the volumes of the project.", ops("GET /volume/v3/{project_id}/volumes")},
	{"volume:delete", adminOrOwner, "Delete a volume.", ops("DELETE /volume/v3/{project_id}/volumes/{volume_id}")},
	{"volume:get_all_all_projects", adminAPI, "List the volumes of all projects.", ops("GET /volume/v3/{project_id}/volumes")},
	{"volume:quota:show", adminOrOwner, "Show the volume quotas (and usage) of the project.", ops("GET /volume/v3/{project_id}/os-quota-sets/{target_project_id}")},
	{"volume:quota:show_all_projects", adminAPI, "Show the volume quotas of another project.", ops("GET /volume/v3/{project_id}/os-quota-sets/{target_project_id}")},
	{"volume:quota:update", adminAPI, "Set or reset the volume quotas of a project.", ops("PUT /volume/v3/{project_id}/os-quota-sets/{target_project_id}", "DELETE /volume/v3/{project_id}/os-quota-sets/{target_project_id}")},

	// network (Neutron v2.0 subset)
	{"create_network", adminOrOwner, "Create a network.", ops("POST /network/v2.0/networks")},
	{"get_network", adminOrOwner, "Show or list networks (shared and external networks are readable by every project).", ops("GET /network/v2.0/networks", "GET /network/v2.0/networks/{id}")},
	{"update_network", adminOrOwner, "Update a network.", ops("PUT /network/v2.0/networks/{id}")},
	{"delete_network", adminOrOwner, "Delete a network.", ops("DELETE /network/v2.0/networks/{id}")},
	{"create_subnet", adminOrOwner, "Create a subnet.", ops("POST /network/v2.0/subnets")},
	{"get_subnet", adminOrOwner, "Show or list subnets (shared and external networks are readable by every project).", ops("GET /network/v2.0/subnets", "GET /network/v2.0/subnets/{id}")},
	{"update_subnet", adminOrOwner, "Update a subnet.", ops("PUT /network/v2.0/subnets/{id}")},
	{"delete_subnet", adminOrOwner, "Delete a subnet.", ops("DELETE /network/v2.0/subnets/{id}")},
	{"create_port", adminOrOwner, "Create a port.", ops("POST /network/v2.0/ports")},
	{"get_port", adminOrOwner, "Show or list ports (shared and external networks are readable by every project).", ops("GET /network/v2.0/ports", "GET /network/v2.0/ports/{id}")},
	{"update_port", adminOrOwner, "Update a port.", ops("PUT /network/v2.0/ports/{id}")},
	{"delete_port", adminOrOwner, "Delete a port.", ops("DELETE /network/v2.0/ports/{id}")},
	{"create_security_group", adminOrOwner, "Create a security group.", ops("POST /network/v2.0/security-groups")},
	{"get_security_group", adminOrOwner, "Show or list security groups (shared and external networks are readable by every project).", ops("GET /network/v2.0/security-groups", "GET /network/v2.0/security-groups/{id}")},
	{"update_security_group", adminOrOwner, "Update a security group.", ops("PUT /network/v2.0/security-groups/{id}")},
	{"delete_security_group", adminOrOwner, "Delete a security group.", ops("DELETE /network/v2.0/security-groups/{id}")},
	{"create_security_group_rule", adminOrOwner, "Create a security group rule.", ops("POST /network/v2.0/security-group-rules")},
	{"get_security_group_rule", adminOrOwner, "Show or list security group rules (shared and external networks are readable by every project).", ops("GET /network/v2.0/security-group-rules", "GET /network/v2.0/security-group-rules/{id}")},
	{"update_security_group_rule", adminOrOwner, "Update a security group rule.", ops("PUT /network/v2.0/security-group-rules/{id}")},
	{"delete_security_group_rule", adminOrOwner, "Delete a security group rule.", ops("DELETE /network/v2.0/security-group-rules/{id}")},
	{"create_router", adminOrOwner, "Create a router.", ops("POST /network/v2.0/routers")},
	{"get_router", adminOrOwner, "Show or list routers (shared and external networks are readable by every project).", ops("GET /network/v2.0/routers", "GET /network/v2.0/routers/{id}")},
	{"update_router", adminOrOwner, "Update a router.", ops("PUT /network/v2.0/routers/{id}")},
	{"delete_router", adminOrOwner, "Delete a router.", ops("DELETE /network/v2.0/routers/{id}")},
	{"create_floatingip", adminOrOwner, "Create a floating IP.", ops("POST /network/v2.0/floatingips")},
	{"get_floatingip", adminOrOwner, "Show or list floating IPs (shared and external networks are readable by every project).", ops("GET /network/v2.0/floatingips", "GET /network/v2.0/floatingips/{id}")},
	{"update_floatingip", adminOrOwner, "Update a floating IP.", ops("PUT /network/v2.0/floatingips/{id}")},
	{"delete_floatingip", adminOrOwner, "Delete a floating IP.", ops("DELETE /network/v2.0/floatingips/{id}")},
	{"add_router_interface", adminOrOwner, "Attach a router to a subnet or port.", ops("PUT /network/v2.0/routers/{id}/add_router_interface")},
	{"remove_router_interface", adminOrOwner, "Detach a router from a subnet or port.", ops("PUT /network/v2.0/routers/{id}/remove_router_interface")},
	{"create_network:shared", adminAPI, "Create a network shared with every project.", ops("POST /network/v2.0/networks")},
	{"update_network:shared", adminAPI, "Share or unshare a network.", ops("PUT /network/v2.0/networks/{id}")},
	{"create_network:router:external", adminAPI, "Create an external network.", ops("POST /network/v2.0/networks")},
	{"update_network:router:external", adminAPI, "Make a network external or not.", ops("PUT /network/v2.0/networks/{id}")},
	{"create_network:is_default", adminAPI, "Create the default external network.", ops("POST /network/v2.0/networks")},
	{"create_network:provider:network_type", adminAPI, "Choose the type of a network.", ops("POST /network/v2.0/networks")},
	{"create_network:provider:physical_network", adminAPI, "Choose the physical network of a network.", ops("POST /network/v2.0/networks")},
	{"create_network:provider:segmentation_id", adminAPI, "Choose the segment of a network.", ops("POST /network/v2.0/networks")},
	{"get_network:provider:network_type", adminAPI, "See the provider attributes of a network.", ops("GET /network/v2.0/networks/{id}")},
	{"create_port:binding:host_id", adminAPI, "Bind a port to a host.", ops("POST /network/v2.0/ports")},
	{"update_port:binding:host_id", adminAPI, "Bind a port to a host.", ops("PUT /network/v2.0/ports/{id}")},
	{"get_port:binding:host_id", adminAPI, "See the binding attributes of a port.", ops("GET /network/v2.0/ports/{id}")},
	{"create_port:binding:profile", adminAPI, "Set the binding profile of a port.", ops("POST /network/v2.0/ports")},
	{"update_port:binding:profile", adminAPI, "Set the binding profile of a port.", ops("PUT /network/v2.0/ports/{id}")},
	{"create_router:external_gateway_info:enable_snat", adminAPI, "Choose whether a router's gateway does SNAT.", ops("POST /network/v2.0/routers")},
	{"update_router:external_gateway_info:enable_snat", adminAPI, "Choose whether a router's gateway does SNAT.", ops("PUT /network/v2.0/routers/{id}")},
	{"create_router:external_gateway_info:external_fixed_ips", adminAPI, "Choose the external address of a router.", ops("POST /network/v2.0/routers")},
	{"update_router:external_gateway_info:external_fixed_ips", adminAPI, "Choose the external address of a router.", ops("PUT /network/v2.0/routers/{id}")},
	{"create_floatingip:floating_ip_address", adminAPI, "Choose the address of a floating IP.", ops("POST /network/v2.0/floatingips")},
	{"get_quota", adminOrOwner, "Show the network quotas of a project: limits, defaults and usage.", ops("GET /network/v2.0/quotas/{project_id}", "GET /network/v2.0/quotas/{project_id}/default", "GET /network/v2.0/quotas/{project_id}/details")},
	{"get_quota:all_projects", adminAPI, "List the projects whose network quotas differ from the defaults.", ops("GET /network/v2.0/quotas")},
	{"update_quota", adminAPI, "Set the network quotas of a project.", ops("PUT /network/v2.0/quotas/{project_id}")},
	{"delete_quota", adminAPI, "Return the network quotas of a project to the defaults.", ops("DELETE /network/v2.0/quotas/{project_id}")},
	{"create_port:mac_address", adminOrOwner, "Choose the MAC address of a port (on a network of the caller's project).", ops("POST /network/v2.0/ports")},
	{"create_port:fixed_ips:ip_address", adminOrOwner, "Choose the address of a port (on a network of the caller's project).", ops("POST /network/v2.0/ports")},
	{"update_port:fixed_ips:ip_address", adminOrOwner, "Choose the address of a port (on a network of the caller's project).", ops("PUT /network/v2.0/ports/{id}")},

	{"capsule:create", adminOrOwner, "Create a capsule.", ops("POST /v1/capsules")},
	{"capsule:delete", adminOrOwner, "Delete a capsule.", ops("DELETE /v1/capsules/{capsule_ident}")},
	{"capsule:delete_all_projects", adminAPI, "Delete a capsule of any project.", ops("DELETE /v1/capsules/{capsule_ident}")},
	{"capsule:get", adminOrOwner, "Show a capsule.", ops("GET /v1/capsules/{capsule_ident}")},
	{"capsule:get:host", adminAPI, "See the host field of a capsule.", ops("GET /v1/capsules/{capsule_ident}")},
	{"capsule:get_one_all_projects", adminAPI, "Show a capsule of any project.", ops("GET /v1/capsules/{capsule_ident}")},
	{"capsule:get_all", adminOrOwner, "List the capsules of the project.", ops("GET /v1/capsules")},
	{"capsule:get_all_all_projects", adminAPI, "List the capsules of all projects.", ops("GET /v1/capsules")},

	// images
	{"image:pull", adminAPI, "Pull an image onto a host.", ops("POST /v1/images")},
	{"image:get_all", adminAPI, "List images.", ops("GET /v1/images")},
	{"image:get_one", adminAPI, "Show an image.", ops("GET /v1/images/{image_id}")},
	{"image:search", adminOrOwner, "Search images in a registry.", ops("GET /v1/images/{image}/search")},
	{"image:delete", adminAPI, "Delete an image from its host.", ops("DELETE /v1/images/{image_id}")},

	// hosts and services
	{"host:get_all", adminAPI, "List compute hosts.", ops("GET /v1/hosts")},
	{"host:get", adminAPI, "Show a compute host.", ops("GET /v1/hosts/{host_ident}")},
	{"zun-service:get_all", adminAPI, "List services.", ops("GET /v1/services")},
	{"zun-service:delete", adminAPI, "Delete a service.", ops("DELETE /v1/services")},
	{"zun-service:enable", adminAPI, "Enable a service.", ops("PUT /v1/services/enable")},
	{"zun-service:disable", adminAPI, "Disable a service.", ops("PUT /v1/services/disable")},
	{"zun-service:force_down", adminAPI, "Force a service down or up.", ops("PUT /v1/services/force_down")},
	{"availability_zones:get_all", adminOrOwner, "List availability zones.", ops("GET /v1/availability_zones")},

	// quotas
	{"quota:update", adminAPI, "Update the quotas of a project.", ops("PUT /v1/quotas/{project_id}")},
	{"quota:delete", adminAPI, "Revert the quotas of a project to the defaults.", ops("DELETE /v1/quotas/{project_id}")},
	{"quota:get", adminOrOwner, "Show the quotas (and usages) of a project.", ops("GET /v1/quotas/{project_id}")},
	{"quota:get_default", adminOrOwner, "Show the default quotas of a project.", ops("GET /v1/quotas/{project_id}/defaults")},
	{"quota_class:update", adminAPI, "Update a quota class.", ops("PUT /v1/quota_classes/{quota_class_name}")},
	{"quota_class:get", adminAPI, "Show a quota class.", ops("GET /v1/quota_classes/{quota_class_name}")},

	// registries
	{"registry:create", adminOrOwner, "Create a registry.", ops("POST /v1/registries")},
	{"registry:delete", adminOrOwner, "Delete a registry.", ops("DELETE /v1/registries/{registry_ident}")},
	{"registry:get_one", adminOrOwner, "Show a registry.", ops("GET /v1/registries/{registry_ident}")},
	{"registry:get_all", adminOrOwner, "List the registries of the project.", ops("GET /v1/registries")},
	{"registry:get_all_all_projects", adminAPI, "List the registries of all projects.", ops("GET /v1/registries")},
	{"registry:update", adminOrOwner, "Update a registry.", ops("PATCH /v1/registries/{registry_ident}")},

	// networks
	{"network:attach_external_network", "role:admin", "Attach a container to an unshared external network.", ops("POST /v1/containers", "POST "+ctr+"/network_attach")},
	{"network:create", "role:admin", "Create a network.", ops("POST /v1/networks")},
	{"network:delete", "role:admin", "Delete a network.", ops("DELETE /v1/networks/{network_id}")},
}
