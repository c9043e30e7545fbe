package apiserver

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/openzun/zun/internal/model"
)

// Bounds of a capsule template.
const (
	maxCapsuleContainers = 16
	maxCapsuleVolumes    = 16
	maxVolumeSizeGiB     = maxVolumeSize // as a mounts size= volume
	// hostPort is published on every address of the host, so tenants get
	// only the node-port range: a lower port could shadow a host service
	// (sshd, the API itself, DNS) that is restarted later.
	minHostPort, maxHostPort = 30000, 32767
)

// capsuleTemplate is a parsed template: the capsule without identity,
// and whether members asked for imagePullPolicy (a policy-guarded field).
type capsuleTemplate struct {
	capsule        *model.Capsule
	pullPolicySet  bool
	topRestartUsed bool
}

// parseTemplateBody validates a create body ({"template": object or JSON
// string}) at the negotiated microversion.
func parseTemplateBody(body map[string]json.RawMessage, minor int) (*capsuleTemplate, error) {
	if err := unknownFields(body, map[string]bool{"template": true}); err != nil {
		return nil, err
	}
	raw, ok := body["template"]
	if !ok || isNull(raw) {
		return nil, badRequest("'template' is a required property")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		// A template sent as a JSON string, as older clients do.
		if err := checkDuplicateKeys([]byte(s)); err != nil {
			return nil, err
		}
		raw = json.RawMessage(s)
	}
	tm, err := decodeObject("template", raw)
	if err != nil {
		return nil, err
	}
	return parseTemplate(tm, minor)
}

func decodeObject(field string, raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, invalid(field, "Value: %s. Expected an object.", truncate(raw))
	}
	return m, nil
}

func decodeList(field string, raw json.RawMessage, max int) ([]json.RawMessage, error) {
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, invalid(field, "Value: %s. Expected a list.", truncate(raw))
	}
	if len(l) > max {
		return nil, invalid(field, "At most %d items are allowed.", max)
	}
	return l, nil
}

func parseTemplate(tm map[string]json.RawMessage, minor int) (*capsuleTemplate, error) {
	allowed := map[string]bool{"kind": true, "capsuleVersion": true, "metadata": true, "spec": true,
		"availabilityZone": true, "restartPolicy": true}
	if err := unknownFields(tm, allowed); err != nil {
		return nil, err
	}
	for _, req := range []string{"kind", "metadata", "spec"} {
		if raw, ok := tm[req]; !ok || isNull(raw) {
			return nil, badRequest("Invalid input for field/attribute template. '%s' is a required property", req)
		}
	}
	kind, err := decodeString("template.kind", tm["kind"], 1, 64)
	if err != nil {
		return nil, err
	}
	if kind != "capsule" && kind != "Capsule" {
		return nil, invalid("template.kind", "Value: %q. Must be one of capsule, Capsule.", kind)
	}
	t := &capsuleTemplate{capsule: &model.Capsule{RestartPolicy: "Always"}}
	c := t.capsule
	if raw, ok := tm["capsuleVersion"]; ok && !isNull(raw) {
		v, err := decodeString("template.capsuleVersion", raw, 1, 64)
		if err != nil {
			return nil, err
		}
		if v != "beta" && v != "Beta" {
			return nil, invalid("template.capsuleVersion", "Value: %q. Must be one of beta, Beta.", v)
		}
		c.CapsuleVersion = v
	}
	if raw, ok := tm["availabilityZone"]; ok && !isNull(raw) {
		if c.AvailabilityZone, err = decodeString("template.availabilityZone", raw, 1, 255); err != nil {
			return nil, err
		}
	}
	if raw, ok := tm["restartPolicy"]; ok && !isNull(raw) {
		if c.RestartPolicy, err = decodeCapsuleRestart("template.restartPolicy", raw); err != nil {
			return nil, err
		}
		t.topRestartUsed = true
	}
	if err := parseMetadata(c, tm["metadata"], minor); err != nil {
		return nil, err
	}
	if err := parseSpec(t, tm["spec"], minor); err != nil {
		return nil, err
	}
	return t, nil
}

func decodeCapsuleRestart(field string, raw json.RawMessage) (string, error) {
	s, err := decodeString(field, raw, 1, 64)
	if err != nil {
		return "", err
	}
	if _, ok := model.CapsuleRestartPolicies[s]; !ok {
		return "", invalid(field, "Value: %q. Must be one of Always, OnFailure, Never.", s)
	}
	return s, nil
}

