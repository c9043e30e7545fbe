package netplane

import "context"

func (p *Plane) syncRouters(ctx context.Context, ix *index) error { return nil }
func (p *Plane) syncFilter(ctx context.Context, ix *index) error  { return nil }
