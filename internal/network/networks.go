package network

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func networkIndex(n *model.Network) store.NetIndex {
	return store.NetIndex{Public: n.Shared || n.External}
}

// CreateNetwork creates n: a VXLAN network with the next free segment
// unless the (admin) caller named a type and segment.
func (s *Service) CreateNetwork(ctx context.Context, n *model.Network) error {
	if n.ID == "" {
		n.ID = uuid.NewString()
	}
	if n.Type == "" {
		n.Type = model.NetworkTypeVXLAN
	}
	switch n.Type {
	case model.NetworkTypeVXLAN:
		if n.PhysicalNetwork != "" {
			return badRequest("Invalid input for operation: provider:physical_network specified for vxlan network.")
		}
		if n.SegmentationID != 0 && (n.SegmentationID < 1 || n.SegmentationID > 1<<24-1) {
			return badRequest("Invalid input for operation: segmentation_id out of range (1 through 16777215).")
		}
		if n.MTU == 0 {
			n.MTU = s.cfg.VXLANMTU
		}
	case model.NetworkTypeFlat:
		if n.PhysicalNetwork == "" {
			return badRequest("Invalid input for operation: physical_network required for flat provider network.")
		}
		if n.SegmentationID != 0 {
			return badRequest("Invalid input for operation: segmentation_id specified for flat provider network.")
		}
		if n.MTU == 0 {
			n.MTU = s.cfg.FlatMTU
		}
	default:
		return badRequest("Invalid input for operation: network_type value '%s' not supported.", n.Type)
	}
	if n.MTU < 68 || n.MTU > 9000 {
		return badRequest("Invalid input for mtu. Reason: %d is out of range 68 through 9000.", n.MTU)
	}
	n.AdminStateUp = true
	_, err := s.write(ctx, func(tx store.NetTx, _ *touched) error {
		if n.Type == model.NetworkTypeVXLAN {
			if n.SegmentationID != 0 {
				if err := tx.ReserveVNI(n.ID, n.SegmentationID); err != nil {
					if errors.Is(err, errdefs.ErrAlreadyExists) {
						return inUse("SegmentationIdInUse", "Unable to create the network. The segmentation ID %d is in use.", n.SegmentationID)
					}
					return err
				}
			} else {
				vni, err := tx.AllocateVNI(n.ID, s.cfg.VNIMin, s.cfg.VNIMax)
				if err != nil {
					if errors.Is(err, errdefs.ErrConflict) {
						return newErr(errdefs.ErrConflict, "NoNetworkAvailable", "Unable to create the network. No tenant network is available for allocation.")
					}
					return err
				}
				n.SegmentationID = vni
			}
		}
		return tx.Put(model.KindNetwork, n, networkIndex(n))
	})
	return err
}

// GetNetwork returns a network the caller may read.
func (s *Service) GetNetwork(ctx context.Context, id string) (*model.Network, error) {
	return readOne[model.Network](ctx, s, model.KindNetwork, id)
}

// ListNetworks lists the networks the caller may read.
func (s *Service) ListNetworks(ctx context.Context, f store.NetFilter) ([]*model.Network, error) {
	return readList[model.Network](ctx, s, model.KindNetwork, f)
}

// UpdateNetwork applies fn (the API's attribute changes) to the caller's
// network.
func (s *Service) UpdateNetwork(ctx context.Context, id string, fn func(n *model.Network) error) (*model.Network, error) {
	var out *model.Network
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		n, err := getOwn[model.Network](tx, ctx, model.KindNetwork, id)
		if err != nil {
			return err
		}
		orig := *n
		if err := fn(n); err != nil {
			return err
		}
		n.Type, n.SegmentationID, n.PhysicalNetwork = orig.Type, orig.SegmentationID, orig.PhysicalNetwork
		if n.MTU < 68 || n.MTU > 9000 {
			return badRequest("Invalid input for mtu. Reason: %d is out of range 68 through 9000.", n.MTU)
		}
		if orig.Shared && !n.Shared {
			raw, err := tx.ListAll(model.KindPort, store.NetFilter{NetworkID: id})
			if err != nil {
				return err
			}
			ports, err := decodeAll[model.Port](raw)
			if err != nil {
				return err
			}
			for _, p := range ports {
				if p.ProjectID != n.ProjectID {
					return inUse("InvalidSharedSetting", "Unable to reconfigure sharing settings for network %s. Multiple tenants are using it.", id)
				}
			}
		}
		if err := tx.Put(model.KindNetwork, n, networkIndex(n)); err != nil {
			return err
		}
		if orig.Shared != n.Shared || orig.External != n.External {
			subs, err := store.ListNet[model.Subnet](tx, model.KindSubnet, store.NetFilter{NetworkID: id})
			if err != nil {
				return err
			}
			for _, sn := range subs {
				sn.Shared = n.Shared || n.External
				if err := tx.Put(model.KindSubnet, sn, store.NetIndex{NetworkID: id, Public: sn.Shared}); err != nil {
					return err
				}
			}
		}
		t.network(id)
		out = n
		return nil
	})
	return out, err
}

// DeleteNetwork deletes the caller's network and its subnets; a network
// with ports (of any project) is NetworkInUse.
func (s *Service) DeleteNetwork(ctx context.Context, id string) error {
	_, err := s.write(ctx, func(tx store.NetTx, t *touched) error {
		if _, err := getOwn[model.Network](tx, ctx, model.KindNetwork, id); err != nil {
			return err
		}
		raw, err := tx.ListAll(model.KindPort, store.NetFilter{NetworkID: id})
		if err != nil {
			return err
		}
		if len(raw) > 0 {
			return inUse("NetworkInUse", "Unable to complete operation on network %s. There are one or more ports still in use on the network.", id)
		}
		subs, err := tx.ListAll(model.KindSubnet, store.NetFilter{NetworkID: id})
		if err != nil {
			return err
		}
		list, err := decodeAll[model.Subnet](subs)
		if err != nil {
			return err
		}
		for _, sn := range list {
			if err := deleteAny(tx, model.KindSubnet, sn.ID); err != nil {
				return err
			}
		}
		if err := tx.ReleaseVNI(id); err != nil {
			return err
		}
		t.network(id)
		return tx.Delete(model.KindNetwork, id)
	})
	return err
}
