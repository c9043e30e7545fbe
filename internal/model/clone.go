package model

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of c: the copy shares no map, slice or pointer
// with c, so a cached record can be handed out and changed freely.
func (c *Container) Clone() *Container {
	out := *c
	out.Command = slices.Clone(c.Command)
	out.Entrypoint = slices.Clone(c.Entrypoint)
	out.Environment = maps.Clone(c.Environment)
	out.Labels = maps.Clone(c.Labels)
	out.Hints = maps.Clone(c.Hints)
	out.Ports = slices.Clone(c.Ports)
	out.Mounts = slices.Clone(c.Mounts) // Mount holds only values
	out.SecurityGroups = slices.Clone(c.SecurityGroups)
	out.ExposedPorts = slices.Clone(c.ExposedPorts)
	if c.Networks != nil {
		out.Networks = make([]PortAttachment, len(c.Networks))
		for i, p := range c.Networks {
			p.FixedIPs = slices.Clone(p.FixedIPs)
			out.Networks[i] = p
		}
	}
	if c.RestartPolicy != nil {
		rp := *c.RestartPolicy
		out.RestartPolicy = &rp
	}
	if c.Healthcheck != nil {
		hc := *c.Healthcheck
		out.Healthcheck = &hc
	}
	return &out
}