func parseMetadata(c *model.Capsule, raw json.RawMessage, minor int) error {
	m, err := decodeObject("template.metadata", raw)
	if err != nil {
		return err
	}
	allowed := map[string]bool{"name": true, "labels": true}
	if minor >= 38 {
		allowed["annotations"] = true
	}
	if err := unknownFields(m, allowed); err != nil {
		return err
	}
	for k, v := range m {
		if isNull(v) {
			continue
		}
		switch k {
		case "name":
			n, err := decodeString("template.metadata.name", v, 2, 255)
			if err != nil {
				return err
			}
			if !nameRe.MatchString(n) {
				return invalid("template.metadata.name", "Value: %q. Must match %s.", n, nameRe.String())
			}
			c.Name = n
		case "labels":
			if c.Labels, err = decodeStringMap("template.metadata.labels", v); err != nil {
				return err
			}
			for l := range c.Labels {
				if strings.HasPrefix(l, "zun.") {
					return invalid("template.metadata.labels", "Label keys starting with 'zun.' are reserved.")
				}
			}
		case "annotations":
			if c.Annotations, err = decodeStringMap("template.metadata.annotations", v); err != nil {
				return err
			}
		}
	}
	return nil
}

func parseSpec(t *capsuleTemplate, raw json.RawMessage, minor int) error {
	c := t.capsule
	spec, err := decodeObject("template.spec", raw)
	if err != nil {
		return err
	}
	if err := unknownFields(spec, map[string]bool{"containers": true, "initContainers": true, "volumes": true, "restartPolicy": true}); err != nil {
		return err
	}
	if r, ok := spec["restartPolicy"]; ok && !isNull(r) {
		if c.RestartPolicy, err = decodeCapsuleRestart("template.spec.restartPolicy", r); err != nil {
			return err
		}
	}
	if r, ok := spec["volumes"]; ok && !isNull(r) {
		if c.Volumes, err = parseVolumes(r); err != nil {
			return err
		}
	}
	cr, ok := spec["containers"]
	if !ok || isNull(cr) {
		return badRequest("Invalid input for field/attribute template.spec. 'containers' is a required property")
	}
	apps, err := decodeList("template.spec.containers", cr, maxCapsuleContainers)
	if err != nil {
		return err
	}
	if len(apps) == 0 {
		return invalid("template.spec.containers", "At least one container is required.")
	}
	var inits []json.RawMessage
	if r, ok := spec["initContainers"]; ok && !isNull(r) {
		if minor < 34 {
			return badRequest("Invalid input for field/attribute template.spec. initContainers needs microversion 1.34 or later.")
		}
		if inits, err = decodeList("template.spec.initContainers", r, maxCapsuleContainers); err != nil {
			return err
		}
	}
	volumes := map[string]bool{}
	for _, v := range c.Volumes {
		volumes[v.Name] = true
	}
	for i, r := range inits {
		m, err := parseMember(t, fmt.Sprintf("template.spec.initContainers[%d]", i), r, minor, volumes)
		if err != nil {
			return err
		}
		m.Role = model.RoleInit
		c.InitContainers = append(c.InitContainers, *m)
	}
	for i, r := range apps {
		m, err := parseMember(t, fmt.Sprintf("template.spec.containers[%d]", i), r, minor, volumes)
		if err != nil {
			return err
		}
		m.Role = model.RoleApp
		c.Containers = append(c.Containers, *m)
	}
	return checkCapsuleWide(c)
}

