package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func testNetworkRecords(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	ns := s.Networks()
	priv := &model.Network{NetMeta: model.NetMeta{ID: "net-a", Name: "private"}}
	shared := &model.Network{NetMeta: model.NetMeta{ID: "net-s", Name: "shared"}, Shared: true}
	rev0, err := ns.Revision(system())
	noErr(t, err, "Revision")
	rev, err := ns.Write(a, func(tx store.NetTx) error {
		if err := tx.Put(model.KindNetwork, priv, store.NetIndex{}); err != nil {
			return err
		}
		return tx.Put(model.KindNetwork, shared, store.NetIndex{Public: true})
	})
	noErr(t, err, "Write")
	if rev != rev0+1 || priv.ProjectID != projectA || priv.RevisionNumber != rev || priv.CreatedAt.IsZero() {
		t.Fatalf("rev %d (was %d), record %+v", rev, rev0, priv)
	}
	// B sees the shared network only; writes to A's are not found.
	noErr(t, ns.Read(b, func(r store.NetReader) error {
		list, err := store.ListNet[model.Network](r, model.KindNetwork, store.NetFilter{})
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].ID != "net-s" {
			return fmt.Errorf("B lists %+v", list)
		}
		if _, err := r.Get(model.KindNetwork, "net-a"); !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("B gets A's network: %v", err)
		}
		return nil
	}), "Read B")
	_, err = ns.Write(b, func(tx store.NetTx) error {
		return tx.Put(model.KindNetwork, &model.Network{NetMeta: model.NetMeta{ID: "net-a", ProjectID: projectA}}, store.NetIndex{})
	})
	wantErr(t, err, errdefs.ErrNotFound, "B overwrites A's network")
	_, err = ns.Write(b, func(tx store.NetTx) error { return tx.Delete(model.KindNetwork, "net-s") })
	wantErr(t, err, errdefs.ErrNotFound, "B deletes A's shared network")
	// An aborted write leaves nothing and does not move the revision.
	boom := errors.New("boom")
	_, err = ns.Write(a, func(tx store.NetTx) error {
		if err := tx.Put(model.KindNetwork, &model.Network{NetMeta: model.NetMeta{ID: "net-x"}}, store.NetIndex{}); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom, "aborted write")
	if r2, _ := ns.Revision(system()); r2 != rev {
		t.Fatalf("revision after abort %d, want %d", r2, rev)
	}
	noErr(t, ns.Read(a, func(r store.NetReader) error {
		if _, err := r.Get(model.KindNetwork, "net-x"); !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("aborted record exists: %v", err)
		}
		// Filters.
		list, err := store.ListNet[model.Network](r, model.KindNetwork, store.NetFilter{Name: "shared"})
		if err != nil || len(list) != 1 || list[0].ID != "net-s" {
			return fmt.Errorf("filter by name: %v %v", list, err)
		}
		return nil
	}), "Read A")
	// Side tables: addresses, MACs and segments are unique.
	_, err = ns.Write(a, func(tx store.NetTx) error {
		if err := tx.UseIP("net-a", "sub", "10.0.0.5", "p1"); err != nil {
			return err
		}
		if err := tx.UseIP("net-a", "sub", "10.0.0.5", "p2"); !errors.Is(err, errdefs.ErrAlreadyExists) {
			return fmt.Errorf("second UseIP: %v", err)
		}
		if err := tx.UseMAC("net-a", "fa:16:3e:00:00:01", "p1"); err != nil {
			return err
		}
		if err := tx.UseMAC("net-a", "fa:16:3e:00:00:01", "p2"); !errors.Is(err, errdefs.ErrAlreadyExists) {
			return fmt.Errorf("second UseMAC: %v", err)
		}
		if err := tx.UseMAC("net-s", "fa:16:3e:00:00:01", "p3"); err != nil {
			return fmt.Errorf("same MAC on another network: %v", err)
		}
		v1, err := tx.AllocateVNI("net-a", 10, 12)
		if err != nil || v1 != 10 {
			return fmt.Errorf("AllocateVNI = %d, %v", v1, err)
		}
		if err := tx.ReserveVNI("net-s", 11); err != nil {
			return err
		}
		v3, err := tx.AllocateVNI("net-3", 10, 12)
		if err != nil || v3 != 12 {
			return fmt.Errorf("AllocateVNI = %d, %v", v3, err)
		}
		if _, err := tx.AllocateVNI("net-4", 10, 12); !errors.Is(err, errdefs.ErrConflict) {
			return fmt.Errorf("AllocateVNI on a full range: %v", err)
		}
		// The transaction is still usable after the refusals.
		return tx.ReleaseVNI("net-3")
	})
	noErr(t, err, "side tables")
	_, err = ns.Write(a, func(tx store.NetTx) error {
		used, err := tx.UsedIPs("sub")
		if err != nil || !slices.Equal(used, []string{"10.0.0.5"}) {
			return fmt.Errorf("UsedIPs = %v, %v", used, err)
		}
		if v, err := tx.AllocateVNI("net-4", 10, 12); err != nil || v != 12 {
			return fmt.Errorf("AllocateVNI after release = %d, %v", v, err)
		}
		if err := tx.ReleaseIPs("p1"); err != nil {
			return err
		}
		used, _ = tx.UsedIPs("sub")
		if len(used) != 0 {
			return fmt.Errorf("after ReleaseIPs: %v", used)
		}
		return nil
	})
	noErr(t, err, "release")
	testNetworkCount(t, s)
}

