package docker

import (
	"context"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/errdefs"
)

// Image pull policies.
const (
	PullAlways       = "always"
	PullIfNotPresent = "ifnotpresent"
	PullNever        = "never"
)

// EffectivePullPolicy resolves policy for image: "" becomes "always" for an
// untagged or :latest reference and "ifnotpresent" otherwise (a digest
// never changes). It returns the normalised reference too.
func EffectivePullPolicy(image, policy string) (ref string, effective string, err error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", "", fmt.Errorf("invalid image reference %q: %w", image, errdefs.ErrInvalidArgument)
	}
	named = reference.TagNameOnly(named)
	policy = strings.ToLower(strings.TrimSpace(policy))
	switch policy {
	case PullAlways, PullIfNotPresent, PullNever:
	case "":
		policy = PullIfNotPresent
		if t, ok := named.(reference.Tagged); ok && t.Tag() == "latest" {
			if _, digested := named.(reference.Digested); !digested {
				policy = PullAlways
			}
		}
	default:
		return "", "", fmt.Errorf("invalid image pull policy %q: %w", policy, errdefs.ErrInvalidArgument)
	}
	return reference.FamiliarString(named), policy, nil
}

// EnsureImage makes image present per policy. A missing image with policy
// "never", or one the registry does not have, is errdefs.ErrNotFound. A
// failed pull is an error even when an older copy is present locally:
// "always" promises the registry's current image.
func (d *Driver) EnsureImage(ctx context.Context, image, policy string) error {
	ref, policy, err := EffectivePullPolicy(image, policy)
	if err != nil {
		return err
	}
	if policy != PullAlways {
		present, err := d.imagePresent(ctx, ref)
		if err != nil {
			return err
		}
		if present {
			return nil
		}
		if policy == PullNever {
			return fmt.Errorf("image %s is not present and the pull policy is never: %w", ref, errdefs.ErrNotFound)
		}
	}
	return d.pull(ctx, ref)
}

func (d *Driver) imagePresent(ctx context.Context, ref string) (bool, error) {
	_, err := d.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, translate("inspect image "+ref, err)
}

// pull pulls ref and consumes the progress stream to its end, where the
// engine reports a failed pull.
func (d *Driver) pull(ctx context.Context, ref string) error {
	d.log.InfoContext(ctx, "pulling image", "image", ref)
	resp, err := d.cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return translate("pull image "+ref, err)
	}
	defer resp.Close()
	if err := resp.Wait(ctx); err != nil {
		return translate("pull image "+ref, err)
	}
	d.log.InfoContext(ctx, "pulled image", "image", ref)
	return nil
}