// checkCapsuleWide checks what spans members: unique names, ports unique
// in the shared network namespace, and sums the resources to claim.
func checkCapsuleWide(c *model.Capsule) error {
	names := map[string]bool{}
	ports := map[string]bool{}
	hostPorts := map[string]bool{}
	var maxInitCPU float64
	var maxInitMem int64
	for i, m := range c.Members() {
		if m.Name != "" {
			if names[m.Name] {
				return invalid(memberPath(c, i)+".name", "Duplicate container name %q: names must be unique within a capsule.", m.Name)
			}
			names[m.Name] = true
		}
		if m.Role == model.RoleInit {
			maxInitCPU, maxInitMem = max(maxInitCPU, m.CPU), max(maxInitMem, m.Memory)
			continue
		}
		c.CPU += m.CPU
		c.Memory += m.Memory
		for _, p := range m.CapsulePorts {
			k := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
			if ports[k] {
				return invalid(memberPath(c, i)+".ports",
					"Port %s is declared twice: the containers of a capsule share one network namespace.", k)
			}
			ports[k] = true
			if p.HostPort != 0 {
				hk := fmt.Sprintf("%d/%s", p.HostPort, p.Protocol)
				if hostPorts[hk] {
					return invalid(memberPath(c, i)+".ports", "hostPort %s is used twice.", hk)
				}
				hostPorts[hk] = true
			}
		}
	}
	c.CPU = max(c.CPU, maxInitCPU)
	c.Memory = max(c.Memory, maxInitMem)
	if c.CPU > maxCPU*float64(maxCapsuleContainers) {
		return invalid("template.spec", "The capsule asks for %g cpu in all.", c.CPU)
	}
	return nil
}

// memberPath is the template path of the i-th of c.Members().
func memberPath(c *model.Capsule, i int) string {
	if i < len(c.InitContainers) {
		return fmt.Sprintf("template.spec.initContainers[%d]", i)
	}
	return fmt.Sprintf("template.spec.containers[%d]", i-len(c.InitContainers))
}

func parseVolumes(raw json.RawMessage) ([]model.CapsuleVolume, error) {
	l, err := decodeList("template.spec.volumes", raw, maxCapsuleVolumes)
	if err != nil {
		return nil, err
	}
	out := make([]model.CapsuleVolume, 0, len(l))
	seen := map[string]bool{}
	for i, r := range l {
		f := fmt.Sprintf("template.spec.volumes[%d]", i)
		m, err := decodeObject(f, r)
		if err != nil {
			return nil, err
		}
		if err := unknownFields(m, map[string]bool{"name": true, "cinder": true}); err != nil {
			return nil, err
		}
		nr, ok := m["name"]
		if !ok || isNull(nr) {
			return nil, invalid(f, "'name' is a required property.")
		}
		v := model.CapsuleVolume{}
		if v.Name, err = decodeString(f+".name", nr, 1, 63); err != nil {
			return nil, err
		}
		if !volumeNameRe.MatchString(v.Name) {
			return nil, invalid(f+".name", "Value: %q. Must match %s.", v.Name, volumeNameRe.String())
		}
		if seen[v.Name] {
			return nil, invalid(f+".name", "Duplicate volume name %q.", v.Name)
		}
		seen[v.Name] = true
		cr, ok := m["cinder"]
		if !ok || isNull(cr) {
			return nil, invalid(f, "'cinder' is a required property (size for a new volume, volumeID for an existing one).")
		}
		cm, err := decodeObject(f+".cinder", cr)
		if err != nil {
			return nil, err
		}
		if err := unknownFields(cm, map[string]bool{"size": true, "volumeID": true, "autoRemove": true}); err != nil {
			return nil, err
		}
		sr, hasSize := cm["size"]
		ir, hasID := cm["volumeID"]
		switch {
		case hasSize && hasID:
			return nil, invalid(f+".cinder", "size and volumeID are mutually exclusive.")
		case hasSize:
			if v.Size, err = decodeInt(f+".cinder.size", sr, 1, maxVolumeSizeGiB); err != nil {
				return nil, err
			}
			v.AutoRemove = true
		case hasID:
			if v.VolumeID, err = decodeString(f+".cinder.volumeID", ir, 1, 255); err != nil {
				return nil, err
			}
			if !volumeNameRe.MatchString(v.VolumeID) && !nameRe.MatchString(v.VolumeID) {
				return nil, invalid(f+".cinder.volumeID", "Value: %q is not a volume name or id.", v.VolumeID)
			}
			v.Existing = true
		default:
			return nil, invalid(f+".cinder", "One of size or volumeID is required.")
		}
		if ar, ok := cm["autoRemove"]; ok && !isNull(ar) {
			b, err := decodeBool(f+".cinder.autoRemove", ar)
			if err != nil {
				return nil, err
			}
			if hasID && b {
				return nil, invalid(f+".cinder.autoRemove", "An existing volume is never removed with the capsule.")
			}
			v.AutoRemove = b && hasSize
		}
		out = append(out, v)
	}
	return out, nil
}