// testNetworkCount: Count is List's length less the records except names
// (matched on the attribute, not on text elsewhere in the record);
// CountAll ignores the scope.
func testNetworkCount(t *testing.T, s store.Store) {
	a, b := asProject(projectA), asProject(projectB)
	ns := s.Networks()
	ports := []*model.Port{
		{NetMeta: model.NetMeta{ID: "cp-1"}, DeviceOwner: model.DeviceOwnerCompute},
		{NetMeta: model.NetMeta{ID: "cp-2", Name: `"device_owner":"network:`, Description: "network:x"}},
		{NetMeta: model.NetMeta{ID: "cp-3"}, DeviceOwner: model.DeviceOwnerRouterInterface},
		{NetMeta: model.NetMeta{ID: "cp-4"}, DeviceOwner: model.DeviceOwnerFloatingIP},
		{NetMeta: model.NetMeta{ID: "cp-5"}, DeviceOwner: "network_x"},
	}
	_, err := ns.Write(a, func(tx store.NetTx) error {
		for _, p := range ports {
			if err := tx.Put(model.KindPort, p, store.NetIndex{NetworkID: "count-net"}); err != nil {
				return err
			}
		}
		return nil
	})
	noErr(t, err, "Put ports")
	svc := store.NetExcept{Attr: "device_owner", Prefix: "network:"}
	noErr(t, ns.Read(a, func(r store.NetReader) error {
		f := store.NetFilter{NetworkID: "count-net"}
		if n, err := r.Count(model.KindPort, f, store.NetExcept{}); err != nil || n != 5 {
			return fmt.Errorf("Count = %d, %v", n, err)
		}
		if n, err := r.Count(model.KindPort, f, svc); err != nil || n != 3 {
			return fmt.Errorf("Count except network:* = %d, %v", n, err)
		}
		if _, err := r.Count(model.KindPort, f, store.NetExcept{Attr: "x' OR '1"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			return fmt.Errorf("bad attribute: %v", err)
		}
		return nil
	}), "Count A")
	noErr(t, ns.Read(b, func(r store.NetReader) error {
		if n, err := r.Count(model.KindPort, store.NetFilter{NetworkID: "count-net"}, store.NetExcept{}); err != nil || n != 0 {
			return fmt.Errorf("B counts A's ports: %d, %v", n, err)
		}
		return nil
	}), "Count B")
	_, err = ns.Write(b, func(tx store.NetTx) error {
		if n, err := tx.CountAll(model.KindPort, store.NetFilter{ProjectID: projectA}, svc); err != nil || n != 3 {
			return fmt.Errorf("CountAll = %d, %v", n, err)
		}
		return nil
	})
	noErr(t, err, "CountAll")
}

// testNetworkIPAMConcurrent allocates from one small pool in 50 parallel
// writes: every address is handed out once, exactly pool-size writes win.
func testNetworkIPAMConcurrent(t *testing.T, s store.Store) {
	const pool, workers = 13, 50
	a := asProject(projectA)
	var (
		mu   sync.Mutex
		got  []string
		full int
		wg   sync.WaitGroup
	)
	errFull := errors.New("no more addresses")
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ip string
			_, err := s.Networks().Write(a, func(tx store.NetTx) error {
				used, err := tx.UsedIPs("small")
				if err != nil {
					return err
				}
				for n := 2; n < 2+pool; n++ {
					cand := fmt.Sprintf("10.9.0.%d", n)
					if !slices.Contains(used, cand) {
						ip = cand
						return tx.UseIP("net", "small", cand, fmt.Sprintf("port-%d", i))
					}
				}
				return errFull
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				got = append(got, ip)
			case errors.Is(err, errFull):
				full++
			default:
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	if len(slices.Compact(slices.Clone(got))) != len(got) || len(got) != pool || full != workers-pool {
		t.Fatalf("allocated %d (%v), %d refused", len(got), got, full)
	}
}