func parseMember(t *capsuleTemplate, f string, raw json.RawMessage, minor int, volumes map[string]bool) (*model.Member, error) {
	m, err := decodeObject(f, raw)
	if err != nil {
		return nil, err
	}
	allowed := map[string]bool{"image": true, "name": true, "command": true, "args": true, "workDir": true,
		"env": true, "imagePullPolicy": true, "resources": true, "volumeMounts": true}
	if minor >= 35 {
		allowed["ports"] = true
	}
	if minor >= 37 {
		allowed["stdin"], allowed["tty"] = true, true
	}
	if err := unknownFields(m, allowed); err != nil {
		return nil, err
	}
	ir, ok := m["image"]
	if !ok || isNull(ir) {
		return nil, invalid(f, "'image' is a required property.")
	}
	mb := &model.Member{Container: model.Container{CPU: defaultCPU, Memory: defaultMemory}}
	c := &mb.Container
	if c.Image, err = decodeString(f+".image", ir, 2, 255); err != nil {
		return nil, err
	}
	var args []string
	for k, v := range m {
		if isNull(v) || k == "image" {
			continue
		}
		switch k {
		case "name":
			c.Name, err = decodeString(f+".name", v, 2, 255)
			if err == nil && !nameRe.MatchString(c.Name) {
				err = invalid(f+".name", "Value: %q. Must match %s.", c.Name, nameRe.String())
			}
		case "command":
			c.Command, err = decodeStringList(f+".command", v)
		case "args":
			args, err = decodeStringList(f+".args", v)
		case "workDir":
			c.Workdir, err = decodeString(f+".workDir", v, 1, 4096)
			if err == nil && !path.IsAbs(c.Workdir) {
				err = invalid(f+".workDir", "Value: %q. Must be an absolute path.", c.Workdir)
			}
		case "env":
			c.Environment, err = decodeStringMap(f+".env", v)
		case "imagePullPolicy":
			c.ImagePullPolicy, err = decodeEnum(f+".imagePullPolicy", v, "never", "always", "ifnotpresent")
			t.pullPolicySet = true
		case "stdin":
			c.Interactive, err = decodeBool(f+".stdin", v)
		case "tty":
			c.TTY, err = decodeBool(f+".tty", v)
		case "resources":
			err = parseResources(c, f+".resources", v)
		case "ports":
			mb.CapsulePorts, err = parsePorts(f+".ports", v)
		case "volumeMounts":
			mb.VolumeMounts, err = parseMounts(f+".volumeMounts", v, volumes)
		}
		if err != nil {
			return nil, err
		}
	}
	// args are appended to command, as in Zun.
	c.Command = append(c.Command, args...)
	return mb, nil
}

func parseResources(c *model.Container, f string, raw json.RawMessage) error {
	m, err := decodeObject(f, raw)
	if err != nil {
		return err
	}
	if err := unknownFields(m, map[string]bool{"requests": true}); err != nil {
		return err
	}
	rr, ok := m["requests"]
	if !ok || isNull(rr) {
		return nil
	}
	req, err := decodeObject(f+".requests", rr)
	if err != nil {
		return err
	}
	if err := unknownFields(req, map[string]bool{"cpu": true, "memory": true}); err != nil {
		return err
	}
	if v, ok := req["cpu"]; ok && !isNull(v) {
		cpu, err := decodeNumber(f+".requests.cpu", v)
		if err != nil {
			return err
		}
		if cpu < minCPU || cpu > maxCPU {
			return invalid(f+".requests.cpu", "Value: %v. The cpu must be between %v and %v.", cpu, minCPU, maxCPU)
		}
		c.CPU = cpu
	}
	if v, ok := req["memory"]; ok && !isNull(v) {
		mem, err := decodeMemory(v)
		if err != nil {
			return invalid(f+".requests.memory", "Value: %s. Expected an integer between %d and %d (MiB) or a string like 512M.",
				truncate(v), minMemory, maxMemory)
		}
		c.Memory = mem
	}
	return nil
}

func parsePorts(f string, raw json.RawMessage) ([]model.CapsulePort, error) {
	l, err := decodeList(f, raw, 64)
	if err != nil {
		return nil, err
	}
	out := make([]model.CapsulePort, 0, len(l))
	for i, r := range l {
		pf := fmt.Sprintf("%s[%d]", f, i)
		m, err := decodeObject(pf, r)
		if err != nil {
			return nil, err
		}
		if err := unknownFields(m, map[string]bool{"name": true, "containerPort": true, "hostPort": true, "protocol": true}); err != nil {
			return nil, err
		}
		p := model.CapsulePort{Protocol: "tcp"}
		cr, ok := m["containerPort"]
		if !ok || isNull(cr) {
			return nil, invalid(pf, "'containerPort' is a required property.")
		}
		if p.ContainerPort, err = decodeInt(pf+".containerPort", cr, 1, 65535); err != nil {
			return nil, err
		}
		if v, ok := m["name"]; ok && !isNull(v) {
			if p.Name, err = decodeString(pf+".name", v, 1, 63); err != nil {
				return nil, err
			}
		}
		if v, ok := m["protocol"]; ok && !isNull(v) {
			proto, err := decodeString(pf+".protocol", v, 1, 8)
			if err != nil {
				return nil, err
			}
			if proto != "TCP" && proto != "UDP" {
				return nil, invalid(pf+".protocol", "Value: %q. Must be one of TCP, UDP.", proto)
			}
			p.Protocol = strings.ToLower(proto)
		}
		if v, ok := m["hostPort"]; ok && !isNull(v) {
			hp, err := decodeInt(pf+".hostPort", v, 1, 65535)
			if err != nil {
				return nil, err
			}
			if hp < minHostPort || hp > maxHostPort {
				return nil, invalid(pf+".hostPort", "Value: %d. A hostPort is published on the host's addresses; tenants may use only %d-%d, so that no host service can be shadowed.",
					hp, minHostPort, maxHostPort)
			}
			p.HostPort = hp
		}
		out = append(out, p)
	}
	return out, nil
}

func parseMounts(f string, raw json.RawMessage, volumes map[string]bool) ([]model.VolumeMount, error) {
	l, err := decodeList(f, raw, maxCapsuleVolumes)
	if err != nil {
		return nil, err
	}
	out := make([]model.VolumeMount, 0, len(l))
	paths := map[string]bool{}
	for i, r := range l {
		mf := fmt.Sprintf("%s[%d]", f, i)
		m, err := decodeObject(mf, r)
		if err != nil {
			return nil, err
		}
		if err := unknownFields(m, map[string]bool{"name": true, "mountPath": true, "readOnly": true}); err != nil {
			return nil, err
		}
		vm := model.VolumeMount{}
		nr, ok := m["name"]
		if !ok || isNull(nr) {
			return nil, invalid(mf, "'name' is a required property.")
		}
		if vm.Name, err = decodeString(mf+".name", nr, 1, 63); err != nil {
			return nil, err
		}
		if !volumes[vm.Name] {
			return nil, invalid(mf+".name", "Value: %q names no volume of spec.volumes.", vm.Name)
		}
		pr, ok := m["mountPath"]
		if !ok || isNull(pr) {
			return nil, invalid(mf, "'mountPath' is a required property.")
		}
		if vm.MountPath, err = decodeString(mf+".mountPath", pr, 1, 4096); err != nil {
			return nil, err
		}
		if err := checkMountPath(mf+".mountPath", vm.MountPath); err != nil {
			return nil, err
		}
		if paths[vm.MountPath] {
			return nil, invalid(mf+".mountPath", "Value: %q is mounted twice.", vm.MountPath)
		}
		paths[vm.MountPath] = true
		if v, ok := m["readOnly"]; ok && !isNull(v) {
			if vm.ReadOnly, err = decodeBool(mf+".readOnly", v); err != nil {
				return nil, err
			}
		}
		out = append(out, vm)
	}
	return out, nil
}

func checkMountPath(f, p string) error {
	if !path.IsAbs(p) {
		return invalid(f, "Value: %q. Must be an absolute path.", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return invalid(f, "Value: %q. Must not contain '..'.", p)
		}
	}
	clean := path.Clean(p)
	if clean == "/" {
		return invalid(f, "Value: %q. A volume cannot be mounted over the root.", p)
	}
	for _, root := range forbiddenMountRoots {
		if clean == root || strings.HasPrefix(clean, root+"/") {
			return invalid(f, "Value: %q. Mounting over %s is not allowed.", p, root)
		}
	}
	return nil
}
